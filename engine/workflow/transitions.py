"""Transitions of a submission: submit, revise, approve, reject, withdraw.

Every transition runs in one `Store.write()` transaction that locks the
submission and appends its audit events, so concurrent approvers never produce
two transitions or a lost approval. Publishers and notifiers run after the
transition has committed: a failure is recorded and retried by `tick`, never
undoes an approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from .. import audit, duties
from ..compiler import Engine
from ..errors import SaysoError, WrongState
from ..model import Decision, EventType, Post, Status, VerdictType
from ..posttext import check_note, check_post_text
from ..store import Store, new_id
from ..tables import submissions
from .clock import SlaClock
from .delegation import Delegations
from .notify import Notifier
from .publishing import Publisher
from .queries import Queries
from .records import (
    decided_event,
    event,
    named,
    record_revision,
    record_verdict,
    write_eligibility,
)
from .rows import SubmissionRows
from .rules import (
    STATUS_OF,
    acting_identity,
    known_user,
    moment,
    require_author,
    require_pending,
    requirement_states,
)
from .snapshots import PolicySnapshots
from .views import Submission, sha256, utcnow

_INSERT_SUBMISSION = submissions.insert()


class Transitions:
    """Changes of state a person asks for, each in one transaction."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        *,
        rows: SubmissionRows,
        snapshots: PolicySnapshots,
        clock: SlaClock,
        notifier: Notifier,
        publisher: Publisher,
        delegations: Delegations,
        queries: Queries,
        inbound: Any = None,
    ):
        self.inbound = inbound  # replies link to the inbound message they answer
        self.engine = engine
        self.store = store
        self.rows = rows
        self.snapshots = snapshots
        self.clock = clock
        self.notifier = notifier
        self.publisher = publisher
        self.delegations = delegations
        self.queries = queries

    def _decide(
        self,
        author: str,
        channel: str,
        text: str,
        kind: str,
        now: datetime,
        reply_to=None,
        *,
        explain: bool = False,
    ) -> Decision:
        """`reply_to`: the `ReplyContext` of the inbound message a reply answers."""
        post = Post(author=author, channel=channel, text=text, kind=kind)
        return self.engine.decide(
            post, now=now, history=self.queries.history, reply_to=reply_to, explain=explain
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
        """The decision `submit` would make, with the store's history; stores nothing."""
        kind, text, target = self._prepare(channel, text, kind, in_reply_to)
        context = self.inbound.reply_context(target) if target else None
        return self._decide(author, channel, text, kind, moment(now), context, explain=explain)

    def _prepare(
        self, channel: str, text: str, kind: str | None, in_reply_to: int | str | None
    ) -> tuple[str, str, Any]:
        """(kind, text checked, the inbound item a reply answers or None) of a new post."""
        target = self.inbound.reply_target(in_reply_to, channel) if in_reply_to else None
        kind = kind or ("reply" if target else "post")
        if kind not in ("post", "reply"):
            raise SaysoError(f"kind must be post or reply, not '{kind}'")
        return kind, check_post_text(text), target

    # ---- submit / revise -----------------------------------------------------------

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
        """Decide a post and store it with its audit events; publish it when approved.
        `in_reply_to`: the inbound message it answers (a reply, on the message's channel)."""
        now = moment(now)
        kind, text, target = self._prepare(channel, text, kind, in_reply_to)
        publish_at = None if publish_at is None else moment(publish_at)
        context = self.inbound.reply_context(target) if target else None
        decision = self._decide(author, channel, text, kind, now, context)
        status = STATUS_OF[decision.decision]
        due_now = status is Status.APPROVED and (publish_at is None or publish_at <= now)
        with self.store.write() as conn:
            self.snapshots.record(conn, now)
            sub = self._insert(
                conn, author, channel, kind, text, decision, publish_at, now, due_now
            )
            details = {
                "revision": 1,
                "kind": kind,
                "text": text,
                "publish_at": audit.iso(publish_at) if publish_at else None,
            }
            details = named(self.engine, details, author)
            event(self.store, conn, EventType.SUBMITTED, author, now, sub, details=details)
            decided_event(self.store, conn, sub, decision, now)
            if target is not None:
                self.inbound.link_reply(conn, sub, target, now)
            self._tell_owners(conn, sub, now)
        self.notifier.deliver()
        if due_now:
            return self.publisher.deliver(sub, now, attempt=1)
        return sub

    def _insert(
        self,
        conn: Connection,
        author: str,
        channel: str,
        kind: str,
        text: str,
        decision: Decision,
        publish_at: datetime | None,
        now: datetime,
        due_now: bool,
    ) -> Submission:
        """The new submission's rows (first revision, eligibility index) and its view."""
        status = STATUS_OF[decision.decision]
        states = requirement_states(self.engine, author, decision, (), {})
        next_at = self.clock.next_due(states, now) if status is Status.PENDING else None
        sid = new_id(
            conn.execute(
                _INSERT_SUBMISSION,
                {
                    "author": author,
                    "channel": channel,
                    "kind": kind,
                    "status": status.value,
                    "revision": 1,
                    "submitted_at": now,
                    "updated_at": now,
                    "publish_at": publish_at,
                    "next_escalation_at": next_at,
                    "overdue": False,
                    # an approved post due now is claimed for publishing in this transaction
                    "publish_claimed_at": utcnow() if due_now else None,
                    "publish_attempts": 1 if due_now else 0,
                },
            )
        )
        record_revision(conn, sid, 1, text, decision, now)
        write_eligibility(conn, sid, states, fresh=True)
        return Submission(
            id=sid,
            author=author,
            channel=channel,
            kind=kind,
            status=status,
            revision=1,
            text=text,
            text_sha256=sha256(text),
            policy_version=decision.policy_version,
            decision=decision,
            requirements=states,
            submitted_at=now,
            updated_at=now,
            publish_at=publish_at,
            published_at=None,
            escalation_level=0,
            next_escalation_at=next_at,
            overdue=False,
            publish_error=None,
        )

    def _tell_owners(self, conn: Connection, sub: Submission, now: datetime) -> None:
        """A pending post is announced to everyone who may sign it off now (never its author)."""
        if sub.status is not Status.PENDING:
            return
        owners = [p for q in sub.requirements if not q.met for p in q.eligible]
        self.notifier.queue(
            conn,
            sub,
            "pending",
            owners,
            now,
            exclude=(sub.author,),
            requirements=", ".join(q.id for q in sub.requirements if not q.met),
        )

    def revise(self, sid: int, actor: str, text: str, *, now: datetime | None = None) -> Submission:
        """A new revision of a pending (or denied) post: re-decided, approvals cleared."""
        now = moment(now)
        text = check_post_text(text)
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            require_author(row, actor, "revise")
            if row.status not in (Status.PENDING.value, Status.DENIED.value):
                raise WrongState(
                    f"submission {row.id} is {row.status}; only pending or denied posts can be revised"
                )
            context = self.inbound.reply_context_of(conn, row.id) if self.inbound else None
            decision = self._decide(row.author, row.channel, text, row.kind, now, context)
            status = STATUS_OF[decision.decision]
            number = row.revision + 1
            self.snapshots.record(conn, now)
            record_revision(conn, row.id, number, text, decision, now)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(revision=number, status=status.value, updated_at=now, overdue=False)
            )
            sub = self.rows.view(conn, self.rows.lock(conn, row.id))  # levels reached stay
            write_eligibility(conn, row.id, sub.requirements)
            pending = status is Status.PENDING
            next_at = self.clock.next_due(sub.requirements, sub.submitted_at) if pending else None
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(next_escalation_at=next_at)
            )
            details = {"revision": number, "text": text, "previous_revision": row.revision}
            details = named(self.engine, details, actor)
            event(self.store, conn, EventType.REVISED, actor, now, sub, details=details)
            decided_event(self.store, conn, sub, decision, now)
            self._tell_owners(conn, sub, now)
        self.notifier.deliver()
        if status is Status.APPROVED:
            self.publisher.publish_if_due(row.id, now)
        return self.rows.get(row.id)

    # ---- approve / reject / withdraw ---------------------------------------------------

    def _acting_as(
        self, conn: Connection, sub: Submission, actor: str, now: datetime, *, for_approval: bool
    ) -> str | None:
        delegators = self.delegations.active_delegators(conn, actor, now)
        return acting_identity(self.engine, sub, actor, delegators, for_approval=for_approval)

    def approve(
        self,
        sid: int,
        actor: str,
        *,
        comment: str | None = None,
        revision: int | None = None,
        now: datetime | None = None,
    ) -> Submission:
        """One approval of `revision` (None: the current one), refused with StaleRevision
        unless it is the current revision; the last approval needed approves the post."""
        now = moment(now)
        known_user(self.engine, actor, "approver")
        if comment is not None:
            check_note(comment, "the comment")
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            duties.check_revision(row.id, row.revision, revision)
            require_pending(row)
            sub = self.rows.view(conn, row)
            on_behalf = self._acting_as(conn, sub, actor, now, for_approval=True)
            record_verdict(conn, row, VerdictType.APPROVE, actor, on_behalf, comment, now)
            after = self.rows.view(conn, row)
            done = all(q.met for q in after.requirements)
            values: dict[str, Any] = {"updated_at": now}
            if done:
                values.update(status=Status.APPROVED.value, next_escalation_at=None)
            else:
                values["next_escalation_at"] = self.clock.next_due(
                    after.requirements, after.submitted_at
                )
            conn.execute(update(submissions).where(submissions.c.id == row.id).values(**values))
            write_eligibility(conn, row.id, after.requirements)  # met ones leave the queues
            event(
                self.store,
                conn,
                EventType.APPROVED,
                actor,
                now,
                after,
                on_behalf_of=on_behalf,
                details=named(
                    self.engine,
                    {
                        "revision": row.revision,
                        "comment": comment,
                        "requirements": {q.id: list(q.approved_by) for q in after.requirements},
                        "status": Status.APPROVED.value if done else Status.PENDING.value,
                    },
                    actor,
                    on_behalf,
                ),
            )
            if done:
                self.notifier.queue(conn, after, "approved", [after.author], now)
        self.notifier.deliver()
        if done:
            self.publisher.publish_if_due(row.id, now)
        return self.rows.get(row.id)

    def reject(
        self,
        sid: int,
        actor: str,
        reason: str,
        *,
        revision: int | None = None,
        now: datetime | None = None,
    ) -> Submission:
        """One eligible rejection of `revision` (None: the current one) rejects the submission."""
        now = moment(now)
        known_user(self.engine, actor, "approver")
        if not isinstance(reason, str) or not reason.strip():
            raise SaysoError("a rejection needs a reason")
        check_note(reason)
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            duties.check_revision(row.id, row.revision, revision)
            require_pending(row)
            sub = self.rows.view(conn, row)
            on_behalf = self._acting_as(conn, sub, actor, now, for_approval=False)
            record_verdict(conn, row, VerdictType.REJECT, actor, on_behalf, reason, now)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(status=Status.REJECTED.value, updated_at=now, next_escalation_at=None)
            )
            event(
                self.store,
                conn,
                EventType.REJECTED,
                actor,
                now,
                sub,
                on_behalf_of=on_behalf,
                details=named(
                    self.engine, {"revision": row.revision, "reason": reason}, actor, on_behalf
                ),
            )
            self.notifier.queue(conn, sub, "rejected", [sub.author], now, reason=reason)
        self.notifier.deliver()
        return self.rows.get(row.id)

    def withdraw(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        """The author takes back a pending post (or an approved one not yet published)."""
        now = moment(now)
        with self.store.write() as conn:
            row = self.rows.lock(conn, sid)
            require_author(row, actor, "withdraw")
            if row.status not in (Status.PENDING.value, Status.APPROVED.value):
                raise WrongState(f"submission {row.id} is {row.status}; it cannot be withdrawn")
            if row.publish_claimed_at is not None:
                raise WrongState(f"submission {row.id} is being published; it cannot be withdrawn")
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(status=Status.WITHDRAWN.value, updated_at=now, next_escalation_at=None)
            )
            sub = self.rows.view(conn, self.rows.lock(conn, row.id))
            details = named(self.engine, {"revision": row.revision}, actor)
            event(self.store, conn, EventType.WITHDRAWN, actor, now, sub, details=details)
        return self.rows.get(row.id)
