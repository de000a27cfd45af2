"""Times as sayso reads and writes them everywhere: aware UTC datetimes, ISO 8601
text (a time without a zone is UTC), and the current time."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import overload

from .errors import SaysoError


def parse_time(value: object, what: str = "time") -> datetime | None:
    """`2026-05-04T09:30:00Z` -> an aware datetime; None or blank -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise SaysoError(f"{what} must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise SaysoError(f"{what}: '{value[:40]}' is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


_today: tuple[float, float, date] = (0.0, 0.0, date.min)  # [start, end) of the day, the day


def utc_today() -> date:
    """Today's date in UTC. Every decision asks; the clock is read as a number and the
    date only built again when the day changes (or the clock moves out of the day)."""
    global _today
    start, end, day = _today  # one read: another thread may replace it meanwhile
    now = time.time()
    if start <= now < end:
        return day
    day = datetime.fromtimestamp(now, UTC).date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    _today = (start, start + 86400, day)
    return day


@overload
def aware(moment: datetime) -> datetime: ...


@overload
def aware(moment: None) -> None: ...


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they are always stored as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """UTC, microseconds, `Z`: fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
