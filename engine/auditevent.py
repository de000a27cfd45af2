"""What an audit event is and what its hash covers.

Each event's hash covers every field of the event as canonical JSON (keys sorted,
no whitespace, UTF-8) including the previous event's hash, so editing, deleting or
reordering any event breaks the chain at that point. The chain is written by
`engine.audit.append` and read, checked and exported by `engine.auditlog.AuditLog`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from .enums import EventType
from .errors import SaysoError

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


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def event_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of every field but `hash` (only the legacy
    fields for an event written before `recorded_at` existed)."""
    names = FIELDS if record.get("recorded_at") is not None else LEGACY_FIELDS
    body = {k: record[k] for k in names if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def mac_body(record: dict[str, Any]) -> bytes:
    """What an event's MAC covers: every field but `mac` and `hash`."""
    return canonical({k: record[k] for k in FIELDS if k not in ("mac", "hash")})


class AuditError(SaysoError):
    """The audit log's own tables are missing or unusable."""


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
