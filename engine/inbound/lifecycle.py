"""The inbound lifecycle: receive (route, store, audit), close, answer, read.

An item is `open` when it arrives, owned by its route's owners. A published reply
submitted with `in_reply_to` answers it; an owner (or someone acting for one through
a delegation) may close it with a reason. Each transition locks the item and appends
its audit events in one `Store.write()` transaction, so two owners acting at once
give one outcome. Escalation by the SLA clock lives in `engine.inbound.escalation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from .. import audit
from ..errors import NotEligible, NotFound, SaysoError, WrongState
from ..model import Role
from ..posttext import check_note
from ..tables import submissions
from ..workflow.delegation import identities
from ..workflow.rules import known_user, moment
from . import escalation, owners, receiving, replies
from .items import (
    InboundEvent,
    InboundItem,
    InboundStatus,
    Message,
    item_from_row,
    item_key,
)
from .tables import chain_first, inbound_items, inbound_replies

BATCH = 500  # messages stored per transaction by `receive_many`


class Inbound:
    """Inbound items under one compiled policy, in the workflow's store; built by the
    workflow with the parts it shares (policy snapshots, notifier, queries, clock)."""

    def __init__(self, engine: Any, store: Any, *, snapshots, notifier, queries, clock):
        self.engine = engine
        self.store = store
        self.snapshots = snapshots
        self.notifier = notifier
        self.queries = queries
        self.clock = clock

    # ---- receiving -------------------------------------------------------------

    def receive(
        self, message: Message, *, source: str = "cli", actor: str = "sayso", now=None
    ) -> InboundItem:
        """Store and route one message; a repeat delivery returns the stored item
        with `duplicate=True` and changes nothing."""
        [(item, error)] = list(self.receive_many([message], source=source, actor=actor, now=now))
        if error is not None:
            raise error
        assert item is not None  # a result without an error has its item
        return item

    def receive_many(
        self,
        messages: Iterable[Message],
        *,
        source: str = "import",
        actor: str = "sayso",
        now=None,
    ) -> Iterator[tuple[InboundItem | None, SaysoError | None]]:
        """(item, None) or (None, error) per message, in order, stored in batches; the
        owners' notices of each batch are sent once it is stored (`tick` retries)."""
        batch: list[Message] = []
        for message in messages:
            batch.append(message)
            if len(batch) >= BATCH:
                yield from self._store(batch, source, actor, now)
                batch = []
        if batch:
            yield from self._store(batch, source, actor, now)

    def _store(self, batch: list[Message], source: str, actor: str, now) -> list:
        results = receiving.store_batch(self, batch, source, actor, now)
        self.notifier.deliver()
        return results

    # ---- audit -------------------------------------------------------------------

    def event_record(
        self, event: InboundEvent, actor, now, item: InboundItem, *, details, **extra
    ) -> dict[str, Any]:
        """An audit event about the item, as `audit.append` takes it."""
        return {
            "event": event.value,
            "actor": actor,
            "now": now,
            "channel": item.channel,
            "text_sha256": item.text_sha256,
            "policy_version": self.engine.version,
            "details": {"inbound_id": item.id, **details},
            **extra,
        }

    def event(
        self, conn, event: InboundEvent, actor, now, item: InboundItem, *, details, **extra
    ) -> None:
        """Append the event in the caller's transaction (`on_behalf_of`, `submission_id`)."""
        audit.append(
            self.store, conn, **self.event_record(event, actor, now, item, details=details, **extra)
        )

    # ---- closing -----------------------------------------------------------------

    def close(self, item_id, actor: str, reason: str, *, now=None) -> InboundItem:
        """An owner (or a delegate of one) closes an open item with a reason."""
        now = moment(now)
        known_user(self.engine, actor)
        if not isinstance(reason, str) or not reason.strip():
            raise SaysoError("closing a message needs a reason (--reason)")
        check_note(reason)
        with self.store.write() as conn:
            chain_first(self.store, conn)
            item = self._locked(conn, item_id)
            if item.status is not InboundStatus.OPEN:
                raise WrongState(f"inbound item {item.id} is {item.status.value}, not open")
            on_behalf = self._acting_as(conn, item, actor, now)
            conn.execute(
                update(inbound_items)
                .where(inbound_items.c.id == item.id)
                .values(
                    status=InboundStatus.CLOSED.value,
                    closed_by=actor,
                    closed_reason=reason.strip(),
                    resolved_at=now,
                    updated_at=now,
                    next_escalation_at=None,
                )
            )
            self.event(
                conn,
                InboundEvent.CLOSED,
                actor,
                now,
                item,
                on_behalf_of=on_behalf,
                details={"reason": reason.strip(), "level": item.level},
            )
        return self.get(item.id)

    def _acting_as(self, conn, item: InboundItem, actor: str, now) -> str | None:
        """Whom `actor` acts as on the item: None for themself, else a delegator."""
        for who in identities(conn, actor, now):
            if self.engine.covers(who, item.owners):
                return None if who == actor else who
        listing = ", ".join(item.owners) or "nobody"
        raise NotEligible(f"{actor} does not own inbound item {item.id} (owners: {listing})")

    def oversees(self, user: str) -> bool:
        """Admins and auditors see every message (and may list them by status)."""
        return self.engine.has_role(user, Role.ADMINS) or self.engine.has_role(user, Role.AUDITORS)

    def may_view(self, item: InboundItem, user: str, *, now=None) -> bool:
        """Owners (through delegations too), admins and auditors see a message."""
        return self.oversees(user) or self.is_owner(item, user, now=now)

    def is_owner(self, item: InboundItem, user: str, *, now=None) -> bool:
        now = moment(now)
        with self.store.read() as conn:
            people = identities(conn, user, now)
        return any(self.engine.covers(who, item.owners) for who in people)

    # ---- replies -----------------------------------------------------------------

    def reply_target(self, item_id, channel: str) -> InboundItem:
        """The item a reply answers; its channel must be the reply's."""
        item = self.get(item_id)
        if item.channel != channel:
            raise SaysoError(
                f"a reply to inbound item {item.id} goes to its channel {item.channel}, "
                f"not {channel}"
            )
        return item

    def reply_context(self, item: InboundItem, *, exclude: int | None = None):
        """What the checks see of the item a reply answers (`ReplyContext`)."""
        return replies.context(self.store, item, exclude=exclude)

    def reply_context_of(self, conn: Connection, submission_id: int):
        """The `ReplyContext` for revising a stored reply, or None when it answers nothing."""
        item_id = replies.answered_item(conn, submission_id)
        if item_id is None:
            return None
        row = conn.execute(select(inbound_items).where(inbound_items.c.id == item_id)).first()
        return replies.context(self.store, self._view(conn, row), exclude=submission_id)

    def link_reply(self, conn: Connection, sub, item: InboundItem, now) -> None:
        """Record, in the submission's transaction, which item the reply answers."""
        conn.execute(
            insert(inbound_replies),
            {"submission_id": sub.id, "item_id": item.id, "created_at": now},
        )
        self.event(
            conn,
            InboundEvent.REPLIED,
            sub.author,
            now,
            item,
            submission_id=sub.id,
            details={"submission_id": sub.id, "status": sub.status.value},
        )

    def on_published(self, conn: Connection, sub, now) -> None:
        """Called in the transaction that records a publication: an open item the
        post replies to becomes answered."""
        link = conn.execute(
            select(inbound_replies.c.item_id).where(inbound_replies.c.submission_id == sub.id)
        ).first()
        if link is None:
            return
        item = self._locked(conn, link.item_id)
        if item.status is not InboundStatus.OPEN:
            return
        conn.execute(
            update(inbound_items)
            .where(inbound_items.c.id == item.id)
            .values(
                status=InboundStatus.ANSWERED.value,
                answered_by=sub.id,
                resolved_at=now,
                updated_at=now,
                next_escalation_at=None,
            )
        )
        waited = (now - item.received_at).total_seconds()
        self.event(
            conn,
            InboundEvent.ANSWERED,
            sub.author,
            now,
            item,
            submission_id=sub.id,
            details={
                "submission_id": sub.id,
                "first_response_seconds": waited,
                "level": item.level,
            },
        )

    def replies(self, item_id) -> list[Any]:
        """The submissions replying to the item, oldest first (read together)."""
        key = item_key(item_id)
        r = inbound_replies.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(submissions)
                .join(inbound_replies, r.submission_id == submissions.c.id)
                .where(r.item_id == key)
                .order_by(r.submission_id)
            ).all()
            return self.queries.rows.views(conn, rows)

    # ---- reading -----------------------------------------------------------------

    def _view(self, conn, row) -> InboundItem:
        return item_from_row(row, owners.owners_of(conn, [row.id])[row.id])

    def views(self, conn, rows) -> list[InboundItem]:
        found = owners.owners_of(conn, [r.id for r in rows])
        return [item_from_row(r, found[r.id]) for r in rows]

    def _locked(self, conn, item_id) -> InboundItem:
        key = item_key(item_id)
        row = conn.execute(
            self.store.lock_clause(select(inbound_items).where(inbound_items.c.id == key))
        ).first()
        if row is None:
            raise NotFound(f"no inbound item {key}")
        return self._view(conn, row)

    def get(self, item_id) -> InboundItem:
        key = item_key(item_id)
        with self.store.read() as conn:
            row = conn.execute(select(inbound_items).where(inbound_items.c.id == key)).first()
            if row is None:
                raise NotFound(f"no inbound item {key}")
            return self._view(conn, row)

    def items(self, *, status: str | None = None, limit: int = 50, offset: int = 0):
        """Newest first."""
        query = select(inbound_items).order_by(inbound_items.c.id.desc())
        if status:
            try:
                query = query.where(inbound_items.c.status == InboundStatus(status).value)
            except ValueError:
                known = ", ".join(s.value for s in InboundStatus)
                raise SaysoError(
                    f"unknown inbound status '{status[:40]}' (one of: {known})"
                ) from None
        with self.store.read() as conn:
            return self.views(conn, conn.execute(query.limit(limit).offset(offset)).all())

    def earlier_from_sender(self, item: InboundItem, limit: int = 20) -> list[InboundItem]:
        """Earlier messages from the same sender on the same channel, oldest first."""
        c = inbound_items.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(inbound_items)
                .where(c.channel == item.channel, c.sender == item.sender, c.id < item.id)
                .order_by(c.id.desc())
                .limit(limit)
            ).all()
            return list(reversed(self.views(conn, rows)))

    def tick(self, now: datetime) -> tuple[list[tuple[int, str, int]], list[int]]:
        return escalation.tick(self, now)
