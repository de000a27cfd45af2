"""Dashboard figures for inbound messages: first-response time per route and per
answering person, open messages by age, messages whose escalation reached its top."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..tables import submissions
from ..workflow.dashboard import summary
from ..workflow.rules import moment
from ..workflow.views import aware
from .items import InboundStatus
from .tables import inbound_items

AGE_BUCKETS = (
    ("under 1h", 0, 1),
    ("1h-4h", 1, 4),
    ("4h-24h", 4, 24),
    ("1d-7d", 24, 168),
    ("over 7d", 168, None),
)


def stats(inbound: Any, *, now: datetime | None = None, limit: int = 20_000) -> dict[str, Any]:
    """Over the newest `limit` answered messages, and every open one."""
    now = moment(now)
    c = inbound_items.c
    with inbound.store.read() as conn:
        answered = conn.execute(
            select(c.route, c.received_at, c.resolved_at, submissions.c.author)
            .join(submissions, submissions.c.id == c.answered_by)
            .where(c.status == InboundStatus.ANSWERED.value)
            .order_by(c.id.desc())
            .limit(limit)
        ).all()
        by_status = dict(conn.execute(select(c.status, func.count()).group_by(c.status)).all())
        open_by_age = {}
        open_ = c.status == InboundStatus.OPEN.value
        for label, low, high in AGE_BUCKETS:
            where = open_ & (c.received_at <= now - timedelta(hours=low))
            if high is not None:
                where = where & (c.received_at > now - timedelta(hours=high))
            open_by_age[label] = conn.execute(
                select(func.count()).select_from(inbound_items).where(where)
            ).scalar_one()
        tops = conn.execute(
            select(c.route, c.escalation, c.level, func.count())
            .where(c.level > 0)
            .group_by(c.route, c.escalation, c.level)
        ).all()
    by_route: dict[str, list[float]] = {}
    by_person: dict[str, list[float]] = {}
    for row in answered:
        hours = (aware(row.resolved_at) - aware(row.received_at)).total_seconds() / 3600
        by_route.setdefault(row.route, []).append(hours)
        by_person.setdefault(row.author, []).append(hours)
    top_level: dict[str, int] = {}
    for route, chain, level, count in tops:
        chains = inbound.engine.policy.escalations
        if chain in chains and level >= len(chains[chain].levels):
            top_level[route] = top_level.get(route, 0) + count
    return {
        "by_status": {s.value: by_status.get(s.value, 0) for s in InboundStatus},
        "first_response_by_route": {k: summary(v) for k, v in sorted(by_route.items())},
        "first_response_by_person": {k: summary(v) for k, v in sorted(by_person.items())},
        "open_by_age": open_by_age,
        "top_level_escalations_by_route": dict(sorted(top_level.items())),
    }
