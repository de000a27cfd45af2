"""A sealed archive of the log for write-once storage, verifiable offline.

`write_archive` copies the verified chain from its first event up to a time
(a prefix, so it verifies from the genesis hash) into a new directory:
`events.jsonl` and `events.csv` (the export formats), `records.jsonl` (the
regulator's record per communication), `policies/VERSION.json` (the policy
files behind every decision) and `head.json`, which names the last event and
the SHA-256 of every file and is signed with the audit key when one is set.
`verify_archive` needs only the directory (and the key, to check signatures).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .auditevent import FIELDS, AuditEvent, VerifyResult, canonical
from .auditexport import csv_chunks
from .auditkey import Keyring
from .auditlog import AuditLog
from .chaincheck import ChainChecker
from .errors import SaysoError
from .records import Names, communications
from .store import Store
from .times import iso
from .version import policy_version

HEAD = "head.json"
FORMAT = "sayso-archive-1"


def _row(event: AuditEvent) -> tuple:
    data = event.to_dict()
    data["details"] = canonical(event.details).decode()
    return tuple(data[k] for k in FIELDS)


def _events_until(store: Store, until: datetime) -> Iterator[AuditEvent]:
    """The prefix of the chain recorded by `until` (recorded time never decreases)."""
    limit = iso(until)
    for event in AuditLog(store).events():
        if (event.recorded_at or event.ts) > limit:
            return
        yield event


def _csv(rows: list[tuple]) -> str:
    """The events as the CSV export writes them (one batch)."""
    return "".join(text for text, _ in csv_chunks([rows] if rows else [], FIELDS))


def _jsonl(items) -> bytes:
    return b"".join(orjson.dumps(item, option=orjson.OPT_SORT_KEYS) + b"\n" for item in items)


def write_archive(
    store: Store, directory: str | Path, until: datetime, names: Names, ring: Keyring, snapshots
) -> dict[str, Any]:
    """Write the archive; `snapshots(version)` gives a policy's files. Returns head.json."""
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise SaysoError(f"{target} is not empty; an archive is written to a new directory")
    events = list(_events_until(store, until))
    if not events:
        raise SaysoError(f"no events were recorded by {iso(until)}")
    rows = [_row(e) for e in events]
    records = communications(events, names)
    versions = sorted(
        {
            e.policy_version
            for e in events
            if e.event == "policy_loaded" and e.policy_version is not None
        }
    )
    files: dict[str, bytes] = {
        "events.jsonl": _jsonl(e.to_dict() for e in events),  # as `audit export` writes
        "events.csv": _csv(rows).encode("utf-8"),
        "records.jsonl": _jsonl(records[sid] for sid in sorted(records)),
    }
    for version in versions:
        files[f"policies/{version}.json"] = orjson.dumps(
            {"version": version, "files": snapshots(version)}, option=orjson.OPT_SORT_KEYS
        )
    (target / "policies").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (target / name).write_bytes(data)
    head = {
        "format": FORMAT,
        "seq": events[-1].seq,
        "hash": events[-1].hash,
        "until": iso(until),
        "created_at": iso(datetime.now(UTC)),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    head["mac"] = ring.sign(canonical(head))
    (target / HEAD).write_bytes(
        orjson.dumps(head, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    )
    for path in [target / HEAD, *(target / name for name in files)]:
        os.chmod(path, 0o444)  # a reminder: the archive is never edited
    return head


def verify_archive(directory: str | Path, ring: Keyring) -> VerifyResult:
    """Check an archive offline; the first problem found is the message."""
    try:
        return _verify(Path(directory), ring)
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as err:
        return VerifyResult(False, 0, None, f"{directory}: unreadable archive ({err})")


def _verify(root: Path, ring: Keyring) -> VerifyResult:
    head = orjson.loads((root / HEAD).read_bytes())
    if head.get("format") != FORMAT:
        return _no(f"{root / HEAD}: not a sayso archive head")
    signed = {k: v for k, v in head.items() if k != "mac"}
    if ring.active:
        if not head.get("mac"):
            return _no("the archive head is not signed although SAYSO_AUDIT_KEY is set")
        problem = ring.check(head["mac"], canonical(signed))
        if problem:
            return _no(f"the archive head is {problem}")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {HEAD}
    if present != set(head["files"]):
        extra = sorted(present ^ set(head["files"]))
        return _no(f"the archive's files differ from its head: {', '.join(extra[:5])}")
    for name, digest in sorted(head["files"].items()):
        if hashlib.sha256((root / name).read_bytes()).hexdigest() != digest:
            return _no(f"{name} was changed after the archive was sealed")
    return _verify_contents(root, head, ring)


def _verify_contents(root: Path, head: dict, ring: Keyring) -> VerifyResult:
    lines = (root / "events.jsonl").read_bytes().splitlines()
    checker = ChainChecker(ring)
    events = []
    for line in lines:
        record = orjson.loads(line)
        record["details"] = canonical(record["details"]).decode()
        row = tuple(record[k] for k in FIELDS)
        problem = checker.step(row)
        if problem:
            return VerifyResult(False, checker.expected - 1, checker.expected, problem)
        events.append(AuditEvent(**dict(record, details=orjson.loads(record["details"]))))
    problem = checker.finish()
    if problem:
        return _no(problem)
    if not events or (events[-1].seq, events[-1].hash) != (head["seq"], head["hash"]):
        return _no("events.jsonl does not end at the event its head names")
    rows = [_row(e) for e in events]
    if (root / "events.csv").read_text(encoding="utf-8") != _csv(rows):
        return _no("events.csv does not match events.jsonl")
    problem = _check_policies(root, events) or _check_records(root, events)
    if problem:
        return _no(problem)
    return VerifyResult(
        True,
        len(events),
        None,
        f"archive intact: {len(events)} events up to {head['until']}{checker.note()}",
    )


def _check_policies(root: Path, events: list[AuditEvent]) -> str | None:
    used = {e.policy_version for e in events if e.policy_version}
    for version in sorted(used):
        path = root / "policies" / f"{version}.json"
        if not path.exists():
            return f"policy {version[:12]} behind a decision is not in the archive"
        files = orjson.loads(path.read_bytes())["files"]
        if policy_version({p: t.encode("utf-8") for p, t in files.items()}) != version:
            return f"policies/{version}.json does not hash to its version"
    return None


def _check_records(root: Path, events: list[AuditEvent]) -> str | None:
    stored = [orjson.loads(line) for line in (root / "records.jsonl").read_bytes().splitlines()]
    names = {}
    for record in stored:
        for p in _people(record):
            names[p["id"]] = p["name"]
    rebuilt = communications(events, lambda u: names.get(u))
    if stored != [orjson.loads(orjson.dumps(rebuilt[k])) for k in sorted(rebuilt)]:
        return "records.jsonl does not match the events"
    return None


def _people(record: dict) -> Iterator[dict]:
    for key in ("preparer", "retired_by"):
        if record.get(key):
            yield record[key]
    for item in (
        record.get("approvals", []) + record.get("rejections", []) + record.get("modifications", [])
    ):
        for key in ("by", "on_behalf_of"):
            if item.get(key):
                yield item[key]


def _no(message: str) -> VerifyResult:
    return VerifyResult(False, 0, None, message)
