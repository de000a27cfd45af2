"""Audit filters and streamed exports, shared by the auditor pages and the JSON API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from engine.audit import EVENTS, FIELDS, AuditLog, canonical
from engine.errors import SaysoError

from .access import clean_text, parse_time

FILTERS = ("since", "until", "author", "channel", "event", "submission")


def audit_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """The filters given in a query string, checked; empty ones dropped."""
    out: dict[str, Any] = {}
    for name in ("since", "until"):
        moment = parse_time(args.get(name), name)
        if moment is not None:
            out[name] = moment
    for name in ("author", "channel"):
        value = clean_text(args.get(name) or "", name, limit=200).strip()
        if value:
            out[name] = value
    event = (args.get("event") or "").strip()
    if event:
        if event not in EVENTS:
            raise SaysoError(f"unknown event type '{event[:40]}' (one of: {', '.join(EVENTS)})")
        out["event"] = event
    submission = (args.get("submission") or "").strip()
    if submission:
        if not submission.isdigit() or len(submission) > 12:
            raise SaysoError("submission must be a submission id (a number)")
        out["submission"] = int(submission)
    return out


def export_lines(log: AuditLog, fmt: str, filters: dict[str, Any]) -> Iterator[str]:
    """The filtered events, one line at a time, in `AuditLog.export`'s exact format."""
    if fmt not in ("jsonl", "csv"):
        raise SaysoError(f"unknown export format '{fmt[:20]}' (jsonl or csv)")
    if fmt == "jsonl":
        for ev in log.events(**filters):
            yield canonical(ev.to_dict()).decode() + "\n"
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")

    def row(values) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow(values)
        return buf.getvalue()

    yield row(FIELDS)
    for ev in log.events(**filters):
        record = ev.to_dict()
        record["details"] = canonical(record["details"]).decode()
        yield row(["" if record[k] is None else record[k] for k in FIELDS])


MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
