"""engine.durations: `30m`, `2h`, `1d`, `1w`, `1h30m`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.durations import MAX_SECONDS, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("90s", 90),
        ("0m", 0),
        ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        (" 24h ", 86400),
    ],
)
def test_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("2", "not a duration"),
        ("h", "not a duration"),
        ("2x", "unknown unit 'x'"),
        ("2 hours", "not a duration"),
        ("1.5h", "not a duration"),
        ("-1h", "not a duration"),
        ("30m1h", "largest first"),
        ("1h1h", "largest first"),
        ("2H", "unknown unit 'H'"),
    ],
)
def test_parse_errors_say_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=says):
        parse_duration(text)


@pytest.mark.parametrize("value", [None, 30, 1.5, True, ["2h"]])
def test_parse_refuses_non_text(value):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59, "59s"),
        (60, "1m"),
        (5400, "1h30m"),
        (86400, "1d"),
        (90061, "1d1h1m1s"),
        (604800, "1w"),
    ],
)
def test_format(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("value", [-1, 1.5, "60", True])
def test_format_refuses_what_is_not_seconds(value):
    with pytest.raises(ValueError):
        format_duration(value)


@settings(deadline=None)  # timing is not under test; a loaded machine is slow
@given(st.integers(min_value=0, max_value=MAX_SECONDS))
def test_format_then_parse_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["367d", "53w", "99999999999999999999d", "52w2d1s", "8785h"])
def test_durations_longer_than_366_days_are_refused(text):
    with pytest.raises(ValueError, match="366 days"):
        parse_duration(text)


def test_366_days_is_the_longest_duration():
    assert parse_duration("366d") == MAX_SECONDS == parse_duration("52w2d")


def test_utc_today_follows_the_clock_across_midnight_and_back(monkeypatch):
    from datetime import UTC, date, datetime
    from types import SimpleNamespace

    from engine import times

    clock = [datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC).timestamp()]
    monkeypatch.setattr(times, "time", SimpleNamespace(time=lambda: clock[0]))
    monkeypatch.setattr(times, "_today", (0.0, 0.0, date.min))
    assert times.utc_today() == date(2026, 12, 1)
    clock[0] += 1  # midnight UTC
    assert times.utc_today() == date(2026, 12, 2)
    clock[0] -= 2 * 86400  # the clock set back two days
    assert times.utc_today() == date(2026, 11, 30)
    assert times.utc_today() == datetime.fromtimestamp(clock[0], UTC).date()
