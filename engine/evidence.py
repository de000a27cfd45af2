"""The stored records re-derived from the audit log, compared field by field.

The chain protects the events; the tables beside it (revision texts, verdicts,
publications, statuses, escalation levels, policy snapshots, delegations,
credentials, inbound messages with their owners and replies) are what the workflow
reads and what `show` prints. Replaying the events gives what each row must hold;
`check_records` names the first row that differs, was added without an event, or is
missing. Operational columns that change without an event (claims, attempt counters,
the eligibility index, the notification queue, `updated_at`, an inbound message's
schedule) are not evidence and are not compared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError

from .auditevent import AuditEvent, canonical
from .auditlog import AuditLog
from .errors import first_line
from .inbound.tables import inbound_items, inbound_owners, inbound_replies
from .store import Store
from .tables import (
    accounts,
    api_tokens,
    delegations,
    escalations_reached,
    policy_snapshots,
    publications,
    revisions,
    submissions,
    verdicts,
)
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


# ---- how each table's rows are read for comparison ---------------------------------


def _row(columns: Iterable[str], convert: dict[str, Callable] | None = None):
    convert = convert or {}

    def read(row) -> dict[str, Any]:
        out = {}
        for name in columns:
            value = row._mapping[name]
            if name in convert:
                value = convert[name](value)
            elif isinstance(value, datetime):
                value = when(value)
            out[name] = value
        return out

    return read


def _text_consistent(row) -> str | None:
    if digest(row.text) != row.text_sha256:
        return (
            f"revision {row.number} of submission {row.submission_id}: its text does not "
            "hash to its recorded SHA-256 (the text or the hash was changed)"
        )
    return None


# (label, table, key columns or None for event order, compared columns, converters, ledger attr)
TableSpec = tuple[
    str, Table, tuple[str, ...] | None, tuple[str, ...], dict[str, Callable[[Any], Any]], str
]
TABLES: tuple[TableSpec, ...] = (
    ("policy snapshot", policy_snapshots, ("version",), ("version", "first_seen", "files"),
     {"files": lambda files: digest(canonical(files))}, "snapshots"),
    ("submission", submissions, ("id",),
     ("id", "author", "channel", "kind", "submitted_at", "status", "revision", "published_at",
      "retired_at"), {}, "submissions"),
    ("revision", revisions, ("submission_id", "number"),
     ("submission_id", "number", "text", "text_sha256", "created_at", "policy_version",
      "outcome", "decision"), {"text": digest, "decision": decision_digest}, "revisions"),
    ("verdict", verdicts, None,
     ("submission_id", "revision", "verdict", "actor", "on_behalf_of", "comment", "at"),
     {}, "verdicts"),
    ("publication", publications, None,
     ("submission_id", "revision", "publisher", "at", "ok", "ref", "error"),
     {"ok": bool}, "publications"),
    ("escalation level", escalations_reached, ("submission_id", "escalation", "level"),
     ("submission_id", "escalation", "level", "at"), {}, "escalations"),
    ("delegation", delegations, ("id",),
     ("id", "from_user", "to_user", "starts_at", "until", "reason", "revoked_at"), {},
     "delegations"),
    ("account", accounts, ("user_id",), ("user_id", "password_hash", "updated_at"),
     {"password_hash": digest}, "accounts"),
    ("API token", api_tokens, ("id",),
     ("id", "user_id", "token_hash", "name", "created_at", "expires_at", "revoked_at"),
     {"token_hash": digest}, "tokens"),
    ("inbound item", inbound_items, ("id",),
     ("id", "channel", "message_id", "sender", "sender_name", "text", "text_sha256",
      "thread_id", "parent_id", "source", "received_at", "status", "route", "topics",
      "escalation", "level", "due_at", "overdue", "policy_version", "closed_by",
      "closed_reason", "answered_by", "resolved_at"),
     {"text": digest, "overdue": bool}, "inbound"),
    ("inbound owner", inbound_owners, ("item_id", "principal"),
     ("item_id", "principal", "level"), {}, "inbound_owners"),
    ("inbound reply", inbound_replies, ("submission_id",),
     ("submission_id", "item_id", "created_at"), {}, "inbound_replies"),
)  # fmt: skip


def _differ(label: str, key, stored: dict, expected: dict) -> str | None:
    for name, value in stored.items():
        want = expected.get(name, value)
        if name == "files" and want is None:
            continue  # snapshots logged before their digest was
        if value != want:
            return (
                f"{label} {key}: {name} is {_show(value)} in the database but "
                f"{_show(want)} in the audit log"
            )
    return None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _compare_table(conn, spec: TableSpec, ledger: Ledger) -> str | None:
    label, table, key_cols, cols, convert, attr = spec
    expected = getattr(ledger, attr)
    read = _row(cols, convert)
    order = [table.c[k] for k in key_cols] if key_cols else [table.c.id]
    seen = 0
    for row in conn.execute(select(table).order_by(*order)):
        if table is revisions:
            problem = _text_consistent(row)
            if problem:
                return problem
        stored = read(row)
        key: object
        if key_cols is None:
            key = f"#{row.id}"
            want = expected[seen] if seen < len(expected) else None
        else:
            values = tuple(row._mapping[k] for k in key_cols)
            key = values[0] if len(values) == 1 else values
            want = expected.get(key)
        if want is None and _predates_auditing(table, stored, ledger):
            continue
        seen += 1
        if want is None:
            return f"{label} {key} is in the database but no audit event records it"
        problem = _differ(label, key, stored, want)
        if problem:
            return problem
    if seen < len(expected):
        missing = (
            expected[seen] if key_cols is None else _first_missing(conn, table, key_cols, expected)
        )
        return (
            f"a {label} recorded in the audit log is missing from the database ({_show(missing)})"
        )
    return None


def _predates_auditing(table: Table, stored: dict, ledger: Ledger) -> bool:
    """An account or token from before account changes were audited."""
    column = {"accounts": "updated_at", "api_tokens": "created_at"}.get(table.name)
    if column is None or not ledger._legacy_seen:
        return False
    return ledger.legacy_before is None or (stored[column] or "") < ledger.legacy_before


def _first_missing(conn, table, key_cols, expected: dict):
    present = set()
    for row in conn.execute(select(*[table.c[k] for k in key_cols])):
        present.add(row[0] if len(key_cols) == 1 else tuple(row))
    return next((k for k in expected if k not in present), None)


def replay(store: Store) -> Ledger:
    ledger = Ledger()
    for event in AuditLog(store).events():
        ledger.add(event)
    return ledger


def check_records(store: Store) -> str | None:
    """None when every evidence table agrees with the log, else the first difference."""
    try:
        ledger = replay(store)
        with store.read() as conn:
            for spec in TABLES:
                problem = _compare_table(conn, spec, ledger)
                if problem:
                    return problem
    except DBAPIError as err:
        return f"the records cannot be read: {first_line(err)}"
    except (KeyError, TypeError, ValueError) as err:
        return f"an audit event lacks what its type requires ({first_line(err)})"
    return None
