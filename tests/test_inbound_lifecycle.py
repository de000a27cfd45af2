"""Inbound items on SQLite: receive, route, escalate from receipt, answer, close."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.audit import AuditLog
from engine.compiler import load_engine
from engine.errors import NotFound, SaysoError, WorkflowError
from engine.hookspecs import NotifierSpec, hookimpl
from engine.inbound import inbox
from engine.inbound.items import InboundStatus, Message
from engine.model import Status
from engine.plugins import get_plugin_manager
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "inbound"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
COMPLAINT = "Terrible service, I want a refund"


def at(hours: float = 0) -> datetime:
    return T0 + timedelta(hours=hours)


class Memory:
    sent: list = []

    def notify(self, note) -> None:
        Memory.sent.append(note)


class MemoryPlugin:
    @hookimpl
    def register_notifiers(self):
        return [NotifierSpec("memory", lambda options: Memory())]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sayso.db'}"
    return request.getfixturevalue("postgres_db")


@pytest.fixture
def wf(tmp_path, monkeypatch, db_url):
    monkeypatch.chdir(tmp_path)
    policy = tmp_path / "policy"
    shutil.copytree(POLICY, policy)
    (policy / "notify.yaml").write_text("notifiers:\n  - {use: memory}\n")
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(MemoryPlugin())
    Memory.sent = []
    store = Store.create(db_url)
    yield Workflow(load_engine(str(policy), pm), store, pm)
    store.close()


def receive(wf, text=COMPLAINT, channel="twitter/help", sender="@joe", hours=0, **kw):
    return wf.inbound.receive(Message(channel, sender, text, **kw), now=at(hours))


def events(wf, prefix="inbound"):
    return [e for e in AuditLog(wf.store).events() if e.event.startswith(prefix)]


def test_a_complaint_is_routed_to_its_owners_with_its_sla(wf):
    item = receive(wf, message_id="m1", name="Joe Public")
    assert item.status is InboundStatus.OPEN
    assert (item.route, item.topics, item.owners) == (
        "complaints",
        ("complaints",),
        ("group:support",),
    )
    assert item.due_at == at(2) and item.next_escalation_at == at(2) and item.level == 0
    assert [i.id for i in inbox.inbox(wf.inbound, "ann")] == [item.id]
    assert inbox.inbox(wf.inbound, "ceo") == [] and inbox.inbox(wf.inbound, "lea") == []
    got = [(e.event, e.details["inbound_id"]) for e in events(wf)]
    assert got == [("inbound.received", item.id), ("inbound.routed", item.id)]
    assert events(wf)[0].details["text"] == COMPLAINT
    assert events(wf)[1].details["route"] == "complaints"


def test_other_messages_take_the_default_route(wf):
    item = receive(wf, "What are your opening hours?", channel="facebook/page")
    assert item.route == "default" and item.topics == () and item.due_at == at(8)
    assert item.escalation is None and item.next_escalation_at is None
    fb_complaint = receive(wf, COMPLAINT, channel="facebook/page")
    assert fb_complaint.route == "default" and fb_complaint.topics == ("complaints",)


def test_a_second_delivery_with_the_same_message_id_is_ignored(wf):
    first = receive(wf, message_id="123")
    again = receive(wf, "edited text", message_id="123", hours=1)
    assert again.duplicate and again.id == first.id and again.text == COMPLAINT
    other_channel = receive(wf, channel="facebook/page", message_id="123")
    assert not other_channel.duplicate and other_channel.id != first.id
    no_id = [receive(wf).id, receive(wf).id]
    assert len(set(no_id)) == 2  # without a platform id nothing is a duplicate
    assert Counter(e.event for e in events(wf))["inbound.received"] == 4


def test_duplicates_inside_one_batch_are_stored_once(wf):
    batch = [Message("twitter/help", "@a", "hi", message_id="x")] * 3
    results = list(wf.inbound.receive_many(batch, now=at()))
    assert [item.duplicate for item, _ in results] == [False, True, True]
    assert len(wf.inbound.items()) == 1


@pytest.mark.parametrize(
    "message, error",
    [
        (Message("twitter/help", "@a", "   "), "the message text is empty"),
        (Message("twitter/help", "", "hi"), "the message has no sender (--from)"),
        (Message("nowhere/x", "@a", "hi"), "unknown channel 'nowhere/x'"),
        (Message("twitter/help", "@a", "a\x00b"), "NUL"),
        (Message("twitter/help", "@a\x1b[31m", "hi"), "control character"),
        (Message("twitter/help", "@a", "x" * 100_001), "the limit is 100000"),
        (Message("twitter/help", "@a", "hi", message_id="9" * 301), "message id is 301"),
        (Message("twitter/help", "@a", 42), "the message text is empty"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(wf, message, error):
    with pytest.raises(SaysoError) as caught:
        wf.inbound.receive(message, now=at())
    assert error in str(caught.value)
    assert wf.inbound.items() == []


def test_an_ignored_complaint_climbs_to_the_president(wf):
    item = receive(wf)
    assert wf.tick(now=at(1.9)).inbound_escalated == []
    report = wf.tick(now=at(2))
    assert report.inbound_escalated == [(item.id, "complaint-chain", 1)]
    assert report.inbound_overdue == [item.id]
    assert [i.id for i in inbox.inbox(wf.inbound, "lea")] == [item.id]
    assert inbox.inbox(wf.inbound, "vp") == []
    assert wf.tick(now=at(2)).inbound_escalated == []  # idempotent
    assert wf.tick(now=at(4)).inbound_escalated == [(item.id, "complaint-chain", 2)]
    assert inbox.inbox(wf.inbound, "ceo") == []
    assert wf.tick(now=at(24)).inbound_escalated == [(item.id, "complaint-chain", 3)]
    top = wf.inbound.get(item.id)
    assert top.level == 3 and top.overdue and top.next_escalation_at is None
    assert top.owners == ("group:support", "group:leads", "user:vp", "user:ceo")
    [mine] = inbox.inbox(wf.inbound, "ceo")
    assert mine.id == item.id and mine.level == 3
    assert inbox.counts(wf.inbound, "ceo") == {
        "all": 1,
        "mine": 1,
        "groups": 0,
        "escalated": 1,
        "overdue": 1,
    }
    ceo_notes = [n for n in Memory.sent if any(r.id == "ceo" for r in n.recipients)]
    assert [n.event for n in ceo_notes] == ["inbound.escalated"]
    assert ceo_notes[0].submission_id == f"inbound:{item.id}"
    assert ceo_notes[0].details["level"] == 3
    levels = [e.details["level"] for e in events(wf, "inbound.escalated")]
    assert levels == [1, 2, 3]
    assert AuditLog(wf.store).verify().ok


def test_a_late_tick_applies_every_level_due_at_once(wf):
    item = receive(wf)
    report = wf.tick(now=at(30))
    assert report.inbound_escalated == [(item.id, "complaint-chain", n) for n in (1, 2, 3)]


def test_escalation_tells_the_delegates_of_new_owners(wf):
    wf.delegate("vp", "lea", at(100), now=at())
    item = receive(wf)
    wf.tick(now=at(4))
    [note] = [n for n in Memory.sent if n.details.get("level") == 2]
    assert {r.id for r in note.recipients} == {"vp", "lea"}
    assert events(wf, "inbound.escalated")[-1].details["delegates"] == ["lea"]
    # and lea, acting for vp, may close it
    closed = wf.inbound.close(item.id, "lea", "handled by phone", now=at(5))
    assert closed.status is InboundStatus.CLOSED


def test_received_and_overdue_notices_reach_the_owners_delegates(wf):
    """As for posts, whoever acts for an owner hears of a new message and of its
    missed deadline; nobody else does."""
    wf.delegate("ann", "lea", at(100), now=at())
    receive(wf, text="Where is my card? It is a complaint.")
    [received] = [n for n in Memory.sent if n.event == "inbound.received"]
    assert {r.id for r in received.recipients} == {"ann", "bob", "lea"}
    wf.tick(now=at(2.5))
    [overdue] = [n for n in Memory.sent if n.event == "inbound.overdue"]
    assert {r.id for r in overdue.recipients} >= {"ann", "bob", "lea"}
    assert "zed" not in {r.id for n in Memory.sent for r in n.recipients}


def test_an_answer_closes_it_and_stops_the_clock(wf, tmp_path):
    item = receive(wf)
    reply = wf.submit("ann", "twitter/help", "We are on it, DM us.", in_reply_to=item.id, now=at(1))
    assert reply.kind == "reply" and reply.status is Status.PUBLISHED
    done = wf.inbound.get(item.id)
    assert done.status is InboundStatus.ANSWERED and done.answered_by == reply.id
    assert done.resolved_at == at(1)
    assert inbox.inbox(wf.inbound, "ann") == []
    assert wf.tick(now=at(30)).inbound_escalated == []
    [answered] = events(wf, "inbound.answered")
    assert answered.details["first_response_seconds"] == 3600
    assert answered.submission_id == reply.id and answered.actor == "ann"
    assert [s.id for s in wf.inbound.replies(item.id)] == [reply.id]


def test_a_reply_answers_only_once_published(wf):
    item = receive(wf)
    reply = wf.submit("ann", "twitter/help", "So sorry about that.", in_reply_to=item.id, now=at(1))
    assert reply.status is Status.PENDING
    assert wf.inbound.get(item.id).status is InboundStatus.OPEN
    wf.approve(reply.id, "lea", now=at(1.5))
    assert wf.inbound.get(item.id).status is InboundStatus.ANSWERED


def test_a_rejected_reply_leaves_it_open_and_the_clock_running(wf):
    item = receive(wf)
    reply = wf.submit("ann", "twitter/help", "Sorry, our fault.", in_reply_to=item.id, now=at(1))
    wf.reject(reply.id, "lea", "too vague", now=at(1.5))
    assert wf.inbound.get(item.id).status is InboundStatus.OPEN
    assert wf.tick(now=at(2)).inbound_escalated == [(item.id, "complaint-chain", 1)]
    withdrawn = wf.submit("bob", "twitter/help", "Sorry again.", in_reply_to=item.id, now=at(3))
    wf.withdraw(withdrawn.id, "bob", now=at(3.5))
    assert wf.tick(now=at(4)).inbound_escalated == [(item.id, "complaint-chain", 2)]
    denied = wf.submit("bob", "twitter/help", "Our APR is 3%", in_reply_to=item.id, now=at(5))
    assert denied.status is Status.DENIED
    assert wf.inbound.get(item.id).status is InboundStatus.OPEN


def test_the_replies_to_an_item_are_read_as_they_stand_oldest_first(wf):
    item = receive(wf)
    first = wf.submit("ann", "twitter/help", "Sorry, our fault.", in_reply_to=item.id, now=at(1))
    wf.reject(first.id, "lea", "too vague", now=at(1.5))
    second = wf.submit("bob", "twitter/help", "So sorry.", in_reply_to=item.id, now=at(2))
    wf.revise(second.id, "bob", "So sorry about that.", now=at(2.5))
    other = receive(wf, sender="@amy")
    wf.submit("ann", "twitter/help", "Thanks, Amy.", in_reply_to=other.id, now=at(3))
    assert wf.inbound.replies(item.id) == [wf.get(first.id), wf.get(second.id)]
    assert [s.revision for s in wf.inbound.replies(item.id)] == [1, 2]


def test_a_reply_must_go_to_the_items_channel(wf):
    item = receive(wf)
    with pytest.raises(SaysoError, match="goes to its channel twitter/help, not facebook/page"):
        wf.submit("ann", "facebook/page", "Hi", in_reply_to=item.id, now=at(1))
    with pytest.raises(NotFound, match="no inbound item 999"):
        wf.submit("ann", "twitter/help", "Hi", in_reply_to=999, now=at(1))
    with pytest.raises(NotFound):
        wf.submit("ann", "twitter/help", "Hi", in_reply_to="1; drop table", now=at(1))
    assert wf.submissions() == []


def test_an_owner_closes_with_a_reason_and_others_may_not(wf):
    item = receive(wf)
    with pytest.raises(WorkflowError, match="zed does not own inbound item"):
        wf.inbound.close(item.id, "zed", "spam", now=at(1))
    with pytest.raises(WorkflowError, match="ceo does not own"):
        wf.inbound.close(item.id, "ceo", "spam", now=at(1))  # not yet escalated to her
    with pytest.raises(SaysoError, match="needs a reason"):
        wf.inbound.close(item.id, "ann", "  ", now=at(1))
    with pytest.raises(WorkflowError, match="unknown user 'nobody'"):
        wf.inbound.close(item.id, "nobody", "spam", now=at(1))
    closed = wf.inbound.close(item.id, "bob", "spam", now=at(1))
    assert (closed.status, closed.closed_by, closed.closed_reason) == (
        InboundStatus.CLOSED,
        "bob",
        "spam",
    )
    with pytest.raises(WorkflowError, match="is closed, not open"):
        wf.inbound.close(item.id, "ann", "again", now=at(2))
    assert wf.tick(now=at(30)).inbound_escalated == []
    [event] = events(wf, "inbound.closed")
    assert (event.actor, event.details["reason"]) == ("bob", "spam")


def test_a_reply_published_after_closing_does_not_reopen_or_answer(wf):
    item = receive(wf)
    wf.inbound.close(item.id, "ann", "handled offline", now=at(1))
    wf.submit("bob", "twitter/help", "Thanks!", in_reply_to=item.id, now=at(2))
    assert wf.inbound.get(item.id).status is InboundStatus.CLOSED
    assert events(wf, "inbound.answered") == []


def test_two_owners_closing_at_once_give_one_outcome(wf):
    items = [receive(wf).id for _ in range(8)]
    barrier = threading.Barrier(4)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def act(who: str, mode: str) -> None:
        mine = Workflow(wf.engine, wf.store, wf.pm)
        barrier.wait()
        for item_id in items:
            try:
                if mode == "close":
                    mine.inbound.close(item_id, who, f"closed by {who}", now=at(1))
                else:
                    mine.submit(
                        who, "twitter/help", f"Answer from {who}", in_reply_to=item_id, now=at(1)
                    )
                result = "ok"
            except WorkflowError:
                result = "refused"
            with lock:
                outcomes[(mode, result)] += 1

    threads = [
        threading.Thread(target=act, args=("ann", "close")),
        threading.Thread(target=act, args=("bob", "close")),
        threading.Thread(target=act, args=("ann", "answer")),
        threading.Thread(target=act, args=("bob", "answer")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = AuditLog(wf.store)
    assert log.verify().ok
    for item_id in items:
        item = wf.inbound.get(item_id)
        assert item.status in (InboundStatus.CLOSED, InboundStatus.ANSWERED)
        ends = [
            e.event
            for e in log.events()
            if e.event in ("inbound.closed", "inbound.answered")
            and e.details["inbound_id"] == item_id
        ]
        assert len(ends) == 1  # one transition, whoever came first
    assert outcomes[("close", "ok")] + outcomes[("close", "refused")] == 16


def test_inbox_is_ordered_oldest_due_first(wf):
    later = receive(wf, "hours?", channel="facebook/page")  # due at 8h
    sooner = receive(wf, hours=1)  # complaint, due at 3h
    assert [i.id for i in inbox.inbox(wf.inbound, "ann")] == [sooner.id, later.id]
    with pytest.raises(SaysoError, match="unknown inbox view"):
        inbox.inbox(wf.inbound, "ann", view="everything")
    with pytest.raises(WorkflowError, match="unknown user"):
        inbox.inbox(wf.inbound, "mallory")


def test_dashboard_figures(wf):
    from engine.inbound.dashboard import stats

    answered = receive(wf)
    wf.submit("ann", "twitter/help", "Calling you now.", in_reply_to=answered.id, now=at(1.5))
    receive(wf, "hours?", channel="facebook/page", hours=20)
    climbed = receive(wf)
    wf.tick(now=at(25))
    figures = stats(wf.inbound, now=at(25))
    assert figures["by_status"] == {"open": 2, "answered": 1, "closed": 0}
    assert figures["first_response_by_route"] == {
        "complaints": {"count": 1, "median_hours": 1.5, "p90_hours": 1.5}
    }
    assert list(figures["first_response_by_person"]) == ["ann"]
    assert figures["open_by_age"] == {
        "under 1h": 0,
        "1h-4h": 0,
        "4h-24h": 1,
        "1d-7d": 1,
        "over 7d": 0,
    }
    assert figures["top_level_escalations_by_route"] == {"complaints": 1}
    assert wf.inbound.get(climbed.id).level == 3
