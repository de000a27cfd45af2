"""Notifications about inbound items, through the workflow's `Notifier`.

Queued in the transition's transaction (like the workflow's own), sent after it by
the workflow's sender, retried by `tick`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ..workflow.notify import compose
from .items import InboundItem


def queue(
    notifier: Any,
    conn: Connection,
    item: InboundItem,
    event: str,
    principals: Iterable[str],
    now: datetime,
    *,
    delegates: Mapping[str, list[str]],
    **details: Any,
) -> None:
    """A notice to the users `principals` stand for and to everyone acting for them
    (`delegates`: user -> active delegates, read once per batch by the caller), as
    the workflow tells owners' delegates of pending, escalated and overdue posts."""
    if not notifier.active():
        return
    recipients = notifier._recipients(principals)
    owners = [r["id"] for r in recipients]
    acting = dict.fromkeys(d for u in owners for d in delegates.get(u, ()) if d not in owners)
    recipients += notifier._recipients(acting)
    if not recipients:
        return
    words = event.replace("_", " ")
    headline = (
        f"Message {item.id} from {item.sender} on {item.channel} (route {item.route}) is {words}."
    )
    notifier.enqueue(
        conn,
        event=f"inbound.{event}",
        subject=f"[sayso] inbound message {item.id} from {item.sender} {words}",
        body=compose(headline, item.text, details),
        recipients=recipients,
        details={"inbound_id": item.id, **details},
        now=now,
        subject_id=f"inbound:{item.id}",
    )
