"""Inbound sources: the `register_sources` hook, `sayso inbound pull`, and the built-in
Mastodon connector against a local HTTP server that answers the API it uses."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import load_engine
from engine.hookspecs import Pulled, SourceSpec, hookimpl
from engine.inbound import sources
from engine.plugins import get_plugin_manager
from engine.policies import validate_policy
from engine.store import Store
from engine.workflow import Workflow
from plugins.mastodon_source import html_to_text

POLICY = Path(__file__).parent / "fixtures" / "policies" / "inbound"
TOKEN = "s3cret-token"


class FakeMastodon:
    """`GET /api/v1/notifications` as Mastodon answers it: bearer token required,
    `types[]` filters, `min_id` gives the page just after it, newest first."""

    def __init__(self):
        self.notifications: list[dict] = []
        self.requests: list[dict] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                url = urlparse(self.path)
                query = parse_qs(url.query)
                outer.requests.append(
                    {"path": url.path, "query": query, "auth": self.headers.get("Authorization")}
                )
                if outer.fail:
                    return self._send(503, {"error": "down for maintenance"})
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"error": "The access token is invalid"})
                if url.path != "/api/v1/notifications":
                    return self._send(404, {"error": "Record not found"})
                types = query.get("types[]", [])
                found = [n for n in outer.notifications if not types or n["type"] in types]
                found.sort(key=lambda n: int(n["id"]))
                limit = int(query.get("limit", ["40"])[0])
                if "min_id" in query:
                    after = int(query["min_id"][0])
                    page = [n for n in found if int(n["id"]) > after][:limit]
                else:
                    page = found[-limit:]
                self._send(200, list(reversed(page)))

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def mention(self, nid: int, acct: str, html: str, *, kind: str = "mention", reply_to=None):
        self.notifications.append(
            {
                "id": str(nid),
                "type": kind,
                "created_at": "2026-05-04T09:00:00.000Z",
                "account": {
                    "id": "7",
                    "username": acct.split("@")[0],
                    "acct": acct,
                    "display_name": acct.title(),
                    "url": f"https://x.example/@{acct}",
                },
                "status": {
                    "id": str(1000 + nid),
                    "created_at": "2026-05-04T09:00:00.000Z",
                    "in_reply_to_id": reply_to,
                    "content": html,
                    "visibility": "public",
                    "url": f"https://x.example/{nid}",
                },
            }
        )


@pytest.fixture
def mastodon():
    server = FakeMastodon()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(timeout=5)


@pytest.fixture
def policy(tmp_path, mastodon, monkeypatch):
    monkeypatch.setenv("TEST_MASTODON_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "policy"
    shutil.copytree(POLICY, directory)
    text = (directory / "policy.yaml").read_text()
    text = text.replace(
        "  facebook/page: {platform: facebook}\n",
        "  facebook/page: {platform: facebook}\n  mastodon/cu: {platform: mastodon}\n",
    )
    text = text.replace(
        "  default: {owners: [group:support], respond_within: 8h}\n",
        "  default: {owners: [group:support], respond_within: 8h}\n"
        "  sources:\n"
        f"    - {{use: mastodon, name: cu-mentions, channel: mastodon/cu, base_url: '{mastodon.url}',\n"
        "       access_token_env: TEST_MASTODON_TOKEN, page_size: 2}\n",
    )
    (directory / "policy.yaml").write_text(text)
    return directory


def workflow(policy, tmp_path) -> Workflow:
    """A fresh engine, store and workflow: what a new `sayso inbound pull` process has."""
    return Workflow(load_engine(str(policy)), Store.create(f"sqlite:///{tmp_path / 'sayso.db'}"))


def texts(wf) -> list[str]:
    return sorted(i.text for i in wf.inbound.items(limit=100))


def test_mentions_become_routed_messages(policy, mastodon, tmp_path):
    mastodon.mention(
        1,
        "joe@x.example",
        '<p><span class="h-card"><a>@cu</a></span> terrible service, I want a <b>refund</b></p>',
    )
    mastodon.mention(2, "amy", "<p>hello</p><p>second line<br>third &amp; last</p>")
    mastodon.mention(3, "bot", "<p>liked</p>", kind="favourite")
    mastodon.mention(4, "kim", "<p>Thanks!</p>", reply_to="555")
    wf = workflow(policy, tmp_path)
    [report] = sources.pull(wf.inbound, wf.pm)
    assert (report.added, report.duplicates, report.invalid, report.error) == (3, 0, [], None)
    assert report.cursor == "4"
    items = {i.sender: i for i in wf.inbound.items()}
    assert set(items) == {"@joe@x.example", "@amy", "@kim"}
    joe = items["@joe@x.example"]
    assert joe.channel == "mastodon/cu" and joe.message_id == "1001"
    assert joe.text == "@cu terrible service, I want a refund"
    assert joe.topics == ("complaints",) and joe.source == "cu-mentions"
    assert items["@amy"].text == "hello\n\nsecond line\nthird & last"
    assert items["@kim"].parent_id == "555" and items["@kim"].sender_name == "Kim"
    first = mastodon.requests[0]
    assert first["auth"] == f"Bearer {TOKEN}" and first["query"]["types[]"] == ["mention"]
    assert first["query"]["min_id"] == ["0"] and first["query"]["limit"] == ["2"]


def test_a_restart_neither_loses_nor_duplicates(policy, mastodon, tmp_path, monkeypatch):
    for n in (1, 2, 3):
        mastodon.mention(n, f"user{n}", f"<p>message {n}</p>")
    [report] = sources.pull(workflow(policy, tmp_path).inbound, get_plugin_manager())
    assert (
        report.added == 3
        and sources.cursor_of(workflow(policy, tmp_path).store, "cu-mentions") == "3"
    )
    # a new process: nothing new, nothing repeated
    wf = workflow(policy, tmp_path)
    [again] = sources.pull(wf.inbound, wf.pm)
    assert (again.added, again.duplicates) == (0, 0)
    # two new mentions; the process dies after storing them, before moving the cursor
    mastodon.mention(4, "user4", "<p>message 4</p>")
    mastodon.mention(5, "user5", "<p>message 5</p>")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(sources, "_save_cursor", crash)
    with pytest.raises(KeyboardInterrupt):
        sources.pull(wf.inbound, wf.pm)
    monkeypatch.undo()
    monkeypatch.setenv("TEST_MASTODON_TOKEN", TOKEN)
    restarted = workflow(policy, tmp_path)
    [after] = sources.pull(restarted.inbound, restarted.pm)
    assert (after.added, after.duplicates, after.cursor) == (0, 2, "5")
    assert texts(restarted) == [f"message {n}" for n in range(1, 6)]  # none lost, none twice
    mastodon.mention(6, "user6", "<p>message 6</p>")
    [last] = sources.pull(restarted.inbound, restarted.pm)
    assert (last.added, last.duplicates) == (1, 0)


def test_a_failing_instance_keeps_the_cursor_and_exits_1(policy, mastodon, tmp_path):
    mastodon.mention(1, "joe", "<p>hi</p>")
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"
    args = ["--policy", str(policy), "--db", db, "inbound", "pull"]
    ok = runner.invoke(cli, args)
    assert ok.exit_code == 0, ok.output
    assert "cu-mentions: 1 added, 0 duplicate, 0 invalid (cursor 1)" in ok.output
    mastodon.fail = True
    mastodon.mention(2, "amy", "<p>later</p>")
    failed = runner.invoke(cli, [*args, "--json"])
    assert failed.exit_code == 1
    [report] = json.loads(failed.stdout)
    assert "503" in report["error"] and report["cursor"] == "1"
    mastodon.fail = False
    assert "1 added" in runner.invoke(cli, args).output
    unknown = runner.invoke(cli, [*args, "--source", "nope"])
    assert (
        unknown.exit_code == 1
        and "no inbound source 'nope' (sources: cu-mentions)" in unknown.output
    )


def test_a_wrong_token_is_reported_not_a_crash(policy, mastodon, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "wrong")
    mastodon.mention(1, "joe", "<p>hi</p>")
    wf = workflow(policy, tmp_path)
    [report] = sources.pull(wf.inbound, wf.pm)
    assert report.error and report.added == 0 and wf.inbound.items() == []


def test_source_options_and_channel_are_validated_at_their_line(policy):
    text = (policy / "policy.yaml").read_text()
    (policy / "policy.yaml").write_text(
        text.replace(
            "access_token_env: TEST_MASTODON_TOKEN, page_size: 2",
            "access_token_env: TEST_MASTODON_TOKEN, page_size: 500, colour: red",
        ).replace("channel: mastodon/cu,", "channel: mastodon/nope,")
    )
    result = validate_policy(str(policy))
    messages = [p.message for p in result.errors]
    assert any(
        "unknown channel 'mastodon/nope' in inbound source 'cu-mentions'" in m for m in messages
    )
    assert any("option 'page_size' of source 'cu-mentions': max value is 80" in m for m in messages)
    assert any("unknown option 'colour' for source 'cu-mentions'" in m for m in messages)
    assert len(result.errors) == 3
    lines = sorted(p.loc.line for p in result.errors)
    assert lines == [48, 49, 49]  # the channel, then the two options on the next line


def test_html_to_text():
    assert html_to_text("<p>a &lt;b&gt;</p><p>c<br/>d</p>") == "a <b>\n\nc\nd"
    assert html_to_text("") == ""


def test_a_third_party_source_through_register_sources(policy, tmp_path):
    """The hook as a plugin author uses it: a source that hands out a fixed batch."""

    class Batch:
        def pull(self, cursor):
            if cursor == "done":
                return Pulled((), None)
            return Pulled(
                (
                    {"from": "@a", "text": "a refund please", "message_id": "x1"},
                    {"from": "@b", "text": "", "message_id": "x2"},  # invalid: reported
                    {"from": "@a", "text": "a refund please", "message_id": "x1"},
                ),
                "done",
            )

    class Plugin:
        @hookimpl
        def register_sources(self):
            return [SourceSpec("batch", lambda options: Batch(), {"size": {"type": "integer"}})]

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Plugin())
    text = (policy / "policy.yaml").read_text()
    (policy / "policy.yaml").write_text(
        text.replace(
            "  sources:\n", "  sources:\n    - {use: batch, channel: twitter/help, size: 3}\n"
        )
    )
    wf = Workflow(load_engine(str(policy), pm), Store.create(f"sqlite:///{tmp_path / 's.db'}"), pm)
    [report] = sources.pull(wf.inbound, pm, name="batch")
    assert (report.added, report.duplicates) == (1, 1)
    assert (
        report.invalid == [(1, "the message text is empty")]
        or "missing text" in report.invalid[0][1]
    )
    [item] = wf.inbound.items()
    assert (item.channel, item.route, item.source) == ("twitter/help", "complaints", "batch")
    [second] = sources.pull(wf.inbound, pm, name="batch")
    assert (second.added, second.duplicates, second.cursor) == (0, 0, "done")
