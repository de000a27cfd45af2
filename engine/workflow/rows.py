"""Submission rows read and locked, and turned into `Submission` views."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..compiler import Engine
from ..errors import NotFound
from ..model import Status, decision_from_dict
from ..store import Store
from ..tables import escalations_reached, revisions, submissions, verdicts
from .rules import requirement_states
from .views import Submission, Verdict, aware, submission_key


class SubmissionRows:
    """Reads submissions in a caller's transaction."""

    def __init__(self, engine: Engine, store: Store):
        self.engine = engine
        self.store = store

    def lock(self, conn: Connection, sid: Any) -> Any:
        """The submission row, locked for the rest of the write transaction."""
        key = submission_key(sid)
        row = conn.execute(
            self.store.lock_clause(select(submissions).where(submissions.c.id == key))
        ).first()
        if row is None:
            raise NotFound(f"no submission {key}")
        return row

    def find(self, conn: Connection, sid: Any) -> Any:
        """The submission row without a lock, or NotFound."""
        key = submission_key(sid)
        row = conn.execute(select(submissions).where(submissions.c.id == key)).first()
        if row is None:
            raise NotFound(f"no submission {key}")
        return row

    def get(self, sid: Any) -> Submission:
        """The submission as it stands, in a read transaction of its own."""
        with self.store.read() as conn:
            return self.view(conn, self.find(conn, sid))

    def view(self, conn: Connection, row: Any) -> Submission:
        return self.views(conn, [row])[0]

    def views(self, conn: Connection, rows: Any) -> list[Submission]:
        """Submission rows as views: three queries for any number of rows."""
        if not rows:
            return []
        current = {row.id: row.revision for row in rows}
        ids = list(current)
        revs = {
            r.submission_id: r
            for r in conn.execute(select(revisions).where(revisions.c.submission_id.in_(ids)))
            if r.number == current[r.submission_id]
        }
        given: dict[int, list[Verdict]] = {sid: [] for sid in ids}
        for v in conn.execute(
            select(verdicts).where(verdicts.c.submission_id.in_(ids)).order_by(verdicts.c.id)
        ):
            if v.revision == current[v.submission_id]:
                given[v.submission_id].append(
                    Verdict(v.verdict, v.actor, v.on_behalf_of, v.revision, v.comment, aware(v.at))
                )
        reached: dict[int, dict[str, int]] = {sid: {} for sid in ids}
        for e in conn.execute(
            select(escalations_reached).where(escalations_reached.c.submission_id.in_(ids))
        ):
            chains = reached[e.submission_id]
            chains[e.escalation] = max(chains.get(e.escalation, 0), e.level)
        return [
            self._build(row, revs[row.id], tuple(given[row.id]), reached[row.id]) for row in rows
        ]

    def _build(
        self, row: Any, rev: Any, given: tuple[Verdict, ...], reached: dict[str, int]
    ) -> Submission:
        decision = decision_from_dict(rev.decision)
        return Submission(
            id=row.id,
            author=row.author,
            channel=row.channel,
            kind=row.kind,
            status=Status(row.status),
            revision=row.revision,
            text=rev.text,
            text_sha256=rev.text_sha256,
            policy_version=rev.policy_version,
            decision=decision,
            requirements=requirement_states(self.engine, row.author, decision, given, reached),
            submitted_at=aware(row.submitted_at),
            updated_at=aware(row.updated_at),
            publish_at=aware(row.publish_at),
            published_at=aware(row.published_at),
            escalation_level=max(reached.values(), default=0),
            next_escalation_at=aware(row.next_escalation_at),
            overdue=bool(row.overdue),
            publish_error=row.publish_error,
            verdicts=given,
        )
