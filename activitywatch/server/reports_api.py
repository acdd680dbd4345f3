"""Reports: working hours per day and computer (or user), the activity log, and the ids they use.

`GET /api/0/reports/workinghours/computers` and `.../users` answer in the Live Data API's model
(seeds/004): `from`, `to` (YYYY-MM-DD, inclusive), `page`, `pageSize` (≤ 1000), at most one of
`userId` / `groupId` / `computerId` (or the aliases `host` / `user`), and `tz` (IANA name; default this
computer's). Days start at the `startOfDay` setting (aw-webui's, "HH:MM"; default 04:00).
`GET /api/0/reports/computers` and `/users` list the ids.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.assets import AssetMissing, resource
from activitywatch.core.models import Event
from activitywatch.core.timestamps import format_timestamp
from activitywatch.server.activity_log_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ActivityLog
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import bad_request
from activitywatch.server.inputs import query_int
from activitywatch.server.operations import Operation, Param, Reply
from activitywatch.server.options import ServerOptions
from activitywatch.server.report_params import (
    SUBJECT_PARAMS,
    Subject,
    computer_ids,
    day_start,
    login,
    query_date,
    query_subject,
    query_zone,
    start_of_day,
    user_ids,
)
from activitywatch.server.report_schemas import COMPUTER_DAY, COMPUTERS, USER_DAY, USERS, working_hours_page
from activitywatch.server.responses import json_response
from activitywatch.store import Store
from activitywatch.transforms.workhours import DayReport, Productivity, day_report

MAX_DAYS = 366


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
        self.log = ActivityLog(self.store, self._productivity)

    def _productivity(self) -> Productivity:
        """Scores from the saved categories or, until there are some, the dashboard's defaults."""
        classes = self.store.get_setting("classes")
        if classes is None:
            if self._defaults is None:
                self._defaults = default_classes()
            classes = self._defaults
        return Productivity(classes)

    def _sources(self, hosts: frozenset[str] | None) -> dict[str, tuple[list[str], list[str]]]:
        """{hostname: (window bucket ids, afk bucket ids)}."""
        found: dict[str, tuple[list[str], list[str]]] = {}
        for info in self.store.list_buckets():
            bucket = info.bucket
            if hosts is not None and bucket.hostname not in hosts:
                continue
            if bucket.type in ("currentwindow", "afkstatus"):
                window, afk = found.setdefault(bucket.hostname, ([], []))
                (window if bucket.type == "currentwindow" else afk).append(bucket.id)
        return found

    def _events(self, bucket_ids: Sequence[str], start: int, end: int) -> list[Event]:
        events: list[Event] = []
        for bucket_id in bucket_ids:
            # clipped to [start, end]; one that only touches the end belongs to the next day
            events.extend(e for e in self.store.get_events(bucket_id, start, end) if e.timestamp < end)
        return sorted(events, key=lambda e: e.timestamp)

    def _report(
        self, by: str, first: dt.date, last: dt.date, zone: dt.tzinfo, subject: Subject
    ) -> list[dict[str, Any]]:
        productivity = self._productivity()
        at = start_of_day(self.store.get_setting("startOfDay"))
        user = login()
        computers, users = computer_ids(self.store), user_ids(self.store)
        sources = self._sources(subject.hosts) if subject.includes_user(user) else {}
        if by == "computer":
            groups = sources
        else:  # one person uses this database: all computers' data together
            joined = sources.values()
            groups = {user: ([b for w, _ in joined for b in w], [b for _, a in joined for b in a])} if sources else {}
        rows = []
        day = first
        while day <= last:
            start, end = day_start(day, at, zone), day_start(day + dt.timedelta(days=1), at, zone)
            for name in sorted(groups):
                window_ids, afk_ids = groups[name]
                report = day_report(
                    self._events(window_ids, start, end), self._events(afk_ids, start, end), productivity
                )
                if report is None:
                    continue
                if by == "computer":
                    who = {"userid": users[user], "computers": [computers[name]], "computer": name, "user": user}
                else:
                    who = {"computerid": -1, "users": [users[user]], "user": user}
                rows.append(_row(day, report) | who)
            day += dt.timedelta(days=1)
        return rows

    async def working_hours(self, request: Request, by: str) -> Response:
        """One row per day and computer (or user) with activity."""
        first, last = query_date(request, "from"), query_date(request, "to")
        if last < first:
            raise bad_request("'to' must not be before 'from'")
        if (last - first).days >= MAX_DAYS:
            raise bad_request(f"A report covers at most {MAX_DAYS} days")
        page = query_int(request, "page", 1) or 1
        size = query_int(request, "pageSize", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        zone = query_zone(request)
        subject = await self.calls.slow(query_subject, request, self.store)
        rows = await self.calls.slow(self._report, by, first, last, zone, subject)
        return json_response(
            {"activity": rows[(page - 1) * size : page * size], "total": len(rows), "page": page, "pageSize": size}
        )

    async def activity_log(self, request: Request) -> Response:
        """Window events with productivity, ids and category, paged by an opaque cursor."""
        return await self.log.handle(request, self.calls.slow)

    async def computers(self, request: Request) -> Response:
        """Working hours per day and computer."""
        return await self.working_hours(request, "computer")

    async def users(self, request: Request) -> Response:
        """Working hours per day and user."""
        return await self.working_hours(request, "user")

    async def computer_list(self, request: Request) -> Response:
        """The computers' ids."""
        ids = await self.calls.slow(computer_ids, self.store)
        return json_response([{"computerId": i, "computer": name} for name, i in sorted(ids.items(), key=_by_id)])

    async def user_list(self, request: Request) -> Response:
        """The users' ids."""
        ids = await self.calls.slow(user_ids, self.store)
        return json_response([{"userId": i, "user": name} for name, i in sorted(ids.items(), key=_by_id)])

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        params = (
            Param("from", "query", {"type": "string", "format": "date"}, "First day (YYYY-MM-DD)", required=True),
            Param("to", "query", {"type": "string", "format": "date"}, "Last day, inclusive", required=True),
            Param("page", "query", {"type": "integer", "minimum": 1}, "Page (from 1)"),
            Param("pageSize", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "Rows per page"),
            *SUBJECT_PARAMS,
            Param("tz", "query", {"type": "string"}, "IANA time zone for the days (default: this computer's)"),
        )
        return [
            self.log.operation(self.activity_log),
            Operation(
                "GET",
                "/api/0/reports/workinghours/computers",
                self.computers,
                "Working hours per day and computer",
                "reports",
                params=params,
                replies={200: Reply("A page of rows", working_hours_page(COMPUTER_DAY))},
                errors=(400,),
            ),
            Operation(
                "GET",
                "/api/0/reports/workinghours/users",
                self.users,
                "Working hours per day and user",
                "reports",
                params=params,
                replies={200: Reply("A page of rows", working_hours_page(USER_DAY))},
                errors=(400,),
            ),
            Operation(
                "GET",
                "/api/0/reports/computers",
                self.computer_list,
                "The computers' report ids",
                "reports",
                replies={200: Reply("Every computer with its id", COMPUTERS)},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/reports/users",
                self.user_list,
                "The users' report ids",
                "reports",
                replies={200: Reply("Every user with its id", USERS)},
                errors=(),
            ),
        ]


def _by_id(item: tuple[str, int]) -> int:
    return item[1]


def _row(day: dt.date, report: DayReport) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "groups": [],
        "firstActivity": format_timestamp(report.first_activity),
        "lastActivity": format_timestamp(report.last_activity),
        "lastActivityLog": format_timestamp(report.last_activity_log),
        "activeTime": report.active.as_dict(),
        "passiveTime": report.passive.as_dict(),
        "totalTime": round(report.active.total + report.passive.total, 3),
    }
