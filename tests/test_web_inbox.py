"""The Inbox pages: counts in the navigation, views, one message, reply and close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.inbound.items import Message
from tests.test_web_inbound_api import web_policy  # noqa: F401 - the policy with inbound routes

COMPLAINT = "Why would you close my acct 1234567?"


@pytest.fixture
def item(web_state):
    return web_state.workflow.inbound.receive(
        Message("twitter/nmtw_help", "@joe", COMPLAINT, name="Joe")
    )


def test_navigation_counts_and_views(as_user, item, web_state):
    fran = as_user("fran")
    page = fran.get("/inbox").get_data(as_text=True)
    assert 'id="nav-inbox-count">1<' in page
    assert f'id="inbox-{item.id}"' in page and "@joe" in page
    assert 'id="count-escalated">0<' in page and 'id="count-groups">1<' in page
    assert 'id="inbox-empty"' in fran.get("/inbox?view=escalated").get_data(as_text=True)
    assert fran.get("/inbox?view=bogus").status_code == 400
    dana = as_user("dana").get("/inbox").get_data(as_text=True)
    assert 'id="inbox-empty"' in dana and "nav-inbox-count" not in dana
    later = datetime.now(UTC) + timedelta(hours=5)
    web_state.workflow.tick(now=later)  # level 2 of the chain: vp
    vp = as_user("vp").get("/inbox?view=escalated").get_data(as_text=True)
    assert f'id="inbox-{item.id}"' in vp


def test_the_message_page_shows_the_conversation_and_composer(as_user, item, web_state):
    earlier = web_state.workflow.inbound.receive(
        Message("twitter/nmtw_help", "@joe", "Second message, still waiting")
    )
    fran = as_user("fran")
    page = fran.get(f"/inbox/{earlier.id}").get_data(as_text=True)
    assert COMPLAINT in page  # the earlier message from the same sender
    assert 'id="compose-form"' in page and 'value="reply"' in page
    assert as_user("dana").get(f"/inbox/{item.id}").status_code == 403
    assert as_user("audrey").get(f"/inbox/{item.id}").status_code == 200  # auditors read
    assert fran.get("/inbox/999999").status_code == 404


def test_reply_and_close_from_the_page(as_user, item, web_state):
    fran = as_user("fran")
    response = fran.form(f"/inbox/{item.id}/reply", {"text": "We have called you."})
    assert response.status_code == 302
    assert web_state.workflow.inbound.get(item.id).status.value == "answered"
    other = web_state.workflow.inbound.receive(Message("twitter/nmtw_help", "@bot", "spam spam"))
    assert as_user("tess").form(f"/inbox/{other.id}/close", {"reason": "spam"}).status_code == 403
    fran.form(f"/inbox/{other.id}/close", {"reason": ""})
    assert web_state.workflow.inbound.get(other.id).status.value == "open"
    fran.form(f"/inbox/{other.id}/close", {"reason": "spam"})
    closed = web_state.workflow.inbound.get(other.id)
    assert (closed.status.value, closed.closed_by) == ("closed", "fran")
    page = fran.get(f"/inbox/{other.id}").get_data(as_text=True)
    assert 'id="item-closed"' in page and 'id="close-form"' not in page
