"""Reading submissions: one, a page, a count, an approver's queue, a full record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import audit
from ..compiler import Engine
from ..errors import NotFound, SaysoError, WorkflowError
from ..model import Status
from ..store import Store
from ..tables import (
    eligibility,
    escalations_reached,
    publications,
    revisions,
    submissions,
    verdicts,
)
from .delegation import Delegations, principals_for
from .delegation import identities as acting_identities
from .rows import SubmissionRows
from .rules import acting_identity, known_user, may_act, moment, sees
from .views import Revision, Submission, SubmissionRecord, Verdict, aware, submission_key

HISTORY_LIMIT = 200


class Queries:
    def __init__(
        self, engine: Engine, store: Store, rows: SubmissionRows, delegations: Delegations
    ):
        self.engine = engine
        self.store = store
        self.rows = rows
        self.delegations = delegations

    def history(self, channel: str | None, kind: str) -> Iterable[str]:
        """Recent texts of a kind on a channel (every channel when None), newest first,
        for checks that compare with the past."""
        query = (
            select(revisions.c.text)
            .join(submissions, submissions.c.id == revisions.c.submission_id)
            .where(submissions.c.kind == kind)
            .order_by(submissions.c.id.desc(), revisions.c.number.desc())
            .limit(HISTORY_LIMIT)
        )
        if channel is not None:
            query = query.where(submissions.c.channel == channel)
        with self.store.read() as conn:
            return [row.text for row in conn.execute(query)]

    def get(self, sid: int) -> Submission:
        return self.rows.get(sid)

    def submissions(
        self,
        *,
        author: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Submission]:
        """Newest first."""
        query = select(submissions).order_by(submissions.c.id.desc()).limit(limit).offset(offset)
        query = self._filter(query, author, status)
        with self.store.read() as conn:
            return self.rows.views(conn, conn.execute(query).all())

    def count(self, *, author: str | None = None, status: str | None = None) -> int:
        query = self._filter(select(func.count()).select_from(submissions), author, status)
        with self.store.read() as conn:
            return conn.execute(query).scalar_one()

    @staticmethod
    def _filter(query: Any, author: str | None, status: str | None) -> Any:
        if author:
            query = query.where(submissions.c.author == author)
        if status:
            try:
                query = query.where(submissions.c.status == Status(status).value)
            except ValueError:
                raise SaysoError(
                    f"unknown status '{status}' (one of: {', '.join(s.value for s in Status)})"
                ) from None
        return query

    def queue(
        self, user: str, *, now: datetime | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Submission]:
        """Pending submissions `user` may approve or reject now (also as a delegate), oldest first."""
        now = moment(now)
        known_user(self.engine, user)
        out: list[Submission] = []
        with self.store.read() as conn:
            identities = acting_identities(conn, user, now)
            principals = principals_for(self.engine, identities)
            if not principals:
                return out
            c = submissions.c
            query = (
                select(submissions)
                .where(
                    c.status == Status.PENDING.value,
                    c.author != user,
                    c.id.in_(
                        select(eligibility.c.submission_id).where(
                            eligibility.c.principal.in_(sorted(principals))
                        )
                    ),
                )
                .order_by(c.submitted_at, c.id)
            )
            skipped = 0
            size = 200 if limit is None else min(200, offset + limit)  # most rows qualify
            for chunk in conn.execute(query).partitions(size):
                for sub in self.rows.views(conn, chunk):
                    if not may_act(self.engine, sub, identities):
                        continue
                    if skipped < offset:
                        skipped += 1
                        continue
                    out.append(sub)
                    if limit is not None and len(out) >= limit:
                        return out
        return out

    def can_act(self, sid: int, user: str, *, now: datetime | None = None) -> tuple[bool, str]:
        """Whether `user` may approve or reject the submission now, and why not."""
        now = moment(now)
        with self.store.read() as conn:
            try:
                key = submission_key(sid)
            except NotFound as err:
                return False, str(err)
            row = conn.execute(select(submissions).where(submissions.c.id == key)).first()
            if row is None:
                return False, f"no submission {sid}"
            if row.status != Status.PENDING.value:
                return False, f"submission {row.id} is {row.status}, not pending"
            sub = self.rows.view(conn, row)
            delegators = self.delegations.active_delegators(conn, user, now)
            try:
                acting_identity(self.engine, sub, user, delegators, for_approval=True)
            except WorkflowError as err:
                return False, str(err)
        return True, ""

    def may_view(self, sub: Submission, user: str) -> bool:
        """`sees`, or a delegate who may act on it now (pages, API and CLI answer alike)."""
        return sees(self.engine, sub, user) or self.can_act(sub.id, user)[0]

    def record(self, sid: int) -> SubmissionRecord:
        sub = self.get(sid)
        with self.store.read() as conn:
            revs = tuple(
                Revision(
                    r.number,
                    r.text,
                    r.text_sha256,
                    r.policy_version,
                    r.outcome,
                    aware(r.created_at),
                )
                for r in conn.execute(
                    select(revisions)
                    .where(revisions.c.submission_id == sub.id)
                    .order_by(revisions.c.number)
                )
            )
            given = tuple(
                Verdict(v.verdict, v.actor, v.on_behalf_of, v.revision, v.comment, aware(v.at))
                for v in conn.execute(
                    select(verdicts)
                    .where(verdicts.c.submission_id == sub.id)
                    .order_by(verdicts.c.id)
                )
            )
            escal = tuple(
                (e.escalation, e.level, aware(e.at))
                for e in conn.execute(
                    select(escalations_reached)
                    .where(escalations_reached.c.submission_id == sub.id)
                    .order_by(escalations_reached.c.at, escalations_reached.c.level)
                )
            )
            pubs = tuple(
                {
                    "revision": p.revision,
                    "publisher": p.publisher,
                    "at": audit.iso(aware(p.at)),
                    "ok": bool(p.ok),
                    "ref": p.ref,
                    "error": p.error,
                }
                for p in conn.execute(
                    select(publications)
                    .where(publications.c.submission_id == sub.id)
                    .order_by(publications.c.id)
                )
            )
        events = tuple(audit.AuditLog(self.store).events(submission=sub.id))
        return SubmissionRecord(sub, revs, given, escal, pubs, events)
