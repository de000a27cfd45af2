"""The record a regulator asks for: `show`, `audit export --records`, `retire`,
and the sealed archive verified offline."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
KEY = "records-test-key-0123456789abcdef01234"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str):
        return runner.invoke(cli, ["--policy", str(POLICY), "--db", db, *args])

    return invoke


@pytest.fixture
def published(run):
    """bob's post, revised once, approved by eve and fay (legal), published."""
    run("submit", "--author", "bob", "--channel", "facebook/page", "--text", "The outage is over.",
        "--at", "2026-05-04T09:00:00Z")  # fmt: skip
    run("revise", "1", "--as", "bob", "--text", "The outage is over now.",
        "--at", "2026-05-04T09:30:00Z")  # fmt: skip
    run("approve", "1", "--as", "eve", "--comment", "ok", "--at", "2026-05-04T10:00:00Z")
    result = run("approve", "1", "--as", "fay", "--at", "2026-05-04T11:00:00Z")
    assert result.exit_code == 0, result.output
    return run


def test_show_json_carries_the_regulator_record(published):
    data = json.loads(published("show", "1", "--json").output)
    comm = data["communication"]
    assert comm["preparer"] == {"id": "bob", "name": "Bob Baker"}
    assert comm["approved_revision"] == 2
    assert comm["approved_text"] == "The outage is over now."
    assert [(a["by"]["name"], a["at"]) for a in comm["approvals"]] == [
        ("Eve Legal", "2026-05-04T10:00:00.000000Z"),
        ("Fay Legal", "2026-05-04T11:00:00.000000Z"),
    ]
    assert comm["first_use"] == "2026-05-04T11:00:00.000000Z" and comm["last_use"] is None
    assert [(m["revision"], m["by"]["id"], m["at"][:16]) for m in comm["modifications"]] == [
        (1, "bob", "2026-05-04T09:00"),
        (2, "bob", "2026-05-04T09:30"),
    ]
    versions = {d["policy_version"] for d in comm["decisions"]}
    assert set(data["policy_snapshots"]) == versions
    assert "policy.yaml" in next(iter(data["policy_snapshots"].values()))


def test_show_text_names_people(published):
    out = published("show", "1").output
    assert "prepared by Bob Baker (bob)" in out
    assert "approved revision 2 by Eve Legal (eve) on 2026-05-04T10:00:00.000000Z" in out
    assert "approved text (revision 2" in out and "'The outage is over now.'" in out


def test_retire_records_the_last_use(published):
    result = published("retire", "1", "--as", "bob", "--reason", "superseded by #7",
                       "--at", "2026-06-01T00:00:00Z")  # fmt: skip
    assert result.exit_code == 0, result.output
    comm = json.loads(published("show", "1", "--json").output)["communication"]
    assert comm["last_use"] == "2026-06-01T00:00:00.000000Z"
    assert comm["retired_by"]["id"] == "bob" and comm["retire_reason"] == "superseded by #7"
    assert published("audit", "verify").exit_code == 0
    again = published("retire", "1", "--as", "bob")
    assert again.exit_code == 1 and "already retired" in again.output


@pytest.mark.parametrize(
    ("actor", "message"), [("eve", "only the author"), ("zed", "only the author")]
)
def test_retire_is_for_the_author_or_an_admin(published, actor, message):
    result = published("retire", "1", "--as", actor)
    assert result.exit_code == 1 and message in result.output


def test_only_published_posts_retire(run):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    result = run("retire", "1", "--as", "ann")
    assert result.exit_code == 1 and "only published posts retire" in result.output


def test_export_records_jsonl_and_csv(published):
    lines = published("audit", "export", "--records").output.splitlines()
    record = json.loads(lines[0])
    assert record["approved_text_sha256"] and record["preparer"]["name"] == "Bob Baker"
    rows = list(csv.DictReader(io.StringIO(published("audit", "export", "--records",
                                                     "--format", "csv").output)))  # fmt: skip
    assert rows[0]["preparer"] == "Bob Baker (bob)"
    assert "revision 2 by Eve Legal (eve) at 2026-05-04T10:00:00.000000Z" in rows[0]["approvals"]
    bad = published("audit", "export", "--records", "--since", "2026-01-01")
    assert bad.exit_code == 2 and "--records" in bad.output


def test_archive_verifies_offline(published, tmp_path):
    out = tmp_path / "arch"
    result = published("audit", "archive", "--until", "2099-01-01T00:00:00Z", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "events.jsonl", "events.csv", "records.jsonl", "policies", "head.json"
    }  # fmt: skip
    os.remove(tmp_path / "sayso.db")  # offline: no database at all
    ok = published("audit", "verify", "--archive", str(out))
    assert ok.exit_code == 0 and "archive intact" in ok.output


