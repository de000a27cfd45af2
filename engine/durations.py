"""Durations as policies write them: `30m`, `2h`, `1d`, `1w`, `1h30m`, `90s`.

A duration is one or more `<number><unit>` parts, units `w` (week), `d`, `h`, `m`, `s`,
each unit at most once and from the largest to the smallest (`1h30m`, not `30m1h`),
at most 366 days in all: no policy waits longer, and a larger number would overflow
the date arithmetic of escalations and schedules.
"""

from __future__ import annotations

import re

UNITS: dict[str, int] = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_SECONDS = 366 * 86_400
_PART = re.compile(r"([0-9]+)([a-zA-Z]+)")
_HINT = "use a number and a unit (w, d, h, m, s), e.g. 30m, 2h, 1d, 1h30m"


def parse_duration(text: str) -> int:
    """Seconds in `text`; ValueError with a message for a person otherwise."""
    if not isinstance(text, str) or isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration: {_HINT}")
    given = text.strip()
    if not given:
        raise ValueError(f"an empty duration: {_HINT}")
    total, pos, last_unit = 0, 0, None
    for match in _PART.finditer(given):
        if match.start() != pos:
            break
        number, unit = match.groups()
        if len(number) > 12:
            raise ValueError(f"'{text}' is longer than the limit of 366 days")
        if unit not in UNITS:
            raise ValueError(f"'{text}' has an unknown unit '{unit}': {_HINT}")
        if last_unit is not None and UNITS[unit] >= UNITS[last_unit]:
            raise ValueError(
                f"'{text}': write the units once each, largest first (e.g. 1h30m, not 30m1h)"
            )
        total += int(number) * UNITS[unit]
        last_unit, pos = unit, match.end()
    if pos != len(given) or last_unit is None:
        raise ValueError(f"'{text}' is not a duration: {_HINT}")
    if total > MAX_SECONDS:
        raise ValueError(f"'{text}' is longer than the limit of 366 days")
    return total


def format_duration(seconds: int) -> str:
    """The shortest text for `seconds` that parse_duration reads back: 5400 -> '1h30m'."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"a duration is a whole number of seconds >= 0, not {seconds!r}")
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
