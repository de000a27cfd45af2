"""The approval round trip in a real browser: Debian's Chromium driven by Playwright.

An author composes a risky post and sees why it needs sign-off; an approver
signs in, finds it in the queue and approves it; the author sees it published;
an auditor downloads the CSV and finds the approval. Screenshots of each page
go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
from pathlib import Path

import pytest

from tests.webhelpers import PASSWORD, load_passwords

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a free 127.0.0.1 port, local accounts for the example policy's users."""
    from werkzeug.serving import make_server

    from web import create_app

    workdir = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{workdir / 'sayso.db'}"
    app = create_app(
        {
            "SAYSO_POLICY": str(ROOT / "policies"),
            "SAYSO_DB": db,
            "SECRET_KEY": "browser-test",
        }
    )
    store = app.extensions["sayso"].store
    load_passwords(store, ("dana", "fran", "nia"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", workdir
    server.shutdown()
    thread.join(timeout=10)


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


def sign_in(browser, base: str, user: str):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/auth/login")
    page.fill("#login-user", user)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#signed-in-as")
    assert page.inner_text("#signed-in-as") == user
    return context, page


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_author_approver_auditor_round_trip(live_server, browser, monkeypatch):
    base, workdir = live_server
    monkeypatch.chdir(workdir)  # the outbox publisher writes here
    text = "So sorry about the terrible service, a refund is on its way."

    # The author composes a risky reply and sees, before submitting, why it needs sign-off.
    author_ctx, author = sign_in(browser, base, "dana")
    author.goto(f"{base}/posts/new")
    author.select_option("#channel", "twitter/nmtw_help")
    author.select_option("#kind", "reply")
    author.fill("#text", text)
    author.wait_for_selector("#answer-body mark")
    answer = author.inner_text("#answer")
    assert "complaints" in answer
    assert "support-leads" in answer
    marked = author.locator("#answer-body mark").all_inner_texts()
    assert "terrible service" in marked and "refund" in marked
    shot(author, "1-compose-live-answer")
    author.click("#submit-post")
    author.wait_for_selector("#sub-status")
    assert author.inner_text("#sub-status") == "pending"
    sid = author.url.rstrip("/").split("/")[-1]
    shot(author, "2-submitted-pending")

    # The approver signs in, finds it in the queue, and approves it.
    approver_ctx, approver = sign_in(browser, base, "fran")
    approver.click("#nav-queue")
    row = approver.locator(f"#queue-{sid}")
    assert row.count() == 1 and "dana" in row.inner_text()
    shot(approver, "3-queue")
    row.locator("a").first.click()
    approver.wait_for_selector("#approve-button")
    assert "terrible service" in approver.inner_text("mark >> nth=0")
    shot(approver, "4-detail")
    approver.fill("#approve-comment", "Tone is right.")
    approver.click("#approve-button")
    approver.wait_for_selector("#sub-status")
    assert approver.inner_text("#sub-status") == "published"

    # The author sees it published.
    author.click("#nav-mine")
    author.wait_for_selector(f"#sub-{sid}")
    assert "published" in author.inner_text(f"#sub-{sid}")
    shot(author, "5-my-posts-published")

    # The auditor downloads the CSV and it contains the approval of that exact text.
    auditor_ctx, auditor = sign_in(browser, base, "nia")
    auditor.click("#nav-audit")
    auditor.wait_for_selector("#export-csv")
    shot(auditor, "6-audit-log")
    with auditor.expect_download() as info:
        auditor.click("#export-csv")
    path = info.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    approvals = [r for r in rows if r["event"] == "approved" and r["submission_id"] == sid]
    assert [r["actor"] for r in approvals] == ["fran"]
    import hashlib

    assert approvals[0]["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    shutil.copy(path, SHOTS / "7-audit-export.csv")
    for ctx in (author_ctx, approver_ctx, auditor_ctx):
        ctx.close()


def test_phone_width_compose_page_has_labels(live_server, browser):
    base, _ = live_server
    context, page = sign_in(browser, base, "dana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/posts/new")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling on a phone
    for control in page.locator("select, textarea, input:not([type=hidden])").all():
        cid = control.get_attribute("id")
        assert cid and page.locator(f"label[for='{cid}']").count() == 1, cid
    shot(page, "8-compose-phone")
    context.close()
