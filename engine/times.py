"""ISO 8601 times as sayso reads them everywhere: a time without a zone is UTC."""

from __future__ import annotations

from datetime import UTC, datetime

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
