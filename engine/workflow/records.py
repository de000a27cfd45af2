"""Rows a transition writes in its own transaction: revisions, verdicts, the queue's
eligibility index and audit events about a submission."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from .. import audit
from ..model import Decision, EventType
from ..store import Store, new_id
from ..tables import eligibility, revisions, submissions, verdicts
from .rules import STATUS_OF
from .views import RequirementState, Submission, sha256, utcnow

_INSERT_SUBMISSION = submissions.insert()
_INSERT_REVISION = revisions.insert()
_INSERT_VERDICT = verdicts.insert()


def named(engine, details: dict[str, Any], *user_ids: str | None) -> dict[str, Any]:
    """`details` with the names the policy gives these people now (`names`), so the
    record of a communication names its preparer and approvers as they were called
    when they acted, whatever later policies say."""
    users = engine.policy.users
    names = {u: users[u].name for u in dict.fromkeys(user_ids) if u in users and users[u].name}
    return {**details, "names": names} if names else details


def event(
    store: Store,
    conn: Connection,
    name: str,
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
        store,
        conn,
        event=name,
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


def decided_event(
    store: Store, conn: Connection, sub: Submission, decision: Decision, now: datetime
) -> None:
    event(
        store,
        conn,
        EventType.DECIDED,
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


def record_revision(
    conn: Connection, sid: int, number: int, text: str, decision: Decision, now: datetime
) -> None:
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


def record_verdict(
    conn: Connection,
    row: Any,
    verdict: str,
    actor: str,
    on_behalf: str | None,
    comment: str | None,
    now: datetime,
) -> None:
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


def write_eligibility(
    conn: Connection, sid: int, states: tuple[RequirementState, ...], *, fresh: bool = False
) -> None:
    """The queue's index of who may act: each unmet requirement's eligible principals
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
        if not q.met
        for p in q.eligible
    ]
    if rows:
        conn.execute(insert(eligibility), rows)


def insert_submission(
    conn: Connection,
    author: str,
    channel: str,
    kind: str,
    text: str,
    decision: Decision,
    states: tuple[RequirementState, ...],
    next_at: datetime | None,
    publish_at: datetime | None,
    now: datetime,
    due_now: bool,
) -> Submission:
    """A new submission's rows (first revision, eligibility index) and its view; `due_now`:
    an approved post due now, claimed for publishing in this transaction."""
    status = STATUS_OF[decision.decision]
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
