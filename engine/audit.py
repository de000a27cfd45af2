"""The tamper-evident audit log: a SHA-256 hash chain over canonical JSON.

Each event's hash covers every field of the event (keys sorted, no whitespace,
UTF-8) including the previous event's hash, so editing, deleting or reordering
any event breaks the chain at that point. Events are only ever inserted, in the
same transaction as the state change they record; nothing updates or deletes
them. `audit_head` holds the newest sequence number and hash, which also
exposes a truncated tail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import orjson
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from . import origin, times
from .auditkey import Keyring, load_keyring
from .errors import SaysoError, first_line
from .model import EventType
from .store import Store, audit_events, audit_head

GENESIS = "0" * 64
EVENTS = tuple(e.value for e in EventType)
# The fields of events written before `recorded_at` existed (migration 0002):
# their hash covers only these, and verify accepts them only before the first
# event that has a `recorded_at`.
LEGACY_FIELDS = (
    "seq",
    "ts",
    "actor",
    "on_behalf_of",
    "event",
    "submission_id",
    "author",
    "channel",
    "text_sha256",
    "policy_version",
    "details",
    "prev_hash",
    "hash",
)
# Provenance (migration 0002) follows the original columns, so CSV columns and
# event tuples keep their old positions.
FIELDS = LEGACY_FIELDS + (
    "recorded_at",
    "manual_clock",
    "backdated",
    "via",
    "os_user",
    "host",
    "mac",
)
_BATCH = 5000
EXPORT_FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}  # format -> media type


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


iso = times.iso  # kept here for existing callers: `audit.iso`


def event_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of every field but `hash` (only the legacy
    fields for an event written before `recorded_at` existed)."""
    names = FIELDS if record.get("recorded_at") is not None else LEGACY_FIELDS
    body = {k: record[k] for k in names if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def mac_body(record: dict[str, Any]) -> bytes:
    """What an event's MAC covers: every field but `mac` and `hash`."""
    return canonical({k: record[k] for k in FIELDS if k not in ("mac", "hash")})


def keyring(store: Store) -> Keyring:
    """The store's audit keyring, read from the environment on first use."""
    ring = getattr(store, "audit_keyring", None)
    if ring is None:
        ring = store.audit_keyring = load_keyring()
    return ring


class AuditError(SaysoError):
    """The audit log's own tables are missing or unusable."""


MANUAL_CLOCK_SLACK = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    ts: str
    actor: str
    on_behalf_of: str | None
    event: str
    submission_id: int | None
    author: str | None
    channel: str | None
    text_sha256: str | None
    policy_version: str | None
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""
    recorded_at: str | None = None
    manual_clock: bool | None = None
    backdated: bool | None = None
    via: str | None = None
    os_user: str | None = None
    host: str | None = None
    mac: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    count: int
    first_bad_seq: int | None
    message: str


_HEAD = select(
    audit_head.c.seq, audit_head.c.hash, audit_head.c.recorded_at, audit_head.c.max_ts
).where(audit_head.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
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
        raise AuditError(f"the audit log is unusable: {first_line(err.orig)}") from None
    conn.execute(
        _MOVE_HEAD, {"new_seq": seq, "new_hash": prev, "new_at": recorded, "new_max_ts": max_ts}
    )
    return [AuditEvent(**r) for r in records]


def _head_row(store: Store, conn: Connection):
    try:
        head = conn.execute(_HEAD if store.is_sqlite else _HEAD_LOCKED).first()
    except DBAPIError as err:
        raise AuditError(f"the audit log is unusable: {first_line(err.orig)}") from None
    if head is None:
        raise AuditError("the audit log has no head row (audit_head); the log was tampered with")
    return head


class AuditLog:
    """Reading, verifying and exporting the chain."""

    def __init__(self, store: Store):
        self.store = store

    def _where(self, since, until, author, channel, event, submission, text=None):
        c = audit_events.c
        conds = []
        if text:
            # case-insensitive, literal (% and _ match only themselves)
            needle = str(text).lower()
            conds.append(
                or_(
                    *(
                        func.lower(col).contains(needle, autoescape=True)
                        for col in (c.actor, c.on_behalf_of, c.event, c.details)
                    )
                )
            )
        # A time window matches an event whose effective time (`ts`) falls in it,
        # and a backdated event (dated before an earlier event) whose recorded
        # time does, so an event backdated with --at is never left out.
        if since is not None or until is not None:
            window = []
            for column in (c.ts, c.recorded_at):
                part = [] if column is c.ts else [c.backdated.is_(True)]
                if since is not None:
                    part.append(column >= (iso(since) if isinstance(since, datetime) else since))
                if until is not None:
                    part.append(column <= (iso(until) if isinstance(until, datetime) else until))
                window.append(and_(*part))
            conds.append(or_(*window))
        if author:
            conds.append(c.author == author)
        if channel:
            conds.append(c.channel == channel)
        if event:
            if event not in EVENTS:
                raise SaysoError(f"unknown event type '{event}' (one of: {', '.join(EVENTS)})")
            conds.append(c.event == event)
        if submission is not None:
            conds.append(c.submission_id == int(submission))
        return and_(*conds) if conds else None

    def _filtered(self, filters: dict[str, Any]):
        names = ("since", "until", "author", "channel", "event", "submission", "text")
        unknown = set(filters) - set(names)
        if unknown:
            raise TypeError(f"unknown audit filter {', '.join(sorted(unknown))}")
        return self._where(*(filters.get(n) for n in names))

    def events(
        self,
        *,
        since=None,
        until=None,
        author=None,
        channel=None,
        event=None,
        submission=None,
        text=None,
        after_seq: int = 0,
        before_seq: int | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[AuditEvent]:
        """Events in sequence order (or newest first, below `before_seq`), fetched in
        batches (constant memory). `text` searches actor, event type and details."""
        where = self._where(since, until, author, channel, event, submission, text)
        for rows in self._batches(where, after_seq, limit, newest_first, before_seq):
            for row in rows:
                yield _event(row)

    def _batches(
        self, where, after_seq: int = 0, limit=None, newest_first: bool = False, before_seq=None
    ):
        """Lists of raw rows (columns in FIELDS order), each read in its own short
        transaction, keyed on the sequence number so memory stays flat."""
        c = audit_events.c
        columns = [c[name] for name in FIELDS]
        cursor = after_seq
        upper = before_seq
        left = limit
        while left is None or left > 0:
            size = _BATCH if left is None else min(_BATCH, left)
            query = select(*columns)
            if newest_first:
                if upper is not None:
                    query = query.where(c.seq < upper)
                query = query.order_by(c.seq.desc())
            else:
                query = query.where(c.seq > cursor).order_by(c.seq)
            if where is not None:
                query = query.where(where)
            with self.store.read() as conn:
                rows = conn.execute(query.limit(size)).all()
            if rows:
                yield rows
            if len(rows) < size:
                return
            cursor = upper = rows[-1][0]
            if left is not None:
                left -= len(rows)

    def count(self, **filters) -> int:
        where = self._filtered(filters)
        query = select(func.count()).select_from(audit_events)
        if where is not None:
            query = query.where(where)
        with self.store.read() as conn:
            return conn.execute(query).scalar_one()

    def verify(self, progress: Callable[[int], None] | None = None) -> VerifyResult:
        """Recompute the chain (hashes, MACs when a key is set, the recorded-time
        order); name the first event that does not fit."""
        try:
            with self.store.read() as conn:
                head = conn.execute(_HEAD).first()
        except DBAPIError as err:
            return _bad(1, f"the audit log is unusable: {first_line(err.orig)}")
        if head is None:
            return _bad(1, "the audit log has no head row (audit_head): it was removed")
        from .chaincheck import ChainChecker

        checker = ChainChecker(keyring(self.store))
        try:
            for rows in self._batches(None):
                for row in rows:
                    problem = checker.step(row)
                    if problem:
                        return _bad(checker.expected, problem)
                if progress is not None:
                    progress(len(rows))
        except DBAPIError as err:
            return _bad(checker.expected, f"the audit log is unusable: {first_line(err.orig)}")
        last = checker.expected - 1
        if head.seq != last or (last and head.hash != checker.prev):
            return _bad(
                last + 1,
                f"the log ends at event {last} but its head records event {head.seq}: "
                "events were removed from the end",
            )
        if head.recorded_at is not None and head.recorded_at != (checker.recorded or None):
            return _bad(last, "the head's recorded time does not match the newest event's")
        if head.max_ts is not None and head.max_ts != (checker.max_ts or None):
            return _bad(last, "the head's latest effective time does not match the events'")
        problem = checker.finish()
        if problem:
            return _bad(last, problem)
        return VerifyResult(True, last, None, f"audit chain intact: {last} events{checker.note()}")

    def export(
        self,
        out: TextIO,
        fmt: str = "jsonl",
        progress: Callable[[int], None] | None = None,
        **filters,
    ) -> int:
        """Stream the filtered events to `out` as JSONL or CSV; returns how many."""
        written = 0
        for text, count in self._export_chunks(fmt, filters):
            out.write(text)
            written += count
            if progress is not None and count:
                progress(count)
        return written

    def export_chunks(self, fmt: str = "jsonl", **filters) -> Iterator[str]:
        """The same export as text chunks (a header, then one chunk per batch of
        events), for a caller that streams them itself, such as a web response."""
        return (text for text, _ in self._export_chunks(fmt, filters))

    def _export_chunks(self, fmt: str, filters: dict[str, Any]) -> Iterator[tuple[str, int]]:
        if fmt not in EXPORT_FORMATS:
            raise SaysoError(f"unknown export format '{fmt[:20]}' (jsonl or csv)")
        where = self._filtered(filters)  # checks the filters before the first chunk
        from .auditexport import csv_chunks, jsonl_chunks

        chunks = csv_chunks if fmt == "csv" else jsonl_chunks
        return chunks(self._batches(where), FIELDS)


def _bad(seq: int, message: str) -> VerifyResult:
    return VerifyResult(False, seq - 1, seq, message)


def _event(row) -> AuditEvent:
    data = dict(zip(FIELDS, row, strict=True))
    data["details"] = orjson.loads(data["details"])
    return AuditEvent(**data)
