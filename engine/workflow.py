"""The publishing workflow: submissions, approvals, escalation, delegation, publishing.

Every transition runs in one `Store.write()` transaction that locks the
submission and appends its audit events, so concurrent approvers never produce
two transitions or a lost approval. Publishers and notifiers run after the
transition has committed: a failure is recorded and retried by `tick`, never
undoes an approval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from . import audit
from .compiler import Engine
from .errors import NotFound, SaysoError, WorkflowError
from .hookspecs import Notification, Publication, PublishError, Recipient
from .model import Decision, Outcome, Post, Status, decision_from_dict
from .plugins import default_plugin_manager, notifiers, publishers
from .store import (
    Store,
    delegations,
    eligibility,
    escalations_reached,
    notifications,
    policy_snapshots,
    publications,
    revisions,
    submissions,
    verdicts,
)

_INSERT_SUBMISSION = submissions.insert()
_INSERT_REVISION = revisions.insert()
_INSERT_PUBLICATION = publications.insert()

MAX_TEXT = 100_000  # characters; far above any platform's limit
MAX_PUBLISH_ATTEMPTS = 5
MAX_NOTIFY_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=5)
HISTORY_LIMIT = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _submission_key(sid) -> int:
    """A submission id as stored, or NotFound (ids are positive 63-bit integers)."""
    try:
        key = int(sid)
    except (TypeError, ValueError):
        raise NotFound(f"no submission '{sid}'") from None
    if not 0 < key < 2**63:
        raise NotFound(f"no submission {sid}")
    return key


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they are always stored as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---- views ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequirementState:
    id: str
    kind: str
    signoff: tuple[str, ...]
    approvals: int
    approved_by: tuple[str, ...]  # user ids whose approval counts
    eligible: tuple[str, ...]  # sign-off principals plus reached escalation owners
    met: bool
    escalation: str | None = None
    level: int = 0  # escalation levels reached

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "signoff": list(self.signoff),
            "approvals": self.approvals,
            "approved_by": list(self.approved_by),
            "eligible": list(self.eligible),
            "met": self.met,
            "escalation": self.escalation,
            "level": self.level,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str  # approve | reject
    actor: str
    on_behalf_of: str | None
    revision: int
    comment: str | None
    at: datetime

    @property
    def who(self) -> str:
        """`V for U` when a delegate acted."""
        return f"{self.actor} for {self.on_behalf_of}" if self.on_behalf_of else self.actor

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "actor": self.actor,
            "on_behalf_of": self.on_behalf_of,
            "who": self.who,
            "revision": self.revision,
            "comment": self.comment,
            "at": audit.iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    author: str
    channel: str
    kind: str
    status: Status
    revision: int
    text: str
    text_sha256: str
    policy_version: str
    decision: Decision
    requirements: tuple[RequirementState, ...]
    submitted_at: datetime
    updated_at: datetime
    publish_at: datetime | None
    published_at: datetime | None
    escalation_level: int
    next_escalation_at: datetime | None
    overdue: bool
    publish_error: str | None
    verdicts: tuple[Verdict, ...] = ()  # on the current revision

    def to_dict(self) -> dict[str, Any]:
        def when(moment):
            return audit.iso(moment) if moment else None

        data = self.decision.to_dict()
        data.pop("trace", None)
        data.update(
            id=self.id,
            status=self.status.value,
            author=self.author,
            channel=self.channel,
            kind=self.kind,
            revision=self.revision,
            text=self.text,
            text_sha256=self.text_sha256,
            requirements=[q.to_dict() for q in self.requirements],
            approvals=[v.to_dict() for v in self.verdicts if v.verdict == "approve"],
            submitted_at=when(self.submitted_at),
            updated_at=when(self.updated_at),
            publish_at=when(self.publish_at),
            published_at=when(self.published_at),
            escalation_level=self.escalation_level,
            next_escalation_at=when(self.next_escalation_at),
            overdue=self.overdue,
            publish_error=self.publish_error,
        )
        return data


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    text: str
    text_sha256: str
    policy_version: str
    outcome: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """Everything an auditor needs about one submission."""

    submission: Submission
    revisions: tuple[Revision, ...]
    verdicts: tuple[Verdict, ...]  # every revision
    escalations: tuple[tuple[str, int, datetime], ...]
    publications: tuple[dict[str, Any], ...]
    events: tuple[audit.AuditEvent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.submission.to_dict(),
            "revisions": [
                {
                    "number": r.number,
                    "text": r.text,
                    "text_sha256": r.text_sha256,
                    "policy_version": r.policy_version,
                    "decision": r.outcome,
                    "created_at": audit.iso(r.created_at),
                }
                for r in self.revisions
            ],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "escalations": [
                {"escalation": e, "level": n, "at": audit.iso(at)} for e, n, at in self.escalations
            ],
            "publications": list(self.publications),
            "events": [e.to_dict() for e in self.events],
        }


@dataclass(frozen=True, slots=True)
class Delegation:
    id: int
    from_user: str
    to_user: str
    starts_at: datetime
    until: datetime
    reason: str | None
    revoked_at: datetime | None
    active: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.from_user,
            "to": self.to_user,
            "starts_at": audit.iso(self.starts_at),
            "until": audit.iso(self.until),
            "reason": self.reason,
            "revoked_at": audit.iso(self.revoked_at) if self.revoked_at else None,
            "active": self.active,
        }


@dataclass
class TickReport:
    escalated: list[tuple[int, str, int]] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    notified: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "escalated": [{"id": i, "escalation": e, "level": n} for i, e, n in self.escalated],
            "published": self.published,
            "overdue": self.overdue,
            "failed": [{"id": i, "error": e} for i, e in self.failed],
            "notified": self.notified,
        }


# ---- the workflow -------------------------------------------------------------


class Workflow:
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
        return utcnow() if now is None else _aware(now)

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
                details={"files": sorted(files)},
            )
        self._known_versions.add(version)

    def _lock(self, conn: Connection, sid: int):
        sid = _submission_key(sid)
        row = conn.execute(
            self.store.lock_clause(select(submissions).where(submissions.c.id == sid))
        ).first()
        if row is None:
            raise NotFound(f"no submission {sid}")
        return row

    def _active_delegators(self, conn: Connection, user: str, now: datetime) -> list[str]:
        """Users who have delegated their approvals to `user`, active at `now`."""
        c = delegations.c
        rows = conn.execute(
            select(c.from_user)
            .where(c.to_user == user, c.starts_at <= now, c.until > now, c.revoked_at.is_(None))
            .order_by(c.id)
        )
        return list(dict.fromkeys(r.from_user for r in rows))

    def _view(self, conn: Connection, row) -> Submission:
        rev = conn.execute(
            select(revisions).where(
                revisions.c.submission_id == row.id, revisions.c.number == row.revision
            )
        ).one()
        decision = decision_from_dict(rev.decision)
        given = tuple(
            Verdict(v.verdict, v.actor, v.on_behalf_of, v.revision, v.comment, _aware(v.at))
            for v in conn.execute(
                select(verdicts)
                .where(verdicts.c.submission_id == row.id, verdicts.c.revision == row.revision)
                .order_by(verdicts.c.id)
            )
        )
        reached: dict[str, int] = {}
        for e in conn.execute(
            select(escalations_reached.c.escalation, escalations_reached.c.level).where(
                escalations_reached.c.submission_id == row.id
            )
        ):
            reached[e.escalation] = max(reached.get(e.escalation, 0), e.level)
        states = self._states(row.author, decision, given, reached)
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
            requirements=states,
            submitted_at=_aware(row.submitted_at),
            updated_at=_aware(row.updated_at),
            publish_at=_aware(row.publish_at),
            published_at=_aware(row.published_at),
            escalation_level=max(reached.values(), default=0),
            next_escalation_at=_aware(row.next_escalation_at),
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

    def _next_escalation(self, sub: Submission) -> datetime | None:
        """When the next escalation level of an unmet requirement comes due."""
        due = []
        for q in sub.requirements:
            if q.met or not q.escalation:
                continue
            levels = self.engine.escalation_levels(q.escalation)
            if q.level < len(levels):
                due.append(sub.submitted_at + timedelta(seconds=levels[q.level].after_seconds))
        return min(due, default=None)

    def _write_eligibility(
        self, conn: Connection, sid: int, decision: Decision, *, fresh: bool = False
    ) -> None:
        if not fresh:
            conn.execute(eligibility.delete().where(eligibility.c.submission_id == sid))
        rows = {(q.id, p): "signoff" for q in decision.requirements for p in q.signoff}
        if rows:
            conn.execute(
                insert(eligibility),
                [
                    {"submission_id": sid, "requirement": q, "principal": p, "source": s}
                    for (q, p), s in rows.items()
                ],
            )

    def _event(self, conn, event, actor, now, row_or_sub, **extra) -> None:
        sub = row_or_sub
        audit.append(
            self.store,
            conn,
            event=event,
            actor=actor,
            now=now,
            submission_id=sub.id,
            author=sub.author,
            channel=sub.channel,
            text_sha256=extra.pop("text_sha256", getattr(sub, "text_sha256", None)),
            policy_version=extra.pop("policy_version", getattr(sub, "policy_version", None)),
            on_behalf_of=extra.pop("on_behalf_of", None),
            details=extra.pop("details", {}),
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
        publish_at = _aware(publish_at)
        decision = self._decide(author, channel, text, kind, now)
        status = {
            Outcome.APPROVED: Status.APPROVED,
            Outcome.NEEDS_SIGNOFF: Status.PENDING,
            Outcome.DENIED: Status.DENIED,
        }[decision.decision]
        digest = sha256(text)
        states = self._states(author, decision, (), {})
        due_now = status is Status.APPROVED and (publish_at is None or publish_at <= now)
        next_at = None
        if status is Status.PENDING:
            next_at = self._first_escalation(decision, now)
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
            conn.execute(
                _INSERT_REVISION,
                {
                    "submission_id": sid,
                    "number": 1,
                    "text": text,
                    "text_sha256": digest,
                    "policy_version": decision.policy_version,
                    "decision": decision.to_dict(),
                    "outcome": decision.decision.value,
                    "created_at": now,
                },
            )
            self._write_eligibility(conn, sid, decision, fresh=True)
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

    def _first_escalation(self, decision: Decision, submitted: datetime) -> datetime | None:
        due = [
            submitted + timedelta(seconds=levels[0].after_seconds)
            for q in decision.requirements
            if q.escalation and (levels := self.engine.escalation_levels(q.escalation))
        ]
        return min(due, default=None)

    def _decided_event(self, conn, sub, decision: Decision, now) -> None:
        self._event(
            conn,
            "decided",
            "sayso",
            now,
            sub,
            text_sha256=sub.text_sha256,
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
            status = {
                Outcome.APPROVED: Status.APPROVED,
                Outcome.NEEDS_SIGNOFF: Status.PENDING,
                Outcome.DENIED: Status.DENIED,
            }[decision.decision]
            number = row.revision + 1
            self._snapshot(conn, now)
            conn.execute(
                insert(revisions).values(
                    submission_id=row.id,
                    number=number,
                    text=text,
                    text_sha256=sha256(text),
                    policy_version=decision.policy_version,
                    decision=decision.to_dict(),
                    outcome=decision.decision.value,
                    created_at=now,
                )
            )
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(revision=number, status=status.value, updated_at=now, overdue=False)
            )
            self._write_eligibility(conn, row.id, decision)
            self._restore_escalation_eligibility(conn, row.id, decision)
            sub = self._view(conn, self._lock(conn, row.id))
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(
                    next_escalation_at=self._next_escalation(sub)
                    if status is Status.PENDING
                    else None
                )
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

    def _restore_escalation_eligibility(self, conn, sid: int, decision: Decision) -> None:
        """Levels already reached stay reached for a revised post (the clock runs on)."""
        reached = conn.execute(
            select(escalations_reached.c.escalation, func.max(escalations_reached.c.level))
            .where(escalations_reached.c.submission_id == sid)
            .group_by(escalations_reached.c.escalation)
        ).all()
        levels_by_chain = dict(reached)
        rows = {}
        for q in decision.requirements:
            if q.escalation and levels_by_chain.get(q.escalation):
                levels = self.engine.escalation_levels(q.escalation)
                for number, level in enumerate(levels[: levels_by_chain[q.escalation]], 1):
                    for p in level.to:
                        rows.setdefault((q.id, p), f"escalation:{number}")
        existing = {
            (r.requirement, r.principal)
            for r in conn.execute(select(eligibility).where(eligibility.c.submission_id == sid))
        }
        fresh = [
            {"submission_id": sid, "requirement": q, "principal": p, "source": s}
            for (q, p), s in rows.items()
            if (q, p) not in existing
        ]
        if fresh:
            conn.execute(insert(eligibility), fresh)

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
            conn.execute(
                insert(verdicts).values(
                    submission_id=row.id,
                    revision=row.revision,
                    verdict="approve",
                    actor=actor,
                    on_behalf_of=on_behalf,
                    comment=comment,
                    at=now,
                )
            )
            after = self._view(conn, row)
            done = all(q.met for q in after.requirements)
            values = {"updated_at": now}
            if done:
                values.update(status=Status.APPROVED.value, next_escalation_at=None)
            else:
                values["next_escalation_at"] = self._next_escalation(after)
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
            conn.execute(
                insert(verdicts).values(
                    submission_id=row.id,
                    revision=row.revision,
                    verdict="reject",
                    actor=actor,
                    on_behalf_of=on_behalf,
                    comment=reason,
                    at=now,
                )
            )
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

    # ---- publishing ---------------------------------------------------------------------

    def _publisher(self, channel_id: str):
        channel = self.engine.channel(channel_id)
        name = channel.publisher if channel else "outbox"
        options = dict(channel.publisher_options) if channel else {}
        key = (name, tuple(sorted(options.items(), key=lambda kv: kv[0])))
        if key not in self._publishers:
            spec = publishers(self.pm).get(name)
            if spec is None:
                raise PublishError(f"no publisher plugin named '{name}'")
            self._publishers[key] = (name, spec.build(options))
        return self._publishers[key]

    def _publish_if_due(self, sid: int, now: datetime) -> bool:
        """Claim the post in one transaction, then publish it (see `_deliver`)."""
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            if row.status != Status.APPROVED.value or row.published_at is not None:
                return False
            if row.overdue:  # approved after its time: a person decides (`publish_now`)
                return False
            publish_at = _aware(row.publish_at)
            if publish_at is not None and publish_at > now:
                return False
            claimed = _aware(row.publish_claimed_at)
            if claimed is not None and claimed > utcnow() - CLAIM_TIMEOUT:
                return False
            attempt = row.publish_attempts + 1
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sid)
                .values(publish_claimed_at=utcnow(), publish_attempts=attempt)
            )
            sub = self._view(conn, row)
        return self._deliver(sub, now, attempt=attempt).status is Status.PUBLISHED

    def _deliver(self, sub: Submission, now: datetime, *, attempt: int) -> Submission:
        """Publish a claimed post outside any transaction, then record the outcome.
        The exact approved revision is what the publisher receives."""
        approvers = tuple(v.who for v in sub.verdicts if v.verdict == "approve")
        publication = Publication(
            submission_id=str(sub.id),
            revision=sub.revision,
            channel=sub.channel,
            kind=sub.kind,
            author=sub.author,
            text=sub.text,
            text_sha256=sub.text_sha256,
            approved_by=approvers,
            policy_version=sub.policy_version,
            publish_at=sub.publish_at,
        )
        name = "outbox"
        try:
            name, publisher = self._publisher(sub.channel)
            ref, error = str(publisher.publish(publication)), None
        except Exception as err:  # a publisher's failure must never lose the approval
            ref, error = None, (str(err).strip().splitlines() or [type(err).__name__])[0]
        with self.store.write() as conn:
            self._lock(conn, sub.id)
            conn.execute(
                _INSERT_PUBLICATION,
                {
                    "submission_id": sub.id,
                    "revision": sub.revision,
                    "publisher": name,
                    "at": now,
                    "ok": error is None,
                    "ref": ref,
                    "error": error,
                },
            )
            values: dict[str, Any] = {"publish_claimed_at": None, "updated_at": now}
            if error is None:
                values.update(status=Status.PUBLISHED.value, published_at=now, publish_error=None)
            else:
                values.update(publish_error=error)
            conn.execute(update(submissions).where(submissions.c.id == sub.id).values(**values))
            self._event(
                conn,
                "published" if error is None else "publish_failed",
                "sayso",
                now,
                sub,
                details={
                    "revision": sub.revision,
                    "publisher": name,
                    "ref": ref,
                    "error": error,
                    "approved_by": list(approvers),
                    "attempt": attempt,
                },
            )
        if error is None:
            return replace(sub, status=Status.PUBLISHED, published_at=now, updated_at=now)
        return replace(sub, publish_error=error, updated_at=now)

    def publish_now(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        """The author publishes an approved post whose publish time passed while it was
        pending (never done automatically: no surprise late publishing)."""
        now = self._now(now)
        with self.store.write() as conn:
            row = self._lock(conn, sid)
            if actor != row.author:
                raise WorkflowError(
                    f"only the author ({row.author}) may publish submission {row.id}"
                )
            if row.status != Status.APPROVED.value:
                raise WorkflowError(f"submission {row.id} is {row.status}, not approved")
            if not row.overdue:
                raise WorkflowError(f"submission {row.id} is published on schedule by `sayso tick`")
            conn.execute(
                update(submissions)
                .where(submissions.c.id == row.id)
                .values(overdue=False, publish_at=now, updated_at=now)
            )
        self._publish_if_due(row.id, now)
        return self.get(row.id)

    def retry_publication(self, sid: int, actor: str, *, now: datetime | None = None) -> Submission:
        """Try a failed publication again now."""
        now = self._now(now)
        sub = self.get(sid)
        if sub.status is not Status.APPROVED or not sub.publish_error:
            raise WorkflowError(f"submission {sid} has no failed publication to retry")
        self._publish_if_due(sub.id, now)
        return self.get(sub.id)

    # ---- notifications -----------------------------------------------------------------

    def _notifier_objects(self) -> list[tuple[str, Any]]:
        if self._notifiers is None:
            found = notifiers(self.pm)
            built = []
            for config in self.engine.policy.notifiers:
                spec = found.get(config.use)
                if spec is not None:
                    built.append((config.use, spec.build(config.options_dict())))
            self._notifiers = built
        return self._notifiers

    def _recipients(self, principals_or_users: Iterable[str]) -> list[dict[str, str]]:
        users: dict[str, None] = {}
        for p in principals_or_users:
            if p.startswith(("group:", "user:")) or p == "*":
                for u in sorted(self.engine.members(p)):
                    users[u] = None
            else:
                users[p] = None
        out = []
        for u in users:
            info = self.engine.user(u)
            out.append(
                {
                    "id": u,
                    "name": getattr(info, "name", "") or "",
                    "email": getattr(info, "email", "") or "",
                }
            )
        return out

    def _queue_notification(self, conn, sub, event: str, to: Iterable[str], now, **details) -> None:
        if not self._notifier_objects():
            return
        recipients = self._recipients(to)
        subject = f"[sayso] submission {sub.id} {event.replace('_', ' ')}"
        body = (
            f"Submission {sub.id} by {sub.author} on {sub.channel} is {event.replace('_', ' ')}.\n\n"
            f"{sub.text}\n"
        )
        for key, value in details.items():
            body += f"\n{key}: {value}"
        payload = {
            "event": event,
            "subject": subject,
            "body": body,
            "recipients": recipients,
            "details": details,
        }
        conn.execute(
            insert(notifications),
            [
                {
                    "submission_id": sub.id,
                    "event": event,
                    "notifier": name,
                    "payload": payload,
                    "created_at": now,
                    "attempts": 0,
                }
                for name, _ in self._notifier_objects()
            ],
        )

    def _deliver_notifications(self) -> int:
        """Send what is queued; failures stay queued with the error, for `tick`."""
        objects = dict(self._notifier_objects())
        if not objects:
            return 0
        c = notifications.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(notifications)
                .where(c.sent_at.is_(None), c.attempts < MAX_NOTIFY_ATTEMPTS)
                .order_by(c.id)
                .limit(500)
            ).all()
        sent = 0
        for row in rows:
            notifier = objects.get(row.notifier)
            if notifier is None:
                continue
            p = row.payload
            message = Notification(
                event=p["event"],
                submission_id=str(row.submission_id),
                recipients=tuple(Recipient(**r) for r in p["recipients"]),
                subject=p["subject"],
                body=p["body"],
                details=p.get("details", {}),
            )
            try:
                notifier.notify(message)
                values = {"sent_at": utcnow(), "error": None}
                sent += 1
            except Exception as err:  # recorded and retried; never breaks a transition
                values = {"error": (str(err).strip().splitlines() or [type(err).__name__])[0]}
            with self.store.write() as conn:
                conn.execute(
                    update(notifications)
                    .where(c.id == row.id, c.sent_at.is_(None))
                    .values(attempts=c.attempts + 1, **values)
                )
        return sent

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
                    fresh = [
                        {
                            "submission_id": sid,
                            "requirement": q.id,
                            "principal": p,
                            "source": f"escalation:{number}",
                        }
                        for q in reqs
                        for p in level.to
                        if p not in q.eligible
                    ]
                    if fresh:
                        conn.execute(insert(eligibility), fresh)
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
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sid)
                .values(next_escalation_at=self._next_escalation(after))
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
            key = _submission_key(sid)
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
            return [self._view(conn, row) for row in conn.execute(query).all()]

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
            for row in conn.execute(query).yield_per(200):
                sub = self._view(conn, row)
                if not self._may_act(sub, identities):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(sub)
                if limit is not None and len(out) >= limit:
                    break
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
                key = _submission_key(sid)
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
                    _aware(r.created_at),
                )
                for r in conn.execute(
                    select(revisions)
                    .where(revisions.c.submission_id == sub.id)
                    .order_by(revisions.c.number)
                )
            )
            given = tuple(
                Verdict(v.verdict, v.actor, v.on_behalf_of, v.revision, v.comment, _aware(v.at))
                for v in conn.execute(
                    select(verdicts)
                    .where(verdicts.c.submission_id == sub.id)
                    .order_by(verdicts.c.id)
                )
            )
            escal = tuple(
                (e.escalation, e.level, _aware(e.at))
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
                    "at": audit.iso(_aware(p.at)),
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

    # ---- delegation ---------------------------------------------------------------------

    def delegate(
        self,
        from_user: str,
        to_user: str,
        until: datetime,
        *,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Delegation:
        """While active, `to_user` may approve and reject for `from_user`."""
        now = self._now(now)
        self._user(from_user)
        self._user(to_user)
        until = _aware(until)
        if from_user == to_user:
            raise WorkflowError("a user cannot delegate to themself")
        if until is None or until <= now:
            raise WorkflowError("a delegation must end in the future (--until)")
        with self.store.write() as conn:
            did = conn.execute(
                insert(delegations).values(
                    from_user=from_user, to_user=to_user, starts_at=now, until=until, reason=reason
                )
            ).inserted_primary_key[0]
            audit.append(
                self.store,
                conn,
                event="delegated",
                actor=from_user,
                now=now,
                details={
                    "delegation": did,
                    "to": to_user,
                    "until": audit.iso(until),
                    "reason": reason,
                },
            )
        return self._delegation(did, now)

    def revoke_delegation(
        self, delegation_id: int, actor: str, *, now: datetime | None = None
    ) -> None:
        now = self._now(now)
        try:
            key = int(delegation_id)
        except (TypeError, ValueError):
            raise NotFound(f"no delegation '{delegation_id}'") from None
        if not 0 < key < 2**63:
            raise NotFound(f"no delegation {delegation_id}")
        with self.store.write() as conn:
            row = conn.execute(
                self.store.lock_clause(select(delegations).where(delegations.c.id == key))
            ).first()
            if row is None:
                raise NotFound(f"no delegation {delegation_id}")
            if actor != row.from_user:
                raise WorkflowError(f"only {row.from_user} may revoke delegation {row.id}")
            if row.revoked_at is not None:
                raise WorkflowError(f"delegation {row.id} is already revoked")
            conn.execute(
                update(delegations).where(delegations.c.id == row.id).values(revoked_at=now)
            )
            audit.append(
                self.store,
                conn,
                event="delegation_revoked",
                actor=actor,
                now=now,
                details={"delegation": row.id, "to": row.to_user},
            )

    def delegations(self, user: str, *, now: datetime | None = None) -> list[Delegation]:
        now = self._now(now)
        c = delegations.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(delegations)
                .where(or_(c.from_user == user, c.to_user == user))
                .order_by(c.id.desc())
            ).all()
        out = [self._row_delegation(r, now) for r in rows]
        return sorted(out, key=lambda d: not d.active)

    def _delegation(self, did: int, now: datetime) -> Delegation:
        with self.store.read() as conn:
            row = conn.execute(select(delegations).where(delegations.c.id == did)).one()
        return self._row_delegation(row, now)

    @staticmethod
    def _row_delegation(row, now: datetime) -> Delegation:
        starts, until, revoked = _aware(row.starts_at), _aware(row.until), _aware(row.revoked_at)
        return Delegation(
            id=row.id,
            from_user=row.from_user,
            to_user=row.to_user,
            starts_at=starts,
            until=until,
            reason=row.reason,
            revoked_at=revoked,
            active=revoked is None and starts <= now < until,
        )

    # ---- dashboard ----------------------------------------------------------------------

    def stats(self, *, now: datetime | None = None, limit: int = 20_000) -> dict[str, Any]:
        """Time to approval (median, p90) by topic and owner, SLA breaches and escalations
        per owner group, pending submissions by escalation level. Over the newest `limit`."""
        import statistics

        now = self._now(now)
        c = submissions.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(c.id, c.status, c.submitted_at, revisions.c.decision)
                .join(
                    revisions,
                    (revisions.c.submission_id == c.id) & (revisions.c.number == c.revision),
                )
                .where(
                    c.status.in_(
                        [Status.PENDING.value, Status.APPROVED.value, Status.PUBLISHED.value]
                    )
                )
                .order_by(c.id.desc())
                .limit(limit)
            ).all()
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
                    approved_at[v[0]] = _aware(v[1])
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
                hours = (approved_at[row.id] - _aware(row.submitted_at)).total_seconds() / 3600
                for q in reqs:
                    by_topic.setdefault(q["id"], []).append(hours)
                for owner in owners:
                    by_owner.setdefault(owner, []).append(hours)
            if levels:
                for owner in owners:
                    breaches[owner] = breaches.get(owner, 0) + 1
                for chain, top in levels.items():
                    for level in self.engine.escalation_levels(chain)[:top]:
                        for p in level.to:
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
            "time_to_approval_by_topic": {k: summary(v) for k, v in sorted(by_topic.items())},
            "time_to_approval_by_owner": {k: summary(v) for k, v in sorted(by_owner.items())},
            "sla_breaches_by_owner": dict(sorted(breaches.items())),
            "escalations_by_owner": dict(sorted(escalations.items())),
            "pending_by_escalation_level": dict(sorted(pending_by_level.items())),
        }

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
        return [(r.version, _aware(r.first_seen)) for r in rows]
