"""Time on the wire (RFC 3339 strings, float seconds) and inside (integer nanoseconds, UTC).

Timestamps are stored as integer nanoseconds since the Unix epoch, UTC, which fits SQLite's signed
64-bit integers from 1677-09-21 to 2262-04-11. A wire timestamp without an offset is read as UTC, as the
reference servers do; anything that does not parse is an error, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from activitywatch.core.errors import InvalidInput

NS_PER_SECOND = 1_000_000_000
NS_PER_MS = 1_000_000
NS_PER_US = 1_000

# The span that fits a signed 64-bit integer of nanoseconds.
MIN_NS = -(2**63)
MAX_NS = 2**63 - 1
MIN_TIMESTAMP = "1677-09-21T00:12:43.145224192Z"
MAX_TIMESTAMP = "2262-04-11T23:47:16.854775807Z"

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_MAX_TEXT = 64

_RFC3339 = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)


def parse_timestamp(text: object, what: str = "timestamp") -> int:
    """Parse an RFC 3339 timestamp (offset optional, UTC assumed) into integer nanoseconds UTC."""
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be an RFC 3339 string, not {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"{what} is not an RFC 3339 timestamp (too long)")
    m = _RFC3339.fullmatch(text.strip())
    if m is None:
        raise InvalidInput(f"{what} {text!r} is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)")
    g = m.groupdict()
    try:
        days = dt.date(int(g["y"]), int(g["mo"]), int(g["d"])).toordinal() - _EPOCH_ORDINAL
    except ValueError as e:
        raise InvalidInput(f"{what} {text!r} is not a valid date: {e}") from None
    hour, minute, second = int(g["h"] or 0), int(g["mi"] or 0), int(g["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{what} {text!r} has a time of day out of range")
    offset = 0
    tz = g["tz"]
    if tz and tz not in "Zz":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), int(digits[2:] or 0)
        if off_h > 23 or off_m > 59:
            raise InvalidInput(f"{what} {text!r} has an offset out of range")
        offset = sign * (off_h * 3600 + off_m * 60)
    frac = g["frac"] or ""
    frac_ns = int((frac + "000000000")[:9])
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    ns = seconds * NS_PER_SECOND + frac_ns
    if not MIN_NS <= ns <= MAX_NS:
        raise InvalidInput(f"{what} {text!r} is outside the supported range {MIN_TIMESTAMP} to {MAX_TIMESTAMP}")
    return ns


def format_timestamp(ns: int) -> str:
    """Format nanoseconds UTC as RFC 3339 with `Z`, using 0, 3, 6 or 9 fractional digits as needed."""
    seconds, frac = divmod(ns, NS_PER_SECOND)
    t = _EPOCH + dt.timedelta(seconds=seconds)
    base = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if frac == 0:
        return base + "Z"
    if frac % NS_PER_MS == 0:
        return f"{base}.{frac // NS_PER_MS:03d}Z"
    if frac % NS_PER_US == 0:
        return f"{base}.{frac // NS_PER_US:06d}Z"
    return f"{base}.{frac:09d}Z"


def parse_duration(value: object, what: str = "duration") -> int:
    """Read a wire duration (finite, non-negative seconds) into integer nanoseconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{what} must be a number of seconds, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{what} must be a finite number of seconds")
    if value < 0:
        raise InvalidInput(f"{what} must not be negative (got {value})")
    if value > MAX_NS / NS_PER_SECOND:
        raise InvalidInput(f"{what} is too long (got {value} s)")
    return min(round(value * NS_PER_SECOND), MAX_NS)


def duration_seconds(ns: int) -> float:
    """Nanoseconds as float seconds, the wire unit for durations."""
    return ns / NS_PER_SECOND


def datetime_to_ns(value: dt.datetime) -> int:
    """An aware datetime as nanoseconds UTC (naive datetimes are read as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * NS_PER_US


def ns_to_datetime(ns: int) -> dt.datetime:
    """Nanoseconds UTC as an aware datetime (microsecond precision)."""
    return _EPOCH + dt.timedelta(microseconds=ns // NS_PER_US)
