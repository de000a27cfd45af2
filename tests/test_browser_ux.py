"""The UI for the people who use it, in Chromium at desktop (1280x800) and phone (390x844)
widths: axe-core finds no serious or critical violation on any page, nothing scrolls
sideways on a phone, the compose answer guides the author, the queue tells the approver,
times are in the viewer's zone. Screenshots go to test-artifacts/screenshots/ux-*.png.
"""

from __future__ import annotations

import re

import pytest

from tests.test_browser import PASSWORD, SHOTS, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
CLOSURE = "So sorry about the terrible service, a refund is on its way."


def open_as(browser, base: str, user: str | None, size: str, timezone: str = "UTC"):  # noqa: F811
    context = browser.new_context(viewport=SIZES[size], timezone_id=timezone)
    page = context.new_page()
    if user:
        page.goto(f"{base}/auth/login")
        page.fill("#login-user", user)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#signed-in-as")
    return context, page


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def sample(live_server):  # noqa: F811
    """A pending post by dana (fran signs it off) and a published one."""
    base, workdir = live_server
    from engine.compiler import load_engine
    from engine.store import Store
    from engine.workflow import Workflow
    from tests.test_browser import ROOT

    db = f"sqlite:///{workdir / 'sayso.db'}"
    wf = Workflow(load_engine(str(ROOT / "policies")), Store.create(db))
    pending = wf.submit("dana", "twitter/nmtw_help", CLOSURE, kind="reply").id
    done = wf.submit("dana", "twitter/nmtw_help", "Thanks for the kind words!", kind="reply")
    wf.store.close()
    return base, pending, done.id


PAGES = [
    (None, "/auth/login", "login"),
    ("dana", "/posts/new", "compose"),
    ("dana", "/posts/mine", "mine"),
    ("dana", "/submissions/{pending}", "detail"),
    ("dana", "/posts/{pending}/revise", "revise"),
    ("dana", "/delegations", "delegations"),
    ("fran", "/queue", "queue"),
    ("fran", "/inbox", "inbox"),
    ("nia", "/audit/", "audit-log"),
    ("nia", "/audit/submissions/{pending}", "audit-record"),
    ("nia", "/audit/verify", "audit-verify"),
    ("nia", "/policy/", "policy"),
    ("nia", "/policy/dashboard", "dashboard"),
    ("nia", "/policy/replay", "replay"),
]


@pytest.mark.parametrize("size", SIZES)
def test_every_page_is_accessible_and_fits(browser, sample, size):  # noqa: F811
    base, pending, _ = sample
    contexts: dict = {}
    problems = {}
    for user, path, name in PAGES:
        if user not in contexts:
            contexts[user] = open_as(browser, base, user, size)
        page = contexts[user][1]
        page.goto(base + path.format(pending=pending))
        page.wait_for_load_state("load")
        found = serious(page)
        if found:
            problems[name] = found
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], f"{name} scrolls sideways: {width}px"
        page.screenshot(path=str(SHOTS / f"ux-{name}-{size}.png"), full_page=True)
    for context, _ in contexts.values():
        context.close()
    assert not problems, problems


@pytest.mark.parametrize("size", SIZES)
def test_compose_guides_the_author(browser, sample, size):  # noqa: F811
    base, _, _ = sample
    context, page = open_as(browser, base, "dana", size)
    page.goto(f"{base}/posts/new")
    page.select_option("#channel", "twitter/nmtw_help")  # dana may only reply there
    assert page.input_value("#kind") == "reply"
    page.fill("#text", "Our APR is the best in town.")
    page.wait_for_selector("#answer-hints")
    assert page.inner_text("#answer-status") == "Denied"
    assert "APR" in page.inner_text("#answer-hints")
    assert page.is_disabled("#submit-post")
    answer = page.locator("#answer").bounding_box()
    submit = page.locator("#submit-post").bounding_box()
    if size == "phone":  # the answer is read before reaching Submit
        assert answer["y"] + answer["height"] <= submit["y"]
    page.screenshot(path=str(SHOTS / f"ux-compose-denied-{size}.png"), full_page=True)
    page.fill("#text", "Sorry to hear that, we will look into it.")
    page.wait_for_selector('#answer-status[data-decision]:not([data-decision="denied"])')
    assert page.is_enabled("#submit-post")
    context.close()


def test_the_approver_is_told_and_sees_why(browser, sample):  # noqa: F811
    base, pending, _ = sample
    context, page = open_as(browser, base, "fran", "phone")
    page.goto(f"{base}/posts/mine")
    count = int(page.inner_text("#nav-queue-count"))
    assert count >= 1
    page.click("#nav-queue")
    row = page.locator(f"#queue-{pending}")
    assert "sign-off owner for complaints" in row.inner_text()
    assert "level 0" in row.inner_text()
    assert f"{count} post" in page.inner_text("#queue-total")
    page.screenshot(path=str(SHOTS / "ux-queue-card-phone.png"), full_page=True)
    # on a phone each row is a card: its cells are stacked, not side by side
    cells = row.locator("td").all()
    assert cells[1].bounding_box()["y"] > cells[0].bounding_box()["y"]
    context.close()


def test_times_are_shown_in_the_viewer_zone(browser, sample):  # noqa: F811
    base, pending, _ = sample
    context, page = open_as(browser, base, "nia", "desktop", timezone="Asia/Tokyo")
    page.goto(f"{base}/audit/submissions/{pending}")
    stamp = page.locator("#record-events time").first
    assert re.search(r"GMT\+9|JST", stamp.inner_text())
    assert stamp.get_attribute("title").endswith(" UTC")
    page.goto(f"{base}/audit/")
    assert page.input_value("input[name=tz]") == "Asia/Tokyo"
    context.close()
