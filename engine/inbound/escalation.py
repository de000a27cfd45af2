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

from sqlalchemy import bindparam, insert, select, update

from .. import audit
from ..workflow.clock import SlaClock
from . import notify, owners
from .items import InboundEvent, InboundStatus
from .tables import chain_first, inbound_items, inbound_owners

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


def _locked_batch(inbound: Any, conn, ids: list[int]):
    """The batch's items, read (and on PostgreSQL locked) in one query."""
    query = select(inbound_items).where(inbound_items.c.id.in_(ids)).order_by(inbound_items.c.id)
    return inbound.views(conn, conn.execute(inbound.store.lock_clause(query)).all())


def _escalate(inbound: Any, ids: list[int], now: datetime) -> list[tuple[int, str, int]]:
    engine = inbound.engine
    applied: list[tuple[int, str, int]] = []
    owner_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    with inbound.store.write() as conn:
        chain_first(inbound.store, conn)
        delegates = owners.delegates_by_user(conn, now)
        for item in _locked_batch(inbound, conn, ids):
            due = item.next_escalation_at
            if item.status is not InboundStatus.OPEN or due is None or due > now:
                continue  # acted on since it was selected
            level, have, chain = item.level, set(item.owners), item.escalation
            due_levels = (
                inbound.clock.due_levels(chain, level, item.received_at, now)
                if chain in engine.policy.escalations
                else []
            )
            for due_level in due_levels:
                level, to = due_level.number, due_level.level.to
                new = [p for p in to if p not in have]
                owner_rows += [{"item_id": item.id, "principal": p, "level": level} for p in new]
                have.update(new)
                people = inbound.clock.owners(to)
                acting = sorted({d for u in people for d in delegates.get(u, ())})
                details = {
                    "escalation": chain,
                    "level": level,
                    "to": list(to),
                    "owners": people,
                    "delegates": acting,
                    "due_at": audit.iso(due_level.due_at),
                }
                events.append(
                    inbound.event_record(
                        InboundEvent.ESCALATED, "sayso", now, item, details=details
                    )
                )
                notify.queue(
                    inbound.notifier,
                    conn,
                    item,
                    "escalated",
                    to,
                    now,
                    delegates=delegates,
                    level=level,
                    escalation=chain,
                )
                applied.append((item.id, chain, level))
            updates.append(
                {
                    "key": item.id,
                    "new_level": level,
                    "new_next": next_due(engine, chain, item.received_at, level),
                }
            )
        if owner_rows:
            conn.execute(insert(inbound_owners), owner_rows)
        audit.append_many(inbound.store, conn, events)
        if updates:
            conn.execute(
                update(inbound_items)
                .where(inbound_items.c.id == bindparam("key"))
                .values(
                    level=bindparam("new_level"),
                    next_escalation_at=bindparam("new_next"),
                    updated_at=now,
                ),
                updates,
            )
    return applied


def _flag_overdue(inbound: Any, ids: list[int], now: datetime) -> list[int]:
    engine = inbound.engine
    flagged: list[int] = []
    events: list[dict[str, Any]] = []
    with inbound.store.write() as conn:
        chain_first(inbound.store, conn)
        delegates = owners.delegates_by_user(conn, now) if inbound.notifier.active() else {}
        for item in _locked_batch(inbound, conn, ids):
            if item.status is not InboundStatus.OPEN or item.overdue or item.due_at is None:
                continue
            if item.due_at > now:
                continue
            details = {
                "due_at": audit.iso(item.due_at),
                "owners": owners.users_of(engine, item.owners),
                "level": item.level,
            }
            events.append(
                inbound.event_record(InboundEvent.OVERDUE, "sayso", now, item, details=details)
            )
            notify.queue(
                inbound.notifier,
                conn,
                item,
                "overdue",
                item.owners,
                now,
                delegates=delegates,
                due_at=audit.iso(item.due_at),
            )
            flagged.append(item.id)
        if flagged:
            conn.execute(
                update(inbound_items)
                .where(inbound_items.c.id.in_(flagged))
                .values(overdue=True, updated_at=now)
            )
        audit.append_many(inbound.store, conn, events)
    return flagged
