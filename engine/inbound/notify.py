"""Notifications about inbound items, through the workflow's `Notifier`.

Queued in the transition's transaction (like the workflow's own), sent after it by
the workflow's sender, retried by `tick`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from ..tables import notifications
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
    objects = notifier._notifier_objects()
    if not objects:
        return
    recipients = notifier._recipients(principals)
    if not recipients:
        return
    words = event.replace("_", " ")
    subject = f"[sayso] inbound message {item.id} from {item.sender} {words}"
    body = (
        f"Message {item.id} from {item.sender} on {item.channel} "
        f"(route {item.route}) is {words}.\n\n{item.text}\n"
    )
    for key, value in details.items():
        body += f"\n{key}: {value}"
    payload = {
        "event": f"inbound.{event}",
        "subject": subject,
        "body": body,
        "recipients": recipients,
        "details": {"inbound_id": item.id, **details},
        "subject_id": f"inbound:{item.id}",
    }
    conn.execute(
        insert(notifications),
        [
            {
                "submission_id": None,
                "event": f"inbound.{event}",
                "notifier": name,
                "payload": payload,
                "created_at": now,
                "attempts": 0,
            }
            for name, _ in objects
        ],
    )
