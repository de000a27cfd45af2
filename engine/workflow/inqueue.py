"""An approver's queue as a page: filters, a total, and why each post waits for them.

The eligibility index (sign-off principals and reached escalation owners of each
unmet requirement) narrows the candidates in SQL, so the total is one count
query; the page itself still passes every row through `may_act`, the one rule
for who may act. Every change of state appends an audit event, so an unfiltered
count is kept until the audit head moves (the navigation shows it on every page).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from ..compiler import Engine
from ..model import Status
from ..store import Store
from ..tables import audit_head, eligibility, escalations_reached, submissions, verdicts
from .delegation import Delegations, identities, principals_for
from .rows import SubmissionRows
from .rules import known_user, may_act, moment
from .views import Submission

COUNTS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What an approver narrows the queue to; empty fields do not filter."""

    topic: str | None = None  # a requirement id: the topic or check asking for sign-off
    channel: str | None = None
    author: str | None = None
    escalated: bool = False  # at least one escalation level reached
    overdue: bool = False  # past its publish time, or an escalation already due


@dataclass(frozen=True, slots=True)
class QueueItem:
    submission: Submission
    why: tuple[str, ...]  # "sign-off owner for account-closure", "escalation level 2 of ..."


def reasons(engine: Engine, sub: Submission, identities: list[str]) -> tuple[str, ...]:
    """Why the post is in the queue of `identities[0]` (acting also for the others)."""
    out: list[str] = []
    for who in identities:
        suffix = "" if who == identities[0] else f", for {who} (delegation)"
        for q in sub.requirements:
            if q.met or who == sub.author:
                continue
            if engine.covers(who, q.signoff):
                out.append(f"sign-off owner for {q.id}{suffix}")
                continue
            levels = engine.escalation_levels(q.escalation) if q.escalation else ()
            for number, level in enumerate(levels[: q.level], start=1):
                if engine.covers(who, level.to):
                    out.append(f"escalation level {number} of {q.id}{suffix}")
                    break
    return tuple(dict.fromkeys(out))


class ApproverQueue:
    def __init__(
        self, engine: Engine, store: Store, rows: SubmissionRows, delegations: Delegations
    ):
        self.engine = engine
        self.store = store
        self.rows = rows
        self.delegations = delegations
        self._counts: OrderedDict[tuple, int] = OrderedDict()  # unfiltered, by audit head

    def _where(
        self, user: str, principals: set[str], flt: QueueFilter, now: datetime, *, exact: bool
    ) -> Any:
        """The candidates; `exact` also leaves out posts the user already approved (for the
        count: the page's rows pass through `may_act`, which knows that already)."""
        c = submissions.c
        owned = select(eligibility.c.submission_id).where(
            eligibility.c.principal.in_(sorted(principals))
        )
        if flt.topic:
            owned = owned.where(eligibility.c.requirement == flt.topic)
        v = verdicts.c
        mine = exists().where(
            v.submission_id == c.id,
            v.revision == c.revision,
            v.verdict == "approve",
            or_(v.on_behalf_of == user, and_(v.on_behalf_of.is_(None), v.actor == user)),
        )
        conds = [c.status == Status.PENDING.value, c.author != user, c.id.in_(owned)]
        if exact:
            conds.append(~mine)
        if flt.channel:
            conds.append(c.channel == flt.channel)
        if flt.author:
            conds.append(c.author == flt.author)
        if flt.escalated:
            conds.append(c.id.in_(select(escalations_reached.c.submission_id)))
        if flt.overdue:
            conds.append(or_(c.overdue.is_(True), c.next_escalation_at <= now))
        return and_(*conds)

    def _identities(self, conn: Any, user: str, now: datetime) -> tuple[list[str], set[str]]:
        people = identities(conn, user, now)
        return people, principals_for(self.engine, people)

    def _total(
        self, conn: Any, user: str, identities: list[str], principals: set[str], flt, now
    ) -> int:
        key = None
        if flt == QueueFilter():
            head = conn.execute(select(audit_head.c.seq)).scalar()
            key = (user, tuple(identities), head)
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
        where = self._where(user, principals, flt, now, exact=True)
        total = conn.execute(
            select(func.count()).select_from(submissions).where(where)
        ).scalar_one()
        if key is not None:
            self._counts[key] = total
            if len(self._counts) > COUNTS_KEPT:
                self._counts.popitem(last=False)
        return total

    def count(
        self, user: str, flt: QueueFilter | None = None, *, now: datetime | None = None
    ) -> int:
        """How many posts wait for `user` (for the navigation and the total)."""
        now = moment(now)
        known_user(self.engine, user)
        with self.store.read() as conn:
            identities, principals = self._identities(conn, user, now)
            if not principals:
                return 0
            return self._total(conn, user, identities, principals, flt or QueueFilter(), now)

    def page(
        self,
        user: str,
        flt: QueueFilter | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
        now: datetime | None = None,
    ) -> tuple[list[QueueItem], int]:
        """One page of the queue, oldest first, and the total matching the filter."""
        now = moment(now)
        flt = flt or QueueFilter()
        known_user(self.engine, user)
        out: list[QueueItem] = []
        with self.store.read() as conn:
            identities, principals = self._identities(conn, user, now)
            if not principals:
                return out, 0
            total = self._total(conn, user, identities, principals, flt, now)
            c = submissions.c
            where = self._where(user, principals, flt, now, exact=False)
            query = select(submissions).where(where).order_by(c.submitted_at, c.id)
            skipped = 0
            for chunk in conn.execute(query).partitions(min(200, offset + limit)):
                for sub in self.rows.views(conn, chunk):
                    if not may_act(self.engine, sub, identities):
                        continue
                    if skipped < offset:
                        skipped += 1
                        continue
                    out.append(QueueItem(sub, reasons(self.engine, sub, identities)))
                    if len(out) >= limit:
                        return out, total
        return out, total
