"""What an inbound message is: the input checks, its statuses and the stored view."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, overload

from ..errors import NotFound, SaysoError
from ..workflow.views import aware, shown_id, stored_id

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc, exactly
MAX_TEXT = 100_000
MAX_ID = 300
MAX_NAME = 200


class InboundStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # a reply given with --in-reply-to was published
    CLOSED = "closed"  # an owner closed it with a reason


class InboundEvent(StrEnum):
    """Audit event types; every one starts with `inbound`."""

    RECEIVED = "inbound.received"
    ROUTED = "inbound.routed"
    ESCALATED = "inbound.escalated"
    OVERDUE = "inbound.overdue"
    REPLIED = "inbound.replied"  # a reply was submitted (it answers once published)
    ANSWERED = "inbound.answered"
    CLOSED = "inbound.closed"


@dataclass(frozen=True, slots=True)
class Message:
    """A customer message as delivered (before routing)."""

    channel: str
    sender: str  # the platform handle
    text: str
    name: str = ""
    message_id: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    received_at: datetime | None = None  # None: now


@dataclass(frozen=True, slots=True)
class InboundItem:
    id: int
    channel: str
    message_id: str | None
    sender: str
    sender_name: str
    text: str
    text_sha256: str
    thread_id: str | None
    parent_id: str | None
    source: str
    received_at: datetime
    status: InboundStatus
    route: str
    topics: tuple[str, ...]
    escalation: str | None
    level: int
    owners: tuple[str, ...]  # principals, route owners first, then each level's
    due_at: datetime | None
    next_escalation_at: datetime | None
    overdue: bool
    policy_version: str
    updated_at: datetime
    closed_by: str | None = None
    closed_reason: str | None = None
    answered_by: int | None = None
    resolved_at: datetime | None = None
    duplicate: bool = False  # set by `receive` when this delivery was a repeat

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "message_id": self.message_id,
            "from": self.sender,
            "name": self.sender_name,
            "text": self.text,
            "text_sha256": self.text_sha256,
            "thread_id": self.thread_id,
            "parent_id": self.parent_id,
            "source": self.source,
            "received_at": iso(self.received_at),
            "status": self.status.value,
            "route": self.route,
            "topics": list(self.topics),
            "escalation": self.escalation,
            "level": self.level,
            "owners": list(self.owners),
            "due_at": iso(self.due_at),
            "next_escalation_at": iso(self.next_escalation_at),
            "overdue": self.overdue,
            "policy_version": self.policy_version,
            "updated_at": iso(self.updated_at),
            "closed_by": self.closed_by,
            "closed_reason": self.closed_reason,
            "answered_by": self.answered_by,
            "resolved_at": iso(self.resolved_at),
            "duplicate": self.duplicate,
        }

    def thread_dict(self, earlier: Sequence[Any], replies: Sequence[Any]) -> dict[str, Any]:
        """`to_dict` with the conversation, for `inbound show --json` and the API: the
        replies (submissions) and the sender's earlier messages, each in brief."""
        data = self.to_dict()
        data["replies"] = [
            {"id": s.id, "author": s.author, "status": s.status.value, "text": s.text}
            for s in replies
        ]
        data["earlier"] = [{"id": e.id, "status": e.status.value, "text": e.text} for e in earlier]
        return data


def iso(moment: datetime | None) -> str | None:
    from ..audit import iso as audit_iso

    return audit_iso(moment) if moment is not None else None


def item_from_row(row: Any, owners: tuple[str, ...]) -> InboundItem:
    return InboundItem(
        id=row.id,
        channel=row.channel,
        message_id=row.message_id,
        sender=row.sender,
        sender_name=row.sender_name,
        text=row.text,
        text_sha256=row.text_sha256,
        thread_id=row.thread_id,
        parent_id=row.parent_id,
        source=row.source,
        received_at=aware(row.received_at),
        status=InboundStatus(row.status),
        route=row.route,
        topics=tuple(row.topics or ()),
        escalation=row.escalation,
        level=row.level,
        owners=owners,
        due_at=aware(row.due_at),
        next_escalation_at=aware(row.next_escalation_at),
        overdue=bool(row.overdue),
        policy_version=row.policy_version,
        updated_at=aware(row.updated_at),
        closed_by=row.closed_by,
        closed_reason=row.closed_reason,
        answered_by=row.answered_by,
        resolved_at=aware(row.resolved_at),
    )


def item_key(item_id: Any) -> int:
    """An item id as stored, or NotFound."""
    key = stored_id(item_id)
    if key is None:
        raise NotFound(f"no inbound item {shown_id(item_id, 40)}")
    return key


@overload
def _field(value: Any, what: str, limit: int, *, required: Literal[True]) -> str: ...
@overload
def _field(value: Any, what: str, limit: int, *, required: bool) -> str | None: ...
def _field(value: Any, what: str, limit: int, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise SaysoError(f"the message has no {what}")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and what != "text":
        value = str(value)  # platform ids are often numbers in JSON
    if not isinstance(value, str):
        raise SaysoError(f"the message {what} must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise SaysoError(f"the message has no {what}")
    if len(value) > limit:
        raise SaysoError(f"the message {what} is {len(value)} characters; the limit is {limit}")
    if _CONTROL.search(value):
        raise SaysoError(f"the message {what} contains a control character")
    return value


def checked(message: Message) -> Message:
    """The message with its fields trimmed, or SaysoError naming the bad field."""
    text = message.text
    if not isinstance(text, str) or not text.strip():
        raise SaysoError("the message text is empty")
    if len(text) > MAX_TEXT:
        raise SaysoError(f"the message text is {len(text)} characters; the limit is {MAX_TEXT}")
    if "\x00" in text:
        raise SaysoError("the message text contains a NUL character")
    channel = _field(message.channel, "channel", MAX_NAME, required=True)
    if any(ch.isspace() for ch in channel):
        raise SaysoError(f"the message channel '{channel}' contains a space")
    return Message(
        channel=channel,
        sender=_field(message.sender, "sender (--from)", MAX_NAME, required=True),
        text=text,
        name=_field(message.name, "sender name", MAX_NAME, required=False) or "",
        message_id=_field(message.message_id, "message id", MAX_ID, required=False),
        thread_id=_field(message.thread_id, "thread id", MAX_ID, required=False),
        parent_id=_field(message.parent_id, "parent id", MAX_ID, required=False),
        received_at=aware(message.received_at),
    )
