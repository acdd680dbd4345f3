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
_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH_DATE.toordinal()
_MAX_TEXT = 64
_MAX_SECONDS = (MAX_NS - NS_PER_SECOND) // NS_PER_SECOND

_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)

# Day numbers and date strings, cached: a batch of events usually spans a handful of days.
_CACHE_LIMIT = 4096
_days_of: dict[str, int] = {}
_TWO_DIGITS = [f"{n:02d}" for n in range(60)]
_THREE_DIGITS = [f"{n:03d}" for n in range(1000)]
_date_of: dict[int, str] = {}
_head_of: dict[int, str] = {}  # minutes since the epoch -> "YYYY-MM-DDTHH:MM:"
# The short way of parse_timestamp: minutes ("YYYY-MM-DDTHH:MM") and offsets ("+HH:MM") seen by the full
# parser, with what they add in seconds; the seconds field (":SS") and how a fraction may start.
_minute_of: dict[str, int] = {}
_zone_of: dict[str, int] = {"": 0, "Z": 0, "z": 0}
_SECOND_OF = {f":{n:02d}": n for n in range(60)}
_FRACTION_MARKS = (".", ",")


def _days(date: str, text: str, what: str) -> int:
    days = _days_of.get(date)
    if days is None:
        try:
            days = dt.date(int(date[:4]), int(date[5:7]), int(date[8:10])).toordinal() - _EPOCH_ORDINAL
        except ValueError as e:
            raise InvalidInput(f"{what} {text!r} is not a valid date: {e}") from None
        if len(_days_of) >= _CACHE_LIMIT:
            _days_of.clear()
        _days_of[date] = days
    return days


def parse_timestamp(text: object, what: str = "timestamp") -> int:
    """Parse an RFC 3339 timestamp (offset optional, UTC assumed) into integer nanoseconds UTC."""
    if type(text) is str and len(text) <= _MAX_TEXT:
        # The usual shape, "YYYY-MM-DDTHH:MM:SS[.fff…](Z|+HH:MM)", read from pieces the full parser
        # has already checked: the minute, and the offset. Anything else takes the full parser.
        base = _minute_of.get(text[:16])
        if base is not None:
            second = _SECOND_OF.get(text[16:19])
            if second is not None:
                tail = text[19:]
                zone = _zone_of.get(tail)
                frac = 0
                if zone is None and tail[:1] in _FRACTION_MARKS:
                    digits, zone_text = (tail[1:-1], tail[-1]) if tail[-1] in "Zz" else (tail[1:-6], tail[-6:])
                    zone = _zone_of.get(zone_text)
                    if digits.isdigit() and digits.isascii():
                        frac = int(digits[:9].ljust(9, "0"))
                    else:
                        zone = None
                if zone is not None:
                    ns = (base + second + zone) * NS_PER_SECOND + frac
                    if MIN_NS <= ns <= MAX_NS:
                        return ns
    return _parse_full(text, what)


def _parse_full(text: object, what: str) -> int:
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be an RFC 3339 string, not {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"{what} is not an RFC 3339 timestamp (too long)")
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise InvalidInput(f"{what} {text!r} is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)")
    date, hour_s, minute_s, second_s, frac, tz = m.groups()
    days = _days_of.get(date)
    if days is None:
        days = _days(date, text, what)
    seconds = days * 86400
    if hour_s is not None:
        hour, minute, second = int(hour_s), int(minute_s), int(second_s or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InvalidInput(f"{what} {text!r} has a time of day out of range")
        seconds += hour * 3600 + minute * 60 + second
    offset = 0
    if tz and tz not in "Zz":
        digits = tz[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), int(digits[2:] or 0)
        if off_h > 23 or off_m > 59:
            raise InvalidInput(f"{what} {text!r} has an offset out of range")
        offset = (off_h * 3600 + off_m * 60) * (1 if tz[0] == "-" else -1)
    ns = (seconds + offset) * NS_PER_SECOND
    if frac:
        ns += int(frac[:9].ljust(9, "0"))
    if not MIN_NS <= ns <= MAX_NS:
        raise InvalidInput(f"{what} {text!r} is outside the supported range {MIN_TIMESTAMP} to {MAX_TIMESTAMP}")
    if second_s is not None:  # remember the checked pieces for the short way above
        if len(_minute_of) >= _CACHE_LIMIT:
            _minute_of.clear()
        _minute_of[text[:16]] = seconds - second
        if tz is not None and len(tz) == 6 and tz[3] == ":" and len(_zone_of) < _CACHE_LIMIT:
            _zone_of[tz] = offset
    return ns


def format_timestamp(ns: int) -> str:
    """Format nanoseconds UTC as RFC 3339 with `Z`, using 0, 3, 6 or 9 fractional digits as needed."""
    seconds, frac = divmod(ns, NS_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    head = _head_of.get(minutes)
    if head is None:
        days, minute_of_day = divmod(minutes, 1440)
        date = _date_of.get(days)
        if date is None:
            date = (_EPOCH_DATE + dt.timedelta(days=days)).isoformat()
            if len(_date_of) >= _CACHE_LIMIT:
                _date_of.clear()
            _date_of[days] = date
        hour, minute = divmod(minute_of_day, 60)
        head = date + "T" + _TWO_DIGITS[hour] + ":" + _TWO_DIGITS[minute] + ":"
        if len(_head_of) >= _CACHE_LIMIT:
            _head_of.clear()
        _head_of[minutes] = head
    base = head + _TWO_DIGITS[second]
    if frac == 0:
        return base + "Z"
    if frac % NS_PER_MS == 0:
        return base + "." + _THREE_DIGITS[frac // NS_PER_MS] + "Z"
    if frac % NS_PER_US == 0:
        return f"{base}.{frac // NS_PER_US:06d}Z"
    return f"{base}.{frac:09d}Z"


def parse_duration(value: object, what: str = "duration") -> int:
    """Read a wire duration (finite, non-negative seconds) into integer nanoseconds."""
    kind = type(value)
    if (kind is float or kind is int) and 0 <= value <= _MAX_SECONDS:  # type: ignore[operator]
        return round(value * NS_PER_SECOND)  # type: ignore[operator]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{what} must be a number of seconds, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{what} must be a finite number of seconds")
    if value < 0:
        raise InvalidInput(f"{what} must not be negative (got {value})")
    if value > _MAX_SECONDS:
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
