"""Who may see what: shared by the pages and the JSON API so both answer alike."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import SaysoError
from engine.posttext import check_storable
from engine.times import parse_time


def may_view(state, sub, user: str) -> bool:
    """The engine's viewing rule (`Workflow.may_view`)."""
    return state.workflow.may_view(sub, user)


def clean_text(value, what: str = "text", *, limit: int = 100_000) -> str:
    """A string that can be stored and hashed (UTF-8, no NUL)."""
    if not isinstance(value, str):
        raise SaysoError(f"{what} must be a string")
    return check_storable(value, what, limit)


def query_int(args, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter in [low, high]; ASCII digits only ('²' is no number)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not low <= int(raw) <= high:
        raise SaysoError(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def viewer_zone(args) -> ZoneInfo | None:
    """The viewer's IANA time zone (`tz`, set by the page script), for times typed without one."""
    name = (args.get("tz") or "").strip()
    if not name:
        return None
    try:
        if len(name) > 64 or not name.isascii() or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise SaysoError(f"unknown time zone '{name[:40]}'") from None


def local_time(args, name: str, what: str | None = None) -> datetime | None:
    """A time field: with a zone as written, else in the viewer's zone (`tz`), else UTC."""
    raw = args.get(name)
    moment = parse_time(raw, what or name)
    zone = viewer_zone(args)
    if (
        moment is not None
        and zone is not None
        and datetime.fromisoformat(raw.strip()).tzinfo is None
    ):
        moment = moment.replace(tzinfo=zone).astimezone(UTC)
    return moment
