"""What the workflow hands out: submissions, requirement states, verdicts, records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..model import Decision, Status, VerdictType
from ..times import aware, iso, utcnow

if TYPE_CHECKING:
    from ..auditevent import AuditEvent

__all__ = ["aware", "iso", "utcnow"]  # re-exported for the workflow modules


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_id(value) -> int | None:
    """A row id (a positive 63-bit integer) from an int or a string of ASCII digits
    (surrounding spaces allowed), else None: `int()` alone would also read '٧', '1_0',
    '+1' and True."""
    if isinstance(value, int) and not isinstance(value, bool):
        key = value
    elif isinstance(value, str) and (text := value.strip()).isascii() and text.isdigit():
        key = int(text)
    else:
        return None
    return key if 0 < key < 2**63 else None


def shown_id(value, limit: int) -> str:
    """An id as error messages show it: quoted unless it reads as a number."""
    try:
        int(value)
    except (TypeError, ValueError):
        return f"'{str(value)[:limit]}'"
    return str(value)


def submission_key(sid) -> int:
    """A submission id as stored, or NotFound (ids are positive 63-bit integers)."""
    key = stored_id(sid)
    if key is None:
        raise NotFound(f"no submission {shown_id(sid, 1000)}")
    return key


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
    verdict: str  # a VerdictType value
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
            "at": iso(self.at),
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
            return iso(moment) if moment else None

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
            approvals=[v.to_dict() for v in self.verdicts if v.verdict == VerdictType.APPROVE],
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
    events: tuple[AuditEvent, ...]

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
                    "created_at": iso(r.created_at),
                }
                for r in self.revisions
            ],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "escalations": [
                {"escalation": e, "level": n, "at": iso(at)} for e, n, at in self.escalations
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
            "starts_at": iso(self.starts_at),
            "until": iso(self.until),
            "reason": self.reason,
            "revoked_at": iso(self.revoked_at) if self.revoked_at else None,
            "active": self.active,
        }


@dataclass
class TickReport:
    escalated: list[tuple[int, str, int]] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    notified: int = 0
    inbound_escalated: list[tuple[int, str, int]] = field(default_factory=list)
    inbound_overdue: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "inbound": {
                "escalated": [
                    {"id": i, "escalation": e, "level": n} for i, e, n in self.inbound_escalated
                ],
                "overdue": self.inbound_overdue,
            },
            "escalated": [{"id": i, "escalation": e, "level": n} for i, e, n in self.escalated],
            "published": self.published,
            "overdue": self.overdue,
            "failed": [{"id": i, "error": e} for i, e in self.failed],
            "notified": self.notified,
        }
