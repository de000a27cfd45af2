"""The time-driven part of the workflow: escalation, overdue posts, scheduled publishing
and retries. Submissions are driven by the SLA clock as one `Track`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update

from .. import audit
from ..compiler import Engine
from ..model import EventType, Status
from ..store import Store
from ..tables import escalations_reached, submissions
from .clock import SlaClock
from .notify import Notifier
from .publishing import MAX_PUBLISH_ATTEMPTS, Publisher
from .records import event, write_eligibility
from .rows import SubmissionRows
from .rules import moment
from .views import RequirementState, TickReport


class SubmissionTrack:
    """Pending submissions as items of the SLA clock: owners are each unmet
    requirement's escalation chain, the start time is the submission time."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        rows: SubmissionRows,
        clock: SlaClock,
        notifier: Notifier,
    ):
        self.engine = engine
        self.store = store
        self.rows = rows
        self.clock = clock
        self.notifier = notifier

    def due(self, now: datetime) -> list[int]:
        c = submissions.c
        with self.store.read() as conn:
            return [
                r.id
                for r in conn.execute(
                    select(c.id)
                    .where(c.status == Status.PENDING.value, c.next_escalation_at <= now)
                    .order_by(c.id)
                )
            ]

    def escalate(self, key: int, now: datetime) -> list[tuple[int, str, int]]:
        """Reach every level due by `now` on the submission's unmet chains."""
        applied: list[tuple[int, str, int]] = []
        with self.store.write() as conn:
            row = self.rows.lock(conn, key)
            if row.status != Status.PENDING.value:
                return applied
            sub = self.rows.view(conn, row)
            chains: dict[str, list[RequirementState]] = {}
            for q in sub.requirements:
                if q.escalation and not q.met:
                    chains.setdefault(q.escalation, []).append(q)
            for chain, reqs in chains.items():
                for due in self.clock.due_levels(chain, reqs[0].level, sub.submitted_at, now):
                    conn.execute(
                        insert(escalations_reached).values(
                            submission_id=key, escalation=chain, level=due.number, at=now
                        )
                    )
                    event(
                        self.store,
                        conn,
                        EventType.ESCALATED,
                        "sayso",
                        now,
                        sub,
                        details={
                            "escalation": chain,
                            "level": due.number,
                            "to": list(due.level.to),
                            "owners": self.clock.owners(due.level.to, author=sub.author),
                            "requirements": [q.id for q in reqs],
                            "due_at": audit.iso(due.due_at),
                        },
                    )
                    self.notifier.queue(
                        conn,
                        sub,
                        "escalated",
                        due.level.to,
                        now,
                        level=due.number,
                        escalation=chain,
                    )
                    applied.append((key, chain, due.number))
            after = self.rows.view(conn, row)
            if applied:
                write_eligibility(conn, key, after.requirements)
            next_at = self.clock.next_due(after.requirements, sub.submitted_at)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == key)
                .values(next_escalation_at=next_at)
            )
        return applied


class Ticker:
    """`tick`: everything that happens because time passed. Idempotent."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        rows: SubmissionRows,
        clock: SlaClock,
        notifier: Notifier,
        publisher: Publisher,
        *,
        inbound: Any = None,
    ):
        self.inbound = inbound  # inbound messages: escalated and flagged overdue by tick
        self.engine = engine
        self.store = store
        self.rows = rows
        self.clock = clock
        self.notifier = notifier
        self.publisher = publisher
        self.track = SubmissionTrack(engine, store, rows, clock, notifier)

    def tick(self, *, now: datetime | None = None) -> TickReport:
        """Apply every escalation due by `now`, publish what is due, flag overdue posts,
        retry failed publications and notifications."""
        now = moment(now)
        report = TickReport()
        report.escalated.extend(self.clock.run(self.track, now))
        overdue, to_publish = self._scheduled(now)
        for sid in overdue:
            if self._flag_overdue(sid, now):
                report.overdue.append(sid)
        for sid in to_publish:
            if self.publisher.publish_if_due(sid, now):
                report.published.append(sid)
            else:
                sub = self.rows.get(sid)
                if sub.overdue:  # later than its channel's publish_grace: left to the author
                    report.overdue.append(sid)
                elif sub.publish_error and sub.status is Status.APPROVED:
                    report.failed.append((sid, sub.publish_error))
        if self.inbound is not None:
            report.inbound_escalated, report.inbound_overdue = self.inbound.tick(now)
        report.notified = self.notifier.deliver()
        return report

    def _scheduled(self, now: datetime) -> tuple[list[int], list[int]]:
        """Pending posts whose publish time passed; approved posts due for publishing."""
        c = submissions.c
        with self.store.read() as conn:
            overdue = [
                r.id
                for r in conn.execute(
                    select(c.id).where(
                        c.status == Status.PENDING.value,
                        c.publish_at <= now,
                        c.overdue.is_(False),
                    )
                )
            ]
            to_publish = [
                r.id
                for r in conn.execute(
                    select(c.id)
                    .where(
                        c.status == Status.APPROVED.value,
                        c.published_at.is_(None),
                        or_(c.publish_at.is_(None), c.publish_at <= now),
                        c.publish_attempts < MAX_PUBLISH_ATTEMPTS,
                        c.overdue.is_(False),
                    )
                    .order_by(c.id)
                )
            ]
        return overdue, to_publish

    def _flag_overdue(self, sid: int, now: datetime) -> bool:
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            if row.status != Status.PENDING.value or row.overdue:
                return False
            sub = self.rows.view(conn, row)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sid)
                .values(overdue=True, updated_at=now)
            )
            owners = [p for q in sub.requirements if not q.met for p in q.eligible]
            publish_at = audit.iso(sub.publish_at) if sub.publish_at else None
            event(
                self.store,
                conn,
                EventType.OVERDUE,
                "sayso",
                now,
                sub,
                details={
                    "revision": sub.revision,
                    "publish_at": publish_at,
                    "owners": self.clock.owners(owners, author=sub.author),
                },
            )
            self.notifier.queue(conn, sub, "overdue", owners, now, publish_at=publish_at)
        return True
