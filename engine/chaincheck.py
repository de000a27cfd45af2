"""Checking the chain event by event: numbering, previous hash, own hash, the
MAC when keys are known, and that the recorded time never goes back. Used on
the database (`AuditLog.verify`) and on an archive's JSONL (`engine.archive`)."""

from __future__ import annotations

import hashlib

import orjson

from .auditevent import FIELDS, GENESIS, LEGACY_FIELDS, mac_body
from .auditkey import Keyring

_NEW_FIELDS = FIELDS[len(LEGACY_FIELDS) :]
_loads, _dumps, _SORT, _sha256 = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256


class ChainChecker:
    """Checks events one by one in sequence order: numbering, previous hash, own
    hash, MAC (when keys are known), and that `recorded_at` never goes back."""

    def __init__(self, ring: Keyring):
        self.ring = ring
        self.expected = 1
        self.prev = GENESIS
        self.recorded = ""
        self.max_ts = ""
        self.keyed_from: int | None = None
        self.last_mac: str | None = None
        self.unchecked = 0

    def step(self, row) -> str | None:
        """Check one row (columns in FIELDS order, details as JSON text)."""
        seq = row[0]
        if seq != self.expected:
            return (
                f"event {self.expected} is missing (the sequence jumps from "
                f"{self.expected - 1} to {seq})"
            )
        body = dict(zip(FIELDS, row, strict=True))
        stored = body.pop("hash")
        try:
            body["details"] = _loads(body["details"])
        except orjson.JSONDecodeError:
            return f"event {seq}: details are not valid JSON"
        if body["prev_hash"] != self.prev:
            return f"event {seq}: previous hash does not match event {seq - 1}"
        if body["recorded_at"] is None:  # written before migration 0002
            for name in _NEW_FIELDS:
                del body[name]
        if _sha256(_dumps(body, option=_SORT)).hexdigest() != stored:
            return f"event {seq}: hash does not match its contents"
        body["hash"] = stored
        problem = self._clock(body) or self._backdated(body) or self._mac(body)
        if problem:
            return problem
        self.prev = stored
        self.expected += 1
        return None

    def _clock(self, record) -> str | None:
        seq, recorded = record["seq"], record.get("recorded_at")
        if recorded is None:
            if self.recorded:
                return f"event {seq}: has no recorded time although earlier events have one"
            return None
        if recorded < self.recorded:
            return (
                f"event {seq}: recorded at {recorded}, before event {seq - 1} "
                f"({self.recorded}); events were reordered or backdated"
            )
        self.recorded = recorded
        return None

    def _backdated(self, record) -> str | None:
        """`backdated` is true exactly when the effective time is earlier than
        an earlier event's (so a time-window export cannot be made to miss it)."""
        ts, flag = record["ts"], record.get("backdated")
        expected = ts < self.max_ts
        self.max_ts = max(self.max_ts, ts)
        if "backdated" in record and flag is not expected:
            return f"event {record['seq']}: its backdated mark is wrong"
        return None

    def _mac(self, record) -> str | None:
        seq, value = record["seq"], record.get("mac")
        self.last_mac = value
        if value is None:
            if self.keyed_from is not None and self.ring.active:
                return f"event {seq}: carries no MAC although event {self.keyed_from} did"
            return None
        if self.keyed_from is None:
            self.keyed_from = seq
        if not self.ring.active:
            self.unchecked += 1
            return None
        problem = self.ring.check(value, mac_body(record))
        return f"event {seq}: {problem}" if problem else None

    def finish(self) -> str | None:
        """With a key set, the newest event must carry a MAC: otherwise the chain
        may have been recomputed (or the MACs stripped) by someone without it."""
        if self.ring.active and self.expected > 1 and self.last_mac is None:
            return (
                f"event {self.expected - 1}, the newest, carries no MAC although "
                "SAYSO_AUDIT_KEY is set: the chain was recomputed or the key was not in use"
            )
        return None

    def note(self) -> str:
        if self.unchecked:
            return f" ({self.unchecked} MACs not checked: SAYSO_AUDIT_KEY is not set)"
        if self.ring.active and self.keyed_from is not None:
            return f" (MACs checked from event {self.keyed_from})"
        return ""
