"""The workflow's pure rules: requirement states, eligibility, who may act and as whom.

No database here: every function takes the compiled `Engine` and plain values, so
each rule can be tested on its own and is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .. import duties
from ..compiler import Engine
from ..errors import NotAuthor, NotEligible, NotFound, WrongState
from ..model import Decision, Outcome, Requirement, Role, Status, VerdictType
from .views import RequirementState, Submission, Verdict, aware, utcnow

STATUS_OF = {
    Outcome.APPROVED: Status.APPROVED,
    Outcome.NEEDS_SIGNOFF: Status.PENDING,
    Outcome.DENIED: Status.DENIED,
}


def moment(now: datetime | None) -> datetime:
    """`now` as an aware UTC time; the current time when None."""
    return utcnow() if now is None else aware(now)


def known_user(engine: Engine, user: Any, what: str = "user") -> str:
    if not isinstance(user, str) or user not in engine.policy.users:
        raise NotFound(f"unknown {what} '{user}'")
    return user


def require_author(row: Any, actor: str, action: str) -> None:
    """The one author guard: only the author may revise, withdraw or publish late."""
    if actor != row.author:
        raise NotAuthor(f"only the author ({row.author}) may {action} submission {row.id}")


def require_pending(row: Any) -> None:
    if row.status != Status.PENDING.value:
        raise WrongState(f"submission {row.id} is {row.status}, not pending")


def eligible(engine: Engine, requirement: Requirement, reached: dict[str, int]) -> tuple[str, ...]:
    """The requirement's sign-off principals plus the owners of every level reached."""
    principals = list(requirement.signoff)
    if requirement.escalation and reached.get(requirement.escalation):
        levels = engine.escalation_levels(requirement.escalation)
        for level in levels[: reached[requirement.escalation]]:
            principals.extend(level.to)
    return tuple(dict.fromkeys(principals))


def approvals(given: Iterable[Verdict]) -> list[duties.Approval]:
    """The approvals given, in order, as (person, identity acted as: the delegator when
    a delegate acted)."""
    return [
        duties.Approval(v.actor, v.on_behalf_of or v.actor)
        for v in given
        if v.verdict == VerdictType.APPROVE
    ]


def adds_approval(engine: Engine, sub: Submission, candidate: duties.Approval) -> bool:
    """Whether `candidate` would count for an open requirement of `sub` (each person
    and each identity counts once per requirement; see engine.duties)."""
    open_eligible = [q.eligible for q in sub.requirements if not q.met]
    return duties.adds_approval(
        approvals(sub.verdicts), candidate, sub.author, open_eligible, engine.covers
    )


def requirement_states(
    engine: Engine,
    author: str,
    decision: Decision,
    given: Sequence[Verdict],
    reached: dict[str, int],
) -> tuple[RequirementState, ...]:
    """Each requirement of the decision with who counts toward it and whether it is met."""
    given_approvals = approvals(given)  # in order
    states = []
    for q in decision.requirements:
        allowed = eligible(engine, q, reached)
        counted = tuple(
            a.identity for a in duties.counted(given_approvals, author, allowed, engine.covers)
        )
        states.append(
            RequirementState(
                id=q.id,
                kind=q.kind,
                signoff=q.signoff,
                approvals=q.approvals,
                approved_by=counted,
                eligible=allowed,
                met=len(counted) >= q.approvals,
                escalation=q.escalation,
                level=reached.get(q.escalation, 0) if q.escalation else 0,
            )
        )
    return tuple(states)


def may_act(engine: Engine, sub: Submission, identities: Sequence[str]) -> bool:
    """Whether identities[0], acting as any of `identities` (themself, then those who
    delegated to them), would add an approval an open requirement of `sub` needs."""
    actor = identities[0]
    return any(
        who != sub.author and adds_approval(engine, sub, duties.Approval(actor, who))
        for who in identities
    )


def sees(engine: Engine, sub: Submission, user: str) -> bool:
    """Who may view a submission without asking the database: the author, auditors,
    admins, anyone eligible for a requirement, and anyone who gave a verdict on it."""
    if user == sub.author or engine.has_role(user, Role.AUDITORS):
        return True
    if engine.has_role(user, Role.ADMINS):
        return True
    if any(engine.covers(user, q.eligible) for q in sub.requirements):
        return True
    return any(user in (v.actor, v.on_behalf_of) for v in sub.verdicts)


def acting_identity(
    engine: Engine,
    sub: Submission,
    actor: str,
    delegators: Iterable[str],
    *,
    for_approval: bool,
) -> str | None:
    """Whom `actor` acts as: None for themself if eligible, else the first of
    `delegators` (users who delegated to them) who is; NotEligible if nobody."""
    if actor == sub.author:
        raise NotEligible(
            f"{actor} cannot {'approve' if for_approval else 'reject'} their own post "
            f"(submission {sub.id}; separation of duties)"
        )
    open_reqs = [q for q in sub.requirements if not q.met]
    candidates = [actor] + [u for u in delegators if u != actor]
    blocked_self = False
    for who in candidates:
        if who == sub.author:
            blocked_self = True
            continue
        if for_approval:
            if adds_approval(engine, sub, duties.Approval(actor, who)):
                return None if who == actor else who
        elif any(engine.covers(who, q.eligible) for q in sub.requirements):
            return None if who == actor else who
    if for_approval and any(a.actor == actor for a in approvals(sub.verdicts)):
        raise NotEligible(
            f"{actor} has already approved revision {sub.revision} of submission {sub.id}"
            " (each person counts once, whatever delegations they hold)"
        )
    if blocked_self:
        raise NotEligible(
            f"{actor} acts for {sub.author}, the author; a delegation cannot approve one's own post"
        )
    needed = "; ".join(
        f"{q.id} needs {' or '.join(q.eligible) or 'nobody'}"
        for q in (open_reqs or sub.requirements)
    )
    raise NotEligible(f"{actor} may not act on submission {sub.id} ({needed})")
