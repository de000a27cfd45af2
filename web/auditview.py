"""Audit filters from a query string, shared by the auditor pages and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.audit import EVENTS
from engine.errors import SaysoError
from engine.times import parse_time

from .access import clean_text

FILTERS = ("since", "until", "tz", "q", "author", "channel", "event", "submission")


def viewer_zone(args: Mapping[str, Any]) -> ZoneInfo | None:
    """The viewer's IANA time zone (`tz`, set by the page script), for times typed without one."""
    name = (args.get("tz") or "").strip()
    if not name:
        return None
    try:
        if len(name) > 64 or not name.isascii():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise SaysoError(f"unknown time zone '{name[:40]}'") from None


def audit_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """The filters given in a query string, checked; empty ones dropped."""
    out: dict[str, Any] = {}
    zone = viewer_zone(args)
    for name in ("since", "until"):
        raw = args.get(name)
        moment = parse_time(raw, name)
        if (
            moment is not None
            and zone is not None
            and datetime.fromisoformat(raw.strip()).tzinfo is None
        ):
            moment = moment.replace(tzinfo=zone).astimezone(UTC)
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
