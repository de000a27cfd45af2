"""canned-reply on replies to inbound messages: the same form text to the same customer
again is found even when every other reply differs (CLI and API), while replies to
someone else keep the across-all-replies rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "policies" / "inbound" / "policy.yaml"
CHECKS = """
checks:
  - {use: canned-reply, action: signoff, signoff: [group:leads]%s}
"""
T0 = "2026-05-04T09:00:00Z"
FORM = "Thanks for reaching out. Please DM us your account number and we will look into it."


def policy_dir(tmp_path: Path, options: str = "") -> Path:
    directory = tmp_path / "policy"
    directory.mkdir(exist_ok=True)
    shutil.copy(FIXTURE, directory / "policy.yaml")
    with (directory / "policy.yaml").open("a", encoding="utf-8") as out:
        out.write(CHECKS % options)
    return directory


@pytest.fixture
def cli_with(tmp_path, monkeypatch):
    """`cli_with(options)`: a CLI runner on the policy with those canned-reply options."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def make(options: str = ""):
        policy = policy_dir(tmp_path, options)
        return lambda *args: runner.invoke(cli, ["--policy", str(policy), "--db", db, *args])

    return make


@pytest.fixture
def run(cli_with):
    return cli_with()


def ok_json(result, code: int = 0):
    assert result.exit_code == code, result.output
    return json.loads(result.output)


def message(run, sender: str, text: str, channel: str = "twitter/help") -> int:
    added = run("inbound", "add", "--channel", channel, "--from", sender, "--text", text, "--json")
    return ok_json(added)["id"]


def reply(run, item: int, text: str, channel: str = "twitter/help", author: str = "ann"):
    args = ("--author", author, "--channel", channel, "--text", text, "--json")
    return ok_json(run("submit", "--in-reply-to", str(item), *args))


def canned(data) -> list[str]:
    return [r["message"] for r in data["reasons"] if r["id"] == "canned-reply"]


def test_the_same_form_to_the_same_sender_again_needs_signoff(run):
    first = message(run, "@joe", "Where is my parcel?")
    assert reply(run, first, FORM)["status"] == "published"
    answers = {  # every other reply differs
        "@amy": "Your new card is in the post and arrives by Friday.",
        "@kim": "The Elm Street branch opens at nine on Saturdays.",
        "@lou": "Fran from lending will call you this afternoon about the loan.",
    }
    for sender, answer in answers.items():
        assert reply(run, message(run, sender, "A question"), answer)["status"] == "published"
    again = message(run, "@joe", "Still no parcel.")
    plain = ("--author", "bob", "--channel", "twitter/help", "--kind", "reply", "--text", FORM)
    checked = run("check", *plain)
    assert checked.exit_code == 0, checked.output  # no in-reply-to: no store, no finding
    checked = run(
        "check", "--author", "bob", "--channel", "twitter/help", "--text", FORM.upper(),
        "--in-reply-to", str(again), "--json",
    )  # fmt: skip
    data = ok_json(checked, 3)
    assert data["decision"] == "needs_signoff" and data["checks_not_run"] == []
    [finding] = canned(data)
    assert "100% identical to 1 earlier reply to @joe" in finding
    sub = reply(run, again, FORM, author="bob")
    assert sub["status"] == "pending" and canned(sub) == [finding]


def test_the_same_form_to_someone_else_keeps_the_across_all_rule(run):
    joe = message(run, "@joe", "Where is my parcel?")
    reply(run, joe, FORM)
    amy = message(run, "@amy", "My card does not work.")
    args = ("--author", "ann", "--channel", "twitter/help", "--text", FORM, "--json")
    data = ok_json(run("check", "--in-reply-to", str(amy), *args))
    assert data["decision"] == "approved" and canned(data) == []  # one earlier, to @joe
    reply(run, message(run, "@kim", "Hello?"), FORM)
    data = ok_json(run("check", "--in-reply-to", str(amy), *args), 3)
    [finding] = canned(data)  # two earlier in all: the rule for every reply
    assert "identical to 2 earlier replies;" in finding and "@amy" not in finding


def test_the_same_sender_on_another_channel_counts(run):
    reply(run, message(run, "@joe", "Where is my parcel?"), FORM)
    elsewhere = message(run, "@joe", "Hello from Facebook", channel="facebook/page")
    args = ("--author", "ann", "--channel", "facebook/page", "--text", FORM, "--json")
    [finding] = canned(ok_json(run("check", "--in-reply-to", str(elsewhere), *args), 3))
    assert "to @joe;" in finding


def test_per_channel_option_keeps_senders_apart_by_channel(cli_with):
    run = cli_with(", across_channels: false")
    reply(run, message(run, "@joe", "Where is my parcel?"), FORM)
    elsewhere = message(run, "@joe", "Hello from Facebook", channel="facebook/page")
    args = ("--author", "ann", "--channel", "facebook/page", "--text", FORM, "--json")
    assert canned(ok_json(run("check", "--in-reply-to", str(elsewhere), *args))) == []
    same = message(run, "@joe", "Any news?")
    args = ("--author", "ann", "--channel", "twitter/help", "--text", FORM, "--json")
    [finding] = canned(ok_json(run("check", "--in-reply-to", str(same), *args), 3))
    assert "to @joe on twitter/help;" in finding


def test_revising_a_reply_does_not_compare_it_with_itself(run):
    item = message(run, "@joe", "Terrible service, I want a refund")
    sub = reply(run, item, "We are sorry, a refund is on its way.")  # apology: sign-off
    assert sub["status"] == "pending" and canned(sub) == []
    revised = ok_json(
        run(
            "revise",
            str(sub["id"]),
            "--as",
            "ann",
            "--text",
            "We are sorry, the refund is on its way.",
            "--json",
        )  # fmt: skip
    )
    assert revised["revision"] == 2 and revised["status"] == "pending"
    assert canned(revised) == []


