"""The activity log (`GET /api/0/reports/activitylog`): window events in the Live Data API's model.

Without a cursor a listing starts: the events starting from `startDate` (default today) to `endDate`
(inclusive; without it, to now and on), in time order. The cursor of each page continues it; once the
range is walked, it follows the change sequence, so events that arrive late or grow later come on
later pages, and a page with no rows returns the cursor it was given.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.core.timestamps import ns_to_datetime
from activitywatch.server.errors import bad_request
from activitywatch.server.inputs import query_int, query_seconds, query_text
from activitywatch.server.operations import Operation, Param, Reply
from activitywatch.server.report_params import (
    SUBJECT_PARAMS,
    computer_ids,
    day_start,
    login,
    query_date,
    query_subject,
    query_zone,
    start_of_day,
    today,
    user_ids,
)
from activitywatch.server.report_schemas import LOG_PAGE
from activitywatch.server.responses import json_response
from activitywatch.store import LogFilter, LogPage, LogPosition, Store
from activitywatch.transforms.classify import categorize
from activitywatch.transforms.workhours import Productivity

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 150
BROWSERS = ("firefox", "chrome", "chromium", "brave", "edge", "opera", "vivaldi", "safari", "librewolf", "zen", "arc")
PRODUCTIVITY = {"productive": 1, "undefined": 0, "unproductive": -1}
_MAX_NS = 2**63 - 1


@dataclass(frozen=True)
class LogRequest:
    """One page request: where from (None: a new listing of [start, end)), which rows, how many."""

    at: LogPosition | None
    start: int
    end: int | None
    where: LogFilter
    users: frozenset[str] | None
    zone: dt.tzinfo
    size: int


def encode_cursor(at: LogPosition) -> str:
    """An opaque cursor for a position of a listing."""
    doc: dict[str, Any] = {"v": 2, "seq": at.seq}
    if at.after is not None:
        doc["after"] = list(at.after)
    if at.end is not None:
        doc["end"] = at.end
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode().rstrip("=")


def _is_position(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_NS


def _is_time(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_MAX_NS <= value <= _MAX_NS


def decode_cursor(text: str) -> LogPosition:
    """The position of a cursor made by encode_cursor (or by version 1, which followed the changes only);
    400 for anything else."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(doc, dict) or not _is_position(doc.get("seq")):
            raise ValueError
        if doc.get("v") == 1 and set(doc) == {"v", "seq"}:
            return LogPosition(doc["seq"], None, None)
        after, end = doc.get("after"), doc.get("end")
        if doc.get("v") != 2 or not set(doc) <= {"v", "seq", "after", "end"}:
            raise ValueError
        if after is not None and not (isinstance(after, list) and len(after) == 2 and _is_time(after[0])
                                      and _is_position(after[1])):  # fmt: skip
            raise ValueError
        if end is not None and not _is_time(end):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error):
        raise bad_request("The cursor is not one this server gave out") from None
    return LogPosition(doc["seq"], None if after is None else (after[0], after[1]), end)


