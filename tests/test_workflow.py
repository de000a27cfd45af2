"""The publishing workflow on SQLite: SPEC "Workflow semantics"."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.audit import AuditLog
from engine.compiler import load_engine
from engine.errors import NotFound, SaysoError, WorkflowError
from engine.model import Status
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def wf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the outbox publisher writes outbox.jsonl here
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    yield Workflow(load_engine(str(POLICY)), store)
    store.close()


def outbox(tmp_path) -> list[dict]:
    path = tmp_path / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_low_risk_post_is_approved_and_published_at_once(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", "Happy to help!", kind="reply", now=at())
    assert sub.status is Status.PUBLISHED
    assert sub.published_at == at()
    [published] = outbox(tmp_path)
    assert published["text"] == "Happy to help!"
    assert published["text_sha256"] == sub.text_sha256


def test_denied_post_is_stored_as_denied_with_reasons(wf):
    sub = wf.submit("ann", "twitter/help", "Our APR is 3%", now=at())
    assert sub.status is Status.DENIED
    assert [r.id for r in sub.decision.reasons] == ["rates"]
    assert wf.get(sub.id).status is Status.DENIED


def test_unknown_author_is_denied_not_an_error(wf):
    sub = wf.submit("mallory", "twitter/help", "hi", now=at())
    assert sub.status is Status.DENIED
    assert "mallory" in sub.decision.reasons[0].message


def test_author_never_approves_own_post_even_as_owner(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    assert sub.status is Status.PENDING
    with pytest.raises(WorkflowError, match="own post"):
        wf.approve(sub.id, "ann", now=at())
    assert wf.get(sub.id).status is Status.PENDING


def test_one_eligible_approval_approves_and_publishes(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    done = wf.approve(sub.id, "cat", comment="fine", now=at(0, 5))
    assert done.status is Status.PUBLISHED
    assert done.requirements[0].approved_by == ("cat",)
    [published] = outbox(tmp_path)
    assert published["approved_by"] == ["cat"]
    assert published["text"] == "We regret the closure."


def test_ineligible_approver_is_refused_with_who_is_needed(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    with pytest.raises(WorkflowError, match="group:member-services"):
        wf.approve(sub.id, "dan", now=at())
    with pytest.raises(WorkflowError, match="unknown approver"):
        wf.approve(sub.id, "nobody-here", now=at())


def test_two_approvals_need_two_distinct_people(wf):
    sub = wf.submit("bob", "facebook/page", "The outage is over.", now=at())
    assert sub.requirements[0].approvals == 2
    one = wf.approve(sub.id, "eve", now=at())
    assert one.status is Status.PENDING
    with pytest.raises(WorkflowError, match="already approved"):
        wf.approve(sub.id, "eve", now=at())
    two = wf.approve(sub.id, "fay", now=at())
    assert two.status is Status.PUBLISHED
    assert set(two.requirements[0].approved_by) == {"eve", "fay"}


def test_author_in_owner_group_does_not_count(wf):
    # ann is in legal; her own outage post still needs two *other* lawyers.
    sub = wf.submit("ann", "facebook/page", "The outage is over.", now=at())
    wf.approve(sub.id, "eve", now=at())
    assert wf.get(sub.id).status is Status.PENDING
    assert wf.approve(sub.id, "fay", now=at()).status is Status.PUBLISHED


def test_one_rejection_rejects(wf):
    sub = wf.submit("bob", "facebook/page", "The outage is over.", now=at())
    wf.approve(sub.id, "eve", now=at())
    rejected = wf.reject(sub.id, "fay", "Wait for the incident report", now=at())
    assert rejected.status is Status.REJECTED
    with pytest.raises(WorkflowError, match="rejected, not pending"):
        wf.approve(sub.id, "ann", now=at())


def test_rejection_needs_reason_and_eligibility(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    with pytest.raises(SaysoError, match="reason"):
        wf.reject(sub.id, "cat", "  ", now=at())
    with pytest.raises(WorkflowError):
        wf.reject(sub.id, "eve", "no", now=at())
    with pytest.raises(WorkflowError, match="own post"):
        wf.reject(sub.id, "ann", "no", now=at())
    assert wf.get(sub.id).status is Status.PENDING


def test_withdraw_by_author_only(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    with pytest.raises(WorkflowError, match="only the author"):
        wf.withdraw(sub.id, "cat", now=at())
    assert wf.withdraw(sub.id, "ann", now=at()).status is Status.WITHDRAWN
    with pytest.raises(WorkflowError):
        wf.withdraw(sub.id, "ann", now=at())


def test_revision_clears_approvals_and_is_decided_again(wf, tmp_path):
    sub = wf.submit("bob", "facebook/page", "The outage is over.", now=at())
    wf.approve(sub.id, "eve", now=at())
    revised = wf.revise(sub.id, "bob", "The outage is over, sorry.", now=at(0, 10))
    assert revised.revision == 2
    assert revised.status is Status.PENDING
    assert revised.requirements[0].approved_by == ()
    wf.approve(sub.id, "eve", now=at(0, 11))
    final = wf.approve(sub.id, "fay", now=at(0, 12))
    assert final.status is Status.PUBLISHED
    [published] = outbox(tmp_path)
    assert published["text"] == "The outage is over, sorry."
    assert published["revision"] == 2


def test_revision_without_risky_words_is_approved(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    assert wf.revise(sub.id, "ann", "We are sorry.", now=at()).status is Status.PUBLISHED


def test_only_the_author_revises(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    with pytest.raises(WorkflowError, match="only the author"):
        wf.revise(sub.id, "cat", "edited", now=at())


def test_escalation_makes_next_owners_eligible_and_is_idempotent(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    assert sub.next_escalation_at == at(2)
    assert wf.tick(now=at(1, 59)).escalated == []
    assert wf.queue("dan", now=at(1, 59)) == []
    report = wf.tick(now=at(2))
    assert report.escalated == [(sub.id, "chain", 1)]
    assert wf.tick(now=at(2)).escalated == []  # idempotent
    assert [s.id for s in wf.queue("dan", now=at(2))] == [sub.id]
    assert wf.queue("vp", now=at(2)) == []
    assert [e for e in wf.tick(now=at(30)).escalated] == [
        (sub.id, "chain", 2),
        (sub.id, "chain", 3),
    ]
    assert wf.get(sub.id).escalation_level == 3
    assert wf.approve(sub.id, "ceo", now=at(30)).status is Status.PUBLISHED


def test_escalation_level_with_nobody_is_not_a_dead_end(wf):
    sub = wf.submit("ann", "twitter/help", "A ghost story.", now=at())
    assert sub.status is Status.PENDING
    wf.tick(now=at(1))
    assert wf.get(sub.id).escalation_level == 1
    assert wf.get(sub.id).next_escalation_at == at(2)
    wf.tick(now=at(2))
    assert [s.id for s in wf.queue("ceo", now=at(2))] == [sub.id]


def test_escalation_stops_once_approved(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    wf.approve(sub.id, "cat", now=at(1))
    assert wf.tick(now=at(48)).escalated == []


def test_queue_lists_only_what_the_user_may_act_on(wf):
    closure = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    outage = wf.submit("bob", "facebook/page", "The outage is over.", now=at(0, 1))
    assert [s.id for s in wf.queue("cat", now=at())] == [closure.id]
    assert [s.id for s in wf.queue("ann", now=at())] == [outage.id]  # not her own post
    assert [s.id for s in wf.queue("eve", now=at())] == [outage.id]
    wf.approve(outage.id, "eve", now=at())
    assert wf.queue("eve", now=at()) == []  # already approved this revision
    assert wf.queue("zed", now=at()) == []


def test_delegate_acts_for_owner_and_is_recorded(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    wf.delegate("cat", "dan", at(8), reason="holiday", now=at())
    assert [s.id for s in wf.queue("dan", now=at(1))] == [sub.id]
    done = wf.approve(sub.id, "dan", now=at(1))
    assert done.status is Status.PUBLISHED
    [approved] = list(AuditLog(wf.store).events(event="approved"))
    assert approved.actor == "dan" and approved.on_behalf_of == "cat"
    assert wf.record(sub.id).verdicts[0].who == "dan for cat"


def test_delegation_expires_and_can_be_revoked(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    d = wf.delegate("cat", "dan", at(1), now=at())
    with pytest.raises(WorkflowError):
        wf.approve(sub.id, "dan", now=at(1, 1))
    d2 = wf.delegate("cat", "dan", at(9), now=at(2, 1))
    with pytest.raises(WorkflowError, match="only cat"):
        wf.revoke_delegation(d2.id, "dan", now=at(3))
    wf.revoke_delegation(d2.id, "cat", now=at(3))
    with pytest.raises(WorkflowError):
        wf.approve(sub.id, "dan", now=at(3, 1))
    assert [x.active for x in wf.delegations("cat", now=at(3, 1))] == [False, False]
    assert d.id != d2.id


def test_delegation_cannot_approve_own_post(wf):
    # cat delegates to ann; ann still cannot approve her own post through it.
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    wf.delegate("cat", "ann", at(5), now=at())
    with pytest.raises(WorkflowError, match="own post"):
        wf.approve(sub.id, "ann", now=at(1))


def test_delegate_for_the_author_is_refused(wf):
    sub = wf.submit("bob", "twitter/help", "We regret the closure.", now=at())
    wf.delegate("bob", "dan", at(5), now=at())  # bob's approvals go to dan
    with pytest.raises(WorkflowError, match="author"):
        wf.approve(sub.id, "dan", now=at(1))


def test_delegation_input_errors(wf):
    with pytest.raises(WorkflowError, match="unknown user"):
        wf.delegate("cat", "ghost", at(5), now=at())
    with pytest.raises(WorkflowError, match="future"):
        wf.delegate("cat", "dan", at(-1), now=at())
    with pytest.raises(WorkflowError, match="themself"):
        wf.delegate("cat", "cat", at(5), now=at())


def test_scheduled_post_is_published_at_its_time_not_before(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", "Branch opens Monday", publish_at=at(3), now=at())
    assert sub.status is Status.APPROVED
    assert outbox(tmp_path) == []
    assert wf.tick(now=at(2, 59)).published == []
    assert wf.tick(now=at(3)).published == [sub.id]
    assert wf.get(sub.id).status is Status.PUBLISHED
    assert len(outbox(tmp_path)) == 1
    assert wf.tick(now=at(4)).published == []


def test_pending_post_past_its_time_is_overdue_and_never_published_late(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", publish_at=at(1), now=at())
    report = wf.tick(now=at(1))
    assert report.overdue == [sub.id]
    assert wf.tick(now=at(1, 30)).overdue == []  # flagged once
    flagged = wf.get(sub.id)
    assert flagged.overdue and flagged.status is Status.PENDING
    later = wf.approve(sub.id, "cat", now=at(5))
    assert later.status is Status.APPROVED and later.published_at is None
    assert wf.tick(now=at(6)).published == []
    assert outbox(tmp_path) == []
    events = [e.event for e in AuditLog(wf.store).events(submission=sub.id)]
    assert "overdue" in events and "published" not in events
    # only its author can still decide to publish it, explicitly
    with pytest.raises(WorkflowError, match="only the author"):
        wf.publish_now(sub.id, "cat", now=at(7))
    assert wf.publish_now(sub.id, "ann", now=at(7)).status is Status.PUBLISHED
    assert len(outbox(tmp_path)) == 1


def test_text_limits_and_unknown_ids(wf):
    with pytest.raises(SaysoError, match="empty"):
        wf.submit("ann", "twitter/help", "   ", now=at())
    with pytest.raises(SaysoError, match="limit"):
        wf.submit("ann", "twitter/help", "x" * 100_001, now=at())
    with pytest.raises(NotFound):
        wf.get(999)
    with pytest.raises(NotFound):
        wf.approve("abc", "cat", now=at())
    with pytest.raises(NotFound):
        wf.get(2**64)
    with pytest.raises(NotFound):
        wf.revoke_delegation(2**70, "cat")


def test_audit_chain_records_every_step(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    wf.tick(now=at(2))
    wf.approve(sub.id, "dan", now=at(2, 5))
    log = AuditLog(wf.store)
    events = [e.event for e in log.events()]
    assert events == ["policy_loaded", "submitted", "decided", "escalated", "approved", "published"]
    approved = next(log.events(event="approved"))
    assert approved.text_sha256 == sub.text_sha256
    assert approved.policy_version == wf.engine.version
    assert log.verify().ok


def test_policy_snapshot_is_stored_whole(wf):
    sub = wf.submit("ann", "twitter/help", "hi", now=at())
    files = wf.policy_snapshot(sub.policy_version[:12])
    assert files == {p: b.decode() for p, b in wf.engine.policy.files.items()}
    with pytest.raises(NotFound):
        wf.policy_snapshot("ffffffffff")


def test_a_reopened_store_keeps_everything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = Workflow(load_engine(str(POLICY)), Store.create(url))
    sub = first.submit("ann", "twitter/help", "We regret the closure.", now=at())
    first.store.close()
    again = Workflow(load_engine(str(POLICY)), Store(url))
    assert again.approve(sub.id, "cat", now=at(1)).status is Status.PUBLISHED
    assert AuditLog(again.store).verify().ok


def test_stats_for_the_dashboard(wf):
    fast = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    wf.approve(fast.id, "cat", now=at(1))
    slow = wf.submit("ann", "twitter/help", "Closure again.", now=at())
    wf.tick(now=at(5))
    wf.approve(slow.id, "vp", now=at(5))
    wf.submit("bob", "facebook/page", "The outage is over.", now=at())
    stats = wf.stats(now=at(6))
    closure = stats["time_to_approval_by_topic"]["closure"]
    assert closure["count"] == 2 and closure["median_hours"] == 3.0 and closure["p90_hours"] == 5.0
    assert stats["sla_breaches_by_owner"] == {"group:member-services": 1}
    assert stats["escalations_by_owner"] == {"group:leads": 1, "user:vp": 1}
    assert stats["pending_by_escalation_level"] == {0: 1}


def test_levels_repeating_earlier_owners_escalate_in_one_tick(wf):
    sub = wf.submit("ann", "twitter/help", "A product recall notice.", now=at())
    assert wf.tick(now=at(3)).escalated == [(sub.id, "widening", 1), (sub.id, "widening", 2)]
    [state] = wf.get(sub.id).requirements
    assert state.eligible == ("group:member-services", "group:leads", "user:vp")
    assert [s.id for s in wf.queue("vp", now=at(3))] == [sub.id]
    assert [s.id for s in wf.queue("dan", now=at(3))] == [sub.id]


def test_a_revision_keeps_the_escalation_owners_reached(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.", now=at())
    wf.tick(now=at(2))
    revised = wf.revise(sub.id, "ann", "We regret the closure, truly.", now=at(2, 30))
    assert revised.requirements[0].eligible == ("group:member-services", "group:leads")
    assert [s.id for s in wf.queue("dan", now=at(2, 30))] == [sub.id]
    assert revised.next_escalation_at == at(4)
