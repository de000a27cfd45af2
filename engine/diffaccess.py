"""Who gains or loses the right to post where between two compiled policies.

The answer is exactly `Engine.may_post` for every (user, channel, kind), but computed
as set algebra over the compiled rule index, so thousands of users times dozens of
channels take milliseconds. Each change is then summarised per group where every
member of the group changed the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from .compiler import KINDS

if TYPE_CHECKING:
    from .compiler import Engine

GAINS, LOSES = "gains", "loses"


@dataclass(frozen=True, slots=True)
class PermissionChange:
    """A principal gains or loses the right to post to a channel as a kind."""

    principal: str  # "group:ID", "user:ID" or "*" (everyone)
    change: str  # GAINS or LOSES
    channel: str
    kind: str

    def __str__(self) -> str:
        return f"{self.principal} {self.change} {self.kind} on {self.channel}"


def allowed_users(engine: Engine, channel: str, kind: str, today: date) -> frozenset[str]:
    """Users for whom `engine.may_post(user, channel, kind, today=today)` is true."""
    if channel not in engine.policy.channels:
        return frozenset()
    index = engine.rule_index(channel, kind)
    candidates = _members_of(engine, index.allowing_principals) & engine.policy.users.keys()
    if not index.denied_principals:
        return candidates  # nobody is denied here: every user an allow rule names may post
    return frozenset(u for u in candidates if engine.may_post(u, channel, kind, today=today)[0])


def _members_of(engine: Engine, principals: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for principal in principals:
        out |= engine.members(principal)
    return frozenset(out)


def permission_changes(
    old: Engine, new: Engine, today: date | None = None
) -> tuple[PermissionChange, ...]:
    """Every (principal, channel, kind) that gains or loses the right to post, summarised."""
    today = today or datetime.now(UTC).date()
    channels = sorted(set(old.policy.channels) | set(new.policy.channels))
    out: list[PermissionChange] = []
    for channel in channels:
        for kind in KINDS:
            before = allowed_users(old, channel, kind, today)
            after = allowed_users(new, channel, kind, today)
            if before == after:
                continue
            for change, users, engine in (
                (GAINS, after - before, new),
                (LOSES, before - after, old),
            ):
                for principal in summarise(engine, users):
                    out.append(PermissionChange(principal, change, channel, kind))
    order = {GAINS: 0, LOSES: 1}
    return tuple(
        sorted(out, key=lambda p: (_principal_order(p.principal), order[p.change], p.channel))
    )


def summarise(engine: Engine, users: frozenset[str]) -> list[str]:
    """Principals standing for exactly `users`: `*`, whole groups (largest first), then users.

    A group is named when every one of its members is in `users`; a group whose
    members a larger named group already covers is left out.
    """
    if not users:
        return []
    everyone = frozenset(engine.policy.users)
    if everyone and everyone <= users:
        return ["*", *(f"user:{u}" for u in sorted(users - everyone))]
    candidates = []
    for group_id in engine.policy.groups:
        members = engine.members(f"group:{group_id}")
        if members and len(members) <= len(users) and members <= users:
            candidates.append((-len(members), group_id, members))
    covered: set[str] = set()
    named = []
    for _, group_id, members in sorted(candidates):
        if not members <= covered:
            named.append(f"group:{group_id}")
            covered |= members
    return sorted(named) + [f"user:{u}" for u in sorted(users - covered)]


def _principal_order(principal: str) -> tuple[int, str]:
    rank = 0 if principal == "*" else 1 if principal.startswith("group:") else 2
    return rank, principal
