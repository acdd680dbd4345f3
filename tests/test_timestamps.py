"""core.timestamps: RFC 3339 in, integer nanoseconds UTC inside, RFC 3339 with Z out."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activitywatch.core.errors import InvalidInput
from activitywatch.core.timestamps import (
    MAX_NS,
    MAX_TIMESTAMP,
    MIN_NS,
    MIN_TIMESTAMP,
    datetime_to_ns,
    format_timestamp,
    ns_to_datetime,
    parse_duration,
    parse_timestamp,
)

S = 1_000_000_000
T2024 = 1704067200 * S  # 2024-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", T2024),
        ("2024-01-01T00:00:00z", T2024),
        ("2024-01-01t00:00:00Z", T2024),
        ("2024-01-01 00:00:00Z", T2024),
        ("2024-01-01T00:00:00", T2024),  # no offset = UTC
        ("2024-01-01", T2024),
        ("2024-01-01T00:00", T2024),
        ("2024-01-01T02:00:00+02:00", T2024),
        ("2024-01-01T02:00:00+0200", T2024),
        ("2024-01-01T02:00:00+02", T2024),
        ("2023-12-31T19:30:00-04:30", T2024),
        ("2024-01-01T00:00:00.5Z", T2024 + S // 2),
        ("2024-01-01T00:00:00,25Z", T2024 + S // 4),
        ("2024-01-01T00:00:00.123456789Z", T2024 + 123456789),
        ("2024-01-01T00:00:00.1234567891234Z", T2024 + 123456789),  # beyond ns: truncated
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999999999Z", -1),
        (MIN_TIMESTAMP, MIN_NS),
        (MAX_TIMESTAMP, MAX_NS),
    ],
)
def test_parse_accepts_rfc3339(text: str, expected: int) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01T23:59:60Z",
        "2024-01-01T00:00:00+25:00",
        "2024-01-01T00:00:00+02:61",
        "2024-01-01T00:00:00ZZ",
        "2024-01-01T00:00:00 UTC",
        "1600-01-01T00:00:00Z",
        "2300-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "٢٠٢٤-01-01T00:00:00Z",  # non-ASCII digits
        "2024-01-01T00:00:00Z" + "0" * 100,
    ],
)
def test_parse_refuses_everything_else(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_timestamp(text)


@pytest.mark.parametrize("value", [None, 1704067200, 1.5, ["2024-01-01"], {"t": 1}, True])
def test_parse_refuses_non_strings(value: object) -> None:
    with pytest.raises(InvalidInput, match="must be an RFC 3339 string"):
        parse_timestamp(value)


def test_error_names_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"^event #3: timestamp 'nope' is not an RFC 3339 timestamp"):
        parse_timestamp("nope", "event #3: timestamp")


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (T2024, "2024-01-01T00:00:00Z"),
        (T2024 + 500_000_000, "2024-01-01T00:00:00.500Z"),
        (T2024 + 123_456_000, "2024-01-01T00:00:00.123456Z"),
        (T2024 + 123_456_789, "2024-01-01T00:00:00.123456789Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
    ],
)
def test_format_uses_z_and_as_few_digits_as_exact(ns: int, text: str) -> None:
    assert format_timestamp(ns) == text


@given(st.integers(min_value=MIN_NS, max_value=MAX_NS))
def test_format_then_parse_is_identity(ns: int) -> None:
    assert parse_timestamp(format_timestamp(ns)) == ns


OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)


@given(st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=OFFSETS))
def test_agrees_with_python_isoformat(value: dt.datetime) -> None:
    ns = parse_timestamp(value.isoformat())
    assert ns == datetime_to_ns(value)
    assert ns_to_datetime(ns) == value
    assert dt.datetime.fromisoformat(format_timestamp(ns)) == value


@pytest.mark.parametrize(
    ("seconds", "ns"), [(0, 0), (1, S), (0.1, 100_000_000), (1.5, 1_500_000_000), (3600.25, 3600250000000)]
)
def test_duration_seconds_to_ns(seconds: float, ns: int) -> None:
    assert parse_duration(seconds) == ns


@pytest.mark.parametrize("value", [-1, -0.001, math.nan, math.inf, -math.inf, "1", None, True, [1], 1e300])
def test_duration_refuses_bad_values(value: object) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(value)
