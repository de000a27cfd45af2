"""Approver pages: queue, detail, approve / reject, separation of duties, delegations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


def test_queue_lists_what_the_user_may_act_on(as_user, pending_sid, web_state):
    web_state.workflow.submit("dana", "facebook/nmtw", "Plain hello")  # approved at once
    html = as_user("fran").get("/queue").get_data(as_text=True)
    assert f'id="queue-{pending_sid}"' in html
    assert len(re.findall(r'id="queue-\d+"', html)) == 1
    assert "account-closure (0/1)" in html and "<time" in html
    assert 'id="queue-empty"' in as_user("dana").get("/queue").get_data(as_text=True)
    assert 'id="queue-empty"' in as_user("tess").get("/queue").get_data(as_text=True)


def test_detail_shows_forms_only_to_who_may_act(as_user, pending_sid):
    fran = as_user("fran").get(f"/submissions/{pending_sid}").get_data(as_text=True)
    assert 'id="approve-form"' in fran and 'id="reject-form"' in fran
    assert '<label for="reject-reason">' in fran
    audrey = as_user("audrey").get(f"/submissions/{pending_sid}").get_data(as_text=True)
    assert 'id="approve-form"' not in audrey and 'id="why-not"' in audrey
    assert 'id="timeline"' in audrey and "submitted" in audrey


def test_approve_from_the_page(as_user, pending_sid, web_state):
    fran = as_user("fran")
    response = fran.form(f"/submissions/{pending_sid}/approve", {"comment": "ok", "revision": "1"})
    assert response.headers["Location"].endswith(f"/submissions/{pending_sid}")
    sub = web_state.workflow.get(pending_sid)
    assert sub.status.value == "published"
    assert sub.requirements[0].approved_by == ("fran",)


def test_reject_needs_a_reason(as_user, pending_sid, web_state):
    fran = as_user("fran")
    fran.form(f"/submissions/{pending_sid}/reject", {"reason": "  ", "revision": "1"})
    assert web_state.workflow.get(pending_sid).status.value == "pending"
    fran.form(f"/submissions/{pending_sid}/reject", {"reason": "Wrong tone.", "revision": "1"})
    assert web_state.workflow.get(pending_sid).status.value == "rejected"
    page = fran.get(f"/submissions/{pending_sid}").get_data(as_text=True)
    assert "Wrong tone." in page


def test_self_approval_is_refused(make_app, web_state, as_user):
    # fran is in member-services, so fran's own closure post needs someone else.
    sid = web_state.workflow.submit("fran", "facebook/nmtw", "We can close your account.").id
    fran = as_user("fran")
    assert f'id="queue-{sid}"' not in fran.get("/queue").get_data(as_text=True)
    page = fran.form(f"/submissions/{sid}/approve", {"revision": "1"}, follow_redirects=True)
    assert "cannot approve their own post" in page.get_data(as_text=True)
    assert web_state.workflow.get(sid).status.value == "pending"


def test_others_cannot_act(as_user, pending_sid, web_state):
    assert as_user("tess").form(f"/submissions/{pending_sid}/approve").status_code == 403
    page = as_user("audrey").form(
        f"/submissions/{pending_sid}/approve", {"revision": "1"}, follow_redirects=True
    )
    assert "may not act" in page.get_data(as_text=True)
    assert web_state.workflow.get(pending_sid).status.value == "pending"


def test_delegation_lets_a_delegate_act_until_revoked(as_user, pending_sid, web_state):
    fran = as_user("fran")
    until = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    fran.form("/delegations", {"to_user": "tess", "until": until, "reason": "holiday"})
    [delegation] = web_state.workflow.delegations("fran")
    assert delegation.active and delegation.to_user == "tess"
    tess = as_user("tess")
    assert f'id="queue-{pending_sid}"' in tess.get("/queue").get_data(as_text=True)
    assert f'id="revoke-{delegation.id}"' not in tess.get("/delegations").get_data(as_text=True)
    tess.form(f"/delegations/{delegation.id}/revoke")
    assert web_state.workflow.delegations("fran")[0].active
    fran.form(f"/delegations/{delegation.id}/revoke")
    assert not web_state.workflow.delegations("fran")[0].active
    assert 'id="queue-empty"' in tess.get("/queue").get_data(as_text=True)


def test_bad_delegations_are_400(as_user):
    fran = as_user("fran")
    for data in (
        {"to_user": "tess", "until": ""},
        {"to_user": "tess", "until": "next week"},
        {"to_user": "tess", "until": "2001-01-01T00:00"},
        {"to_user": "fran", "until": "2099-01-01T00:00"},
        {"to_user": "nobody", "until": "2099-01-01T00:00"},
    ):
        assert fran.form("/delegations", data).status_code == 400, data
    assert fran.form("/delegations/999/revoke").status_code == 404
