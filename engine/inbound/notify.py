"""Notifications about inbound items, through the workflow's `Notifier`.

Queued in the transition's transaction (like the workflow's own), sent after it by
the workflow's sender, retried by `tick`.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    **details: Any,
) -> None:
    if not notifier.active():
        return
    recipients = notifier._recipients(principals)
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