def _domain(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _local_time(ns: int, zone: dt.tzinfo) -> str:
    return ns_to_datetime(ns).astimezone(zone).isoformat()


class ActivityLog:
    """The activity log over one store."""

    def __init__(self, store: Store, productivity: Callable[[], Productivity]) -> None:
        self.store = store
        self.productivity = productivity

    def parse(self, request: Request) -> LogRequest:
        """The page request in a request's query parameters (400 when one is bad)."""
        size = query_int(request, "pageSize", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        zone = query_zone(request)
        subject = query_subject(request, self.store)
        minimum = query_seconds(request, "minDuration", required=False) or 0.0
        maximum = query_seconds(request, "maxDuration", required=False)
        where = LogFilter(
            subject.hosts, round(minimum * 1e9), round(maximum * 1e9) if maximum is not None else _MAX_NS, BROWSERS
        )
        raw_cursor = query_text(request, "cursor")
        if raw_cursor is not None:
            return LogRequest(decode_cursor(raw_cursor), 0, None, where, subject.users, zone, size)
        at = start_of_day(self.store.get_setting("startOfDay"))
        first = query_date(request, "startDate", today(self.store.now(), at, zone))
        start, end = day_start(first, at, zone), None
        if query_text(request, "endDate") is not None:
            last = query_date(request, "endDate")
            if last < first:
                raise bad_request("'endDate' must not be before 'startDate'")
            end = day_start(last + dt.timedelta(days=1), at, zone)
        return LogRequest(None, start, end, where, subject.users, zone, size)

    def page(self, q: LogRequest) -> dict[str, Any]:
        """The page as the Live Data API's JSON."""
        me = login()
        if not (q.users is None or me in q.users):  # the data is all this login's
            at = q.at if q.at is not None else LogPosition(self.store.last_seq, None, q.end)
            return {"activity": [], "cursor": encode_cursor(at)}
        page = self.store.log_page(q.at, q.start, q.end, q.where, q.size)
        return {"activity": self._rows(page, q.zone, me), "cursor": encode_cursor(page.position)}

    def _rows(self, page: LogPage, zone: dt.tzinfo, me: str) -> list[dict[str, Any]]:
        productivity = self.productivity()
        categorized = categorize([r.event for r in page.rows], productivity.rules)
        apps = [str(r.event.data["app"]) for r in page.rows if "app" in r.event.data]
        computers = computer_ids(self.store) if page.rows else {}
        app_ids = self.store.report_ids("application", apps) if apps else {}
        domains = {url: _domain(url) for url in page.urls.values()}
        site_ids = self.store.report_ids("website", [d for d in domains.values() if d]) if domains else {}
        if page.rows:
            user_ids(self.store)  # gives this login its id, so /reports/users lists it
        out = []
        for row, event in zip(page.rows, categorized, strict=True):
            data = row.event.data
            event_id = row.event.id or 0
            url = page.urls.get(event_id, "")
            app = data.get("app")
            out.append(
                {
                    "logId": event_id,
                    "productivity": PRODUCTIVITY[productivity.kind(event.data["$category"])],
                    "popupAlarm": None,
                    "emailAlarm": None,
                    "externalNotificationAlarm": None,
                    "terminate": None,
                    "date": _local_time(row.event.timestamp, zone),
                    "computerId": computers.get(row.hostname, 0),
                    "computer": row.hostname,
                    "primaryDomain": "",
                    "privateIp": "",
                    "publicIp": "",
                    "loginDomain": row.hostname,
                    "user": me,
                    "session": page.spans.get(event_id, 0),
                    "duration": row.event.duration / 1e9,
                    "applicationId": app_ids.get(str(app)) if app is not None else None,
                    "websiteId": site_ids.get(domains.get(url, "")) if url else None,
                    "executable": "" if app is None else str(app),
                    "description": str(data.get("title", "")),
                    "url": url,
                    "category": " > ".join(event.data["$category"]),
                }
            )
        return out

    async def handle(self, request: Request, run: Callable[..., Any]) -> Response:
        """Parse, read in a worker thread, answer."""
        return json_response(await run(self._answer, request))

    def _answer(self, request: Request) -> dict[str, Any]:
        return self.page(self.parse(request))

    def operation(self, handler: Callable[[Request], Any]) -> Operation:
        """The route of the activity log."""
        return Operation(
            "GET",
            "/api/0/reports/activitylog",
            handler,
            "Activity log (window events) in the Live Data API's model, with an opaque cursor",
            "reports",
            params=(
                Param("startDate", "query", {"type": "string", "format": "date"}, "First day (default today)"),
                Param("endDate", "query", {"type": "string", "format": "date"}, "Last day, inclusive (default: none)"),
                Param("cursor", "query", {"type": "string"}, "From the previous page: continues after it"),
                Param("pageSize", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "Rows (150)"),
                *SUBJECT_PARAMS,
                Param("minDuration", "query", {"type": "number", "minimum": 0}, "Seconds"),
                Param("maxDuration", "query", {"type": "number", "minimum": 0}, "Seconds"),
                Param("tz", "query", {"type": "string"}, "IANA time zone for the days and dates"),
            ),
            replies={200: Reply("A page of rows and the cursor for the next", LOG_PAGE)},
            errors=(400,),
        )