def test_archive_is_a_prefix_up_to_the_time(published, tmp_path):
    published("submit", "--author", "ann", "--channel", "twitter/help", "--text", "later")
    head = json.loads((published("audit", "head", "--json")).output)
    out = tmp_path / "arch"
    last = json.loads(published("audit", "export").output.splitlines()[-1])
    assert (
        published("audit", "archive", "--until", last["recorded_at"], "-o", str(out)).exit_code == 0
    )
    lines = (out / "events.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["seq"] == head["seq"]
    assert published("audit", "verify", "--archive", str(out)).exit_code == 0


@pytest.mark.parametrize(
    ("target", "edit"),
    [
        ("records.jsonl", lambda t: t.replace("Eve Legal", "Eve Other")),
        ("events.jsonl", lambda t: t.replace('"actor":"eve"', '"actor":"dan"')),
        ("events.csv", lambda t: t.replace(",eve,", ",dan,")),
        ("head.json", lambda t: t.replace('"seq": ', '"seq": 1')),
    ],
    ids=["records", "events", "csv", "head"],
)
def test_an_edited_archive_fails(published, tmp_path, target, edit):
    out = tmp_path / "arch"
    published("audit", "archive", "--until", "2099-01-01T00:00:00Z", "-o", str(out))
    path = out / target
    os.chmod(path, 0o644)
    path.write_text(edit(path.read_text()))
    result = published("audit", "verify", "--archive", str(out))
    assert result.exit_code == 1 and result.output.startswith("BROKEN")


def test_a_resealed_archive_fails_without_the_key(published, tmp_path, monkeypatch):
    """Editing a file and fixing its digest in head.json is caught by the signature."""
    monkeypatch.setenv("SAYSO_AUDIT_KEY", KEY)
    published("retire", "1", "--as", "bob")  # a keyed event last
    out = tmp_path / "arch"
    assert published("audit", "archive", "--until", "2099-01-01T00:00:00Z",
                     "-o", str(out)).exit_code == 0  # fmt: skip
    head = json.loads((out / "head.json").read_text())
    assert head["mac"]
    import hashlib

    records = out / "records.jsonl"
    os.chmod(records, 0o644)
    records.write_text(records.read_text().replace("Eve Legal", "Eve Other"))
    head["files"]["records.jsonl"] = hashlib.sha256(records.read_bytes()).hexdigest()
    os.chmod(out / "head.json", 0o644)
    (out / "head.json").write_text(json.dumps(head))
    result = published("audit", "verify", "--archive", str(out))
    assert result.exit_code == 1 and "MAC does not match" in result.output


def test_archive_refuses_a_non_empty_directory_and_a_broken_log(published, tmp_path):
    out = tmp_path / "arch"
    out.mkdir()
    (out / "x").write_text("x")
    result = published("audit", "archive", "--until", "2099-01-01T00:00:00Z", "-o", str(out))
    assert result.exit_code == 1 and "not empty" in result.output
    import sqlite3

    with sqlite3.connect(tmp_path / "sayso.db") as conn:
        conn.execute("UPDATE verdicts SET actor = 'dan' WHERE actor = 'fay'")
    result = published(
        "audit", "archive", "--until", "2099-01-01T00:00:00Z", "-o", str(tmp_path / "a2")
    )
    assert result.exit_code == 1 and "does not verify" in result.output


@pytest.fixture
def renaming(tmp_path, monkeypatch):
    """`(run, rename)`: a CLI on a copy of the policy (each command must succeed), and
    a later policy that renames eve and bob."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    policy = tmp_path / "policy"
    policy.mkdir()
    source = (POLICY / "policy.yaml").read_text()
    (policy / "policy.yaml").write_text(source)
    db = f"sqlite:///{tmp_path / 'sayso.db'}"
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, ["--policy", str(policy), "--db", db, *args])
        assert result.exit_code == 0, result.output
        return result

    def rename() -> None:
        renamed = source.replace("Eve Legal", "Eve Counsel").replace("Bob Baker", "Robert Baker")
        (policy / "policy.yaml").write_text(renamed)

    return run, rename


def test_records_name_people_as_they_were_called_when_they_acted(renaming):
    """A later policy renames the preparer and an approver: the record keeps the names
    the events recorded (in the hash chain), and only a new act carries the new name."""
    run, rename = renaming
    run("submit", "--author", "bob", "--channel", "facebook/page", "--text", "The outage is over.")
    run("approve", "1", "--as", "eve")
    rename()
    run("approve", "1", "--as", "fay")

    comm = json.loads(run("show", "1", "--json").output)["communication"]
    assert comm["preparer"] == {"id": "bob", "name": "Bob Baker"}
    assert [a["by"]["name"] for a in comm["approvals"]] == ["Eve Legal", "Fay Legal"]
    export = run("audit", "export", "--format", "jsonl").output.splitlines()
    approved = [json.loads(line) for line in export if '"approved"' in line]
    assert approved[0]["details"]["names"] == {"eve": "Eve Legal"}
    assert run("audit", "verify").exit_code == 0


def test_a_rejection_keeps_the_name_of_its_time(renaming):
    run, rename = renaming
    run("submit", "--author", "bob", "--channel", "facebook/page", "--text", "The outage is over.")
    run("reject", "1", "--as", "eve", "--reason", "Not yet.")
    rename()
    comm = json.loads(run("show", "1", "--json").output)["communication"]
    assert [r["by"]["name"] for r in comm["rejections"]] == ["Eve Legal"]
