"""Jinja helpers: times, durations, short policy versions and highlighted text; the
engine's enums, so templates compare statuses and kinds with them, never with strings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from engine.durations import format_duration
from engine.inbound.items import InboundStatus
from engine.model import Kind, Status, VerdictType

from .highlight import segments


def shown_zone() -> tzinfo:
    """The policy's `timezone:` (UTC by default): times in the page before the page
    script turns them into the viewer's own zone."""
    state = current_app.extensions.get("sayso") if has_app_context() else None
    name = getattr(getattr(state, "engine", None), "policy", None)
    name = getattr(name, "timezone", "UTC") or "UTC"
    return UTC if name == "UTC" else ZoneInfo(name)


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(shown_zone()).strftime("%Y-%m-%d %H:%M %Z")


def stamp(value: str | datetime | None) -> str:
    """An ISO time as `2026-05-04 09:30 UTC` (the fallback until the page script converts it)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    return when(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else ""


def until(moment: datetime | None, now: datetime | None = None) -> str:
    """`in 1h30m`, or `overdue 20m`, to a moment."""
    if moment is None:
        return ""
    seconds = int((moment - (now or datetime.now(UTC))).total_seconds())
    minutes = max(abs(seconds) // 60, 1) * 60
    return f"in {format_duration(minutes)}" if seconds >= 0 else f"{format_duration(minutes)} ago"


def short(version: str | None) -> str:
    return (version or "")[:12]


def compact(value: Any) -> str:
    """A detail value as text: strings as they are, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def init_app(app) -> None:
    app.jinja_env.filters.update(
        when=when, stamp=stamp, iso=iso, until=until, short=short, compact=compact
    )
    app.jinja_env.globals.update(
        segments=segments,
        Status=Status,
        Kind=Kind,
        VerdictType=VerdictType,
        InboundStatus=InboundStatus,
    )
