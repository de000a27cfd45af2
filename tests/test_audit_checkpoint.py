"""Heads kept outside the database: `audit head`, `verify --head`, checkpoint files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
KEY = "k" * 40


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str):
        return runner.invoke(cli, ["--policy", str(POLICY), "--db", db, *args])

    invoke("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    invoke("approve", "1", "--as", "cat")
    return invoke


def more(run) -> None:
    """More events after whatever was pinned (submitted, decided, published)."""
    run("submit", "--author", "bob", "--channel", "twitter/help", "--text", "hello")


def sql(tmp_path, statement: str, *args) -> None:
    with sqlite3.connect(tmp_path / "sayso.db") as conn:
        conn.execute(statement, args)


def truncate_last(tmp_path) -> None:
    """The attack a head detects: drop the newest event and fix audit_head."""
    sql(tmp_path, "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
    sql(
        tmp_path,
        "UPDATE audit_head SET seq = seq - 1, "
        "hash = (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), "
        "recorded_at = (SELECT recorded_at FROM audit_events ORDER BY seq DESC LIMIT 1), "
        "max_ts = (SELECT max(ts) FROM audit_events)",
    )


def test_head_prints_the_last_event(run):
    text = run("audit", "head").output.strip()
    data = json.loads(run("audit", "head", "--json").output)
    assert text == f"{data['seq']}:{data['hash']}"
    last = json.loads(run("audit", "export").output.splitlines()[-1])
    assert (data["seq"], data["hash"]) == (last["seq"], last["hash"])


def test_verify_head_passes_while_the_chain_holds_it(run):
    head = run("audit", "head").output.strip()
    more(run)  # more events after the head are fine
    result = run("audit", "verify", "--head", head, "--head", head)
    assert result.exit_code == 0, result.output
    assert "2 head(s) held" in result.output


def test_verify_head_detects_truncation_with_a_fixed_head_row(run, tmp_path):
    head = run("audit", "head").output.strip()
    truncate_last(tmp_path)
    plain = run("audit", "verify")  # the chain fits; the submission row gives it away
    assert plain.exit_code == 1 and "status is 'published'" in plain.output
    result = run("audit", "verify", "--head", head)
    assert result.exit_code == 1
    assert "no longer in the log" in result.output


def test_verify_head_detects_a_rewritten_event(run):
    seq, digest = run("audit", "head").output.strip().split(":")
    forged = f"{seq}:{'0' * 64}"
    result = run("audit", "verify", "--head", forged)
    assert result.exit_code == 1 and f"event {seq} now has hash {digest[:12]}" in result.output


@pytest.mark.parametrize("bad", ["12", "x:abc", "1:" + "g" * 64, "-1:" + "0" * 64, ""])
def test_malformed_head_is_one_line(run, bad):
    result = run("audit", "verify", "--head", bad)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "SEQ:HASH" in result.output


def test_checkpoints_append_and_verify(run, tmp_path):
    path = tmp_path / "heads.jsonl"
    assert run("audit", "checkpoint", "--to", str(path)).exit_code == 0
    more(run)
    assert run("audit", "checkpoint", "--to", str(path)).exit_code == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["seq"] for e in lines] == [5, 8] and lines[0]["mac"] is None
    assert run("audit", "verify", "--checkpoints", str(path)).exit_code == 0
    truncate_last(tmp_path)
    result = run("audit", "verify", "--checkpoints", str(path))
    assert result.exit_code == 1 and "heads.jsonl" in result.output


def test_signed_checkpoints_detect_an_edited_file(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SAYSO_AUDIT_KEY", KEY)
    path = tmp_path / "heads.jsonl"
    more(run)  # a keyed event, so the newest carries a MAC
    entry = json.loads(run("audit", "checkpoint", "--to", str(path), "--json").output)
    assert entry["mac"] and ":" in entry["mac"]
    assert run("audit", "verify", "--checkpoints", str(path)).exit_code == 0
    forged = dict(entry, seq=1)  # an attacker moves the pin back to an older event
    with path.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    result = run("audit", "verify", "--checkpoints", str(path))
    assert result.exit_code == 1 and "heads.jsonl:2" in result.output


def test_unreadable_checkpoint_file_is_one_line(run, tmp_path):
    path = tmp_path / "heads.jsonl"
    path.write_text("not json\n")
    result = run("audit", "verify", "--checkpoints", str(path))
    assert result.exit_code == 1 and "heads.jsonl:1: not a checkpoint line" in result.output
    missing = run("audit", "verify", "--checkpoints", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and missing.output.startswith("error:")


@pytest.mark.parametrize(
    "statement", ["DELETE FROM audit_head", "DROP TABLE audit_events"], ids=["head", "events"]
)
@pytest.mark.parametrize(
    "command",
    [
        ("audit", "verify"),
        ("audit", "head"),
        ("submit", "--author", "bob", "--channel", "twitter/help", "--text", "hi"),
    ],
    ids=["verify", "head", "submit"],
)
def test_missing_audit_tables_are_one_line(run, tmp_path, statement, command):
    sql(tmp_path, statement)
    result = run(*command)
    if command[1:2] == ("head",) and statement.startswith("DELETE"):
        assert result.exit_code == 0  # the head is read from the events themselves
        return
    assert result.exit_code == 1
    assert result.output.count("\n") == 1, result.output
    assert "audit" in result.output and "Traceback" not in result.output


def test_a_malformed_key_is_one_line(run, monkeypatch):
    monkeypatch.setenv("SAYSO_AUDIT_KEY", "too short")
    result = run("submit", "--author", "bob", "--channel", "twitter/help", "--text", "hi")
    assert result.exit_code == 1
    assert (
        result.output
        == "error: SAYSO_AUDIT_KEY must be at least 32 characters (e.g. 64 hex digits)\n"
    )
