"""The approver's queue page: filters, total, real pages, why each post is mine, the
escalation level and time left, and the count beside the navigation link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.webhelpers import CLOSURE

ROW = re.compile(r'id="queue-(\d+)"')


def rows(html: str) -> list[int]:
    return [int(n) for n in ROW.findall(html)]


def test_total_and_real_pages(as_user, web_state):
    wf = web_state.workflow
    sids = [wf.submit("dana", "facebook/nmtw", f"{CLOSURE} #{i}").id for i in range(53)]
    fran = as_user("fran")
    first = fran.get("/queue").get_data(as_text=True)
    assert "<strong>53</strong> posts waiting" in first
    assert rows(first) == sids[:50] and "page 1 of 2" in first
    second = fran.get("/queue?page=2").get_data(as_text=True)
    assert rows(second) == sids[50:] and 'id="prev-page"' in second
    assert 'id="nav-queue-count"' in first and ">53</span>" in first
    # approving one takes it out of the queue, the total and the navigation count
    fran.form(f"/submissions/{sids[0]}/approve", {"revision": "1"})
    again = fran.get("/queue?page=2").get_data(as_text=True)
    assert rows(again) == sids[51:] and "<strong>52</strong>" in again
    assert web_state.workflow.queue_count("fran") == 52


def test_filters_narrow_the_queue_and_keep_their_values(as_user, web_state):
    wf = web_state.workflow
    old = datetime.now(UTC) - timedelta(hours=3)
    a = wf.submit("dana", "facebook/nmtw", CLOSURE, now=old).id
    b = wf.submit("eli", "facebook/nmtw", CLOSURE).id
    c = wf.submit("tess", "twitter/nmtw_help", CLOSURE).id
    wf.tick()  # a reaches level 1 (after 2h)
    fran = as_user("fran")
    assert rows(fran.get("/queue").get_data(as_text=True)) == [a, b, c]
    assert rows(fran.get("/queue?author=eli").get_data(as_text=True)) == [b]
    html = fran.get("/queue?channel=twitter/nmtw_help").get_data(as_text=True)
    assert rows(html) == [c] and '<option value="twitter/nmtw_help" selected>' in html
    assert rows(fran.get("/queue?escalated=1").get_data(as_text=True)) == [a]
    assert rows(fran.get("/queue?topic=account-closure").get_data(as_text=True)) == [a, b, c]
    assert rows(fran.get("/queue?topic=rates").get_data(as_text=True)) == []
    assert rows(fran.get("/queue?overdue=1").get_data(as_text=True)) == []


def test_a_bad_filter_is_a_400_with_the_form_kept(as_user, pending_sid):
    fran = as_user("fran")
    for query in ("author=nobody", "channel=x%00y", "page=%C2%B2", "channel=<script>"):
        response = fran.get(f"/queue?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert 'id="queue-filter"' in html and 'class="flash error"' in html
        assert rows(html) == [] and "<script>" not in html.split("<main>")[1]


def test_why_it_is_mine_and_time_left(as_user, web_state):
    wf = web_state.workflow
    sid = wf.submit("dana", "facebook/nmtw", CLOSURE, now=datetime.now(UTC) - timedelta(hours=5))
    wf.tick()  # both levels reached: fran (level 1) and vp (level 2)
    fran = as_user("fran").get("/queue").get_data(as_text=True)
    assert "sign-off owner for account-closure" in fran
    vp = as_user("vp").get("/queue").get_data(as_text=True)
    assert rows(vp) == [sid.id]
    assert "escalation level 2 of account-closure" in vp and "level 2; no further level" in vp
    fresh = wf.submit("eli", "facebook/nmtw", CLOSURE).id
    html = as_user("fran").get("/queue").get_data(as_text=True)
    row = html[html.index(f'id="queue-{fresh}"') :]
    assert re.search(r"level 0; next <time datetime=\"[^\"]+\" data-relative>in (2h|1h59m)<", row)


def test_names_not_ids_in_the_queue(as_user, pending_sid):
    html = as_user("fran").get("/queue").get_data(as_text=True)
    assert '<span class="person" title="dana">Dana Diaz</span>' in html


def test_hostile_names_are_escaped_in_the_queue(make_app, tmp_path, web_policy):
    from engine import accounts
    from tests.webhelpers import POLICY, WebClient, write_policy

    write_policy(web_policy, POLICY.replace("Dana Diaz", '"<img src=x onerror=alert(1)>"'))
    app = make_app()
    accounts.set_password(app.extensions["sayso"].store, "fran", "correct horse battery")
    app.extensions["sayso"].workflow.submit("dana", "facebook/nmtw", CLOSURE)
    html = WebClient(app.test_client()).login("fran").get("/queue").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
