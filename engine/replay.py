"""Replay: re-decide stored submissions under another policy and report what changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .compiler import Engine
from .model import Post
from .store import Store
from .tables import revisions, submissions

_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    author: str
    channel: str
    old: str
    new: str
    reasons_added: tuple[str, ...]  # "id: message" of reasons only the new policy gives
    reasons_removed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "channel": self.channel,
            "old": self.old,
            "new": self.new,
            "reasons_added": list(self.reasons_added),
            "reasons_removed": list(self.reasons_removed),
        }


@dataclass
class ReplayReport:
    policy_version: str
    total: int = 0
    changes: list[Change] = field(default_factory=list)
    summary: Counter = field(default_factory=Counter)  # "old -> new" -> count

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "replayed": self.total,
            "changed": len(self.changes),
            "summary": dict(sorted(self.summary.items())),
            "changes": [c.to_dict() for c in self.changes],
        }


def count(store: Store, since: datetime | None = None) -> int:
    """How many submissions `replay` would decide again (for a progress bar)."""
    query = select(func.count()).select_from(submissions)
    if since is not None:
        query = query.where(submissions.c.submitted_at >= since)
    with store.read() as conn:
        return conn.execute(query).scalar_one()


def _rows(store: Store, since: datetime | None) -> Iterator[Any]:
    """Current revision of every submission, in id order, fetched in batches."""
    last = 0
    while True:
        query = (
            select(
                submissions.c.id,
                submissions.c.author,
                submissions.c.channel,
                submissions.c.kind,
                revisions.c.text,
                revisions.c.outcome,
                revisions.c.decision,
            )
            .join(
                revisions,
                (revisions.c.submission_id == submissions.c.id)
                & (revisions.c.number == submissions.c.revision),
            )
            .where(submissions.c.id > last)
            .order_by(submissions.c.id)
            .limit(_BATCH)
        )
        if since is not None:
            query = query.where(submissions.c.submitted_at >= since)
        with store.read() as conn:
            rows = conn.execute(query).all()
        yield from rows
        if len(rows) < _BATCH:
            return
        last = rows[-1].id


def _reasons(decision: dict[str, Any]) -> dict[str, str]:
    return {f"{r['id']}": r["message"] for r in decision["reasons"]}


def replay(
    store: Store,
    engine: Engine,
    *,
    since: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Decide every stored submission (its current revision) again under `engine`."""
    report = ReplayReport(policy_version=engine.version)
    decide = engine.decide
    for row in _rows(store, since):
        report.total += 1
        new = decide(Post(row.author, row.channel, row.text, row.kind))
        old_reasons = _reasons(row.decision)
        new_reasons = {r.id: r.message for r in new.reasons}
        outcome = new.decision.value
        if outcome != row.outcome or old_reasons.keys() != new_reasons.keys():
            report.changes.append(
                Change(
                    id=row.id,
                    author=row.author,
                    channel=row.channel,
                    old=row.outcome,
                    new=outcome,
                    reasons_added=tuple(
                        f"{k}: {v}" for k, v in new_reasons.items() if k not in old_reasons
                    ),
                    reasons_removed=tuple(
                        f"{k}: {v}" for k, v in old_reasons.items() if k not in new_reasons
                    ),
                )
            )
            report.summary[f"{row.outcome} -> {outcome}"] += 1
        if progress is not None and report.total % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(report.total % 1000)
    return report
