"""Reports: working hours per day and computer (or user), from the window and AFK buckets.

`GET /api/0/reports/workinghours/computers` and `.../users` with `from`, `to` (YYYY-MM-DD, inclusive),
`page`, `pageSize` (≤ 1000), at most one of `host` / `user`, and `tz` (IANA name; default this
computer's). Days start at the `startOfDay` setting (aw-webui's, "HH:MM"; default 04:00).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import getpass
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.assets import AssetMissing, resource
from activitywatch.core.models import Event
from activitywatch.core.timestamps import format_timestamp
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import bad_request
from activitywatch.server.inputs import query_int, query_seconds, query_text
from activitywatch.server.operations import Operation, Param, Reply
from activitywatch.server.options import ServerOptions
from activitywatch.server.responses import json_response
from activitywatch.store import Store
from activitywatch.transforms.classify import categorize
from activitywatch.transforms.workhours import DayReport, Productivity, day_report

MAX_DAYS = 366
FIRST_DAY, LAST_DAY = dt.date(1678, 1, 2), dt.date(2262, 4, 10)  # event times are ns since 1970 in 64 bits
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 150
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

SPLIT = {
    "type": "object",
    "properties": {k: {"type": "number"} for k in ("productive", "unproductive", "undefined", "total")},
}
ROW = {
    "type": "object",
    "properties": {
        "date": {"type": "string", "format": "date"},
        "computer": {"type": "string"},
        "user": {"type": "string"},
        "firstActivity": {"type": "string", "format": "date-time"},
        "lastActivity": {"type": "string", "format": "date-time"},
        "lastActivityLog": {"type": "string", "format": "date-time"},
        "activeTime": SPLIT,
        "passiveTime": SPLIT,
        "totalTime": {"type": "number"},
    },
}
PAGE = {
    "type": "object",
    "properties": {
        "rows": {"type": "array", "items": ROW},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "pageSize": {"type": "integer"},
    },
}


def _date(request: Request, name: str) -> dt.date:
    raw = query_text(request, name)
    if raw is None:
        raise bad_request(f"query parameter '{name}' is required (YYYY-MM-DD)")
    if not _DATE.fullmatch(raw):
        raise bad_request(f"query parameter '{name}' must be a date YYYY-MM-DD (got {raw[:40]!r})")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"query parameter '{name}' is not a valid date ({raw})") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise bad_request(f"query parameter '{name}' must be between {FIRST_DAY} and {LAST_DAY} (got {raw})")
    return day


def _zone(request: Request) -> dt.tzinfo:
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


def _start_of_day(value: Any) -> dt.time:
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    return dt.time(int(match.group(1)), int(match.group(2))) if match else dt.time(4, 0)


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000


@dataclass(frozen=True)
class LogQuery:
    """One page request of the activity log."""

    cursor: int
    start: int | None
    end: int | None
    host: str | None
    min_duration: int
    max_duration: int
    size: int


def default_classes() -> list[Any]:
    """The categories the dashboard shows until the user saves their own (its default-categories.json)."""
    try:
        value = json.loads(resource("webui", "default-categories.json").read_text(encoding="utf-8"))
    except (AssetMissing, OSError, ValueError):
        return []
    return value if isinstance(value, list) else []


class ReportsApi:
    """Report endpoints over one store."""

    def __init__(self, calls: StoreCalls, options: ServerOptions) -> None:
        self.calls = calls
        self.store: Store = calls.store
        self.options = options
        self._defaults: list[Any] | None = None

    def _productivity(self) -> Productivity:
        """Scores from the saved categories or, until there are some, the dashboard's defaults."""
        classes = self.store.get_setting("classes")
        if classes is None:
            if self._defaults is None:
                self._defaults = default_classes()
            classes = self._defaults
        return Productivity(classes)

    def _sources(self, host: str | None) -> dict[str, tuple[list[str], list[str]]]:
        """{hostname: (window bucket ids, afk bucket ids)}."""
        hosts: dict[str, tuple[list[str], list[str]]] = {}
        for info in self.store.list_buckets():
            bucket = info.bucket
            if host is not None and bucket.hostname != host:
                continue
            if bucket.type in ("currentwindow", "afkstatus"):
                window, afk = hosts.setdefault(bucket.hostname, ([], []))
                (window if bucket.type == "currentwindow" else afk).append(bucket.id)
        return hosts

    def _events(self, bucket_ids: Sequence[str], start: int, end: int) -> list[Event]:
        events: list[Event] = []
        for bucket_id in bucket_ids:
            # clipped to [start, end]; one that only touches the end belongs to the next day
            events.extend(e for e in self.store.get_events(bucket_id, start, end) if e.timestamp < end)
        return sorted(events, key=lambda e: e.timestamp)

    def _report(self, by: str, first: dt.date, last: dt.date, zone: dt.tzinfo, who: str | None) -> list[dict[str, Any]]:
        productivity = self._productivity()
        day_start = _start_of_day(self.store.get_setting("startOfDay"))
        user = getpass.getuser()
        if by == "computer":
            groups = self._sources(who)
        elif who is not None and who != user:
            groups = {}
        else:  # one person uses this database: all computers' data together
            all_hosts = self._sources(None).values()
            groups = {user: ([b for w, _ in all_hosts for b in w], [b for _, a in all_hosts for b in a])}
        rows = []
        day = first
        while day <= last:
            start = _ns(dt.datetime.combine(day, day_start, zone))
            end = _ns(dt.datetime.combine(day + dt.timedelta(days=1), day_start, zone))
            for name in sorted(groups):
                window_ids, afk_ids = groups[name]
                report = day_report(
                    self._events(window_ids, start, end), self._events(afk_ids, start, end), productivity
                )
                if report is not None:
                    rows.append(_row(day, by, name, report))
            day += dt.timedelta(days=1)
        return rows

    async def working_hours(self, request: Request, by: str) -> Response:
        """One row per day and computer (or user) with activity."""
        first, last = _date(request, "from"), _date(request, "to")
        if last < first:
            raise bad_request("'to' must not be before 'from'")
        if (last - first).days >= MAX_DAYS:
            raise bad_request(f"A report covers at most {MAX_DAYS} days")
        page = query_int(request, "page", 1) or 1
        size = query_int(request, "pageSize", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        host, user = query_text(request, "host"), query_text(request, "user")
        if host is not None and user is not None:
            raise bad_request("Give at most one of 'host' and 'user'")
        if by == "computer" and user is not None:
            raise bad_request("Filter computers with 'host' ('user' is for /users)")
        if by == "user" and host is not None:
            raise bad_request("Filter users with 'user' ('host' is for /computers)")
        zone = _zone(request)
        rows = await self.calls.slow(self._report, by, first, last, zone, host if by == "computer" else user)
        return json_response(
            {"rows": rows[(page - 1) * size : page * size], "total": len(rows), "page": page, "pageSize": size}
        )

    # ------------------------------------------------------------------ activity log

    def _log(self, q: LogQuery) -> dict[str, Any]:
        rows = self.store.log_rows(
            after_seq=q.cursor, start=q.start, end=q.end, host=q.host,
            min_duration=q.min_duration, max_duration=q.max_duration, limit=q.size,
        )  # fmt: skip
        productivity = self._productivity()
        categorized = categorize([r.event for r in rows], productivity.rules)
        web = self._web_buckets()
        user = getpass.getuser()
        out = []
        for row, event in zip(rows, categorized, strict=True):
            category = event.data["$category"]
            out.append(
                {
                    "logId": row.event.id,
                    "productivity": productivity.kind(category),
                    "category": " > ".join(category),
                    "time_utc": format_timestamp(row.event.timestamp),
                    "computer": row.hostname,
                    "user": user,
                    "duration": row.event.duration / 1e9,
                    "executable": row.event.data.get("app"),
                    "titleBar": row.event.data.get("title"),
                    "url": self._url(web.get(row.hostname, []), row.event),
                }
            )
        next_cursor = rows[-1].seq if rows else q.cursor
        return {"rows": out, "cursor": encode_cursor(next_cursor)}

    def _web_buckets(self) -> dict[str, list[str]]:
        """{hostname: web-watcher bucket ids}."""
        found: dict[str, list[str]] = {}
        for info in self.store.list_buckets():
            if info.bucket.type == "web.tab.current":
                found.setdefault(info.bucket.hostname, []).append(info.bucket.id)
        return found

    def _url(self, web_buckets: Sequence[str], window: Event) -> str | None:
        """The URL of the browser tab that was showing during most of a browser's window event."""
        app = str(window.data.get("app", "")).lower()
        if not web_buckets or not any(name in app for name in BROWSERS):
            return None
        best, best_overlap = None, 0
        for bucket_id in web_buckets:
            for tab in self.store.get_events(bucket_id, window.timestamp, window.end):
                if tab.duration > best_overlap and isinstance(tab.data.get("url"), str):
                    best, best_overlap = tab.data["url"], tab.duration
        return best

    async def activity_log(self, request: Request) -> Response:
        """Window events with productivity and category, paged by an opaque change-sequence cursor."""
        size = query_int(request, "pageSize", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        raw_cursor = query_text(request, "cursor")
        start = end = None
        if raw_cursor is None:
            first, last = _date(request, "startDate"), _date(request, "endDate")
            if last < first:
                raise bad_request("'endDate' must not be before 'startDate'")
            zone = _zone(request)
            day_start = _start_of_day(self.store.get_setting("startOfDay"))
            start = _ns(dt.datetime.combine(first, day_start, zone))
            end = _ns(dt.datetime.combine(last + dt.timedelta(days=1), day_start, zone))
            cursor = 0
        else:
            cursor = decode_cursor(raw_cursor)
        minimum = query_seconds(request, "minDuration", required=False) or 0.0
        maximum = query_seconds(request, "maxDuration", required=False)
        query = LogQuery(
            cursor,
            start,
            end,
            query_text(request, "host"),
            round(minimum * 1e9),
            round(maximum * 1e9) if maximum is not None else 2**62,
            size,
        )
        return json_response(await self.calls.slow(self._log, query))

    async def computers(self, request: Request) -> Response:
        """Working hours per day and computer."""
        return await self.working_hours(request, "computer")

    async def users(self, request: Request) -> Response:
        """Working hours per day and user."""
        return await self.working_hours(request, "user")

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        params = (
            Param("from", "query", {"type": "string", "format": "date"}, "First day (YYYY-MM-DD)", required=True),
            Param("to", "query", {"type": "string", "format": "date"}, "Last day, inclusive", required=True),
            Param("page", "query", {"type": "integer", "minimum": 1}, "Page (from 1)"),
            Param("pageSize", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "Rows per page"),
            Param("tz", "query", {"type": "string"}, "IANA time zone for the days (default: this computer's)"),
        )
        return [
            Operation(
                "GET",
                "/api/0/reports/activitylog",
                self.activity_log,
                "Activity log (window events) with an opaque cursor",
                "reports",
                params=(
                    Param("startDate", "query", {"type": "string", "format": "date"}, "First day (without a cursor)"),
                    Param("endDate", "query", {"type": "string", "format": "date"}, "Last day, inclusive"),
                    Param("cursor", "query", {"type": "string"}, "From the previous page: continues after it"),
                    Param("pageSize", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "Rows"),
                    Param("minDuration", "query", {"type": "number", "minimum": 0}, "Seconds"),
                    Param("maxDuration", "query", {"type": "number", "minimum": 0}, "Seconds"),
                    Param("host", "query", {"type": "string"}, "Only this computer"),
                    Param("tz", "query", {"type": "string"}, "IANA time zone for the days"),
                ),
                replies={200: Reply("A page of rows and the cursor for the next", LOG_PAGE)},
                errors=(400,),
            ),
            Operation(
                "GET",
                "/api/0/reports/workinghours/computers",
                self.computers,
                "Working hours per day and computer",
                "reports",
                params=(*params, Param("host", "query", {"type": "string"}, "Only this computer")),
                replies={200: Reply("A page of rows", PAGE)},
                errors=(400,),
            ),
            Operation(
                "GET",
                "/api/0/reports/workinghours/users",
                self.users,
                "Working hours per day and user",
                "reports",
                params=(*params, Param("user", "query", {"type": "string"}, "Only this user")),
                replies={200: Reply("A page of rows", PAGE)},
                errors=(400,),
            ),
        ]


BROWSERS = ("firefox", "chrome", "chromium", "brave", "edge", "opera", "vivaldi", "safari", "librewolf", "zen", "arc")
LOG_PAGE = {
    "type": "object",
    "properties": {"rows": {"type": "array", "items": {"type": "object"}}, "cursor": {"type": "string"}},
}


def encode_cursor(seq: int) -> str:
    """An opaque cursor for a position in the change sequence."""
    return base64.urlsafe_b64encode(json.dumps({"v": 1, "seq": seq}).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int:
    """The position of a cursor made by encode_cursor (400 for anything else)."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        seq = doc["seq"]
        if doc.get("v") != 1 or not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63:
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error):
        raise bad_request("The cursor is not one this server gave out") from None
    return int(seq)


def _row(day: dt.date, by: str, name: str, report: DayReport) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        by: name,
        "firstActivity": format_timestamp(report.first_activity),
        "lastActivity": format_timestamp(report.last_activity),
        "lastActivityLog": format_timestamp(report.last_activity_log),
        "activeTime": report.active.as_dict(),
        "passiveTime": report.passive.as_dict(),
        "totalTime": round(report.active.total + report.passive.total, 3),
    }
