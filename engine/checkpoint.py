"""Heads kept outside the database: the answer to truncation and rewrites.

A chain only proves that its events fit together; someone who can write the
database can cut the tail and fix `audit_head`, or recompute everything. A head
(`SEQ:HASH`) copied elsewhere (a ticket, an email, a WORM bucket, or the
append-only checkpoint file written here) pins the log: `verify --head` and
`verify --checkpoints` fail unless the chain still holds that event with that
hash. Checkpoints are signed with the audit key when one is set.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from .auditevent import GENESIS, AuditError, canonical
from .auditkey import Keyring, keyring
from .errors import SaysoError, first_line
from .store import Store
from .tables import audit_events
from .times import iso

_HEAD_TEXT = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    def to_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "hash": self.hash}


def parse_head(text: str) -> Head:
    """`SEQ:HASH` as printed by `sayso audit head`."""
    match = _HEAD_TEXT.match(text.strip().lower())
    if not match:
        raise SaysoError(f"'{text[:80]}' is not a head: give SEQ:HASH (64 hex digits)")
    return Head(int(match[1]), match[2])


def current_head(store: Store) -> Head:
    """The last event's sequence number and hash (0 and the genesis hash when empty)."""
    c = audit_events.c
    try:
        with store.read() as conn:
            row = conn.execute(select(c.seq, c.hash).order_by(c.seq.desc()).limit(1)).first()
    except DBAPIError as err:
        raise AuditError(f"the audit log is unusable: {first_line(err)}") from None
    return Head(row.seq, row.hash) if row else Head(0, GENESIS)


def check_heads(store: Store, heads: list[Head]) -> str | None:
    """None when the chain holds every head, else why not (the first that fails)."""
    c = audit_events.c
    with store.read() as conn:
        for head in heads:
            if head.seq == 0:
                continue  # the empty log's head pins nothing
            stored = conn.execute(select(c.hash).where(c.seq == head.seq)).scalar()
            if stored is None:
                return (
                    f"head {head.seq}:{head.hash[:12]}…: event {head.seq} is no longer in "
                    "the log (events were removed from the end)"
                )
            if stored != head.hash:
                return (
                    f"head {head.seq}:{head.hash[:12]}…: event {head.seq} now has hash "
                    f"{stored[:12]}… (the log was rewritten)"
                )
    return None


def _signed_part(entry: dict) -> bytes:
    return canonical({k: entry[k] for k in ("seq", "hash", "at")})


def write_checkpoint(store: Store, path: str | Path) -> dict:
    """Append the current head to `path` (one JSON line, signed when a key is
    set), flushed to disk; returns the line written."""
    head = current_head(store)
    entry = {"seq": head.seq, "hash": head.hash, "at": iso(datetime.now(UTC))}
    entry["mac"] = keyring(store).sign(_signed_part(entry))
    line = orjson.dumps(entry) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read_checkpoints(path: str | Path) -> list[dict]:
    """The checkpoint file's entries; a malformed line is a one-line error."""
    entries = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                entry = orjson.loads(raw)
                Head(int(entry["seq"]), str(entry["hash"]))
                parse_head(f"{entry['seq']}:{entry['hash']}")
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, SaysoError):
                raise SaysoError(f"{path}:{number}: not a checkpoint line") from None
            entry["line"] = number
            entries.append(entry)
    return entries


def check_checkpoints(store: Store, path: str | Path, ring: Keyring | None = None) -> str | None:
    """None when every checkpoint's signature holds (when a key is set) and the
    chain still holds its head, else why not."""
    ring = ring or keyring(store)
    entries = read_checkpoints(path)
    last = 0
    for entry in entries:
        where = f"{path}:{entry['line']}"
        if int(entry["seq"]) < last:
            return f"{where}: checkpoint {entry['seq']} comes after {last}: the file was edited"
        last = int(entry["seq"])
        mac = entry.get("mac")
        if ring.active:
            if not mac:
                return f"{where}: checkpoint is not signed although SAYSO_AUDIT_KEY is set"
            problem = ring.check(str(mac), _signed_part(entry))
            if problem:
                return f"{where}: checkpoint {problem}"
    problem = check_heads(store, [Head(int(e["seq"]), e["hash"]) for e in entries])
    return f"{path}: {problem}" if problem else None
