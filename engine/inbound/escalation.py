"""The SLA clock for inbound items, applied by `tick`.

Levels are counted from receipt, as a post's are from submission: at `after`, if
the item is still open, the level's owners become owners of the item too and are
told (with everyone acting for them through a delegation). Timing comes from the
workflow's `SlaClock`, as for posts; items are escalated in batches (one transaction
per batch) rather than one transaction each, which keeps a tick over many items fast. Past `respond_within`
an open item is flagged overdue once and its owners are told. Items are handled in
batches, each batch one transaction; re-running `tick` changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from .. import audit
from ..workflow.clock import SlaClock
from . import notify, owners
from .items import InboundEvent, InboundStatus
from .tables import inbound_items, inbound_owners

BATCH = 500


@dataclass(frozen=True, slots=True)
class Unanswered:
    """An open item's one obligation on the SLA clock: to be answered."""

    escalation: str | None
    level: int
    met: bool = False


def next_due(engine: Any, chain: str | None, received: datetime, level: int) -> datetime | None:
    """When the level after `level` comes due (None: no chain, or its last level reached)."""
    if not chain or chain not in engine.policy.escalations:
        return None  # a chain the current policy no longer has
    return SlaClock(engine).next_due([Unanswered(chain, level)], received)


def tick(inbound: Any, now: datetime) -> tuple[list[tuple[int, str, int]], list[int]]:
    """(escalations applied as (item, chain, level), items flagged overdue)."""
    c = inbound_items.c
    open_ = c.status == InboundStatus.OPEN.value
    escalated: list[tuple[int, str, int]] = []
    overdue: list[int] = []
    for ids in _due(inbound, open_ & (c.next_escalation_at <= now)):
        escalated.extend(_escalate(inbound, ids, now))
    for ids in _due(inbound, open_ & (c.due_at <= now) & c.overdue.is_(False)):
        overdue.extend(_flag_overdue(inbound, ids, now))
    return escalated, overdue


def _due(inbound: Any, where):
    with inbound.store.read() as conn:
        ids = [r.id for r in conn.execute(select(inbound_items.c.id).where(where).order_by("id"))]
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _escalate(inbound: Any, ids: list[int], now: datetime) -> list[tuple[int, str, int]]:
    engine = inbound.engine
    applied = []
    with inbound.store.write() as conn:
        for item_id in ids:
            item = inbound._locked(conn, item_id)
            due = item.next_escalation_at
            if item.status is not InboundStatus.OPEN or due is None or due > now:
                continue  # acted on since it was selected
            level = item.level
            have = set(item.owners)
            chain = item.escalation
            due_levels = (
                inbound.clock.due_levels(chain, level, item.received_at, now)
                if chain in engine.policy.escalations
                else []
            )
            for due_level in due_levels:
                level, at, to = due_level.number, due_level.due_at, due_level.level.to
                new = [p for p in to if p not in have]
                if new:
                    conn.execute(
                        insert(inbound_owners),
                        [{"item_id": item.id, "principal": p, "level": level} for p in new],
                    )
                    have.update(new)
                people = inbound.clock.owners(to)
                delegates = owners.delegates_of(conn, people, now)
                inbound.event(
                    conn,
                    InboundEvent.ESCALATED,
                    "sayso",
                    now,
                    item,
                    details={
                        "escalation": item.escalation,
                        "level": level,
                        "to": list(to),
                        "owners": people,
                        "delegates": delegates,
                        "due_at": audit.iso(at),
                    },
                )
                notify.queue(
                    inbound.notifier,
                    conn,
                    item,
                    "escalated",
                    [*to, *(f"user:{d}" for d in delegates)],
                    now,
                    level=level,
                    escalation=item.escalation,
                )
                applied.append((item.id, item.escalation, level))
            conn.execute(
                update(inbound_items)
                .where(inbound_items.c.id == item.id)
                .values(
                    level=level,
                    updated_at=now,
                    next_escalation_at=next_due(engine, item.escalation, item.received_at, level),
                )
            )
    return applied


def _flag_overdue(inbound: Any, ids: list[int], now: datetime) -> list[int]:
    engine = inbound.engine
    flagged = []
    with inbound.store.write() as conn:
        for item_id in ids:
            item = inbound._locked(conn, item_id)
            if item.status is not InboundStatus.OPEN or item.overdue or item.due_at is None:
                continue
            if item.due_at > now:
                continue
            conn.execute(
                update(inbound_items)
                .where(inbound_items.c.id == item.id)
                .values(overdue=True, updated_at=now)
            )
            people = owners.users_of(engine, item.owners)
            inbound.event(
                conn,
                InboundEvent.OVERDUE,
                "sayso",
                now,
                item,
                details={
                    "due_at": audit.iso(item.due_at),
                    "owners": people,
                    "level": item.level,
                },
            )
            notify.queue(
                inbound.notifier,
                conn,
                item,
                "overdue",
                item.owners,
                now,
                due_at=audit.iso(item.due_at),
            )
            flagged.append(item.id)
    return flagged
