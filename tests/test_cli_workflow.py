"""The workflow commands through the CLI: exit codes, one-line refusals, JSON shapes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str, policy: Path = POLICY, input: str | None = None):
        return runner.invoke(cli, ["--policy", str(policy), "--db", db, *args], input=input)

    return invoke


def submit(run, author, channel, text, *extra):
    result = run(
        "submit", "--author", author, "--channel", channel, "--text", text, "--json", *extra
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_submit_json_has_id_status_and_decision_fields(run):
    data = submit(
        run, "ann", "twitter/help", "We regret the closure.", "--at", "2026-05-04T09:00:00Z"
    )
    assert isinstance(data["id"], int)
    assert data["status"] == "pending"
    assert data["decision"] == "needs_signoff"
    assert [r["id"] for r in data["reasons"]] == ["closure"]
    assert data["requirements"][0]["id"] == "closure"
    assert data["requirements"][0]["signoff"] == ["group:member-services"]
    assert data["requirements"][0]["approvals"] == 1
    assert data["topics"][0]["id"] == "closure"
    assert len(data["policy_version"]) == 64


def test_submit_denied_still_exits_zero_with_status(run):
    data = submit(run, "ann", "twitter/help", "Our APR is low")
    assert data["status"] == "denied"


def test_submit_from_stdin(run):
    result = run(
        "submit", "--author", "ann", "--channel", "twitter/help", "--json", "-", input="hi"
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == "published"  # outbox publishes at once


def test_queue_approve_and_refusals(run):
    sid = str(submit(run, "ann", "twitter/help", "We regret the closure.")["id"])
    queue = json.loads(run("queue", "--as", "cat", "--json").output)
    assert [q["id"] for q in queue] == [int(sid)]
    assert {"id", "author", "channel", "status", "requirements"} <= queue[0].keys()
    assert json.loads(run("queue", "--as", "ann", "--json").output) == []

    refused = run("approve", sid, "--as", "ann")
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1 and "own post" in refused.output
    assert "Traceback" not in refused.output

    done = run("approve", sid, "--as", "cat", "--comment", "ok", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["status"] == "published"
    again = run("approve", sid, "--as", "cat")
    assert again.exit_code == 1 and "not pending" in again.output


def test_reject_and_withdraw(run):
    a = str(submit(run, "ann", "twitter/help", "We regret the closure.")["id"])
    b = str(submit(run, "ann", "twitter/help", "Another closure note.")["id"])
    assert run("reject", a, "--as", "cat").exit_code == 2  # --reason is required
    assert run("reject", a, "--as", "cat", "--reason", "tone").exit_code == 0
    assert run("withdraw", b, "--as", "cat").exit_code == 1
    result = run("withdraw", b, "--as", "ann", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "withdrawn"


def test_unknown_submission_and_user(run):
    result = run("approve", "4242", "--as", "cat")
    assert result.exit_code == 1 and "no submission 4242" in result.output
    result = run("queue", "--as", "ghost")
    assert result.exit_code == 1 and "unknown user" in result.output


def test_tick_escalates_and_is_idempotent(run):
    sid = submit(
        run, "ann", "twitter/help", "We regret the closure.", "--at", "2026-05-04T09:00:00Z"
    )["id"]
    assert (
        json.loads(run("queue", "--as", "dan", "--at", "2026-05-04T12:00:00Z", "--json").output)
        == []
    )
    first = json.loads(run("tick", "--at", "2026-05-04T12:00:00Z", "--json").output)
    assert first["escalated"] == [{"id": sid, "escalation": "chain", "level": 1}]
    second = json.loads(run("tick", "--at", "2026-05-04T12:00:00Z", "--json").output)
    assert second["escalated"] == []
    queue = json.loads(run("queue", "--as", "dan", "--at", "2026-05-04T12:00:00Z", "--json").output)
    assert [q["id"] for q in queue] == [sid]


def test_revise_creates_new_revision(run):
    sid = str(submit(run, "bob", "facebook/page", "The outage is over.")["id"])
    assert run("approve", sid, "--as", "eve").exit_code == 0
    result = run("revise", sid, "--as", "bob", "--text", "The outage is fixed.", "--json")
    data = json.loads(result.output)
    assert data["revision"] == 2 and data["requirements"][0]["approved_by"] == []


def test_audit_verify_and_export(run, tmp_path):
    sid = str(submit(run, "ann", "twitter/help", "We regret the closure.")["id"])
    run("approve", sid, "--as", "cat")
    ok = run("audit", "verify")
    assert ok.exit_code == 0 and "intact" in ok.output
    csv_out = run("audit", "export", "--format", "csv", "--event", "approved")
    assert csv_out.exit_code == 0
    assert csv_out.output.splitlines()[0].startswith("seq,ts,actor")
    assert ",cat," in csv_out.output
    jsonl = run("audit", "export", "-o", str(tmp_path / "log.jsonl"), "--author", "ann")
    assert jsonl.exit_code == 0
    events = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert {e["event"] for e in events} >= {"submitted", "decided", "approved", "published"}
    bad = run("audit", "export", "--since", "yesterday")
    assert bad.exit_code != 0 and "ISO 8601" in bad.output

    with sqlite3.connect(tmp_path / "sayso.db") as conn:
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    broken = run("audit", "verify")
    assert broken.exit_code == 1 and "event 3" in broken.output


def test_show_prints_the_full_record(run):
    sid = str(submit(run, "bob", "facebook/page", "The outage is over.")["id"])
    run("approve", sid, "--as", "eve")
    run("approve", sid, "--as", "fay")
    out = run("show", sid).output
    assert "sha256" in out and "approve revision 1 by eve" in out and "by fay" in out
    data = json.loads(run("show", sid, "--json").output)
    assert [v["actor"] for v in data["verdicts"]] == ["eve", "fay"]
    assert data["revisions"][0]["text"] == "The outage is over."


def test_delegate_command_and_audit_says_for(run):
    sid = str(submit(run, "ann", "twitter/help", "We regret the closure.")["id"])
    result = run("delegate", "--from", "cat", "--to", "dan", "--until", "2099-01-01T00:00:00Z")
    assert result.exit_code == 0 and "dan acts for cat" in result.output
    assert run("approve", sid, "--as", "dan").exit_code == 0
    record = run("show", sid).output
    assert "by dan for cat" in record


def test_policy_show_prints_the_exact_files(run):
    version = submit(run, "ann", "twitter/help", "hello")["policy_version"]
    out = run("policy", "show", version[:12])
    assert out.exit_code == 0
    assert (POLICY / "policy.yaml").read_text().strip() in out.output


def test_replay_reports_changed_outcomes(run, tmp_path):
    submit(run, "ann", "twitter/help", "We regret the closure.")
    submit(run, "ann", "twitter/help", "Nice weather")
    stricter = tmp_path / "stricter"
    shutil.copytree(POLICY, stricter)
    text = (stricter / "policy.yaml").read_text()
    (stricter / "policy.yaml").write_text(
        text.replace("keywords: [outage]", "keywords: [outage, weather]")
    )
    out = run("replay", "--with", str(stricter))
    assert out.exit_code == 0, out.output
    assert "approved -> needs_signoff" in out.output
    assert "+ crisis" in out.output
    data = json.loads(run("replay", "--with", str(stricter), "--json").output)
    assert data["replayed"] == 2 and data["changed"] == 1
    assert data["summary"] == {"approved -> needs_signoff": 1}


def test_bad_db_url_is_one_line(run, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--policy", str(POLICY), "--db", "nosuch://x", "queue", "--as", "cat"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error:") and "Traceback" not in result.output


def test_usage_mistakes_are_one_line_from_the_real_command(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    for args, needle in (
        (["approve", "1"], "Missing option '--as'"),
        (["nosuch"], "No such command 'nosuch'"),
        (
            ["check", "--author", "ann", "--channel", "x/y", "--kind", "story", "--text", "x"],
            "kind",
        ),
    ):
        done = subprocess.run(
            [sys.executable, str(root / "cli.py"), "--policy", str(POLICY), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and needle in done.stderr, done.stderr
        assert done.stderr.startswith("error: ")
