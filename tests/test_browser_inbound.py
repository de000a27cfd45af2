"""An ignored complaint in a real browser (Debian's Chromium through Playwright): it
climbs to the president's inbox, she answers it with a live policy answer, and a
support lead closes another one with a reason. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, PASSWORD, SHOTS, shot, sign_in

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def live_inbound(tmp_path_factory):
    from werkzeug.serving import make_server

    from engine import accounts
    from engine.inbound.items import Message
    from web import create_app

    workdir = tmp_path_factory.mktemp("browser-inbound")
    app = create_app(
        {
            "SAYSO_POLICY": str(ROOT / "policies"),
            "SAYSO_DB": f"sqlite:///{workdir / 'sayso.db'}",
            "SECRET_KEY": "browser-test",
        }
    )
    state = app.extensions["sayso"]
    for user in ("rosa", "fran"):
        accounts.set_password(state.store, user, PASSWORD)
    received = datetime.now(UTC) - timedelta(hours=30)
    box = state.workflow.inbound
    ignored = box.receive(
        Message(
            "twitter/nmtw_help",
            "@angry_member",
            "Terrible service. I want a refund!",
            name="Pat Member",
            message_id="t-1",
            received_at=received,
        ),
        now=received,
    )
    spam = box.receive(
        Message("twitter/nmtw_help", "@bot", "Refund scam complaint click here", message_id="t-2")
    )
    state.workflow.tick()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", workdir, ignored.id, spam.id, state
    server.shutdown()
    thread.join(timeout=10)
    state.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run scripts/bootstrap --test (apt package chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def test_the_president_answers_an_escalated_complaint(live_inbound, browser, monkeypatch):
    base, workdir, ignored, _, state = live_inbound
    monkeypatch.chdir(workdir)  # the outbox publisher writes here
    context, page = sign_in(browser, base, "rosa")
    assert page.inner_text("#nav-inbox-count") == "1"
    page.click("#nav-inbox")
    row = page.locator(f"#inbox-{ignored}")
    assert row.count() == 1 and "@angry_member" in row.inner_text()
    assert "overdue" in row.inner_text()
    assert page.inner_text("#count-escalated") == "1"
    shot(page, "inbound-1-president-inbox")
    row.locator("a").first.click()
    page.wait_for_selector("#item-status")
    assert page.inner_text("#item-status") == "open"
    assert "complaints" in page.inner_text("#item-route")
    page.fill("#text", "I am sorry. Our refund team will call you today.")
    page.wait_for_selector("#answer-status [data-decision], #answer-status .status")
    answer = page.inner_text("#answer")
    assert "Needs sign-off" in answer and "complaints" in answer  # a refund reply is held
    page.fill("#text", "I am calling you today to put this right.")
    page.wait_for_selector('#answer-status[data-decision="approved"]')
    shot(page, "inbound-2-reply-with-live-answer")
    page.click("#reply-button")
    page.wait_for_selector("#item-status")
    assert page.inner_text("#item-status") == "answered"
    assert "published" in page.inner_text("#conversation")
    shot(page, "inbound-3-answered")
    assert state.workflow.inbound.get(ignored).status.value == "answered"
    context.close()


def test_a_support_lead_closes_spam_with_a_reason(live_inbound, browser):
    base, _, _, spam, state = live_inbound
    context, page = sign_in(browser, base, "fran")
    page.goto(f"{base}/inbox/{spam}")
    page.fill("#close-reason", "spam")
    page.click("#close-button")
    page.wait_for_selector("#item-closed")
    assert page.inner_text("#item-status") == "closed"
    assert "spam" in page.inner_text("#item-closed")
    assert state.workflow.inbound.get(spam).closed_by == "fran"
    shot(page, "inbound-4-closed")
    context.close()
