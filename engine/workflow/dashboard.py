"""Dashboard figures: time to approval, SLA breaches, escalations (by owner and per day),
pending by level and by age."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ..compiler import Engine
from ..model import Status, VerdictType
from ..store import Store
from ..tables import escalations_reached, revisions, submissions, verdicts
from .rules import moment
from .views import aware, iso

AGE_BUCKETS = ((1, "under 1h"), (4, "1–4h"), (24, "4–24h"), (72, "1–3 days"))
OLDEST_BUCKET = "over 3 days"
ESCALATION_DAYS = 14


def age_bucket(hours: float) -> str:
    return next((label for top, label in AGE_BUCKETS if hours < top), OLDEST_BUCKET)


class Dashboard:
    """Figures for the compliance dashboard."""

    def __init__(self, engine: Engine, store: Store):
        self.engine = engine
        self.store = store

    def stats(
        self, *, now: datetime | None = None, limit: int = 20_000, since: datetime | None = None
    ) -> dict[str, Any]:
        """Time to approval (median, p90) by topic and owner, SLA breaches and escalations
        per owner group, pending submissions by escalation level. Over the newest `limit`
        (submitted at or after `since`, when given)."""
        now = moment(now)
        with self.store.read() as conn:
            rows = self._recent(conn, limit, since)
            approved_at, reached = self._approvals_and_levels(conn, [r.id for r in rows])
            by_day = self._escalations_by_day(conn, now)
        tally = _Tally(now)
        for row in rows:
            levels = reached.get(row.id, {})
            tally.add(row, approved_at.get(row.id), levels, self._escalated_to(levels))
        since_text = iso(since) if since is not None else None
        return {
            "as_of": iso(now),
            "since": since_text,
            **tally.figures(),
            "escalations_by_day": by_day,
        }

    @staticmethod
    def _escalations_by_day(conn: Connection, now: datetime) -> dict[str, int]:
        """Escalation levels reached on each of the last 14 days (UTC), oldest first."""
        first = (now - timedelta(days=ESCALATION_DAYS - 1)).date()
        days = {str(first + timedelta(days=n)): 0 for n in range(ESCALATION_DAYS)}
        start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
        at = escalations_reached.c.at
        for (moment_,) in conn.execute(select(at).where(at >= start)):
            key = str(aware(moment_).date())
            if key in days:
                days[key] += 1
        return days

    @staticmethod
    def _recent(conn: Connection, limit: int, since: datetime | None) -> list[Any]:
        """The newest live submissions (since `since`) with the decision on their
        current revision."""
        c = submissions.c
        live = [Status.PENDING.value, Status.APPROVED.value, Status.PUBLISHED.value]
        current = (revisions.c.submission_id == c.id) & (revisions.c.number == c.revision)
        query = select(c.id, c.status, c.submitted_at, revisions.c.decision).join(
            revisions, current
        )
        query = query.where(c.status.in_(live))
        if since is not None:
            query = query.where(c.submitted_at >= since)
        return list(conn.execute(query.order_by(c.id.desc()).limit(limit)).all())

    @staticmethod
    def _approvals_and_levels(
        conn: Connection, ids: list[int]
    ) -> tuple[dict[int, datetime], dict[int, dict[str, int]]]:
        """When each was last approved, and the escalation levels each reached per chain."""
        approved_at: dict[int, datetime] = {}
        reached: dict[int, dict[str, int]] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            for v in conn.execute(
                select(verdicts.c.submission_id, func.max(verdicts.c.at))
                .where(
                    verdicts.c.submission_id.in_(part),
                    verdicts.c.verdict == VerdictType.APPROVE.value,
                )
                .group_by(verdicts.c.submission_id)
            ):
                approved_at[v[0]] = aware(v[1])
            for e in conn.execute(
                select(escalations_reached).where(escalations_reached.c.submission_id.in_(part))
            ):
                chain = reached.setdefault(e.submission_id, {})
                chain[e.escalation] = max(chain.get(e.escalation, 0), e.level)
        return approved_at, reached

    def _escalated_to(self, levels: dict[str, int]) -> list[str]:
        """The principals of every escalation level reached."""
        return [
            p
            for chain_id, top in levels.items()
            for step in self.engine.escalation_levels(chain_id)[:top]
            for p in step.to
        ]


class _Tally:
    """The dashboard's counters, one submission at a time."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.pending_by_age = dict.fromkeys([label for _, label in AGE_BUCKETS], 0)
        self.pending_by_age[OLDEST_BUCKET] = 0
        self.by_topic: dict[str, list[float]] = {}
        self.by_owner: dict[str, list[float]] = {}
        self.breaches: dict[str, int] = {}
        self.escalations: dict[str, int] = {}
        self.pending_by_level: dict[int, int] = {}

    def add(
        self,
        row: Any,
        approved_at: datetime | None,
        levels: dict[str, int],
        escalated_to: list[str],
    ) -> None:
        reqs = row.decision["requirements"]
        owners = sorted({p for q in reqs for p in q["signoff"]})
        if row.status == Status.PENDING.value:
            level = max(levels.values(), default=0)
            self.pending_by_level[level] = self.pending_by_level.get(level, 0) + 1
            age = (self.now - aware(row.submitted_at)).total_seconds() / 3600
            self.pending_by_age[age_bucket(age)] += 1
        elif approved_at is not None and reqs:
            hours = (approved_at - aware(row.submitted_at)).total_seconds() / 3600
            for q in reqs:
                self.by_topic.setdefault(q["id"], []).append(hours)
            for owner in owners:
                self.by_owner.setdefault(owner, []).append(hours)
        if levels:
            for owner in owners:
                self.breaches[owner] = self.breaches.get(owner, 0) + 1
            for p in escalated_to:
                self.escalations[p] = self.escalations.get(p, 0) + 1

    def figures(self) -> dict[str, Any]:
        return {
            "time_to_approval_by_topic": {k: summary(v) for k, v in sorted(self.by_topic.items())},
            "time_to_approval_by_owner": {k: summary(v) for k, v in sorted(self.by_owner.items())},
            "sla_breaches_by_owner": dict(sorted(self.breaches.items())),
            "escalations_by_owner": dict(sorted(self.escalations.items())),
            "pending_by_escalation_level": dict(sorted(self.pending_by_level.items())),
            "pending_by_age": dict(self.pending_by_age),
        }


def summary(values: list[float]) -> dict[str, float]:
    """Count, median and 90th percentile of durations in hours (posts and inbound alike)."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {
        "count": len(ordered),
        "median_hours": round(statistics.median(ordered), 2),
        "p90_hours": round(p90, 2),
    }
