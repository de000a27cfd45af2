"""The publishing workflow: submissions, approvals, escalation, delegation, publishing.

Every transition runs in one `Store.write()` transaction that locks the
submission and appends its audit events, so concurrent approvers never produce
two transitions or a lost approval. Publishers and notifiers run after the
transition has committed: a failure is recorded and retried by `tick`, never
undoes an approval.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from . import audit
from .compiler import Engine
from .dashboard import DashboardMixin
from .delegation import DelegationMixin
from .errors import NotFound, SaysoError, WorkflowError
from .model import Decision, Outcome, Post, Status, decision_from_dict
from .notify import NotifyingMixin
from .plugins import default_plugin_manager
from .publishing import MAX_PUBLISH_ATTEMPTS, PublishingMixin
from .store import (
    Store,
    eligibility,
    escalations_reached,
    policy_snapshots,
    publications,
    revisions,
    submissions,
    verdicts,
)

# ---- the workflow -------------------------------------------------------------
from .submission import (
    RequirementState,
    Revision,
    Submission,
    SubmissionRecord,
    TickReport,
    Verdict,
    aware,
    sha256,
    submission_key,
    utcnow,
)

_INSERT_SUBMISSION = submissions.insert()
_INSERT_REVISION = revisions.insert()
_INSERT_VERDICT = verdicts.insert()

STATUS_OF = {
    Outcome.APPROVED: Status.APPROVED,
    Outcome.NEEDS_SIGNOFF: Status.PENDING,
    Outcome.DENIED: Status.DENIED,
}
MAX_TEXT = 100_000  # characters; far above any platform's limit
HISTORY_LIMIT = 200


class Workflow(PublishingMixin, NotifyingMixin, DelegationMixin, DashboardMixin):
    """Submissions under one compiled policy, stored in one database."""

    def __init__(self, engine: Engine, store: Store, pm: Any = None):
        self.engine = engine
        self.store = store
        self.pm = pm or default_plugin_manager()
        self._known_versions: set[str] = set()
        self._publishers: dict[tuple, Any] = {}
        self._notifiers: list[tuple[str, Any]] | None = None

    # ---- helpers ---------------------------------------------------------------

    def _now(self, now: datetime | None) -> datetime:
        return utcnow() if now is None else aware(now)

    def _user(self, user: str, what: str = "user") -> str:
        if not isinstance(user, str) or user not in self.engine.policy.users:
            raise WorkflowError(f"unknown {what} '{user}'")
        return user

    def _history(self, channel: str, kind: str) -> Iterable[str]:
        query = (
            select(revisions.c.text)
            .join(submissions, submissions.c.id == revisions.c.submission_id)
            .where(submissions.c.channel == channel, submissions.c.kind == kind)
            .order_by(submissions.c.id.desc(), revisions.c.number.desc())
            .limit(HISTORY_LIMIT)
        )
        with self.store.read() as conn:
            return [row.text for row in conn.execute(query)]

    def _check_text(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise SaysoError("the post text is empty")
        if len(text) > MAX_TEXT:
            raise SaysoError(f"the post text is {len(text)} characters; the limit is {MAX_TEXT}")
        if "\x00" in text:
            raise SaysoError("the post text contains a NUL character")
        return text

    def _decide(self, author, channel, text, kind, now) -> Decision:
        post = Post(author=author, channel=channel, text=text, kind=kind)
        return self.engine.decide(post, now=now, history=self._history)

    def _snapshot(self, conn: Connection, now: datetime) -> None:
        """Store the policy behind a decision, whole, the first time it decides."""
        version = self.engine.version
        if version in self._known_versions:
            return
        files = {
            path: data.decode("utf-8", "replace") for path, data in self.engine.policy.files.items()
        }
        dialect = postgresql if not self.store.is_sqlite else sqlite
        result = conn.execute(
            dialect.insert(policy_snapshots)
            .values(version=version, files=files, first_seen=now)
            .on_conflict_do_nothing(index_elements=["version"])
        )
        if result.rowcount:
            audit.append(
                self.store,
                conn,
                event="policy_loaded",
                actor="sayso",
                now=now,
                policy_version=version,
                details={"files": sorted(files), "sha256": sha256(audit.canonical(files).decode())},
            )
        self._known_versions.add(version)

    def _lock(self, conn: Connection, sid: int):
        sid = submission_key(sid)
        row = conn.execute(
            self.store.lock_clause(select(submissions).where(submissions.c.id == sid))
        ).first()
        if row is None:
            raise NotFound(f"no submission {sid}")
        return row

    def _view(self, conn: Connection, row) -> Submission:
        return self._views(conn, [row])[0]

    def _views(self, conn: Connection, rows) -> list[Submission]:
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
            self._build_view(row, revs[row.id], tuple(given[row.id]), reached[row.id])
            for row in rows
        ]

    def _build_view(self, row, rev, given: tuple[Verdict, ...], reached: dict[str, int]):
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
            requirements=self._states(row.author, decision, given, reached),
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

    def _eligible(self, requirement, reached: dict[str, int]) -> tuple[str, ...]:
        principals = list(requirement.signoff)
        if requirement.escalation and reached.get(requirement.escalation):
            levels = self.engine.escalation_levels(requirement.escalation)
            for level in levels[: reached[requirement.escalation]]:
                principals.extend(level.to)
        return tuple(dict.fromkeys(principals))

    def _states(self, author, decision, given, reached) -> tuple[RequirementState, ...]:
        approvers = [
            v.on_behalf_of or v.actor for v in given if v.verdict == "approve"
        ]  # effective identities, in order
        states = []
        for q in decision.requirements:
            eligible = self._eligible(q, reached)
            counted = tuple(
                dict.fromkeys(
                    who for who in approvers if who != author and self.engine.covers(who, eligible)
                )
            )
            states.append(
                RequirementState(
                    id=q.id,
                    kind=q.kind,
                    signoff=q.signoff,
                    approvals=q.approvals,
                    approved_by=counted,
                    eligible=eligible,
                    met=len(counted) >= q.approvals,
                    escalation=q.escalation,
                    level=reached.get(q.escalation, 0) if q.escalation else 0,
                )
            )
        return tuple(states)

    def _next_escalation(
        self, states: tuple[RequirementState, ...], submitted: datetime
    ) -> datetime | None:
        """When the next escalation level of an unmet requirement comes due."""
        due = []
        for q in states:
            if q.met or not q.escalation:
                continue
            levels = self.engine.escalation_levels(q.escalation)
            if q.level < len(levels):
                due.append(submitted + timedelta(seconds=levels[q.level].after_seconds))
        return min(due, default=None)

    @staticmethod
    def _write_eligibility(
        conn: Connection, sid: int, states: tuple[RequirementState, ...], *, fresh: bool = False
    ) -> None:
        """The queue's index of who may act: each requirement's eligible principals
        (its sign-off plus the owners of every escalation level reached)."""
        if not fresh:
            conn.execute(eligibility.delete().where(eligibility.c.submission_id == sid))
        rows = [
            {
                "submission_id": sid,
                "requirement": q.id,
                "principal": p,
                "source": "signoff" if p in q.signoff else "escalation",
            }
            for q in states
            for p in q.eligible
        ]
        if rows:
            conn.execute(insert(eligibility), rows)

    def _event(
        self,
        conn: Connection,
        event: str,
        actor: str,
        now: datetime,
        sub: Submission,
        *,
        details: dict[str, Any] | None = None,
        on_behalf_of: str | None = None,
        policy_version: str | None = None,
    ) -> None:
        """An audit event about `sub`, in the transaction that changes it."""
        audit.append(
            self.store,
            conn,
            event=event,
            actor=actor,
            now=now,
            submission_id=sub.id,
            author=sub.author,
            channel=sub.channel,
            text_sha256=sub.text_sha256,
            policy_version=policy_version or sub.policy_version,
            on_behalf_of=on_behalf_of,
            details=details,
        )

    # ---- submit / revise -----------------------------------------------------------

    def submit(
        self,
        author: str,
        channel: str,
        text: str,
        *,
        kind: str = "post",
        publish_at: datetime | None = None,
        now: datetime | None = None,
    ) -> Submission:
        """Decide a post and store it with its audit events; publish it when approved."""
        now = self._now(now)
        if kind not in ("post", "reply"):
            raise SaysoError(f"kind must be post or reply, not '{kind}'")
        text = self._check_text(text)
        publish_at = aware(publish_at)
        decision = self._decide(author, channel, text, kind, now)
        status = STATUS_OF[decision.decision]
        digest = sha256(text)
        states = self._states(author, decision, (), {})
        due_now = status is Status.APPROVED and (publish_at is None or publish_at <= now)
        next_at = self._next_escalation(states, now) if status is Status.PENDING else None
        with self.store.write() as conn:
            self._snapshot(conn, now)
            sid = conn.execute(
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
            ).inserted_primary_key[0]
            self._record_revision(conn, sid, 1, text, decision, now)
            self._write_eligibility(conn, sid, states, fresh=True)
            sub = Submission(
                id=sid,
                author=author,
                channel=channel,
                kind=kind,
                status=status,
                revision=1,
                text=text,
                text_sha256=digest,
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
            self._event(
                conn,
                "submitted",
                author,
                now,
                sub,
                details={
                    "revision": 1,
                    "kind": kind,
                    "text": text,
                    "publish_at": audit.iso(publish_at) if publish_at else None,
                },
            )
            self._decided_event(conn, sub, decision, now)
        if due_now:
            return self._deliver(sub, now, attempt=1)
        return sub

    @staticmethod
    def _record_revision(conn, sid: int, number: int, text: str, decision: Decision, now) -> None:
        """The exact text, its SHA-256 and the decision on it, under the deciding policy."""
        conn.execute(
            _INSERT_REVISION,
            {
                "submission_id": sid,
                "number": number,
                "text": text,
                "text_sha256": sha256(text),
                "policy_version": decision.policy_version,
                "decision": decision.to_dict(),
                "outcome": decision.decision.value,
                "created_at": now,
            },
        )

    def _decided_event(self, conn, sub, decision: Decision, now) -> None:
        self._event(
            conn,
            "decided",
            "sayso",
            now,
            sub,
            policy_version=decision.policy_version,
            details={
                "revision": sub.revision,
                "decision": decision.decision.value,
                "reasons": [
                    {"id": r.id, "kind": r.kind, "message": r.message} for r in decision.reasons
                ],
                "requirements": [
                    {"id": q.id, "signoff": list(q.signoff), "approvals": q.approvals}
                    for q in decision.requirements
                ],
                "topics": [t.id for t in decision.topics],
            },
        )

    def revise(self, sid: int, actor: str, text: str, *, now: datetime | None = None) -> Submission:
        """A new revision of a pending (or denied) post: re-decided, approvals cleared."""
        now = self._now(now)
        text = self._check_text(text)
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            if actor != row.author:
                raise WorkflowError(
                    f"only the author ({row.author}) may revise submission {row.id}"
                )
            if row.status not in (Status.PENDING.value, Status.DENIED.value):
                raise WorkflowError(
                    f"submission {row.id} is {row.status}; only pending or denied posts can be revised"
                )
            decision = self._decide(row.author, row.channel, text, row.kind, now)
            status = STATUS_OF[decision.decision]
            number = row.revision + 1
            self._snapshot(conn, now)
            self._record_revision(conn, row.id, number, text, decision, now)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(revision=number, status=status.value, updated_at=now, overdue=False)
            )
            sub = self._view(conn, self._lock(conn, row.id))  # levels reached stay reached
            self._write_eligibility(conn, row.id, sub.requirements)
            pending = status is Status.PENDING
            next_at = self._next_escalation(sub.requirements, sub.submitted_at) if pending else None
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(next_escalation_at=next_at)
            )
            self._event(
                conn,
                "revised",
                actor,
                now,
                sub,
                details={"revision": number, "text": text, "previous_revision": row.revision},
            )
            self._decided_event(conn, sub, decision, now)
        if status is Status.APPROVED:
            self._publish_if_due(row.id, now)
        return self.get(row.id)

    # ---- approve / reject / withdraw ---------------------------------------------------

    def _acting_identity(
        self, conn, sub: Submission, actor: str, now: datetime, *, for_approval: bool
    ):
        """Whom `actor` acts as: themself if eligible, else someone who delegated to them."""
        if actor == sub.author:
            raise WorkflowError(
                f"{actor} cannot {'approve' if for_approval else 'reject'} their own post "
                f"(submission {sub.id}; separation of duties)"
            )
        open_reqs = [q for q in sub.requirements if not q.met]
        already = {v.on_behalf_of or v.actor for v in sub.verdicts if v.verdict == "approve"}
        candidates = [actor] + [u for u in self._active_delegators(conn, actor, now) if u != actor]
        blocked_self = False
        for who in candidates:
            if who == sub.author:
                blocked_self = True
                continue
            if for_approval and who in already:
                continue
            pool = open_reqs if for_approval else sub.requirements
            if any(self.engine.covers(who, q.eligible) for q in pool):
                return None if who == actor else who
        if for_approval and actor in already:
            raise WorkflowError(
                f"{actor} has already approved revision {sub.revision} of submission {sub.id}"
            )
        if blocked_self:
            raise WorkflowError(
                f"{actor} acts for {sub.author}, the author; a delegation cannot approve one's own post"
            )
        needed = "; ".join(
            f"{q.id} needs {' or '.join(q.eligible) or 'nobody'}"
            for q in (open_reqs or sub.requirements)
        )
        raise WorkflowError(f"{actor} may not act on submission {sub.id} ({needed})")

    @staticmethod
    def _record_verdict(conn, row, verdict: str, actor, on_behalf, comment, now) -> None:
        """An approval or rejection, bound to the submission's current revision."""
        conn.execute(
            _INSERT_VERDICT,
            {
                "submission_id": row.id,
                "revision": row.revision,
                "verdict": verdict,
                "actor": actor,
                "on_behalf_of": on_behalf,
                "comment": comment,
                "at": now,
            },
        )

    def _pending(self, row) -> None:
        if row.status != Status.PENDING.value:
            raise WorkflowError(f"submission {row.id} is {row.status}, not pending")

    def approve(
        self, sid: int, actor: str, *, comment: str | None = None, now: datetime | None = None
    ) -> Submission:
        """One approval of the current revision; the last one needed approves the post."""
        now = self._now(now)
        self._user(actor, "approver")
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            self._pending(row)
            sub = self._view(conn, row)
            on_behalf = self._acting_identity(conn, sub, actor, now, for_approval=True)
            self._record_verdict(conn, row, "approve", actor, on_behalf, comment, now)
            after = self._view(conn, row)
            done = all(q.met for q in after.requirements)
            values = {"updated_at": now}
            if done:
                values.update(status=Status.APPROVED.value, next_escalation_at=None)
            else:
                values["next_escalation_at"] = self._next_escalation(
                    after.requirements, after.submitted_at
                )
            conn.execute(update(submissions).where(submissions.c.id == row.id).values(**values))
            self._event(
                conn,
                "approved",
                actor,
                now,
                after,
                on_behalf_of=on_behalf,
                details={
                    "revision": row.revision,
                    "comment": comment,
                    "requirements": {q.id: list(q.approved_by) for q in after.requirements},
                    "status": Status.APPROVED.value if done else Status.PENDING.value,
                },
            )
            if done:
                self._queue_notification(conn, after, "approved", [after.author], now)
        self._deliver_notifications()
        if done:
            self._publish_if_due(row.id, now)
        return self.get(row.id)

    def reject(
        self, sid: int, actor: str, reason: str, *, now: datetime | None = None
    ) -> Submission:
        """One eligible rejection rejects the submission."""
        now = self._now(now)
        self._user(actor, "approver")
        if not isinstance(reason, str) or not reason.strip():
            raise SaysoError("a rejection needs a reason")
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            self._pending(row)
            sub = self._view(conn, row)
            on_behalf = self._acting_identity(conn, sub, actor, now, for_approval=False)
            self._record_verdict(conn, row, "reject", actor, on_behalf, reason, now)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(status=Status.REJECTED.value, updated_at=now, next_escalation_at=None)
            )
            self._event(
                conn,
                "rejected",
                actor,
                now,
                sub,
                on_behalf_of=on_behalf,
                details={"revision": row.revision, "reason": reason},
            )
            self._queue_notification(conn, sub, "rejected", [sub.author], now, reason=reason)
        self._deliver_notifications()
        return self.get(row.id)

    def withdraw(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        """The author takes back a pending post (or an approved one not yet published)."""
        now = self._now(now)
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            if actor != row.author:
                raise WorkflowError(
                    f"only the author ({row.author}) may withdraw submission {row.id}"
                )
            if row.status not in (Status.PENDING.value, Status.APPROVED.value):
                raise WorkflowError(f"submission {row.id} is {row.status}; it cannot be withdrawn")
            if row.publish_claimed_at is not None:
                raise WorkflowError(
                    f"submission {row.id} is being published; it cannot be withdrawn"
                )
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(status=Status.WITHDRAWN.value, updated_at=now, next_escalation_at=None)
            )
            sub = self._view(conn, self._lock(conn, row.id))
            self._event(conn, "withdrawn", actor, now, sub, details={"revision": row.revision})
        return self.get(row.id)

    # ---- tick ---------------------------------------------------------------------------

    def tick(self, *, now: datetime | None = None) -> TickReport:
        """Apply every escalation due by `now`, publish what is due, flag overdue posts,
        retry failed publications and notifications. Idempotent."""
        now = self._now(now)
        report = TickReport()
        c = submissions.c
        with self.store.read() as conn:
            due = [
                r.id
                for r in conn.execute(
                    select(c.id)
                    .where(c.status == Status.PENDING.value, c.next_escalation_at <= now)
                    .order_by(c.id)
                )
            ]
        for sid in due:
            report.escalated.extend(self._escalate(sid, now))
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
        for sid in overdue:
            if self._flag_overdue(sid, now):
                report.overdue.append(sid)
        for sid in to_publish:
            if self._publish_if_due(sid, now):
                report.published.append(sid)
            else:
                sub = self.get(sid)
                if sub.publish_error and sub.status is Status.APPROVED:
                    report.failed.append((sid, sub.publish_error))
        report.notified = self._deliver_notifications()
        return report

    def _escalate(self, sid: int, now: datetime) -> list[tuple[int, str, int]]:
        applied = []
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            if row.status != Status.PENDING.value:
                return applied
            sub = self._view(conn, row)
            submitted = sub.submitted_at
            chains: dict[str, list] = {}
            for q in sub.requirements:
                if q.escalation and not q.met:
                    chains.setdefault(q.escalation, []).append(q)
            for chain, reqs in chains.items():
                levels = self.engine.escalation_levels(chain)
                start = reqs[0].level
                for number in range(start + 1, len(levels) + 1):
                    level = levels[number - 1]
                    if submitted + timedelta(seconds=level.after_seconds) > now:
                        break
                    conn.execute(
                        insert(escalations_reached).values(
                            submission_id=sid, escalation=chain, level=number, at=now
                        )
                    )
                    owners = sorted(
                        {u for p in level.to for u in self.engine.members(p)} - {sub.author}
                    )
                    self._event(
                        conn,
                        "escalated",
                        "sayso",
                        now,
                        sub,
                        details={
                            "escalation": chain,
                            "level": number,
                            "to": list(level.to),
                            "owners": owners,
                            "requirements": [q.id for q in reqs],
                            "due_at": audit.iso(submitted + timedelta(seconds=level.after_seconds)),
                        },
                    )
                    self._queue_notification(
                        conn, sub, "escalated", level.to, now, level=number, escalation=chain
                    )
                    applied.append((sid, chain, number))
            after = self._view(conn, row)
            if applied:
                self._write_eligibility(conn, sid, after.requirements)
            next_at = self._next_escalation(after.requirements, submitted)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sid)
                .values(next_escalation_at=next_at)
            )
        return applied

    def _flag_overdue(self, sid: int, now: datetime) -> bool:
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            if row.status != Status.PENDING.value or row.overdue:
                return False
            sub = self._view(conn, row)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sid)
                .values(overdue=True, updated_at=now)
            )
            owners = [p for q in sub.requirements if not q.met for p in q.eligible]
            self._event(
                conn,
                "overdue",
                "sayso",
                now,
                sub,
                details={
                    "revision": sub.revision,
                    "publish_at": audit.iso(sub.publish_at),
                    "owners": sorted(
                        {u for p in owners for u in self.engine.members(p)} - {sub.author}
                    ),
                },
            )
            self._queue_notification(
                conn, sub, "overdue", owners, now, publish_at=audit.iso(sub.publish_at)
            )
        return True

    # ---- reading ------------------------------------------------------------------------

    def get(self, sid: int) -> Submission:
        with self.store.read() as conn:
            key = submission_key(sid)
            row = conn.execute(select(submissions).where(submissions.c.id == key)).first()
            if row is None:
                raise NotFound(f"no submission {key}")
            return self._view(conn, row)

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
            return self._views(conn, conn.execute(query).all())

    def count(self, *, author: str | None = None, status: str | None = None) -> int:
        query = self._filter(select(func.count()).select_from(submissions), author, status)
        with self.store.read() as conn:
            return conn.execute(query).scalar_one()

    @staticmethod
    def _filter(query, author, status):
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
        now = self._now(now)
        self._user(user)
        out: list[Submission] = []
        with self.store.read() as conn:
            identities = [user] + self._active_delegators(conn, user, now)
            principals = set()
            for who in identities:
                principals |= self.engine.principals_of(who)
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
                for sub in self._views(conn, chunk):
                    if not self._may_act(sub, identities):
                        continue
                    if skipped < offset:
                        skipped += 1
                        continue
                    out.append(sub)
                    if limit is not None and len(out) >= limit:
                        return out
        return out

    def _may_act(self, sub: Submission, identities: list[str]) -> bool:
        already = {v.on_behalf_of or v.actor for v in sub.verdicts if v.verdict == "approve"}
        for who in identities:
            if who == sub.author or who in already:
                continue
            if any(not q.met and self.engine.covers(who, q.eligible) for q in sub.requirements):
                return True
        return False

    def can_act(self, sid: int, user: str, *, now: datetime | None = None) -> tuple[bool, str]:
        """Whether `user` may approve or reject the submission now, and why not."""
        now = self._now(now)
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
            sub = self._view(conn, row)
            try:
                self._acting_identity(conn, sub, user, now, for_approval=True)
            except WorkflowError as err:
                return False, str(err)
        return True, ""

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

    # ---- policy snapshots -------------------------------------------------------------------

    def policy_snapshot(self, version: str) -> dict[str, str]:
        """The exact policy files behind a decision (a version prefix is enough)."""
        if not version or len(version) < 6:
            raise SaysoError("give at least 6 characters of the policy version")
        with self.store.read() as conn:
            rows = conn.execute(
                select(policy_snapshots).where(
                    policy_snapshots.c.version.startswith(version, autoescape=True)
                )
            ).all()
        if not rows:
            raise NotFound(f"no stored policy version {version}")
        if len(rows) > 1:
            raise SaysoError(f"policy version {version} is ambiguous; give more characters")
        return dict(rows[0].files)

    def policy_versions(self, limit: int = 20) -> list[tuple[str, datetime]]:
        with self.store.read() as conn:
            rows = conn.execute(
                select(policy_snapshots.c.version, policy_snapshots.c.first_seen)
                .order_by(policy_snapshots.c.first_seen.desc())
                .limit(limit)
            ).all()
        return [(r.version, aware(r.first_seen)) for r in rows]
