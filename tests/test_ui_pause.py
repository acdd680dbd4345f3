"""The pause's time arithmetic: when "until tomorrow" ends, how the time left reads, the day's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from activitywatch.gui import day_start
from activitywatch.ui.pause import describe_left, next_day_start

TZ = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2024, 5, 1, 10, 30, tzinfo=TZ), datetime(2024, 5, 2, 4, 0, tzinfo=TZ)),
        (datetime(2024, 5, 1, 3, 59, tzinfo=TZ), datetime(2024, 5, 1, 4, 0, tzinfo=TZ)),
        (datetime(2024, 5, 1, 4, 0, tzinfo=TZ), datetime(2024, 5, 2, 4, 0, tzinfo=TZ)),
        (datetime(2024, 12, 31, 23, 0, tzinfo=UTC), datetime(2025, 1, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_until_tomorrow_ends_when_the_next_day_starts(now: datetime, expected: datetime) -> None:
    assert next_day_start(now) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "less than a minute"), (59.9, "less than a minute"), (60, "1 min"), (899.5, "15 min"), (3600, "1 h 00 min"),
     (3601, "1 h 01 min"), (86_000, "23 h 54 min")],
)  # fmt: skip
def test_time_left_reads_in_whole_minutes(seconds: float, text: str) -> None:
    assert describe_left(seconds) == text


@pytest.mark.parametrize(
    ("setting", "now", "expected"),
    [
        (None, datetime(2024, 5, 1, 10, 0, tzinfo=TZ), datetime(2024, 5, 1, 4, 0, tzinfo=TZ)),
        (None, datetime(2024, 5, 1, 2, 0, tzinfo=TZ), datetime(2024, 4, 30, 4, 0, tzinfo=TZ)),
        ("00:00", datetime(2024, 5, 1, 2, 0, tzinfo=TZ), datetime(2024, 5, 1, 0, 0, tzinfo=TZ)),
        ("6:30", datetime(2024, 5, 1, 7, 0, tzinfo=TZ), datetime(2024, 5, 1, 6, 30, tzinfo=TZ)),
        ("nonsense", datetime(2024, 5, 1, 7, 0, tzinfo=TZ), datetime(2024, 5, 1, 4, 0, tzinfo=TZ)),
        (["04:00"], datetime(2024, 5, 1, 7, 0, tzinfo=TZ), datetime(2024, 5, 1, 4, 0, tzinfo=TZ)),
    ],
)
def test_the_day_starts_as_the_dashboard_says(setting: object, now: datetime, expected: datetime) -> None:
    assert day_start(now, setting) == expected
