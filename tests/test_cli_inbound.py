"""Inbound commands through the CLI: add, import, inbox, show, close, replies, tick."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

POLICY = Path(__file__).parent / "fixtures" / "policies" / "inbound"
T0 = "2026-05-04T09:00:00Z"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, ["--policy", str(POLICY), "--db", db, *args], input=input)

    return invoke


def ok_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def add(run, text="Terrible service, I want a refund", *extra, channel="twitter/help"):
    return ok_json(
        run(
            "inbound",
            "add",
            "--channel",
            channel,
            "--from",
            "@joe",
            "--text",
            text,
            "--at",
            T0,
            "--json",
            *extra,
        )
    )


def test_add_prints_id_status_route_topics_owners_due_at(run):
    data = add(run, "Terrible service!", "--name", "Joe Public", "--message-id", "m-1")
    assert isinstance(data["id"], int) and data["status"] == "open"
    assert data["route"] == "complaints" and data["topics"] == ["complaints"]
    assert data["owners"] == ["group:support"]
    assert data["due_at"].startswith("2026-05-04T11:00:00")
    assert data["name"] == "Joe Public" and data["from"] == "@joe"


def test_a_repeat_delivery_is_ignored(run):
    first = add(run, "hello", "--message-id", "m-1")
    again = add(run, "hello again", "--message-id", "m-1")
    assert again["id"] == first["id"] and again["duplicate"] and again["text"] == "hello"
    listed = ok_json(run("inbound", "list", "--json"))
    assert [i["id"] for i in listed] == [first["id"]]


def test_inbox_lists_what_the_user_owns_now(run):
    item = add(run)
    mine = ok_json(run("inbox", "--as", "ann", "--at", T0, "--json"))
    assert [i["id"] for i in mine] == [item["id"]]
    row = mine[0]
    for key in ("id", "channel", "from", "text", "topics", "level", "due_at"):
        assert key in row
    assert (row["level"], row["channel"], row["from"]) == (0, "twitter/help", "@joe")
    assert ok_json(run("inbox", "--as", "ceo", "--json")) == []
    result = run("inbox", "--as", "nobody", "--json")
    assert result.exit_code == 1 and "unknown user 'nobody'" in result.output


def test_an_ignored_complaint_reaches_the_president_through_tick(run):
    item = add(run)
    report = ok_json(run("tick", "--at", "2026-05-05T09:00:00Z", "--json"))
    levels = [e["level"] for e in report["inbound"]["escalated"]]
    assert levels == [1, 2, 3] and report["inbound"]["overdue"] == [item["id"]]
    [top] = ok_json(run("inbox", "--as", "ceo", "--json"))
    assert top["id"] == item["id"] and top["level"] == 3
    again = ok_json(run("tick", "--at", "2026-05-05T09:00:00Z", "--json"))
    assert again["inbound"] == {"escalated": [], "overdue": []}
    add(run, "hello again")  # default route: due 8h after receipt
    text = run("tick", "--at", "2026-05-05T10:00:00Z")
    assert "inbound: 0 escalated, 1 overdue" in text.output


def test_close_by_an_owner_and_exit_1_for_anyone_else(run):
    item = add(run)
    refused = run("inbound", "close", str(item["id"]), "--as", "zed", "--reason", "spam")
    assert refused.exit_code == 1
    assert "zed does not own inbound item" in refused.output
    assert "Traceback" not in refused.output
    done = ok_json(
        run("inbound", "close", str(item["id"]), "--as", "bob", "--reason", "spam", "--json")
    )
    assert done["status"] == "closed" and done["closed_reason"] == "spam"
    shown = ok_json(run("inbound", "show", str(item["id"]), "--json"))
    assert shown["status"] == "closed"
    twice = run("inbound", "close", str(item["id"]), "--as", "ann", "--reason", "x")
    assert twice.exit_code == 1 and "closed, not open" in twice.output


def test_submit_in_reply_to_answers_it_once_published(run):
    item = add(run)
    reply = ok_json(
        run(
            "submit",
            "--author",
            "ann",
            "--channel",
            "twitter/help",
            "--text",
            "DM us please",
            "--in-reply-to",
            str(item["id"]),
            "--at",
            "2026-05-04T10:00:00Z",
            "--json",
        )
    )
    assert reply["status"] == "published" and reply["kind"] == "reply"
    shown = ok_json(run("inbound", "show", str(item["id"]), "--json"))
    assert shown["status"] == "answered" and shown["answered_by"] == reply["id"]
    assert [r["id"] for r in shown["replies"]] == [reply["id"]]
    assert ok_json(run("inbox", "--as", "ann", "--json")) == []


def test_a_rejected_reply_keeps_it_open(run):
    item = add(run)
    reply = ok_json(
        run(
            "submit",
            "--author",
            "ann",
            "--channel",
            "twitter/help",
            "--text",
            "So sorry!",
            "--in-reply-to",
            str(item["id"]),
            "--json",
        )
    )
    assert reply["status"] == "pending"
    assert run("reject", str(reply["id"]), "--as", "lea", "--reason", "no").exit_code == 0
    assert ok_json(run("inbound", "show", str(item["id"]), "--json"))["status"] == "open"


def test_a_reply_on_another_channel_is_refused(run):
    item = add(run)
    result = run(
        "submit",
        "--author",
        "ann",
        "--channel",
        "facebook/page",
        "--text",
        "Hi",
        "--in-reply-to",
        str(item["id"]),
    )
    assert result.exit_code == 1
    assert "goes to its channel twitter/help, not facebook/page" in result.output


@pytest.mark.parametrize(
    "args, error",
    [
        (("inbound", "show", "12345"), "no inbound item 12345"),
        (("inbound", "show", "x';--"), "no inbound item"),
        (
            ("inbound", "add", "--channel", "nope/x", "--from", "a", "--text", "t"),
            "unknown channel",
        ),
        (("inbound", "add", "--channel", "twitter/help", "--from", "a", "--text", " "), "empty"),
        (
            (
                "inbound",
                "add",
                "--channel",
                "twitter/help",
                "--from",
                "a",
                "--text",
                "t",
                "--at",
                "yesterday",
            ),
            "not an ISO 8601 time",
        ),
        (("inbound", "close", "1", "--as", "ann"), "Missing option '--reason'"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(run, args, error):
    add(run)
    result = run(*args)
    assert result.exit_code != 0
    assert error in result.output
    assert "Traceback" not in result.output


JSONL = """\
{"channel": "twitter/help", "from": "@a", "text": "I want a refund", "message_id": "1", "at": "2026-05-04T09:00:00Z"}
{"channel": "twitter/help", "from": "@b", "text": "hello", "message_id": "2"}
not json at all

