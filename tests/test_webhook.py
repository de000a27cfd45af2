"""Webhook publisher and notifier against a real HTTP server on 127.0.0.1; a failing
publisher never loses the approval and `tick` retries it."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine.audit import AuditLog
from engine.compiler import load_engine
from engine.errors import PolicyError
from engine.hookspecs import Notification, Publication, PublishError, Recipient
from engine.model import Status
from engine.store import Store
from engine.workflow import Workflow
from plugins.webhook import WebhookNotifier, WebhookPublisher

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class Receiver:
    """Records JSON bodies; answers `status` (a list is consumed one answer per request)."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.answers: list[int] = []
        self.gets = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.headers.append(dict(self.headers))
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "/elsewhere")
                self.end_headers()

            def do_GET(self):  # noqa: N802 - a followed redirect would arrive here
                receiver.gets += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


PUBLICATION = Publication(
    submission_id="7",
    revision=2,
    channel="twitter/help",
    kind="reply",
    author="ann",
    text="Hello",
    text_sha256="ab" * 32,
    approved_by=("cat",),
    policy_version="cd" * 32,
)


def test_publisher_posts_the_exact_publication(receiver):
    ref = WebhookPublisher(receiver.url).publish(PUBLICATION)
    assert ref == "webhook:200"
    [body] = receiver.bodies
    assert body["text"] == "Hello" and body["revision"] == 2 and body["approved_by"] == ["cat"]


def test_retries_then_succeeds(receiver):
    receiver.answers = [503, 502]
    assert WebhookPublisher(receiver.url, retries=3, backoff=0).publish(PUBLICATION)
    assert len(receiver.bodies) == 3


def test_gives_up_with_one_line(receiver):
    receiver.answers = [500] * 5
    with pytest.raises(PublishError, match=r"after 3 attempts: HTTP 500") as info:
        WebhookPublisher(receiver.url, retries=2, backoff=0).publish(PUBLICATION)
    assert "\n" not in str(info.value)
    receiver.answers = [404]
    with pytest.raises(PublishError, match="HTTP 404"):  # a refusal is not retried
        WebhookPublisher(receiver.url, retries=2, backoff=0).publish(PUBLICATION)
    assert len(receiver.bodies) == 4


def test_headers_option_is_sent_with_json(receiver):
    WebhookPublisher(receiver.url, headers={"Authorization": "Bearer t0k"}).publish(PUBLICATION)
    [headers] = receiver.headers
    assert headers["Authorization"] == "Bearer t0k"
    assert headers["Content-Type"] == "application/json"


def test_a_redirect_is_a_failure_not_a_get(receiver):
    receiver.answers = [302]
    with pytest.raises(PublishError, match="after 1 attempt: HTTP 302"):
        WebhookPublisher(receiver.url, retries=3, backoff=0).publish(PUBLICATION)
    assert receiver.gets == 0 and len(receiver.bodies) == 1


def test_a_silent_receiver_times_out_as_a_publish_error():
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        with pytest.raises(PublishError, match="after 2 attempts: cannot reach .*timed out"):
            WebhookPublisher(url, timeout=0.2, retries=1, backoff=0).publish(PUBLICATION)


def test_unreachable_url_is_a_publish_error():
    with pytest.raises(PublishError, match="cannot reach"):
        WebhookPublisher("http://127.0.0.1:9/x", retries=0, timeout=1).publish(PUBLICATION)


def test_notifier_sends_slack_compatible_json(receiver):
    note = Notification(
        event="escalated",
        submission_id="3",
        recipients=(Recipient("vp", "Val", "vp@cu.example"),),
        subject="[sayso] submission 3 escalated",
        body="Please look.",
        details={"level": 2},
    )
    WebhookNotifier(receiver.url).notify(note)
    [body] = receiver.bodies
    assert body["text"].startswith("[sayso] submission 3 escalated")
    assert body["sayso"]["recipients"][0]["id"] == "vp"
    assert body["sayso"]["details"] == {"level": 2}


def policy_with(tmp_path: Path, extra: str) -> str:
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    (target / "extra.yaml").write_text(extra)
    return str(target)


def test_bad_webhook_options_fail_validation(tmp_path):
    path = policy_with(tmp_path, "notifiers:\n  - {use: webhook, url: 'not a url', retries: -1}\n")
    with pytest.raises(PolicyError) as info:
        load_engine(path)
    text = str(info.value)
    assert "extra.yaml:2:" in text and "url" in text and "retries" in text


def test_failed_publication_keeps_the_approval_and_tick_retries(receiver, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy = (
        (POLICY / "policy.yaml")
        .read_text()
        .replace(
            "  facebook/page: {platform: facebook}",
            "  facebook/page:\n    platform: facebook\n    publisher: webhook\n"
            f"    publisher_options: {{url: '{receiver.url}', retries: 0}}",
        )
    )
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "policy.yaml").write_text(policy)
    wf = Workflow(load_engine(str(tmp_path / "p")), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    receiver.answers = [500]
    sub = wf.submit("ann", "facebook/page", "We regret the closure.", now=T0)
    failed = wf.approve(sub.id, "cat", now=T0)
    assert failed.status is Status.APPROVED and failed.publish_error.endswith("HTTP 500")
    assert [v.actor for v in failed.verdicts] == ["cat"]  # the approval stays
    report = wf.tick(now=T0 + timedelta(minutes=1))
    assert report.published == [sub.id]
    done = wf.get(sub.id)
    assert done.status is Status.PUBLISHED and done.publish_error is None
    assert [b["text"] for b in receiver.bodies] == ["We regret the closure."] * 2
    events = [e.event for e in AuditLog(wf.store).events(submission=sub.id)]
    assert events[-2:] == ["publish_failed", "published"]
    assert [p["ok"] for p in wf.record(sub.id).publications] == [False, True]
    wf.store.close()


def test_escalation_notifies_the_new_owners_by_webhook(receiver, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = policy_with(
        tmp_path, f"notifiers:\n  - {{use: webhook, url: '{receiver.url}', backoff: 0}}\n"
    )
    wf = Workflow(load_engine(path), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=T0)
    receiver.answers = [500] * 4  # the first delivery fails, and is kept for later
    report = wf.tick(now=T0 + timedelta(hours=2))
    assert report.escalated == [(sub.id, "chain", 1)] and report.notified == 0
    report = wf.tick(now=T0 + timedelta(hours=2, minutes=1))
    assert report.notified == 1
    [body] = [b for b in receiver.bodies if b["sayso"]["event"] == "escalated"][-1:]
    assert [r["id"] for r in body["sayso"]["recipients"]] == ["dan"]
    assert body["sayso"]["details"]["level"] == 1
    wf.store.close()
