"""Times as sayso reads and writes them everywhere: aware UTC datetimes, ISO 8601
text (a time without a zone is UTC), and the current time."""

from __future__ import annotations

from datetime import UTC, datetime
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
