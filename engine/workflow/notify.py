"""Notifications to owners and authors, queued in the transition's transaction and
sent after it; failures stay queued for `tick`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from ..compiler import Engine
from ..errors import first_line
from ..hookspecs import Notification, Recipient
from ..plugins import notifiers
from ..store import Store
from ..tables import notifications
from .delegation import delegates_of
from .views import Submission, utcnow

MAX_NOTIFY_ATTEMPTS = 5
# notices asking owners to sign off: their active delegates are told too
OWNER_EVENTS = frozenset({"pending", "escalated", "overdue"})


def compose(headline: str, text: str, details: dict[str, Any]) -> str:
    """A message body: the headline, the text it is about, then one line per detail."""
    body = f"{headline}\n\n{text}\n"
    for key, value in details.items():
        body += f"\n{key}: {value}"
    return body


class Notifier:
    """Tells people what happened, through the policy's notifier plugins."""

    def __init__(self, engine: Engine, store: Store, pm: Any):
        self.engine = engine
        self.store = store
        self.pm = pm
        self._notifiers: list[tuple[str, Any]] | None = None

    def active(self) -> bool:
        """Whether the policy configures any notifier (else nothing is queued)."""
        return bool(self._notifier_objects())

    def _notifier_objects(self) -> list[tuple[str, Any]]:
        if self._notifiers is None:
            found = notifiers(self.pm)
            built = []
            for config in self.engine.policy.notifiers:
                spec = found.get(config.use)
                if spec is not None:
                    built.append((config.use, spec.build(config.options_dict())))
            self._notifiers = built
        return self._notifiers

    def _recipients(
        self, principals: Iterable[str], exclude: Iterable[str] = ()
    ) -> list[dict[str, str]]:
        """Everyone the principals (or plain user ids) stand for, with name and email."""
        skip = set(exclude)
        users = dict.fromkeys(
            u for p in principals for u in sorted(self.engine.members(p)) if u not in skip
        )
        out = []
        for u in users:
            info = self.engine.user(u)
            out.append(
                {
                    "id": u,
                    "name": getattr(info, "name", "") or "",
                    "email": getattr(info, "email", "") or "",
                }
            )
        return out

    def queue(
        self,
        conn: Connection,
        sub: Submission,
        event: str,
        to: Iterable[str],
        now: datetime,
        *,
        exclude: Iterable[str] = (),
        **details: Any,
    ) -> None:
        """A message to the users `to` stands for (but not `exclude`), queued in the
        transition's transaction."""
        if not self._notifier_objects():
            return
        recipients = self._recipients(to, exclude)
        if event in OWNER_EVENTS:
            owners = [r["id"] for r in recipients]
            delegates = delegates_of(conn, owners, now)
            recipients += self._recipients(
                d for d in delegates if d not in owners and d != sub.author
            )
        if not recipients:
            return
        words = event.replace("_", " ")
        self.enqueue(
            conn,
            event=event,
            subject=f"[sayso] submission {sub.id} {words}",
            body=compose(
                f"Submission {sub.id} by {sub.author} on {sub.channel} is {words}.",
                sub.text,
                details,
            ),
            recipients=recipients,
            details=details,
            now=now,
            submission_id=sub.id,
        )

    def enqueue(
        self,
        conn: Connection,
        *,
        event: str,
        subject: str,
        body: str,
        recipients: list[dict[str, str]],
        details: dict[str, Any],
        now: datetime,
        submission_id: int | None = None,
        subject_id: str | None = None,
    ) -> None:
        """One queued row per notifier, in the caller's transaction; `subject_id` names
        what the message is about when it is not a submission (`inbound:7`)."""
        payload = {
            "event": event,
            "subject": subject,
            "body": body,
            "recipients": recipients,
            "details": details,
        }
        if subject_id is not None:
            payload["subject_id"] = subject_id
        conn.execute(
            insert(notifications),
            [
                {
                    "submission_id": submission_id,
                    "event": event,
                    "notifier": name,
                    "payload": payload,
                    "created_at": now,
                    "attempts": 0,
                }
                for name, _ in self._notifier_objects()
            ],
        )

    def deliver(self) -> int:
        """Send what is queued; failures stay queued with the error, for `tick`."""
        objects = dict(self._notifier_objects())
        if not objects:
            return 0
        c = notifications.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(notifications)
                .where(c.sent_at.is_(None), c.attempts < MAX_NOTIFY_ATTEMPTS)
                .order_by(c.id)
                .limit(500)
            ).all()
        sent = 0
        for row in rows:
            notifier = objects.get(row.notifier)
            if notifier is None:
                continue
            p = row.payload
            message = Notification(
                event=p["event"],
                submission_id=p.get("subject_id") or str(row.submission_id),
                recipients=tuple(Recipient(**r) for r in p["recipients"]),
                subject=p["subject"],
                body=p["body"],
                details=p.get("details", {}),
            )
            try:
                notifier.notify(message)
                values: dict[str, Any] = {"sent_at": utcnow(), "error": None}
                sent += 1
            except Exception as err:  # recorded and retried; never breaks a transition
                values = {"error": first_line(err)}
            with self.store.write() as conn:
                conn.execute(
                    update(notifications)
                    .where(c.id == row.id, c.sent_at.is_(None))
                    .values(attempts=c.attempts + 1, **values)
                )
        return sent
