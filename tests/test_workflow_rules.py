"""The workflow's pure rules and the SLA clock, without a database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.compiler import load_engine
from engine.errors import SaysoError, WorkflowError
from engine.model import Post, Status
from engine.posttext import MAX_TEXT, check_post_text
from engine.workflow.clock import SlaClock
from engine.workflow.rules import (
    acting_identity,
    eligible,
    may_act,
    require_author,
    requirement_states,
)
from engine.workflow.views import Submission, Verdict

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine():
    return load_engine(str(POLICY))


def approve(who: str, for_: str | None = None) -> Verdict:
    return Verdict("approve", who, for_, 1, None, T0)


def pending(engine, text: str, verdicts=(), reached=None, author: str = "ann") -> Submission:
    decision = engine.decide(Post(author=author, channel="twitter/help", text=text), now=T0)
    states = requirement_states(engine, author, decision, verdicts, reached or {})
    return Submission(
        id=7,
        author=author,
        channel="twitter/help",
        kind="post",
        status=Status.PENDING,
        revision=1,
        text=text,
        text_sha256="",
        policy_version=decision.policy_version,
        decision=decision,
        requirements=states,
        submitted_at=T0,
        updated_at=T0,
        publish_at=None,
        published_at=None,
        escalation_level=0,
        next_escalation_at=None,
        overdue=False,
        publish_error=None,
        verdicts=tuple(verdicts),
    )


def test_eligibility_adds_owners_of_every_level_reached(engine):
    sub = pending(engine, "We regret the closure.")
    [closure] = sub.decision.requirements
    assert eligible(engine, closure, {}) == ("group:member-services",)
    assert eligible(engine, closure, {"chain": 2}) == (
        "group:member-services",
        "group:leads",
        "user:vp",
    )


def test_repeated_owners_across_levels_appear_once(engine):
    sub = pending(engine, "A recall notice.")
    [recall] = sub.decision.requirements
    assert eligible(engine, recall, {"widening": 2}) == (
        "group:member-services",
        "group:leads",
        "user:vp",
    )


def test_author_approval_never_counts_even_when_forged_into_the_verdicts(engine):
    forged = [approve("ann"), approve("bob", "ann")]  # the author, directly and "delegated"
    [state] = pending(engine, "We regret the closure.", forged).requirements
    assert state.approved_by == ()
    assert not state.met


def test_two_approvals_need_two_different_people(engine):
    twice = [approve("eve"), approve("eve")]
    [state] = pending(engine, "An outage today.", twice).requirements
    assert state.approved_by == ("eve",)
    assert not state.met
    [state] = pending(engine, "An outage today.", [approve("eve"), approve("fay")]).requirements
    assert state.met and state.approved_by == ("eve", "fay")


def test_delegate_approval_counts_as_the_delegator(engine):
    [state] = pending(engine, "We regret the closure.", [approve("zed", "cat")]).requirements
    assert state.approved_by == ("cat",)
    assert state.met


def test_acting_identity_is_self_when_eligible_else_a_delegator(engine):
    sub = pending(engine, "We regret the closure.")
    assert acting_identity(engine, sub, "cat", [], for_approval=True) is None
    assert acting_identity(engine, sub, "zed", ["dan", "cat"], for_approval=True) == "cat"


def test_acting_identity_refuses_the_author_and_a_delegation_from_the_author(engine):
    sub = pending(engine, "We regret the closure.")
    with pytest.raises(WorkflowError, match="their own post"):
        acting_identity(engine, sub, "ann", ["cat"], for_approval=True)
    with pytest.raises(WorkflowError, match="a delegation cannot approve one's own post"):
        acting_identity(engine, sub, "zed", ["ann"], for_approval=True)


def test_acting_identity_refuses_a_second_approval_and_says_who_is_needed(engine):
    sub = pending(engine, "An outage today.", [approve("eve")])
    with pytest.raises(WorkflowError, match="already approved revision 1"):
        acting_identity(engine, sub, "eve", [], for_approval=True)
    with pytest.raises(WorkflowError, match=r"crisis needs group:legal"):
        acting_identity(engine, sub, "zed", [], for_approval=True)


def test_may_act_skips_the_author_and_those_who_approved(engine):
    sub = pending(engine, "An outage today.", [approve("eve")])
    assert not may_act(engine, sub, ["ann"])
    assert not may_act(engine, sub, ["eve"])
    assert may_act(engine, sub, ["zed", "fay"])


def test_author_guard_names_the_author():
    row = SimpleNamespace(id=3, author="ann")
    require_author(row, "ann", "revise")
    with pytest.raises(WorkflowError, match=r"only the author \(ann\) may revise submission 3"):
        require_author(row, "bob", "revise")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        (" \n\t\u3000", "empty"),
        (None, "must be text"),
        (b"bytes", "must be text"),
        ("a\x00b", "NUL"),
        ("lone \ud800 surrogate", "not valid Unicode"),
    ],
)
def test_post_text_is_refused_with_one_line(text, message):
    with pytest.raises(SaysoError, match=message) as caught:
        check_post_text(text)
    assert "\n" not in str(caught.value)


def test_post_text_limit_is_exact():
    assert check_post_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    with pytest.raises(SaysoError, match=f"the limit is {MAX_TEXT}"):
        check_post_text("x" * (MAX_TEXT + 1))


# ---- the SLA clock ----------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    """An obligation of some other kind of item (an inbound message, say)."""

    escalation: str | None
    level: int = 0
    met: bool = False


def test_clock_reports_each_level_due_by_now_in_order(engine):
    clock = SlaClock(engine)
    assert clock.due_levels("chain", 0, T0, T0 + timedelta(hours=1, minutes=59)) == []
    due = clock.due_levels("chain", 0, T0, T0 + timedelta(hours=5))
    assert [(d.number, d.level.to, d.due_at) for d in due] == [
        (1, ("group:leads",), T0 + timedelta(hours=2)),
        (2, ("user:vp",), T0 + timedelta(hours=4)),
    ]
    assert [d.number for d in clock.due_levels("chain", 2, T0, T0 + timedelta(days=9))] == [3]
    assert clock.due_levels("chain", 3, T0, T0 + timedelta(days=9)) == []


def test_clock_next_due_is_the_earliest_unmet_level(engine):
    clock = SlaClock(engine)
    duties = [Duty("chain", 1), Duty("widening", 0), Duty("dead-end", 0, met=True), Duty(None)]
    assert clock.next_due(duties, T0) == T0 + timedelta(hours=1)
    assert clock.next_due([Duty("chain", 3)], T0) is None  # every level reached
    assert clock.next_due([], T0) is None


def test_clock_owners_are_users_never_the_author(engine):
    clock = SlaClock(engine)
    assert clock.owners(["group:legal", "user:vp"], author="ann") == ["eve", "fay", "vp"]
    assert clock.owners(["group:nobody"]) == []


class Messages:
    """A second kind of item on the clock: customer messages, each with one chain."""

    def __init__(self, clock: SlaClock):
        self.clock = clock
        self.items = {1: ("chain", 0), 2: ("widening", 2)}

    def due(self, now):
        return [
            key
            for key, (chain, level) in self.items.items()
            if (at := self.clock.next_due([Duty(chain, level)], T0)) and at <= now
        ]

    def escalate(self, key, now):
        chain, level = self.items[key]
        due = self.clock.due_levels(chain, level, T0, now)
        if due:
            self.items[key] = (chain, due[-1].number)
        return [(key, chain, d.number) for d in due]


def test_clock_drives_any_track_and_is_idempotent(engine):
    clock = SlaClock(engine)
    messages = Messages(clock)
    later = T0 + timedelta(hours=4)
    assert clock.run(messages, later) == [(1, "chain", 1), (1, "chain", 2)]
    assert clock.run(messages, later) == []
    assert messages.items == {1: ("chain", 2), 2: ("widening", 2)}


def test_views_are_frozen(engine):
    sub = pending(engine, "We regret the closure.")
    with pytest.raises(AttributeError):
        sub.status = Status.APPROVED  # type: ignore[misc]
    assert replace(sub, status=Status.APPROVED).status is Status.APPROVED
