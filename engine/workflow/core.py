"""`Workflow`: submissions under one compiled policy, stored in one database.

The workflow holds its parts and hands each request to the one that owns it:
`Transitions` (submit, revise, approve, reject, withdraw), `Ticker` (the SLA clock
and scheduled publishing), `Queries`, `Publisher`, `Notifier`, `Delegations`,
`Dashboard` and `PolicySnapshots`. Every part gets what it uses in its constructor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..compiler import Engine
from ..model import Decision
from ..store import Store
from .clock import SlaClock
from .dashboard import Dashboard
from .delegation import Delegations
from .inqueue import ApproverQueue, QueueFilter, QueueItem
from .notify import Notifier
from .publishing import Publisher
from .queries import Queries
from .rows import SubmissionRows
from .snapshots import PolicySnapshots
from .tick import Ticker
from .transitions import Transitions
from .views import Delegation, Submission, SubmissionRecord, TickReport


class Workflow:
    """Submissions under one compiled policy, stored in one database."""

    def __init__(self, engine: Engine, store: Store, pm: Any = None):
        self.engine = engine
        self.store = store
        self.pm = pm or engine.pm
        self.clock = SlaClock(engine)
        rows = SubmissionRows(engine, store)
        self.snapshots = PolicySnapshots(engine, store)
        self.notifier = Notifier(engine, store, self.pm)
        self.delegation = Delegations(engine, store)
        self.queries = Queries(engine, store, rows, self.delegation)
        self.approver_queue = ApproverQueue(engine, store, rows, self.delegation)
        from ..inbound.lifecycle import Inbound  # inbound builds on the workflow's parts

        self.inbound = Inbound(
            engine,
            store,
            snapshots=self.snapshots,
            notifier=self.notifier,
            queries=self.queries,
            clock=self.clock,
        )
        self.publisher = Publisher(
            engine, store, self.pm, rows, self.notifier, inbound=self.inbound
        )
        self.dashboard = Dashboard(engine, store)
        self.ticker = Ticker(
            engine, store, rows, self.clock, self.notifier, self.publisher, inbound=self.inbound
        )
        self.transitions = Transitions(
            engine,
            store,
            rows=rows,
            snapshots=self.snapshots,
            clock=self.clock,
            notifier=self.notifier,
            publisher=self.publisher,
            delegations=self.delegation,
            queries=self.queries,
            inbound=self.inbound,
        )

    # ---- transitions ---------------------------------------------------------------

    def submit(
        self,
        author: str,
        channel: str,
        text: str,
        *,
        kind: str | None = None,
        publish_at: datetime | None = None,
        now: datetime | None = None,
        in_reply_to: int | str | None = None,
    ) -> Submission:
        return self.transitions.submit(
            author,
            channel,
            text,
            kind=kind,
            publish_at=publish_at,
            now=now,
            in_reply_to=in_reply_to,
        )

    def check(
        self,
        author: str,
        channel: str,
        text: str,
        *,
        kind: str | None = None,
        now: datetime | None = None,
        in_reply_to: int | str | None = None,
        explain: bool = False,
    ) -> Decision:
        """The decision `submit` would make (the store's history, the message a reply
        answers); nothing is stored."""
        return self.transitions.check(
            author, channel, text, kind=kind, now=now, in_reply_to=in_reply_to, explain=explain
        )

    def revise(self, sid: int, actor: str, text: str, *, now: datetime | None = None) -> Submission:
        return self.transitions.revise(sid, actor, text, now=now)

    def approve(
        self,
        sid: int,
        actor: str,
        *,
        comment: str | None = None,
        revision: int | None = None,
        now: datetime | None = None,
    ) -> Submission:
        return self.transitions.approve(sid, actor, comment=comment, revision=revision, now=now)

    def reject(
        self,
        sid: int,
        actor: str,
        reason: str,
        *,
        revision: int | None = None,
        now: datetime | None = None,
    ) -> Submission:
        return self.transitions.reject(sid, actor, reason, revision=revision, now=now)

    def withdraw(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        return self.transitions.withdraw(sid, actor, now=now)

    def publish_now(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        return self.publisher.publish_now(sid, actor, now=now)

    def retry_publication(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        return self.publisher.retry_publication(sid, actor, now=now)

    def tick(self, *, now: datetime | None = None) -> TickReport:
        return self.ticker.tick(now=now)

    # ---- delegation ----------------------------------------------------------------

    def delegate(
        self,
        from_user: str,
        to_user: str,
        until: datetime,
        *,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Delegation:
        return self.delegation.delegate(from_user, to_user, until, reason=reason, now=now)

    def revoke_delegation(
        self, delegation_id: int, actor: str, *, now: datetime | None = None
    ) -> None:
        self.delegation.revoke(delegation_id, actor, now=now)

    def delegations(self, user: str, *, now: datetime | None = None) -> list[Delegation]:
        return self.delegation.of(user, now=now)

    # ---- reading -------------------------------------------------------------------

    def get(self, sid: int) -> Submission:
        return self.queries.get(sid)

    def submissions(
        self,
        *,
        author: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Submission]:
        return self.queries.submissions(author=author, status=status, limit=limit, offset=offset)

    def count(self, *, author: str | None = None, status: str | None = None) -> int:
        return self.queries.count(author=author, status=status)

    def queue(
        self, user: str, *, now: datetime | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Submission]:
        return self.queries.queue(user, now=now, limit=limit, offset=offset)

    def queue_page(
        self,
        user: str,
        flt: QueueFilter | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
        now: datetime | None = None,
    ) -> tuple[list[QueueItem], int]:
        return self.approver_queue.page(user, flt, limit=limit, offset=offset, now=now)

    def queue_count(self, user: str, *, now: datetime | None = None) -> int:
        return self.approver_queue.count(user, now=now)

    def can_act(self, sid: int, user: str, *, now: datetime | None = None) -> tuple[bool, str]:
        return self.queries.can_act(sid, user, now=now)

    def may_view(self, sub: Submission, user: str) -> bool:
        return self.queries.may_view(sub, user)

    def record(self, sid: int) -> SubmissionRecord:
        return self.queries.record(sid)

    def stats(
        self, *, now: datetime | None = None, limit: int = 20_000, since: datetime | None = None
    ) -> dict[str, Any]:
        return self.dashboard.stats(now=now, limit=limit, since=since)

    def policy_snapshot(self, version: str) -> dict[str, str]:
        return self.snapshots.get(version)

    def policy_versions(self, limit: int = 20) -> list[tuple[str, datetime]]:
        return self.snapshots.versions(limit)
