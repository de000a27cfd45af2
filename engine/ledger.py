"""What every evidence table must hold, replayed from the audit events (`Ledger`),
and the digests and times the comparison in engine/evidence.py uses."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from .auditevent import AuditEvent, canonical
from .times import iso

STATUS_OF_DECISION = {"approved": "approved", "needs_signoff": "pending", "denied": "denied"}


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def when(moment: datetime | str | None) -> str | None:
    if moment is None or isinstance(moment, str):
        return moment
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def decision_digest(decision: dict[str, Any]) -> str:
    """The part of a decision its `decided` event records, hashed: the outcome,
    reasons, requirements and topics (a stored decision has spans besides)."""
    topics = [t if isinstance(t, str) else t.get("id") for t in decision.get("topics", [])]
    return digest(
        canonical(
            {
                "decision": decision.get("decision"),
                "reasons": [
                    {k: r.get(k) for k in ("id", "kind", "message")}
                    for r in decision.get("reasons", [])
                ],
                "requirements": [
                    {k: q.get(k) for k in ("id", "signoff", "approvals")}
                    for q in decision.get("requirements", [])
                ],
                "topics": topics,
            }
        )
    )


class Ledger:
    """What every evidence table must hold, replayed from the events."""

    def __init__(self) -> None:
        self.submissions: dict[int | None, dict[str, Any]] = {}
        self.revisions: dict[tuple, dict[str, Any]] = {}
        self.verdicts: list[dict[str, Any]] = []
        self.publications: list[dict[str, Any]] = []
        self.escalations: dict[tuple, dict[str, Any]] = {}
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.delegations: dict[int, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.tokens: dict[int, dict[str, Any]] = {}
        self.inbound: dict[int, dict[str, Any]] = {}
        self.inbound_owners: dict[tuple, dict[str, Any]] = {}
        self.inbound_replies: dict[int, dict[str, Any]] = {}
        # Account changes were first audited with migration 0002: rows older than
        # the first event recorded since are accepted without an event.
        self.legacy_before: str | None = None
        self._legacy_seen = False

    def add(self, e: AuditEvent) -> None:
        if e.recorded_at is None:
            self._legacy_seen = True
        elif self._legacy_seen and self.legacy_before is None:
            self.legacy_before = e.recorded_at
        handler = getattr(self, "_" + e.event.replace(".", "_"), None)
        if handler is not None:
            handler(e, e.details)

    # ---- submissions ------------------------------------------------------------

    def _revision(self, e: AuditEvent, number: int, text: str) -> None:
        self.revisions[(e.submission_id, number)] = {
            "submission_id": e.submission_id,
            "number": number,
            "text": digest(text),
            "text_sha256": e.text_sha256,
            "created_at": e.ts,
        }
        self.submissions[e.submission_id]["revision"] = number

    def _submitted(self, e, d) -> None:
        self.submissions[e.submission_id] = {
            "id": e.submission_id,
            "author": e.author,
            "channel": e.channel,
            "kind": d.get("kind"),
            "submitted_at": e.ts,
            "status": None,
            "published_at": None,
            "retired_at": None,
        }
        self._revision(e, 1, d.get("text", ""))

    def _revised(self, e, d) -> None:
        self._revision(e, d["revision"], d.get("text", ""))

    def _decided(self, e, d) -> None:
        rev = self.revisions.get((e.submission_id, d["revision"]))
        if rev is not None:
            rev["policy_version"] = e.policy_version
            rev["outcome"] = d["decision"]
            rev["decision"] = decision_digest(d)
        self._status(e, STATUS_OF_DECISION.get(d["decision"]))

    def _status(self, e, status) -> None:
        sub = self.submissions.get(e.submission_id)
        if sub is not None:
            sub["status"] = status

    def _verdict(self, e, d, verdict: str, comment) -> None:
        self.verdicts.append(
            {
                "submission_id": e.submission_id,
                "revision": d["revision"],
                "verdict": verdict,
                "actor": e.actor,
                "on_behalf_of": e.on_behalf_of,
                "comment": comment,
                "at": e.ts,
            }
        )

    def _approved(self, e, d) -> None:
        self._verdict(e, d, "approve", d.get("comment"))
        self._status(e, d.get("status"))

    def _rejected(self, e, d) -> None:
        self._verdict(e, d, "reject", d.get("reason"))
        self._status(e, "rejected")

    def _withdrawn(self, e, d) -> None:
        self._status(e, "withdrawn")

    def _escalated(self, e, d) -> None:
        key = (e.submission_id, d["escalation"], d["level"])
        self.escalations[key] = {
            "submission_id": e.submission_id,
            "escalation": d["escalation"],
            "level": d["level"],
            "at": e.ts,
        }

    def _publication(self, e, d, ok: bool) -> None:
        self.publications.append(
            {
                "submission_id": e.submission_id,
                "revision": d["revision"],
                "publisher": d.get("publisher"),
                "at": e.ts,
                "ok": ok,
                "ref": d.get("ref"),
                "error": d.get("error"),
            }
        )

    def _published(self, e, d) -> None:
        self._publication(e, d, True)
        self._status(e, "published")
        if e.submission_id in self.submissions:
            self.submissions[e.submission_id]["published_at"] = e.ts

    def _publish_failed(self, e, d) -> None:
        self._publication(e, d, False)

    def _retired(self, e, d) -> None:
        if e.submission_id in self.submissions:
            self.submissions[e.submission_id]["retired_at"] = e.ts

    # ---- policy, delegations, credentials ------------------------------------------

    def _policy_loaded(self, e, d) -> None:
        self.snapshots[e.policy_version] = {
            "version": e.policy_version,
            "first_seen": e.ts,
            "files": d.get("sha256"),
        }

    def _delegated(self, e, d) -> None:
        self.delegations[d["delegation"]] = {
            "id": d["delegation"],
            "from_user": e.actor,
            "to_user": d["to"],
            "starts_at": e.ts,
            "until": d["until"],
            "reason": d.get("reason"),
            "revoked_at": None,
        }

    def _delegation_revoked(self, e, d) -> None:
        if d["delegation"] in self.delegations:
            self.delegations[d["delegation"]]["revoked_at"] = e.ts

    def _password_set(self, e, d) -> None:
        self.accounts[d["user"]] = {
            "user_id": d["user"],
            "password_hash": d["credential_sha256"],
            "updated_at": e.ts,
        }

    def _token_created(self, e, d) -> None:
        self.tokens[d["token"]] = {
            "id": d["token"],
            "user_id": d["user"],
            "token_hash": d["credential_sha256"],
            "name": d.get("name", ""),
            "created_at": e.ts,
            "expires_at": d.get("expires_at"),
            "revoked_at": None,
        }

    def _token_revoked(self, e, d) -> None:
        if d["token"] in self.tokens:
            self.tokens[d["token"]]["revoked_at"] = e.ts

    # ---- inbound messages ------------------------------------------------------------

    def _inbound_received(self, e, d) -> None:
        self.inbound[d["inbound_id"]] = {
            "id": d["inbound_id"],
            "channel": e.channel,
            "message_id": d.get("message_id"),
            "sender": d["from"],
            "sender_name": d.get("name", ""),
            "text": digest(d.get("text", "")),
            "text_sha256": e.text_sha256,
            "thread_id": d.get("thread_id"),
            "parent_id": d.get("parent_id"),
            "source": d.get("source"),
            "received_at": d.get("received_at"),
            "status": "open",
            "level": 0,
            "overdue": False,
            "policy_version": e.policy_version,
            "closed_by": None,
            "closed_reason": None,
            "answered_by": None,
            "resolved_at": None,
        }

    def _inbound_owner(self, e, d, principals, level: int) -> None:
        for principal in principals:
            key = (d["inbound_id"], principal)
            if key not in self.inbound_owners:
                self.inbound_owners[key] = {
                    "item_id": key[0],
                    "principal": principal,
                    "level": level,
                }

    def _inbound_routed(self, e, d) -> None:
        item = self.inbound.get(d["inbound_id"])
        if item is not None:
            item.update(
                route=d["route"],
                topics=d.get("topics"),
                escalation=d.get("escalation"),
                due_at=d.get("due_at"),
            )
        self._inbound_owner(e, d, d.get("owners", ()), 0)

    def _inbound_escalated(self, e, d) -> None:
        if d["inbound_id"] in self.inbound:
            self.inbound[d["inbound_id"]]["level"] = d["level"]
        self._inbound_owner(e, d, d.get("to", ()), d["level"])

    def _inbound_overdue(self, e, d) -> None:
        if d["inbound_id"] in self.inbound:
            self.inbound[d["inbound_id"]]["overdue"] = True

    def _inbound_replied(self, e, d) -> None:
        self.inbound_replies[d["submission_id"]] = {
            "submission_id": d["submission_id"],
            "item_id": d["inbound_id"],
            "created_at": e.ts,
        }

    def _inbound_resolved(self, e, d, status: str, **values) -> None:
        if d["inbound_id"] in self.inbound:
            self.inbound[d["inbound_id"]].update(status=status, resolved_at=e.ts, **values)

    def _inbound_answered(self, e, d) -> None:
        self._inbound_resolved(e, d, "answered", answered_by=d["submission_id"])

    def _inbound_closed(self, e, d) -> None:
        self._inbound_resolved(e, d, "closed", closed_by=e.actor, closed_reason=d.get("reason"))
