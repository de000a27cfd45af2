"""Storing delivered messages in batches: one transaction, one duplicate look-up, one
multi-row insert of items, owners and audit events per batch (so an import of
thousands of messages a second stays within a few statements per batch).

A message whose channel and message id are already stored (or earlier in the same
batch) is a duplicate: nothing is written and the stored item comes back with
`duplicate=True`. On PostgreSQL two deliveries racing with the same id make the
second batch fail on the unique index; it is then retried, and finds the first.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import SaysoError
from ..workflow.rules import moment
from ..workflow.views import sha256
from . import escalation, notify
from .items import InboundEvent, InboundItem, InboundStatus, Message, checked, item_from_row
from .owners import delegates_by_user
from .tables import NO_DEADLINE, inbound_items, inbound_owners

Result = tuple[InboundItem | None, SaysoError | None]


def prepare(inbound: Any, message: Message):
    """(message checked, its routing), or SaysoError."""
    message = checked(message)
    if inbound.engine.channel(message.channel) is None:
        known = ", ".join(sorted(inbound.engine.policy.channels)) or "none"
        raise SaysoError(f"unknown channel '{message.channel}' (channels: {known})")
    return message, inbound.engine.route_inbound(message.channel, message.text)


def store_batch(inbound: Any, batch: list[Message], source: str, actor: str, now) -> list[Result]:
    now = moment(now)
    prepared: list[Any] = []
    for message in batch:
        try:
            prepared.append(prepare(inbound, message))
        except SaysoError as err:
            prepared.append(err)
    for attempt in range(3):
        try:
            with inbound.store.write() as conn:
                return _write(inbound, conn, prepared, source, actor, now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _write(inbound, conn, prepared, source, actor, now) -> list[Result]:
    inbound.snapshots.record(conn, now)
    stored = _stored(inbound, conn, prepared)
    results: list[Any] = []  # a Result, or ("repeat", earlier slot) until the end
    new: list[tuple[int, Message, Any, dict[str, Any]]] = []  # (result slot, message, routing, row)
    pending: dict[tuple[str, str], int] = {}  # earlier in this batch: key -> result slot
    for entry in prepared:
        if isinstance(entry, SaysoError):
            results.append((None, entry))
            continue
        message, routing = entry
        key = (message.channel, message.message_id)
        if message.message_id is not None and key in stored:
            results.append((replace(stored[key], duplicate=True), None))
            continue
        if message.message_id is not None and key in pending:
            results.append(("repeat", pending[key]))  # filled in below
            continue
        if message.message_id is not None:
            pending[key] = len(results)
        new.append((len(results), message, routing, _row(inbound, message, routing, source, now)))
        results.append((None, None))
    if new:
        ids = _insert_items(inbound.store, conn, [row for _, _, _, row in new])
        owner_rows, events = [], []
        for (slot, _message, routing, row), item_id in zip(new, ids, strict=True):
            owners = routing.route.owners
            item = item_from_row(_Values(id=item_id, **row), owners)
            results[slot] = (item, None)
            owner_rows += [{"item_id": item_id, "principal": p, "level": 0} for p in owners]
            events += _events(inbound, item, routing, source, actor, now)
        if owner_rows:
            conn.execute(insert(inbound_owners), owner_rows)
        audit.append_many(inbound.store, conn, events)
        delegates = delegates_by_user(conn, now) if inbound.notifier.active() else {}
        for slot, _, routing, _ in new:
            item = results[slot][0]
            route = routing.route
            notify.queue(
                inbound.notifier,
                conn,
                item,
                "received",
                route.owners,
                now,
                delegates=delegates,
                route=route.id,
            )
    return [
        (replace(results[entry[1]][0], duplicate=True), None) if entry[0] == "repeat" else entry
        for entry in results
    ]


def _insert_items(store, conn, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows; their new ids, in order. SQLite holds its write lock for the
    whole transaction, so the ids after the largest one are free to give out, and one
    executemany replaces a statement per row (what RETURNING in parameter order costs
    there); elsewhere the database says which ids it gave."""
    if store.is_sqlite:
        first = conn.execute(select(func.coalesce(func.max(inbound_items.c.id), 0))).scalar_one()
        ids = list(range(first + 1, first + 1 + len(rows)))
        conn.execute(
            insert(inbound_items), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)]
        )
        return ids
    query = insert(inbound_items).returning(inbound_items.c.id, sort_by_parameter_order=True)
    return conn.execute(query, rows).scalars().all()


def _stored(inbound, conn, prepared) -> dict[tuple[str, str], InboundItem]:
    """Items already stored under any (channel, message id) of the batch."""
    keys = {
        (m.channel, m.message_id)
        for m, _ in (e for e in prepared if not isinstance(e, SaysoError))
        if m.message_id is not None
    }
    if not keys:
        return {}
    c = inbound_items.c
    by_channel: dict[str, list[str]] = {}
    for channel, message_id in sorted(keys):
        by_channel.setdefault(channel, []).append(message_id)
    rows = []
    for channel, message_ids in by_channel.items():  # (channel, message_id) is indexed
        for start in range(0, len(message_ids), 400):
            part = message_ids[start : start + 400]
            query = select(inbound_items).where(c.channel == channel, c.message_id.in_(part))
            rows += conn.execute(query).all()
    return {(item.channel, item.message_id): item for item in inbound.views(conn, rows)}


def _row(inbound, message: Message, routing, source: str, now: datetime) -> dict[str, Any]:
    route = routing.route
    received = message.received_at or now
    within = route.respond_within_seconds
    due = received + timedelta(seconds=within) if within else None
    return {
        "channel": message.channel,
        "message_id": message.message_id,
        "sender": message.sender,
        "sender_name": message.name,
        "text": message.text,
        "text_sha256": sha256(message.text),
        "thread_id": message.thread_id,
        "parent_id": message.parent_id,
        "source": source,
        "received_at": received,
        "status": InboundStatus.OPEN.value,
        "route": route.id,
        "topics": [t.id for t in routing.topics],
        "escalation": route.escalation,
        "level": 0,
        "due_at": due,
        "due_sort": due or NO_DEADLINE,
        "next_escalation_at": escalation.next_due(inbound.engine, route.escalation, received, 0),
        "overdue": False,
        "policy_version": inbound.engine.version,
        "updated_at": now,
    }


def _events(inbound, item: InboundItem, routing, source, actor, now) -> list[dict[str, Any]]:
    route = routing.route
    received = {
        "message_id": item.message_id,
        "from": item.sender,
        "name": item.sender_name,
        "text": item.text,
        "thread_id": item.thread_id,
        "parent_id": item.parent_id,
        "source": source,
        "received_at": audit.iso(item.received_at),
    }
    routed = {
        "route": route.id,
        "topics": list(item.topics),
        "owners": list(route.owners),
        "escalation": route.escalation,
        "due_at": audit.iso(item.due_at) if item.due_at else None,
        **({"detection_error": routing.error} if routing.error else {}),
    }
    return [
        inbound.event_record(InboundEvent.RECEIVED, actor, now, item, details=received),
        inbound.event_record(InboundEvent.ROUTED, "sayso", now, item, details=routed),
    ]


class _Values:
    """Attribute access over the values just inserted (no second read)."""

    def __init__(self, **values):
        self.__dict__.update(values)
        for name in ("closed_by", "closed_reason", "answered_by", "resolved_at"):
            self.__dict__.setdefault(name, None)
