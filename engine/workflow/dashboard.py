"""Dashboard figures: time to approval, SLA breaches, escalations, pending by level."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import audit
from ..compiler import Engine
from ..model import Status
from ..store import Store, escalations_reached, revisions, submissions, verdicts
from .rules import moment
from .views import aware


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
        c = submissions.c
        query = (
            select(c.id, c.status, c.submitted_at, revisions.c.decision)
            .join(
                revisions, (revisions.c.submission_id == c.id) & (revisions.c.number == c.revision)
            )
            .where(
                c.status.in_([Status.PENDING.value, Status.APPROVED.value, Status.PUBLISHED.value])
            )
        )
        if since is not None:
            query = query.where(c.submitted_at >= since)
        with self.store.read() as conn:
            rows = conn.execute(query.order_by(c.id.desc()).limit(limit)).all()
            ids = [r.id for r in rows]
            approved_at: dict[int, datetime] = {}
            reached: dict[int, dict[str, int]] = {}
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                for v in conn.execute(
                    select(verdicts.c.submission_id, func.max(verdicts.c.at))
                    .where(verdicts.c.submission_id.in_(part), verdicts.c.verdict == "approve")
                    .group_by(verdicts.c.submission_id)
                ):
                    approved_at[v[0]] = aware(v[1])
                for e in conn.execute(
                    select(escalations_reached).where(escalations_reached.c.submission_id.in_(part))
                ):
                    chain = reached.setdefault(e.submission_id, {})
                    chain[e.escalation] = max(chain.get(e.escalation, 0), e.level)
        by_topic: dict[str, list[float]] = {}
        by_owner: dict[str, list[float]] = {}
        breaches: dict[str, int] = {}
        escalations: dict[str, int] = {}
        pending_by_level: dict[int, int] = {}
        for row in rows:
            reqs = row.decision["requirements"]
            levels = reached.get(row.id, {})
            owners = sorted({p for q in reqs for p in q["signoff"]})
            if row.status == Status.PENDING.value:
                level = max(levels.values(), default=0)
                pending_by_level[level] = pending_by_level.get(level, 0) + 1
            elif row.id in approved_at and reqs:
                hours = (approved_at[row.id] - aware(row.submitted_at)).total_seconds() / 3600
                for q in reqs:
                    by_topic.setdefault(q["id"], []).append(hours)
                for owner in owners:
                    by_owner.setdefault(owner, []).append(hours)
            if levels:
                for owner in owners:
                    breaches[owner] = breaches.get(owner, 0) + 1
                for chain_id, top in levels.items():
                    for step in self.engine.escalation_levels(chain_id)[:top]:
                        for p in step.to:
                            escalations[p] = escalations.get(p, 0) + 1

        def summary(values: list[float]) -> dict[str, float]:
            ordered = sorted(values)
            p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
            return {
                "count": len(ordered),
                "median_hours": round(statistics.median(ordered), 2),
                "p90_hours": round(p90, 2),
            }

        return {
            "as_of": audit.iso(now),
            "since": audit.iso(since) if since is not None else None,
            "time_to_approval_by_topic": {k: summary(v) for k, v in sorted(by_topic.items())},
            "time_to_approval_by_owner": {k: summary(v) for k, v in sorted(by_owner.items())},
            "sla_breaches_by_owner": dict(sorted(breaches.items())),
            "escalations_by_owner": dict(sorted(escalations.items())),
            "pending_by_escalation_level": dict(sorted(pending_by_level.items())),
        }