{"channel": "twitter/help", "from": "@a", "text": "dup", "message_id": "1"}
{"channel": "nowhere/x", "from": "@c", "text": "hi"}
{"channel": "twitter/help", "text": "no sender"}
["a", "list"]
{"channel": "facebook/page", "from": "@d", "text": "thanks", "colour": "red"}
{"channel": "facebook/page", "from": "@d", "text": "ok", "at": "soon"}
{"channel": "facebook/page", "sender": "@e", "text": "aliases work", "id": 99}
"""


def test_import_jsonl_reports_each_bad_line_and_stores_the_good(run, tmp_path):
    path = tmp_path / "messages.jsonl"
    path.write_text(JSONL)
    result = run("inbound", "import", str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["added"], report["duplicate"], report["invalid"]) == (3, 1, 6)
    assert report["duplicate_lines"] == [5]
    assert [e["line"] for e in report["errors"]] == [3, 6, 7, 8, 9, 10]
    errors = {e["line"]: e["error"] for e in report["errors"]}
    assert "not valid JSON" in errors[3] and "unknown channel" in errors[6]
    assert "missing from" in errors[7] and "unknown key 'colour'" in errors[9]
    stored = ok_json(run("inbound", "list", "--json"))
    assert sorted(i["from"] for i in stored) == ["@a", "@b", "@e"]
    [e] = [i for i in stored if i["from"] == "@e"]
    assert e["message_id"] == "99"
    text = run("inbound", "import", str(path))
    assert "0 added, 4 duplicate, 6 invalid" in text.output
    assert f"{path}:3: not valid JSON" in text.output


def test_import_csv_with_header(run, tmp_path):
    path = tmp_path / "messages.csv"
    path.write_text(
        "channel,from,text,message_id\n"
        'twitter/help,@a,"Terrible service, refund now",1\n'
        "twitter/help,@b\n"
        'facebook/page,@c,"multi\nline",2\n'
        "twitter/help,@a,again,1\n"
    )
    result = run("inbound", "import", str(path), "--json")
    report = json.loads(result.output)
    assert (report["added"], report["duplicate"], report["invalid"]) == (2, 1, 1)
    assert report["errors"][0]["line"] == 3
    items = ok_json(run("inbound", "list", "--json"))
    assert {i["text"] for i in items} == {"Terrible service, refund now", "multi\nline"}


def test_import_of_a_missing_file_is_one_line(run):
    result = run("inbound", "import", "no-such-file.jsonl")
    assert result.exit_code != 0 and "no-such-file.jsonl" in result.output
    assert "Traceback" not in result.output
