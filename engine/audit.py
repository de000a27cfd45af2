"""The tamper-evident audit log: appending events to the SHA-256 hash chain.

Events are only ever inserted, in the same transaction as the state change they
record; nothing updates or deletes them. `audit_head` holds the newest sequence
number and hash, which also exposes a truncated tail. What an event is and what
its hash covers: `engine.auditevent`; reading, verifying, exporting:
`engine.auditlog.AuditLog` (both re-exported here).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from . import origin, times
from .auditevent import (
    EVENTS,
    FIELDS,
    GENESIS,
    LEGACY_FIELDS,
    AuditError,
    AuditEvent,
    VerifyResult,
    canonical,
    event_hash,
    mac_body,
)
from .auditkey import keyring
from .auditlog import EXPORT_FORMATS, HEAD, AuditLog
from .errors import first_line
from .store import Store
from .tables import audit_events, audit_head

__all__ = [
    "EVENTS",
    "EXPORT_FORMATS",
    "FIELDS",
    "GENESIS",
    "LEGACY_FIELDS",
    "MANUAL_CLOCK_SLACK",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "VerifyResult",
    "append",
    "append_many",
    "canonical",
    "event_hash",
    "iso",
    "keyring",
    "mac_body",
]

iso = times.iso  # kept here for existing callers: `audit.iso`
MANUAL_CLOCK_SLACK = timedelta(minutes=15)

_HEAD_LOCKED = HEAD.with_for_update()
_INSERT = audit_events.insert()
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(
        seq=bindparam("new_seq"),
        hash=bindparam("new_hash"),
        recorded_at=bindparam("new_at"),
        max_ts=bindparam("new_max_ts"),
    )
)


def append(
    store: Store,
    conn: Connection,
    *,
    event: str,
    actor: str,
    now: datetime,
    submission_id: int | None = None,
    author: str | None = None,
    channel: str | None = None,
    text_sha256: str | None = None,
    policy_version: str | None = None,
    details: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (which it serialises)."""
    [appended] = append_many(
        store,
        conn,
        [
            {
                "event": event,
                "actor": actor,
                "now": now,
                "submission_id": submission_id,
                "author": author,
                "channel": channel,
                "text_sha256": text_sha256,
                "policy_version": policy_version,
                "details": details,
                "on_behalf_of": on_behalf_of,
            }
        ],
    )
    return appended


def append_many(store: Store, conn: Connection, events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append events in order inside the caller's transaction: one read of the head,
    one multi-row insert, one move of the head (for bulk deliveries). Each dict holds
    `append`'s keyword arguments.

    `ts` is the effective time `now`; `recorded_at` is the system clock, never
    earlier than the previous event's, so a clock stepping back cannot reorder
    the log. `backdated` marks an effective time earlier than an earlier event's.
    `via`, the OS account and host come from `origin.current()`."""
    if not events:
        return []
    head = _head_row(store, conn)
    wall = datetime.now(UTC)
    recorded = max(iso(wall), head.recorded_at or "")
    source = origin.current()
    ring = keyring(store)
    seq, prev, max_ts = head.seq, head.hash, head.max_ts or ""
    records = []
    for given in events:
        now = given["now"]
        ts = iso(now)
        record = {
            "seq": seq + 1,
            "ts": ts,
            "recorded_at": recorded,
            "manual_clock": source.manual_clock or abs(now - wall) > MANUAL_CLOCK_SLACK,
            "backdated": ts < max_ts,
            "via": source.via,
            "os_user": source.os_user,
            "host": source.host,
            "actor": given["actor"],
            "on_behalf_of": given.get("on_behalf_of"),
            "event": given["event"],
            "submission_id": given.get("submission_id"),
            "author": given.get("author"),
            "channel": given.get("channel"),
            "text_sha256": given.get("text_sha256"),
            "policy_version": given.get("policy_version"),
            "details": given.get("details") or {},
            "mac": None,
            "prev_hash": prev,
        }
        record["mac"] = ring.sign(mac_body(record))
        record["hash"] = event_hash(record)
        records.append(record)
        seq, prev, max_ts = record["seq"], record["hash"], max(max_ts, ts)
    rows = [dict(r, details=canonical(r["details"]).decode()) for r in records]
    try:
        conn.execute(_INSERT, rows)
    except DBAPIError as err:
        raise AuditError(f"the audit log is unusable: {first_line(err)}") from None
    conn.execute(
        _MOVE_HEAD, {"new_seq": seq, "new_hash": prev, "new_at": recorded, "new_max_ts": max_ts}
    )
    return [AuditEvent(**r) for r in records]


def _head_row(store: Store, conn: Connection):
    try:
        head = conn.execute(HEAD if store.is_sqlite else _HEAD_LOCKED).first()
    except DBAPIError as err:
        raise AuditError(f"the audit log is unusable: {first_line(err)}") from None
    if head is None:
        raise AuditError("the audit log has no head row (audit_head); the log was tampered with")
    return head
