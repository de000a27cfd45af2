"""Every event says when it was really recorded, whether a person set its time,
and where the action came from (CLI with OS account and host, web, API, tick)."""

from __future__ import annotations

import csv
import io
import json
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import origin
from engine.audit import AuditLog, iso
from engine.compiler import load_engine
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, ["--policy", str(POLICY), "--db", db, *args], input=input)

    return invoke


def exported(run) -> list[dict]:
    result = run("audit", "export")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_cli_events_carry_via_account_host_and_recorded_time(run):
    before = iso(datetime.now(UTC))
    out = run(
        "submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure", "--json"
    )
    assert out.exit_code == 0, out.output
    events = exported(run)
    assert [e["event"] for e in events] == ["policy_loaded", "submitted", "decided"]
    user, host = origin.os_account()
    for e in events:
        assert e["via"] == "cli"
        assert e["os_user"] == user and e["host"] == host == socket.gethostname()
        assert before <= e["recorded_at"] <= iso(datetime.now(UTC))
        assert e["manual_clock"] is False
    assert origin.current().via == "engine"  # the CLI leaves no origin behind


def test_at_sets_only_the_effective_time_and_marks_it(run):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    run("approve", "1", "--as", "cat", "--at", "2001-01-01T00:00:00Z")
    approved = [e for e in exported(run) if e["event"] == "approved"][0]
    assert approved["ts"] == "2001-01-01T00:00:00.000000Z"
    assert approved["manual_clock"] is True
    assert approved["recorded_at"] > "2026-"  # the real clock, not the backdated one


def test_backdated_events_are_not_left_out_of_a_time_window(run):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    run("approve", "1", "--as", "cat", "--at", "2001-01-01T00:00:00Z")
    today = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z")
    result = run("audit", "export", "--since", today)
    assert "approved" in [json.loads(line)["event"] for line in result.output.splitlines()]


def test_tick_events_say_tick(run):
    run(
        "submit",
        "--author",
        "ann",
        "--channel",
        "twitter/help",
        "--text",
        "closure",
        "--at",
        "2026-05-04T09:00:00Z",
    )
    assert run("tick", "--at", "2026-05-04T12:00:00Z").exit_code == 0
    escalated = [e for e in exported(run) if e["event"] == "escalated"]
    assert escalated and all(e["via"] == "tick" and e["manual_clock"] for e in escalated)


def test_csv_export_has_the_provenance_columns(run):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    rows = list(csv.DictReader(io.StringIO(run("audit", "export", "--format", "csv").output)))
    assert {"recorded_at", "via", "os_user", "host", "manual_clock"} <= set(rows[0])
    assert rows[1]["via"] == "cli" and rows[1]["recorded_at"]


def test_recorded_time_never_goes_back_when_the_clock_does(tmp_path, monkeypatch):
    import engine.audit as audit_module

    wf = Workflow(load_engine(str(POLICY)), Store.create(f"sqlite:///{tmp_path / 'db'}"))
    wf.submit("ann", "twitter/help", "closure")
    real = audit_module.datetime

    class SteppedBack(real):
        @classmethod
        def now(cls, tz=None):
            return real(2020, 1, 1, tzinfo=UTC)

    monkeypatch.setattr(audit_module, "datetime", SteppedBack)
    wf.submit("ann", "twitter/help", "closure again")
    monkeypatch.setattr(audit_module, "datetime", real)
    times = [e.recorded_at for e in AuditLog(wf.store).events()]
    assert times == sorted(times) and times[-1] > "2026-"
    assert AuditLog(wf.store).verify().ok
    wf.store.close()


@pytest.mark.parametrize("column", ["recorded_at", "via", "os_user", "host", "manual_clock"])
def test_provenance_fields_are_covered_by_the_hash(run, tmp_path, column):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    value = {"manual_clock": 1, "recorded_at": "2099-01-01T00:00:00.000000Z"}.get(column, "x")
    with sqlite3.connect(tmp_path / "sayso.db") as conn:
        conn.execute(f"UPDATE audit_events SET {column} = ? WHERE seq = 2", (value,))
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "event 2" in result.output


