"""The SLA clock: when escalation levels come due, for any kind of item.

An item has a start time, an author (never one of its owners) and open obligations,
each on an escalation chain with the number of levels already reached. The clock
answers three questions about it: which levels are due by now, when the next one is
due, and which users own a level. Submissions are its first user (`tick.py`);
anything else with owners and an escalation chain (inbound messages) is driven the
same way through a `Track`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..compiler import Engine
from ..model import EscalationLevel


class Obligation(Protocol):
    """An open duty on an item: a requirement to sign off, a message to answer..."""

    @property
    def escalation(self) -> str | None: ...

    @property
    def level(self) -> int: ...  # levels of the chain already reached

    @property
    def met(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class DueLevel:
    chain: str
    number: int  # 1-based
    level: EscalationLevel
    due_at: datetime


class Track(Protocol):
    """A kind of item the clock drives: it finds what is due and applies it under its
    own lock, returning (item id, chain, level number) for each level applied."""

    def due(self, now: datetime) -> list[int]: ...

    def escalate(self, key: int, now: datetime) -> list[tuple[int, str, int]]: ...


class SlaClock:
    """Escalation timing under one compiled policy."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def due_at(self, chain: str, number: int, started: datetime) -> datetime:
        """When level `number` (1-based) of `chain` comes due for an item started then."""
        level = self.engine.escalation_levels(chain)[number - 1]
        return started + timedelta(seconds=level.after_seconds)

    def due_levels(
        self, chain: str, reached: int, started: datetime, now: datetime
    ) -> list[DueLevel]:
        """The levels of `chain` after the `reached` ones that are due by `now`, in order."""
        out = []
        levels = self.engine.escalation_levels(chain)
        for number in range(reached + 1, len(levels) + 1):
            due = started + timedelta(seconds=levels[number - 1].after_seconds)
            if due > now:
                break
            out.append(DueLevel(chain, number, levels[number - 1], due))
        return out

    def next_due(self, obligations: Iterable[Obligation], started: datetime) -> datetime | None:
        """When the next level of any unmet obligation comes due; None if none will."""
        due = []
        for q in obligations:
            if q.met or not q.escalation:
                continue
            levels = self.engine.escalation_levels(q.escalation)
            if q.level < len(levels):
                due.append(started + timedelta(seconds=levels[q.level].after_seconds))
        return min(due, default=None)

    def owners(self, principals: Iterable[str], *, author: str | None = None) -> list[str]:
        """The users the principals stand for, sorted, never the item's author."""
        users = {u for p in principals for u in self.engine.members(p)}
        if author is not None:
            users.discard(author)
        return sorted(users)

    def run(self, track: Track, now: datetime) -> list[tuple[int, str, int]]:
        """Apply every escalation of `track` due by `now`. Idempotent."""
        applied: list[tuple[int, str, int]] = []
        for key in track.due(now):
            applied.extend(track.escalate(key, now))
        return applied
