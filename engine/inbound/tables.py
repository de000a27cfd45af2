"""Store tables of inbound listening (created by migration 0003; indexes also 0005)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.engine import Connection

from ..tables import audit_head, metadata

NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

# One customer message. `message_id` is the platform's id: a second delivery with
# the same channel and message id is the same message (the unique index says so;
# NULLs never collide, so messages without an id are never duplicates).
inbound_items = Table(
    "inbound_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(200), nullable=False),
    Column("message_id", String(300)),
    Column("sender", String(200), nullable=False),  # the platform handle
    Column("sender_name", String(200), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("thread_id", String(300)),
    Column("parent_id", String(300)),
    Column("source", String(100), nullable=False),  # cli, import, api, or a source plugin
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),  # open | answered | closed
    Column("route", String(200), nullable=False),
    Column("topics", JSON, nullable=False),  # topic ids found, in policy order
    Column("escalation", String(200)),
    Column("level", Integer, nullable=False, default=0),  # escalation levels reached
    Column("due_at", DateTime(timezone=True)),  # respond_within after receipt
    # The inbox's order: due_at, or NO_DEADLINE when there is none (last, and indexable
    # on every database, unlike "NULLS LAST").
    Column("due_sort", DateTime(timezone=True), nullable=False),
    Column("next_escalation_at", DateTime(timezone=True)),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("policy_version", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_by", String(200)),
    Column("closed_reason", Text),
    Column("answered_by", Integer),  # the published reply's submission id
    Column("resolved_at", DateTime(timezone=True)),  # answered or closed
    Index("ux_inbound_channel_message", "channel", "message_id", unique=True),
    Index("ix_inbound_status_next", "status", "next_escalation_at"),
    Index("ix_inbound_inbox", "status", "due_sort", "received_at", "id"),
    Index("ix_inbound_overdue", "status", "overdue", "due_sort", "received_at", "id"),
    Index("ix_inbound_status_due", "status", "due_at"),
    # earlier messages from a sender on a channel, and replies to a sender anywhere
    Index("ix_inbound_from", "sender", "channel", "id"),
)

# Who owns an open item: the route's owners, then each escalation level's owners.
inbound_owners = Table(
    "inbound_owners",
    metadata,
    Column("item_id", Integer, ForeignKey("inbound_items.id"), primary_key=True),
    Column("principal", String(200), primary_key=True),
    Column("level", Integer, nullable=False),  # 0: the route; N: escalation level N
    Index("ix_inbound_owners_principal", "principal", "level", "item_id"),
)

# Replies submitted with `--in-reply-to`: which submission answers which item.
inbound_replies = Table(
    "inbound_replies",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("inbound_items.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_inbound_replies_item", "item_id"),
)

# Where each source plugin's last pull ended, so a restart neither loses nor repeats.
inbound_cursors = Table(
    "inbound_cursors",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def chain_first(store, conn: Connection) -> None:
    """Take the audit chain's lock before any item's (PostgreSQL; SQLite's write lock
    is already one). Every transition appends to the chain, and replies lock it before
    the item they answer, so this keeps one lock order: chain, then item."""
    if not store.is_sqlite:
        conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update())