def test_only_the_current_revision_of_an_earlier_reply_counts(run):
    sorry = "We are sorry. " + FORM  # apology: sign-off, so it can be revised
    sub = reply(run, message(run, "@joe", "Where is my parcel?"), sorry)
    assert sub["status"] == "pending"
    new_text = "We are sorry, Fran from lending will call you this afternoon."
    revised = run("revise", str(sub["id"]), "--as", "ann", "--text", new_text, "--json")
    assert ok_json(revised)["revision"] == 2
    again = message(run, "@joe", "Still no parcel.")
    args = ("--author", "bob", "--channel", "twitter/help", "--text", sorry, "--json")
    checked = run("check", "--in-reply-to", str(again), *args)
    assert canned(json.loads(checked.output)) == []  # the form text was revised away


def test_check_with_an_unknown_or_mismatched_message_is_bad_input(run):
    item = message(run, "@joe", "Hello")
    args = ("--author", "ann", "--text", FORM)
    result = run("check", "--channel", "twitter/help", "--in-reply-to", "999", *args)
    assert result.exit_code == 2 and "no inbound item 999" in result.output
    assert "Traceback" not in result.output
    result = run("check", "--channel", "facebook/page", "--in-reply-to", str(item), *args)
    assert result.exit_code == 2 and "goes to its channel twitter/help" in result.output


# ---- API ----------------------------------------------------------------------------


@pytest.fixture
def web_policy(tmp_path):
    return policy_dir(tmp_path)


@pytest.fixture
def app(make_app):
    return make_app()


def deliver(client, token_for, sender: str, text: str) -> int:
    body = {"channel": "twitter/help", "from": sender, "text": text}
    response = client.post("/api/v1/inbound", json=body, headers=token_for("hook"))
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_api_submit_and_check_compare_with_replies_to_the_sender(client, token_for):
    ann, bob = token_for("ann"), token_for("bob")
    joe = deliver(client, token_for, "@joe", "Where is my parcel?")
    body = {"channel": "twitter/help", "text": FORM, "in_reply_to": joe}
    first = client.post("/api/v1/submissions", json=body, headers=ann)
    assert first.status_code == 201, first.json
    assert (first.json["kind"], first.json["status"]) == ("reply", "published")
    shown = client.get(f"/api/v1/inbound/{joe}", headers=ann).json
    assert shown["status"] == "answered" and [r["id"] for r in shown["replies"]] == [
        first.json["id"]
    ]

    again = deliver(client, token_for, "@joe", "Still nothing.")
    amy = deliver(client, token_for, "@amy", "My card does not work.")
    checked = client.post("/api/v1/check", json=dict(body, in_reply_to=again), headers=bob)
    assert checked.status_code == 200 and checked.json["decision"] == "needs_signoff"
    [reason] = [r for r in checked.json["reasons"] if r["id"] == "canned-reply"]
    assert "1 earlier reply to @joe" in reason["message"]
    other = client.post("/api/v1/check", json=dict(body, in_reply_to=amy), headers=bob)
    assert other.json["decision"] == "approved"
    plain = client.post(
        "/api/v1/check",
        json={"channel": "twitter/help", "kind": "reply", "text": FORM},
        headers=bob,
    )
    assert plain.json["decision"] == "approved"  # no in_reply_to: as before, no history

    sub = client.post("/api/v1/submissions", json=dict(body, in_reply_to=again), headers=bob)
    assert sub.status_code == 201 and sub.json["status"] == "pending"
    assert any("to @joe" in r["message"] for r in sub.json["reasons"])


def test_api_in_reply_to_a_message_the_caller_may_not_see_is_not_found(client, token_for):
    joe = deliver(client, token_for, "@joe", "Where is my parcel?")
    body = {"channel": "twitter/help", "text": FORM, "in_reply_to": joe}
    for path in ("/api/v1/check", "/api/v1/submissions"):
        response = client.post(path, json=body, headers=token_for("zed"))
        assert response.status_code == 404 and response.json == {"error": f"no inbound item {joe}"}
    response = client.post(
        "/api/v1/check", json=dict(body, in_reply_to=9999), headers=token_for("ann")
    )
    assert response.status_code == 404
    wrong = client.post("/api/v1/check", json=dict(body, in_reply_to="x"), headers=token_for("ann"))
    assert wrong.status_code == 400


def test_the_inbox_composer_checks_with_the_message_it_answers(app, web_state, token_for):
    from tests.webhelpers import WebClient, load_passwords

    load_passwords(web_state.store, ["ann"])
    box = web_state.workflow.inbound
    client = WebClient(app.test_client())
    joe = deliver(client, token_for, "@joe", "Where is my parcel?")
    web_state.workflow.submit("bob", "twitter/help", FORM, in_reply_to=joe)
    again = deliver(client, token_for, "@joe", "Still nothing.")
    ann = WebClient(app.test_client()).login("ann")
    page = ann.get(f"/inbox/{again}").get_data(as_text=True)
    assert f'name="in_reply_to" value="{again}"' in page  # what compose.js sends along
    body = {"channel": "twitter/help", "kind": "reply", "text": FORM, "in_reply_to": again}
    answer = ann.post("/api/v1/check", json=body, headers={"X-CSRFToken": ann.csrf()})
    assert answer.status_code == 200 and answer.json["decision"] == "needs_signoff"
    assert any("to @joe" in r["message"] for r in answer.json["reasons"])
    assert box.get(again).status.value == "open"  # checking stores nothing
