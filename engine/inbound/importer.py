"""`sayso inbound import FILE`: messages from JSONL or CSV, streamed.

One message per JSONL line (an object) or CSV row (with a header line). Keys:
`channel`, `from` (the sender's handle), `text`, and optionally `name`,
`message_id`, `at` (received time, ISO 8601), `thread_id`, `parent_id`. A bad line is
reported with its line number and skipped; the good lines are stored, in batches,
with their routing and audit events. A repeated message (same channel and message
id, in the file or already stored) counts as a duplicate.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from ..errors import SaysoError
from ..times import parse_time
from .items import Message

KEYS = ("channel", "from", "text", "name", "message_id", "at", "thread_id", "parent_id")
ALIASES = {"sender": "from", "handle": "from", "id": "message_id", "received_at": "at"}
CHUNK = 500
MAX_LINE = 1_000_000


@dataclass
class ImportReport:
    added: int = 0
    duplicates: list[int] = field(default_factory=list)  # line numbers
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, why)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicate": len(self.duplicates),
            "invalid": len(self.invalid),
            "duplicate_lines": self.duplicates,
            "errors": [{"line": n, "error": why} for n, why in self.invalid],
        }


def message_from(record: Any) -> Message:
    """A Message from a JSON object or CSV row; SaysoError naming what is wrong."""
    if not isinstance(record, dict):
        raise SaysoError("not an object with channel, from and text")
    given = {ALIASES.get(k, k): v for k, v in record.items() if isinstance(k, str)}
    unknown = sorted(k for k in given if k not in KEYS)
    if unknown:
        raise SaysoError(f"unknown key '{unknown[0][:40]}' (keys: {', '.join(KEYS)})")
    missing = [k for k in ("channel", "from", "text") if given.get(k) in (None, "")]
    if missing:
        raise SaysoError(f"missing {', '.join(missing)}")
    return Message(
        channel=given["channel"],
        sender=given["from"],
        text=given["text"],
        name=given.get("name") or "",
        message_id=given.get("message_id"),
        thread_id=given.get("thread_id"),
        parent_id=given.get("parent_id"),
        received_at=parse_time(given.get("at"), "at"),
    )


def _jsonl(handle: IO[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield number, SaysoError(f"the line is longer than {MAX_LINE} characters")
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as err:
            yield number, SaysoError(f"not valid JSON: {str(err).split(':')[0]}")


def _csv(handle: IO[str]) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(handle, strict=True)
    try:
        for row in reader:
            if None in row:
                yield reader.line_num, SaysoError("more fields than the header names")
            elif any(v is None for v in row.values()):
                yield reader.line_num, SaysoError("fewer fields than the header names")
            else:
                yield reader.line_num, {k: v for k, v in row.items() if v != "" or k == "text"}
    except csv.Error as err:
        yield reader.line_num, SaysoError(f"bad CSV: {err}")


def records(handle: IO[str], fmt: str) -> Iterator[tuple[int, Message | SaysoError]]:
    """(line number, Message or the error) for each non-blank line or row."""
    source = _csv(handle) if fmt == "csv" else _jsonl(handle)
    for number, raw in source:
        if isinstance(raw, SaysoError):
            yield number, raw
            continue
        try:
            yield number, message_from(raw)
        except SaysoError as err:
            yield number, err


def guess_format(name: str, first: str) -> str:
    lower = name.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "jsonl" if first.lstrip().startswith("{") else "csv"


def import_messages(
    inbound: Any,
    lines: Iterable[tuple[int, Message | SaysoError]],
    *,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    chunk: list[tuple[int, Message]] = []

    def flush() -> None:
        results = inbound.receive_many([m for _, m in chunk], source=source)
        for (number, _), (item, error) in zip(chunk, results, strict=True):
            if error is not None:
                report.invalid.append((number, str(error)))
            elif item.duplicate:
                report.duplicates.append(number)
            else:
                report.added += 1
        if progress is not None:
            progress(len(chunk))
        chunk.clear()

    for number, entry in lines:
        if isinstance(entry, SaysoError):
            report.invalid.append((number, str(entry)))
            continue
        chunk.append((number, entry))
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    report.invalid.sort()
    return report
