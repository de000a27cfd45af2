"""Compliance officer pages: the active policy, replay against another policy, dashboard."""

from __future__ import annotations

import re

from engine.permissions import group_matrix
from tests.webhelpers import POLICY, write_policy


def cell(rows, group, channel):
    row = next(r for r in rows if r["group"] == group)
    return next(c for c in row["cells"] if c["channel"] == channel)


def test_matrix_follows_nested_groups_and_denies(web_state):
    rows = group_matrix(web_state.engine)
    assert cell(rows, "support", "facebook/nmtw")["kinds"] == ["post", "reply"]
    assert cell(rows, "support", "twitter/nmtw_help")["kinds"] == ["reply"]
    # support-leads are part of support, so support's rules apply to them too
    assert cell(rows, "support-leads", "twitter/nmtw_help")["kinds"] == ["reply"]
    assert cell(rows, "interns", "linkedin/nmtw")["denied"] == ["post", "reply"]
    assert cell(rows, "treasury", "linkedin/nmtw")["kinds"] == ["post", "reply"]
    assert cell(rows, "audit-team", "facebook/nmtw")["kinds"] == []


def test_policy_page(as_user, pending_sid, web_state):
    html = as_user("adam").get("/policy/").get_data(as_text=True)
    assert web_state.engine.version[:12] in html
    assert 'id="topic-account-closure"' in html and "after 120 min" in html
    assert "tess-linkedin" in html and "2099-01-01" in html
    assert "(active)" in html  # a decision was made under it


def test_replay_lists_changed_outcomes(as_user, pending_sid, web_state, tmp_path):
    stricter = write_policy(
        tmp_path / "stricter",
        POLICY.replace(
            "    keywords: [APR, interest rate]", "    keywords: [APR, interest rate, close]"
        ),
    )
    response = as_user("adam").form("/policy/replay", {"path": str(stricter)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"1 submission replayed .* 1 would change", html, re.S)
    assert "<td>needs_signoff</td><td>denied</td>" in html.replace("\n", "")


def test_replay_with_bad_paths_and_invalid_policies(as_user, tmp_path):
    admin = as_user("adam")
    missing = admin.form("/policy/replay", {"path": str(tmp_path / "missing")})
    assert missing.status_code == 400 and "is not a directory" in missing.get_data(as_text=True)
    broken = write_policy(tmp_path / "broken", POLICY.replace("users:", "userz:"))
    response = admin.form("/policy/replay", {"path": str(broken)})
    assert response.status_code == 400
    assert 'id="replay-problems"' in response.get_data(as_text=True)
    bad_since = admin.form("/policy/replay", {"path": str(tmp_path), "since": "later"})
    assert bad_since.status_code == 400


def test_dashboard_counts(as_user, pending_sid, web_state):
    web_state.workflow.submit("dana", "linkedin/nmtw", "Hi")  # denied
    html = as_user("adam").get("/policy/dashboard").get_data(as_text=True)
    assert '<dd id="count-pending">1</dd>' in html
    assert '<dd id="count-denied">1</dd>' in html


def test_dashboard_draws_charts_as_svg_under_the_csp(as_user, web_state):
    import re
    from datetime import UTC, datetime, timedelta

    from tests.webhelpers import CLOSURE

    wf = web_state.workflow
    now = datetime.now(UTC)
    done = wf.submit("dana", "facebook/nmtw", CLOSURE, now=now - timedelta(hours=3))
    wf.approve(done.id, "fran", now=now - timedelta(hours=1))
    wf.submit("dana", "facebook/nmtw", CLOSURE, now=now - timedelta(hours=5))  # 4-24h
    wf.submit("eli", "facebook/nmtw", CLOSURE, now=now - timedelta(days=5))  # over 3 days
    wf.tick()
    html = as_user("adam").get("/policy/dashboard").get_data(as_text=True)
    for chart in (
        "time_to_approval_by_topic-chart",
        "time_to_approval_by_owner-chart",
        "pending-age-chart",
        "escalations-chart",
    ):
        assert re.search(rf'<svg id="{chart}" class="chart" viewBox="[^"]+" role="img"', html)
    assert "account-closure: 2h" in html  # the chart's description: median 2 hours
    assert "Member services: Fran Fox: 2h" in html  # owners by name
    assert "4–24h: 1; 1–3 days: 0; over 3 days: 1" in html
    today = now.strftime("%m-%d")
    assert re.search(rf"{today}: [1-9]", html)  # escalations reached today
    assert " style=" not in html and "<script>" not in html  # nothing inline for the CSP


def test_every_page_title_is_plain_text(as_user, pending_sid):
    """The <title> holds the page's name only (a block pasted into it shows as raw markup)."""
    admin = as_user("adam")
    for url in ("/policy/", "/policy/dashboard", "/policy/replay"):
        html = admin.get(url).get_data(as_text=True)
        title = html.split("<title>", 1)[1].split("</title>", 1)[0]
        assert "<" not in title and len(title) < 80, (url, title[:120])
