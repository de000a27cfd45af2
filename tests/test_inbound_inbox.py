"""The inbox reads a view from whichever side has few rows (owned items by primary key,
or the due-ordered walk); both give the same page and the same counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.compiler import load_engine
from engine.inbound import inbox
from engine.inbound.items import Message
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "inbound"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def wf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    yield Workflow(load_engine(str(POLICY)), store)
    store.close()


def everything(wf, user):
    """Every view's ids (in order, paged by 2) and counts, as of T0 + 10h."""
    now = T0 + timedelta(hours=10)
    pages = {}
    for view in inbox.VIEWS:
        ids, offset = [], 0
        while page := inbox.inbox(wf.inbound, user, view=view, limit=2, offset=offset, now=now):
            ids += [i.id for i in page]
            offset += 2
        pages[view] = ids
    return pages, inbox.counts(wf.inbound, user, now=now)


def test_both_ways_of_reading_a_view_agree(wf, monkeypatch):
    texts = ["Terrible service, refund please", "Opening hours?", "A complaint about fees"]
    for n in range(12):  # complaints escalate; some are answered, one closed
        channel = "twitter/help" if n % 3 else "facebook/page"
        message = Message(channel, f"@c{n % 4}", texts[n % 3], message_id=str(n))
        wf.inbound.receive(message, now=T0 + timedelta(hours=n))
    wf.tick(now=T0 + timedelta(hours=9))  # the last few are neither escalated nor overdue
    wf.inbound.close(2, "ann", "spam", now=T0 + timedelta(hours=9))
    wf.delegate("lea", "bob", T0 + timedelta(days=5), now=T0)  # bob acts for lea too
    wf.submit("bob", "twitter/help", "On it, Fran will call.", in_reply_to=5, now=T0)

    few = {user: everything(wf, user) for user in ("ann", "bob", "lea", "vp", "ceo", "zed")}
    for dense in (1, 3, 6):  # from "everyone owns many" to a mix of both sides
        monkeypatch.setattr(inbox, "DENSE", dense)
        assert {user: everything(wf, user) for user in few} == few, dense

    pages, counts = few["ann"]
    assert len(pages["all"]) == 10 and counts["all"] == 10  # 12 less closed, answered
    assert 2 not in pages["all"] and 5 not in pages["all"]
    assert pages["mine"] == [] and pages["groups"] == pages["all"]
    assert 0 < len(pages["overdue"]) < len(pages["all"])
    bob, lea = few["bob"][0], few["lea"][0]
    assert bob["all"] == pages["all"] and bob["escalated"] == lea["escalated"] == lea["all"]
    assert 0 < len(bob["escalated"]) < len(bob["all"])
    assert few["zed"][1] == dict.fromkeys(inbox.VIEWS, 0)
