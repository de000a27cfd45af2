"""Separation of duties: which approvals count, person by person.

An approval is given by a person (the actor) as an identity: themself, or someone
who delegated to them. A requirement counts each *person* at most once and each
identity at most once, and never the author, in either role. So one person holding
several delegations, or acting both for themself and for someone else, supplies one
approval per requirement, whatever the delegation graph looks like.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .durations import format_duration
from .errors import SaysoError, StaleRevision

Covers = Callable[[str, Sequence[str]], bool]


@dataclass(frozen=True, slots=True)
class Approval:
    actor: str  # the person who pressed Approve
    identity: str  # whom they acted as (themself or a delegator)


def counted(
    approvals: Iterable[Approval], author: str, eligible: Sequence[str], covers: Covers
) -> tuple[Approval, ...]:
    """The approvals that count for one requirement, in the order given."""
    people: set[str] = set()
    identities: set[str] = set()
    out = []
    for a in approvals:
        if author in (a.actor, a.identity) or a.actor in people or a.identity in identities:
            continue
        if not covers(a.identity, eligible):
            continue
        people.add(a.actor)
        identities.add(a.identity)
        out.append(a)
    return tuple(out)


def adds_approval(
    given: Sequence[Approval],
    candidate: Approval,
    author: str,
    open_eligible: Iterable[Sequence[str]],
    covers: Covers,
) -> bool:
    """Whether `candidate` counts for at least one of the open requirements (each given
    as its eligible principals) on top of the approvals already given."""
    more = [*given, candidate]
    return any(
        len(counted(more, author, eligible, covers)) > len(counted(given, author, eligible, covers))
        for eligible in open_eligible
    )


def check_revision(sid: int, current: int, seen: int | None) -> None:
    """Refuse a verdict on a revision other than the current one: the approver must
    approve the text they read. `seen` None: the caller acts on the current revision."""
    if seen is None:
        return
    if isinstance(seen, bool) or not isinstance(seen, int) or seen < 1:
        raise SaysoError(f"a revision is a whole number from 1, not {seen!r}")
    if seen > current:
        raise StaleRevision(
            f"submission {sid} has no revision {seen}: the current one is revision "
            f"{current}; read it before acting"
        )
    if seen != current:
        raise StaleRevision(
            f"submission {sid} was revised since you opened it: you saw revision {seen}, "
            f"the current one is revision {current}; read it again before acting"
        )


def delegation_refusal(engine, from_user: str, to_user: str, seconds: float) -> str | None:
    """Why the policy's `delegation:` section forbids this delegation, or None.
    `engine` is the compiled policy (an `engine.compiler.Engine`)."""
    limits = engine.policy.delegation
    longest = limits.max_seconds
    if longest is not None and seconds > longest:
        return f"a delegation may last at most {format_duration(longest)} (delegation.max_duration)"
    if limits.allow is None:
        return None
    for rule in limits.allow:
        if not engine.covers(from_user, rule.from_):
            continue
        if rule.same_group:
            groups = (p for p in rule.from_ if p.startswith("group:"))
            if any(engine.is_member(from_user, g) and engine.is_member(to_user, g) for g in groups):
                return None
        elif engine.covers(to_user, rule.to):
            return None
    return f"the policy does not let {from_user} delegate to {to_user} (see delegation.allow)"
