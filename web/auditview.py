"""Audit filters from a query string, shared by the auditor pages and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from engine.auditevent import EVENTS
from engine.errors import SaysoError

from .access import clean_text, local_time

FILTERS = ("since", "until", "tz", "q", "author", "channel", "event", "submission")


def audit_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """The filters given in a query string, checked; empty ones dropped."""
    out: dict[str, Any] = {}
    for name in ("since", "until"):
        moment = local_time(args, name)
        if moment is not None:
            out[name] = moment
    text = clean_text(args.get("q") or "", "search text", limit=200).strip()
    if text:
        out["text"] = text
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
        if not (submission.isascii() and submission.isdigit()) or len(submission) > 18:
            raise SaysoError("submission must be a submission id (a number)")
        out["submission"] = int(submission)
    return out


def export_name(filters: Mapping[str, Any], fmt: str) -> str:
    """`sayso-audit_2026-05-04T0930Z_to_2026-05-05T0000Z.csv`: the file says what range it holds."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H%MZ")

    since, until = filters.get("since"), filters.get("until")
    parts = ["sayso-audit"]
    if since or until:
        parts.append(f"{stamp(since) if since else 'start'}_to_{stamp(until) if until else 'now'}")
    if filters.get("submission"):
        parts.append(f"submission-{filters['submission']}")
    return "_".join(parts) + f".{fmt}"
