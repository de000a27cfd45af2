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

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError

from .auditevent import canonical
from .auditlog import AuditLog
from .errors import first_line
from .inbound.tables import inbound_items, inbound_owners, inbound_replies
from .ledger import Ledger, decision_digest, digest, when
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
