"""The email notifier against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from engine.compiler import load_engine
from engine.errors import PolicyError
from engine.hookspecs import Notification, PublishError, Recipient
from engine.store import Store
from engine.workflow import Workflow
from plugins.email_notifier import EmailNotifier

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_sends_one_message_to_every_recipient_with_an_address(smtp):
    inbox, port = smtp
    notifier = EmailNotifier(sender="sayso@cu.example", host="127.0.0.1", port=port)
    notifier.notify(
        Notification(
            event="approved",
            submission_id="4",
            recipients=(Recipient("a", "A", "a@cu.example"), Recipient("b", "B", "")),
            subject="[sayso] submission 4 approved",
            body="It is out.",
        )
    )
    [(to, message)] = inbox.messages
    assert to == ["a@cu.example"]
    assert message["Subject"] == "[sayso] submission 4 approved"
    assert message["X-Sayso-Submission"] == "4"
    assert "It is out." in message.get_payload()


NOTE = Notification(
    event="escalated",
    submission_id="9",
    recipients=(Recipient("a", "A", "a@cu.example"), Recipient("a2", "A", "a@cu.example")),
    subject="[sayso] submission 9 escalated",
    body="Waiting for you.",
)


def test_one_message_with_date_and_message_id_and_each_address_once(smtp):
    inbox, port = smtp
    EmailNotifier(sender="sayso@cu.example", host="127.0.0.1", port=port).notify(NOTE)
    [(to, message)] = inbox.messages
    assert to == ["a@cu.example"] and message["To"] == "a@cu.example"
    assert message["From"] == "sayso@cu.example"
    assert message["Date"] and message["Message-ID"].endswith("@cu.example>")


def test_nobody_with_an_address_means_no_message(smtp):
    inbox, port = smtp
    note = Notification("approved", "1", (Recipient("zed", "Zed", ""),), "s", "b")
    EmailNotifier(sender="sayso@cu.example", host="127.0.0.1", port=port).notify(note)
    assert inbox.messages == []


def test_logs_in_with_username_and_password():
    inbox, logins = Inbox(), []  # aiosmtpd hands the authenticator what the client sent

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        options = {"sender": "sayso@cu.example", "host": "127.0.0.1", "port": controller.port}
        EmailNotifier(**options, username="sayso", password="s3cret").notify(NOTE)
        assert [login[1:] for login in logins] == [(b"sayso", b"s3cret")]
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_starttls_against_a_server_without_it_is_a_publish_error(smtp):
    inbox, port = smtp
    notifier = EmailNotifier(sender="s@cu.example", host="127.0.0.1", port=port, starttls=True)
    with pytest.raises(PublishError, match="STARTTLS"):
        notifier.notify(NOTE)
    assert inbox.messages == []


def test_bad_options_fail_validation(tmp_path):
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    (target / "notify.yaml").write_text("notifiers:\n  - {use: email, port: 0, starttls: maybe}\n")
    with pytest.raises(PolicyError) as info:
        load_engine(str(target))
    text = str(info.value)
    assert "notify.yaml:2:" in text
    assert all(word in text for word in ("sender", "port", "starttls"))


def test_unreachable_server_is_a_one_line_error():
    notifier = EmailNotifier(sender="s@cu.example", host="127.0.0.1", port=free_port(), timeout=2)
    note = Notification("x", "1", (Recipient("a", "", "a@cu.example"),), "s", "b")
    with pytest.raises(PublishError) as info:
        notifier.notify(note)
    assert "\n" not in str(info.value)


def test_workflow_emails_escalation_owners_and_the_author(smtp, tmp_path, monkeypatch):
    inbox, port = smtp
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    (target / "notify.yaml").write_text(
        f"notifiers:\n  - {{use: email, sender: sayso@cu.example, host: 127.0.0.1, port: {port}}}\n"
    )
    wf = Workflow(load_engine(str(target)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    t0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=t0)
    wf.tick(now=t0 + timedelta(hours=4))
    escalations = [m for _, m in inbox.messages if m["X-Sayso-Event"] == "escalated"]
    assert sorted(m["To"] for m in escalations) == ["dan@cu.example", "vp@cu.example"]
    wf.approve(sub.id, "vp", now=t0 + timedelta(hours=5))
    [approved] = [(to, m) for to, m in inbox.messages if m["X-Sayso-Event"] == "approved"]
    assert approved[0] == ["ann@cu.example"]
    wf.store.close()
