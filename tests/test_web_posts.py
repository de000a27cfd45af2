"""Author pages: compose, submit, my posts, revise, withdraw; user text is always escaped."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from tests.webhelpers import CLOSURE

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def submitted_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/submissions/(\d+)$", response.headers["Location"]).group(1))


def test_compose_lists_open_channels_first(as_user):
    html = as_user("dana").get("/posts/new").get_data(as_text=True)
    mine, others = html.split('label="Not open to you"')
    assert 'value="facebook/nmtw"' in mine and 'value="twitter/nmtw_help"' in mine
    assert 'value="linkedin/nmtw"' in others
    for control in ("channel", "kind", "text", "publish_at"):
        assert f'<label for="{control}">' in html and f'id="{control}"' in html
    assert "compose.js" in html and 'data-check-url="/api/v1/check"' in html


def test_submit_needing_signoff_shows_highlight_and_requirements(as_user, web_state):
    client = as_user("dana")
    sid = submitted_id(
        client.form("/posts/new", {"channel": "facebook/nmtw", "kind": "post", "text": CLOSURE})
    )
    sub = web_state.workflow.get(sid)
    assert (sub.author, sub.status.value) == ("dana", "pending")
    html = client.get(f"/submissions/{sid}").get_data(as_text=True)
    assert (
        '<mark title="account-closure" data-topics="account-closure">close your account</mark>'
        in html
    )
    assert "group:member-services" in html
    assert 'id="withdraw-button"' in html and 'id="approve-button"' not in html


def test_submit_with_publish_time_and_denied_post(as_user, web_state):
    client = as_user("dana")
    sid = submitted_id(
        client.form(
            "/posts/new",
            {
                "channel": "facebook/nmtw",
                "kind": "post",
                "text": "Hi",
                "publish_at": "2099-05-04T09:30",
            },
        )
    )
    assert web_state.workflow.get(sid).publish_at.year == 2099
    denied = submitted_id(
        client.form("/posts/new", {"channel": "linkedin/nmtw", "kind": "post", "text": "Hi"})
    )
    page = client.get(f"/submissions/{denied}").get_data(as_text=True)
    assert 'id="sub-status">denied<' in page and "no rule lets dana" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"channel": "facebook/nmtw", "kind": "post", "text": "   "}, "empty"),
        ({"channel": "", "kind": "post", "text": "Hi"}, "choose a channel"),
        ({"channel": "facebook/nmtw", "kind": "story", "text": "Hi"}, "kind must be"),
        ({"channel": "facebook/nmtw", "text": "Hi", "publish_at": "soon"}, "ISO 8601"),
        ({"channel": "facebook/nmtw", "kind": "post", "text": "a\x00b"}, "NUL"),
    ],
)
def test_bad_compose_input_is_400_with_the_form_kept(as_user, data, message):
    response = as_user("dana").form("/posts/new", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_my_posts_lists_status_requirements_and_clock(as_user, pending_sid, web_state):
    web_state.workflow.submit("eli", "facebook/nmtw", "Not dana's")
    client = as_user("dana")
    html = client.get("/posts/mine").get_data(as_text=True)
    assert f'id="sub-{pending_sid}"' in html and "Not dana" not in html
    assert "account-closure: 0/1" in html and "<time" in html
    assert client.get("/posts/mine?status=denied").get_data(as_text=True).count('id="sub-') == 0
    assert client.get("/posts/mine?status=bogus").status_code == 200


def test_revise_clears_approvals_and_redecides(as_user, pending_sid, web_state):
    client = as_user("dana")
    assert CLOSURE in client.get(f"/posts/{pending_sid}/revise").get_data(as_text=True)
    response = client.form(f"/posts/{pending_sid}/revise", {"text": "Thanks for asking!"})
    assert response.status_code == 302
    sub = web_state.workflow.get(pending_sid)
    assert (sub.revision, sub.status.value) == (2, "published")
    assert client.form(f"/posts/{pending_sid}/revise", {"text": "again"}).status_code == 400


def test_withdraw_own_pending_post(as_user, pending_sid, web_state):
    assert as_user("fran").form(f"/posts/{pending_sid}/withdraw").status_code == 403
    assert as_user("dana").form(f"/posts/{pending_sid}/withdraw").status_code == 302
    assert web_state.workflow.get(pending_sid).status.value == "withdrawn"


def test_unknown_submission_is_404(as_user):
    client = as_user("dana")
    assert client.get("/posts/999/revise").status_code == 404
    assert client.form("/posts/999/withdraw").status_code == 404
    assert client.get("/submissions/999").status_code == 404


@pytest.mark.parametrize("payload", XSS)
def test_user_text_is_escaped_everywhere(as_user, web_state, payload):
    dana = as_user("dana")
    sid = submitted_id(
        dana.form(
            "/posts/new", {"channel": "facebook/nmtw", "kind": "post", "text": f"closure {payload}"}
        )
    )
    fran = as_user("fran")
    fran.form(f"/submissions/{sid}/reject", {"reason": payload, "revision": "1"})
    fran.form("/delegations", {"to_user": "eli", "until": "2099-01-01T00:00", "reason": payload})
    pages = [
        dana.get(f"/submissions/{sid}"),
        dana.get("/posts/mine"),
        fran.get(f"/submissions/{sid}"),
        fran.get("/delegations"),
        as_user("audrey").get(f"/audit/submissions/{sid}"),
        as_user("audrey").get("/audit/"),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert payload not in html
        assert "<script>alert" not in html and "<img src=x" not in html
        assert str(escape(payload)) in html  # shown, as text