def test_recorded_time_out_of_order_is_detected(tmp_path):
    store = Store.create(f"sqlite:///{tmp_path / 'db'}")
    wf = Workflow(load_engine(str(POLICY)), store)
    wf.submit("ann", "twitter/help", "closure")
    events = list(AuditLog(store).events())
    # rewrite event 3 with an earlier recorded time and a correct hash chain from there
    from engine.audit import canonical, event_hash

    record = events[2].to_dict()
    record["recorded_at"] = "2000-01-01T00:00:00.000000Z"
    record["hash"] = event_hash(record)
    with sqlite3.connect(tmp_path / "db") as conn:
        conn.execute(
            "UPDATE audit_events SET recorded_at = ?, hash = ? WHERE seq = 3",
            (record["recorded_at"], record["hash"]),
        )
        conn.execute("UPDATE audit_head SET hash = ?", (record["hash"],))
    result = AuditLog(store).verify()
    assert not result.ok and result.first_bad_seq == 3
    assert "before event 2" in result.message
    assert canonical  # used above for the record
    store.close()


def test_web_and_api_events_say_so(app, as_user, token_for, web_state, pending_sid):
    api = app.test_client()
    resp = api.post(
        f"/api/v1/submissions/{pending_sid}/approve",
        json={"revision": 1},
        headers=token_for("fran"),
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    last = list(AuditLog(web_state.store).events(event="approved"))[-1]
    assert last.via == "api" and last.os_user is None and last.host is None
    sub = web_state.workflow.submit("dana", "facebook/nmtw", "We can close your account today.")
    client = as_user("fran")
    client.form(f"/submissions/{sub.id}/approve", {"revision": "1"})
    last = list(AuditLog(web_state.store).events(event="approved"))[-1]
    assert last.submission_id == sub.id and last.via == "web"
    assert origin.current().via == "engine"


@pytest.mark.parametrize(
    "command",
    [
        ("submit", "--author", "ann", "--channel", "twitter/help", "--text", "hello"),
        ("approve", "1", "--as", "cat"),
        ("reject", "1", "--as", "cat", "--reason", "no"),
        ("withdraw", "1", "--as", "ann"),
        ("revise", "1", "--as", "ann", "--text", "closure 2"),
        ("delegate", "--from", "eve", "--to", "fay", "--until", "2099-01-01T00:00:00Z"),
    ],
    ids=lambda c: c[0],
)
def test_cli_actions_off_refuses_workflow_actions(run, monkeypatch, command):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure")
    before = len(exported(run))
    monkeypatch.setenv("SAYSO_CLI_ACTIONS", "off")
    result = run(*command)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "SAYSO_CLI_ACTIONS=off" in result.output
    assert len(exported(run)) == before  # nothing happened
    assert run("audit", "verify").exit_code == 0  # reading and auditing still work
    assert run("tick").exit_code == 0  # scheduled work still runs


def test_account_changes_are_audited(run):
    token = run("token", "create", "--as", "bob", "--name", "ci", "--json")
    assert token.exit_code == 0, token.output
    assert run("token", "revoke", "1").exit_code == 0
    assert (
        run("user", "set-password", "ann", "--password-stdin", input="correct horse\n").exit_code
        == 0
    )
    events = [
        e for e in exported(run) if e["event"] in ("token_created", "token_revoked", "password_set")
    ]
    assert [(e["event"], e["details"]["user"]) for e in events] == [
        ("token_created", "bob"),
        ("token_revoked", "bob"),
        ("password_set", "ann"),
    ]
    assert all(e["via"] == "cli" and e["os_user"] for e in events)
    secret = json.loads(token.output)["token"]
    assert all(secret not in json.dumps(e) for e in events)
    assert run("audit", "verify").exit_code == 0


def test_help_still_shows_for_a_turned_off_action(run, monkeypatch):
    monkeypatch.setenv("SAYSO_CLI_ACTIONS", "off")
    result = run("approve", "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_a_time_window_still_filters_on_the_effective_time(run):
    run("submit", "--author", "ann", "--channel", "twitter/help", "--text", "closure",
        "--at", "2026-05-04T09:00:00Z")  # fmt: skip
    run("submit", "--author", "bob", "--channel", "twitter/help", "--text", "closure",
        "--at", "2026-05-06T09:00:00Z")  # fmt: skip
    run("approve", "1", "--as", "cat", "--at", "2026-05-01T00:00:00Z")  # backdated
    lines = run("audit", "export", "--since", "2026-05-05T00:00:00Z").output.splitlines()
    events = [json.loads(line) for line in lines]
    assert [(e["event"], e["submission_id"]) for e in events] == [
        ("submitted", 2),
        ("decided", 2),
        ("approved", 1),  # dated before the window, but recorded in it after later events
        ("published", 1),
    ]
    assert [e["backdated"] for e in events] == [False, False, True, True]
    before = run("audit", "export", "--until", "2026-05-05T00:00:00Z").output.splitlines()
    assert {json.loads(line)["submission_id"] for line in before} == {None, 1}
