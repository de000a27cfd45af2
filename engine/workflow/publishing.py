"""Publishing an approved post through its channel's publisher plugin.

The post is claimed in one transaction, published outside any transaction, and the
outcome recorded in another: a failing publisher never loses the approval.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from ..compiler import Engine
from ..errors import WrongState, first_line
from ..hookspecs import PublishError
from ..model import EventType, Status, VerdictType
from ..plugins import publishers
from ..store import Store
from ..tables import publications, submissions
from . import delivery
from .records import event
from .rows import SubmissionRows
from .rules import known_user, moment, require_author
from .views import Submission, aware, iso, utcnow

_INSERT_PUBLICATION = publications.insert()
MAX_PUBLISH_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=5)


class Publisher:
    """Delivers approved posts through their channel's publisher plugin."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        pm: Any,
        rows: SubmissionRows,
        notifier: Any = None,
        *,
        inbound: Any = None,
    ):
        self.inbound = inbound  # told, in the publication's transaction, what was published
        self.engine = engine
        self.store = store
        self.pm = pm
        self.rows = rows
        self.notifier = notifier  # tells the author when a late post is left to them
        self._publishers: dict[tuple, Any] = {}

    def _publisher(self, channel_id: str) -> tuple[str, Any]:
        channel = self.engine.channel(channel_id)
        name = channel.publisher if channel else "outbox"
        options = dict(channel.publisher_options) if channel else {}
        key = (name, json.dumps(options, sort_keys=True, default=str))  # options nest dicts
        if key not in self._publishers:
            spec = publishers(self.pm).get(name)
            if spec is None:
                raise PublishError(f"no publisher plugin named '{name}'")
            self._publishers[key] = (name, spec.build(options))
        return self._publishers[key]

    def publish_if_due(self, sid: int, now: datetime) -> bool:
        """Claim the post in one transaction, then publish it (see `deliver`)."""
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            if row.status != Status.APPROVED.value or row.published_at is not None:
                return False
            if row.overdue:  # approved after its time: a person decides (`publish_now`)
                return False
            publish_at = aware(row.publish_at)
            if publish_at is not None and publish_at > now:
                return False
            if publish_at is not None and now - publish_at > self._grace(row.channel):
                self._flag_late(conn, row, now)
                return False
            claimed = aware(row.publish_claimed_at)
            if claimed is not None and claimed > utcnow() - CLAIM_TIMEOUT:
                return False
            recovering = claimed is not None  # its claimer died mid-delivery
            attempt = row.publish_attempts + 1
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sid)
                .values(publish_claimed_at=utcnow(), publish_attempts=attempt)
            )
            sub = self.rows.view(conn, row)
        delivered = self.deliver(sub, now, attempt=attempt, recovering=recovering)
        return delivered.status is Status.PUBLISHED

    def _grace(self, channel_id: str) -> timedelta:
        channel = self.engine.channel(channel_id)
        return timedelta(seconds=channel.publish_grace if channel else 3600)

    def _flag_late(self, conn: Any, row: Any, now: datetime) -> None:
        """An approved post past its time and its channel's grace: never published late
        silently; flagged overdue and left for its author (`publish_now`)."""
        conn.execute(
            update(submissions)
            .where(submissions.c.id == row.id)
            .values(overdue=True, updated_at=now, publish_claimed_at=None)
        )
        sub = self.rows.view(conn, row)
        publish_at = iso(sub.publish_at) if sub.publish_at is not None else None
        details = {"revision": sub.revision, "publish_at": publish_at, "status": sub.status.value}
        event(self.store, conn, EventType.OVERDUE, "sayso", now, sub, details=details)
        if self.notifier is not None:
            self.notifier.queue(conn, sub, "overdue", [sub.author], now, publish_at=publish_at)

    def deliver(
        self, sub: Submission, now: datetime, *, attempt: int, recovering: bool = False
    ) -> Submission:
        """Publish a claimed post outside any transaction, then record the outcome.
        The exact approved revision is what the publisher receives (see delivery.py)."""
        approvers = tuple(v.who for v in sub.verdicts if v.verdict == VerdictType.APPROVE)
        name, earlier = "outbox", False
        try:
            publication = delivery.publication_for(sub, approvers)
            name, publisher = self._publisher(sub.channel)
            (ref, earlier), error = (
                delivery.send(publisher, publication, recovering=recovering),
                None,
            )
        except Exception as err:  # a publisher's failure must never lose the approval
            ref, error = None, first_line(err)
        with self.store.write() as conn:
            if self.rows.lock(conn, sub.id).published_at is not None:
                return self.rows.get(sub.id)  # recorded by whoever recovered our claim
            conn.execute(
                _INSERT_PUBLICATION,
                {
                    "submission_id": sub.id,
                    "revision": sub.revision,
                    "publisher": name,
                    "at": now,
                    "ok": error is None,
                    "ref": ref,
                    "error": error,
                },
            )
            values: dict[str, Any] = {"publish_claimed_at": None, "updated_at": now}
            if error is None:
                values.update(status=Status.PUBLISHED.value, published_at=now, publish_error=None)
            else:
                values.update(publish_error=error)
            conn.execute(update(submissions).where(submissions.c.id == sub.id).values(**values))
            event(
                self.store,
                conn,
                EventType.PUBLISHED if error is None else EventType.PUBLISH_FAILED,
                "sayso",
                now,
                sub,
                details={
                    "revision": sub.revision,
                    "publisher": name,
                    "ref": ref,
                    "error": error,
                    "approved_by": list(approvers),
                    "attempt": attempt,
                    "idempotency_key": delivery.idempotency_key(sub),
                    "recovered": earlier,  # delivered before a crash; not sent again
                },
            )
            if error is None and self.inbound is not None:
                self.inbound.on_published(conn, sub, now)  # an inbound item it answers
        if error is None:
            return replace(sub, status=Status.PUBLISHED, published_at=now, updated_at=now)
        return replace(sub, publish_error=error, updated_at=now)

    def publish_now(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        """The author publishes an approved post whose publish time passed while it was
        pending (never done automatically: no surprise late publishing)."""
        now = moment(now)
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            require_author(row, actor, "publish")
            if row.status != Status.APPROVED.value:
                raise WrongState(f"submission {row.id} is {row.status}, not approved")
            if not row.overdue:
                raise WrongState(f"submission {row.id} is published on schedule by `sayso tick`")
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(overdue=False, publish_at=now, updated_at=now)
            )
        self.publish_if_due(row.id, now)
        return self.rows.get(row.id)

    def retry_publication(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        """Try a failed publication again now (any known user may ask)."""
        now = moment(now)
        known_user(self.engine, actor)
        sub = self.rows.get(sid)
        if sub.status is not Status.APPROVED or not sub.publish_error:
            raise WrongState(f"submission {sid} has no failed publication to retry")
        self.publish_if_due(sub.id, now)
        return self.rows.get(sub.id)
