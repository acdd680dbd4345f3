"""The reports' query parameters: days, time zone, start of day, and whose data (the Live Data API's
`userId` / `groupId` / `computerId`, with `host` and `user` as readable aliases)."""

from __future__ import annotations

import datetime as dt
import getpass
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request

from activitywatch.core.timestamps import datetime_to_ns
from activitywatch.server.errors import bad_request
from activitywatch.server.inputs import query_int, query_text
from activitywatch.server.operations import Param
from activitywatch.store import Store

FIRST_DAY, LAST_DAY = dt.date(1678, 1, 2), dt.date(2262, 4, 10)  # event times are ns since 1970 in 64 bits
MAX_ID = 2**31 - 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
SUBJECT_TYPES = ("currentwindow", "afkstatus")  # the buckets reports read, and so the computers they know

SUBJECT_PARAMS = (
    Param("userId", "query", {"type": "integer", "minimum": -1, "maximum": MAX_ID}, "Only this user (-1: all)"),
    Param("groupId", "query", {"type": "integer"}, "Not supported: a personal tracker has no groups (400)"),
    Param("computerId", "query", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Only this computer"),
    Param("host", "query", {"type": "string"}, "Only this computer, by name (instead of computerId)"),
    Param("user", "query", {"type": "string"}, "Only this user, by login (instead of userId)"),
)


def login() -> str:
    """The one user of this database: the login running the app."""
    return getpass.getuser()


def query_date(request: Request, name: str, default: dt.date | None = None) -> dt.date:
    """A YYYY-MM-DD query parameter (400 when missing without a default, or malformed)."""
    raw = query_text(request, name)
    if raw is None:
        if default is None:
            raise bad_request(f"query parameter '{name}' is required (YYYY-MM-DD)")
        return default
    if not _DATE.fullmatch(raw):
        raise bad_request(f"query parameter '{name}' must be a date YYYY-MM-DD (got {raw[:40]!r})")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"query parameter '{name}' is not a valid date ({raw})") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise bad_request(f"query parameter '{name}' must be between {FIRST_DAY} and {LAST_DAY} (got {raw})")
    return day


def query_zone(request: Request) -> dt.tzinfo:
    """The `tz` parameter (an IANA name), default this computer's zone."""
    raw = query_text(request, "tz")
    if raw is None:
        local = dt.datetime.now().astimezone().tzinfo
        return local if local is not None else dt.UTC
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(
            f"query parameter 'tz' is not a time zone name like Europe/Berlin (got {raw[:60]!r})"
        ) from None


def start_of_day(value: Any) -> dt.time:
    """The `startOfDay` setting ("HH:MM", aw-webui's), default 04:00."""
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    return dt.time(int(match.group(1)), int(match.group(2))) if match else dt.time(4, 0)


def day_start(day: dt.date, at: dt.time, zone: dt.tzinfo) -> int:
    """When `day` begins (at the start-of-day time in `zone`), in ns."""
    return datetime_to_ns(dt.datetime.combine(day, at, zone))


def today(now_ns: int, at: dt.time, zone: dt.tzinfo) -> dt.date:
    """The day in progress at `now_ns`: before the start-of-day time it is still yesterday."""
    moment = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=now_ns // 1000)).astimezone(zone)
    return moment.date() if moment.time() >= at else moment.date() - dt.timedelta(days=1)


@dataclass(frozen=True)
class Subject:
    """Whose data a report shows: these computers and these users (None: all)."""

    hosts: frozenset[str] | None
    users: frozenset[str] | None

    def includes_user(self, name: str) -> bool:
        """Whether this user's data is shown."""
        return self.users is None or name in self.users


def computer_names(store: Store) -> list[str]:
    """The computers the reports know: hostnames of window and AFK buckets."""
    return sorted({info.bucket.hostname for info in store.list_buckets() if info.bucket.type in SUBJECT_TYPES})


def computer_ids(store: Store) -> dict[str, int]:
    """{hostname: id} of every computer, giving ids to new ones."""
    return store.report_ids("computer", computer_names(store))


def user_ids(store: Store) -> dict[str, int]:
    """{login: id} of every user: this login (given its id on first use) and any met before."""
    store.report_ids("user", [login()])
    return store.report_ids("user")


def _name_of(ids: dict[str, int], wanted: int) -> frozenset[str]:
    return frozenset(name for name, number in ids.items() if number == wanted)


def query_subject(request: Request, store: Store) -> Subject:
    """The subject parameters: at most one of userId (but -1), groupId, computerId, host and user."""
    if query_text(request, "groupId") is not None:
        raise bad_request("There are no groups: a personal tracker has none; leave out 'groupId'")
    user_id = query_int(request, "userId", -1, MAX_ID)
    if user_id == -1:
        user_id = None  # the seed's default: all users
    computer_id = query_int(request, "computerId", 1, MAX_ID)
    host, user = query_text(request, "host"), query_text(request, "user")
    given = [name for name, value in (("userId", user_id), ("computerId", computer_id), ("host", host), ("user", user))
             if value is not None]  # fmt: skip
    if len(given) > 1:
        raise bad_request(f"Give at most one of 'userId', 'groupId', 'computerId', 'host' and 'user' (got {given})")
    if computer_id is not None:
        return Subject(_name_of(store.report_ids("computer"), computer_id), None)
    if user_id is not None:
        return Subject(None, _name_of(store.report_ids("user"), user_id))
    return Subject(None if host is None else frozenset([host]), None if user is None else frozenset([user]))
