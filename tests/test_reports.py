"""Working-hours reports over seeded window and AFK data, against totals worked out by hand."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

import httpx
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from tests.conftest import LiveServer

S = 1_000_000_000
CLASSES = [
    {"name": ["Work"], "rule": {"type": "regex", "regex": "main\\.py"}, "data": {"score": 1}},
    {"name": ["Work", "Programming"], "rule": {"type": "regex", "regex": "code"}},  # inherits 1
    {"name": ["Media"], "rule": {"type": "regex", "regex": "YouTube"}, "data": {"score": -1}},
    {"name": ["Comms"], "rule": {"type": "regex", "regex": "slack"}, "data": {"score": 0}},
]


def at(day: int, hour: float) -> int:
    return int(dt.datetime(2024, 5, day, tzinfo=dt.UTC).timestamp() + hour * 3600) * S


def span(day: int, start: float, end: float, data: dict[str, Any]) -> Event:
    return Event(at(day, start), at(day, end) - at(day, start), data)


def seed(store: Store) -> None:
    store.set_setting("classes", CLASSES)
    for host in ("pc1", "pc2"):
        store.create_bucket(Bucket(f"aw-watcher-window_{host}", "currentwindow", "aw-watcher-window", host, 0))
        store.create_bucket(Bucket(f"aw-watcher-afk_{host}", "afkstatus", "aw-watcher-afk", host, 0))
    store.insert_events("aw-watcher-afk_pc1", [
        span(1, 9, 12, {"status": "not-afk"}),
        span(1, 12, 13, {"status": "afk"}),
        span(1, 13, 17, {"status": "not-afk"}),
    ])  # fmt: skip
    store.insert_events("aw-watcher-window_pc1", [
        span(1, 9, 11, {"app": "code", "title": "main.py"}),       # Work > Programming: productive
        span(1, 11, 12.5, {"app": "firefox", "title": "YouTube"}),  # Media: unproductive, half an hour of it while afk
        span(1, 13, 16, {"app": "slack", "title": "general"}),      # Comms, score 0: undefined
        span(1, 16, 18, {"app": "terminal", "title": "bash"}),      # Uncategorized; after 17:00 nobody is there
    ])  # fmt: skip
    store.insert_events("aw-watcher-afk_pc2", [span(2, 10, 11, {"status": "not-afk"})])
    store.insert_events("aw-watcher-window_pc2", [span(2, 10, 11, {"app": "code", "title": "x"})])


PC1_MAY_1 = {
    "date": "2024-05-01",
    "computer": "pc1",
    "firstActivity": "2024-05-01T09:00:00Z",
    "lastActivity": "2024-05-01T17:00:00Z",
    "lastActivityLog": "2024-05-01T18:00:00Z",
    "activeTime": {"productive": 7200.0, "unproductive": 3600.0, "undefined": 14400.0, "total": 25200.0},
    "passiveTime": {"productive": 0.0, "unproductive": 1800.0, "undefined": 0.0, "total": 1800.0},
    "totalTime": 27000.0,
}
PC2_MAY_2 = {
    "date": "2024-05-02",
    "computer": "pc2",
    "firstActivity": "2024-05-02T10:00:00Z",
    "lastActivity": "2024-05-02T11:00:00Z",
    "lastActivityLog": "2024-05-02T11:00:00Z",
    "activeTime": {"productive": 3600.0, "unproductive": 0.0, "undefined": 0.0, "total": 3600.0},
    "passiveTime": {"productive": 0.0, "unproductive": 0.0, "undefined": 0.0, "total": 0.0},
    "totalTime": 3600.0,
}


@pytest.fixture
def seeded(live_server: LiveServer, http: httpx.Client) -> httpx.Client:
    seed(live_server.store)
    return http


def report(http: httpx.Client, kind: str = "computers", **params: Any) -> httpx.Response:
    return http.get(f"/api/0/reports/workinghours/{kind}", params={"tz": "UTC", **params})


def test_working_hours_per_computer(seeded: httpx.Client) -> None:
    r = report(seeded, **{"from": "2024-05-01", "to": "2024-05-03"})
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": [PC1_MAY_1, PC2_MAY_2], "total": 2, "page": 1, "pageSize": 150}
    # the parts add up
    row = r.json()["rows"][0]
    assert row["totalTime"] == row["activeTime"]["total"] + row["passiveTime"]["total"]


def test_paging_and_host_filter(seeded: httpx.Client) -> None:
    days = {"from": "2024-05-01", "to": "2024-05-02"}
    assert report(seeded, **days, pageSize=1, page=2).json()["rows"] == [PC2_MAY_2]
    assert report(seeded, **days, pageSize=1, page=3).json() == {"rows": [], "total": 2, "page": 3, "pageSize": 1}
    assert report(seeded, **days, host="pc2").json()["rows"] == [PC2_MAY_2]
    assert report(seeded, **days, host="nobody").json()["total"] == 0


def test_per_user_joins_the_computers(seeded: httpx.Client) -> None:
    me = getpass.getuser()
    rows = report(seeded, "users", **{"from": "2024-05-01", "to": "2024-05-02"}).json()["rows"]
    expected = [{**{k: v for k, v in row.items() if k != "computer"}, "user": me} for row in (PC1_MAY_1, PC2_MAY_2)]
    assert rows == expected
    assert (
        report(seeded, "users", user="someone-else", **{"from": "2024-05-01", "to": "2024-05-02"}).json()["total"] == 0
    )


def test_days_follow_the_time_zone_and_start_of_day(seeded: httpx.Client, live_server: LiveServer) -> None:
    # UTC+14: 1 May 04:00 there is 30 April 14:00 UTC, so pc1's day splits at 14:00 UTC
    rows = report(seeded, host="pc1", tz="Pacific/Kiritimati", **{"from": "2024-05-01", "to": "2024-05-02"}).json()[
        "rows"
    ]
    assert [(r["date"], r["firstActivity"], r["lastActivity"]) for r in rows] == [
        ("2024-05-01", "2024-05-01T09:00:00Z", "2024-05-01T14:00:00Z"),
        ("2024-05-02", "2024-05-01T14:00:00Z", "2024-05-01T17:00:00Z"),
    ]
    assert sum(r["totalTime"] for r in rows) == PC1_MAY_1["totalTime"]
    live_server.store.set_setting("startOfDay", "12:00")  # now pc1's day is split at noon UTC
    rows = report(seeded, host="pc1", **{"from": "2024-04-30", "to": "2024-05-01"}).json()["rows"]
    assert [(r["date"], r["lastActivity"]) for r in rows] == [
        ("2024-04-30", "2024-05-01T12:00:00Z"),
        ("2024-05-01", "2024-05-01T17:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"to": "2024-05-01"}, "'from' is required"),
        ({"from": "2024-05-01"}, "'to' is required"),
        ({"from": "2024-5-1", "to": "2024-05-02"}, "YYYY-MM-DD"),
        ({"from": "2024-02-30", "to": "2024-05-02"}, "not a valid date"),
        ({"from": "2024-05-02", "to": "2024-05-01"}, "before 'from'"),
        ({"from": "2023-01-01", "to": "2024-05-01"}, "at most 366 days"),
        ({"from": "2024-05-01", "to": "2024-05-01", "pageSize": 1001}, "pageSize"),
        ({"from": "2024-05-01", "to": "2024-05-01", "page": 0}, "page"),
        ({"from": "2024-05-01", "to": "2024-05-01", "host": "a", "user": "b"}, "at most one"),
        ({"from": "2024-05-01", "to": "2024-05-01", "tz": "Mars/Olympus"}, "time zone"),
    ],
)
def test_bad_parameters(seeded: httpx.Client, params: dict[str, Any], words: str) -> None:
    r = seeded.get("/api/0/reports/workinghours/computers", params=params)
    assert r.status_code == 400 and words in r.json()["message"], r.text


# ---------------------------------------------------------------------------- activity log


def log(http: httpx.Client, **params: Any) -> dict[str, Any]:
    r = http.get("/api/0/reports/activitylog", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def all_pages(http: httpx.Client, **params: Any) -> tuple[list[dict[str, Any]], str]:
    rows: list[dict[str, Any]] = []
    page = log(http, **params)
    while page["rows"]:
        rows += page["rows"]
        page = log(http, cursor=page["cursor"], pageSize=params.get("pageSize", 150))
    return rows, page["cursor"]


def test_activity_log_rows(seeded: httpx.Client, live_server: LiveServer) -> None:
    store = live_server.store
    store.create_bucket(Bucket("aw-watcher-web-firefox_pc1", "web.tab.current", "aw-watcher-web", "pc1", 0))
    store.insert_events("aw-watcher-web-firefox_pc1", [
        span(1, 11, 11.25, {"url": "https://news.example/", "title": "n"}),
        span(1, 11.25, 12.5, {"url": "https://youtube.com/watch?v=1", "title": "YouTube"}),
    ])  # fmt: skip
    rows = log(seeded, startDate="2024-05-01", endDate="2024-05-01", tz="UTC", host="pc1")["rows"]
    by_app = {r["executable"]: r for r in rows}
    assert set(by_app) == {"code", "firefox", "slack", "terminal"}
    firefox = by_app["firefox"]
    assert {k: v for k, v in firefox.items() if k != "logId"} == {
        "productivity": "unproductive",
        "category": "Media",
        "time_utc": "2024-05-01T11:00:00Z",
        "computer": "pc1",
        "user": getpass.getuser(),
        "duration": 5400.0,
        "executable": "firefox",
        "titleBar": "YouTube",
        "url": "https://youtube.com/watch?v=1",  # the tab showing for most of the time
    }
    assert (by_app["code"]["productivity"], by_app["code"]["category"]) == ("productive", "Work > Programming")
    assert (by_app["slack"]["productivity"], by_app["terminal"]["category"]) == ("undefined", "Uncategorized")
    assert by_app["code"]["url"] is None  # not a browser
    assert log(seeded, startDate="2024-05-01", endDate="2024-05-02", tz="UTC", minDuration=7200, maxDuration=7200)[
        "rows"
    ] == [by_app["code"], by_app["terminal"]]


def test_paging_with_the_cursor_returns_every_row_once_then_late_arrivals(
    seeded: httpx.Client, live_server: LiveServer
) -> None:
    store = live_server.store
    stored = {e.id for host in ("pc1", "pc2") for e in store.get_events(f"aw-watcher-window_{host}")}
    rows, cursor = all_pages(seeded, startDate="2024-05-01", endDate="2024-05-02", tz="UTC", pageSize=2)
    assert sorted(r["logId"] for r in rows) == sorted(stored)  # each exactly once
    assert log(seeded, cursor=cursor) == {"rows": [], "cursor": cursor}  # an empty page keeps the cursor

    # a client catching up with an event from last week, and a heartbeat extending the last event
    late = store.insert_events("aw-watcher-window_pc2", [span(2, 8, 9, {"app": "late", "title": "queued"})])[0]
    latest = store.get_events("aw-watcher-window_pc2", limit=1)[0]
    store.heartbeat("aw-watcher-window_pc2", Event(latest.end + S, 0, latest.data), 10 * S)
    newer, next_cursor = all_pages(seeded, cursor=cursor)
    assert [r["logId"] for r in newer] == [late.id, latest.id]
    assert newer[1]["duration"] == latest.duration / S + 1
    assert next_cursor != cursor


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({}, "'startDate' is required"),
        ({"startDate": "2024-05-02", "endDate": "2024-05-01"}, "before 'startDate'"),
        ({"cursor": "not-a-cursor"}, "not one this server gave out"),
        ({"cursor": "eyJzZXEiOiAtMX0"}, "not one this server gave out"),  # {"seq": -1}
        ({"cursor": "x", "pageSize": 1001}, "pageSize"),
        ({"startDate": "2024-05-01", "endDate": "2024-05-01", "minDuration": "-1"}, "minDuration"),
    ],
)
def test_activity_log_bad_parameters(seeded: httpx.Client, params: dict[str, Any], words: str) -> None:
    r = seeded.get("/api/0/reports/activitylog", params=params)
    assert r.status_code == 400 and words in r.json()["message"], r.text


def test_without_saved_categories_the_dashboard_defaults_apply(live_server: LiveServer, http: httpx.Client) -> None:
    """Until the user saves categories, reports use the ones the dashboard shows (default-categories.json)."""
    store = live_server.store
    store.create_bucket(Bucket("aw-watcher-window_pc", "currentwindow", "aw-watcher-window", "pc", 0))
    store.create_bucket(Bucket("aw-watcher-afk_pc", "afkstatus", "aw-watcher-afk", "pc", 0))
    store.insert_events("aw-watcher-afk_pc", [span(3, 9, 12, {"status": "not-afk"})])
    store.insert_events("aw-watcher-window_pc", [
        span(3, 9, 10, {"app": "Code", "title": "main.py"}),             # Work > Programming: Work's score 10
        span(3, 10, 11, {"app": "firefox", "title": "YouTube - a talk"}),  # Media > Video: Media's score -5
        span(3, 11, 12, {"app": "xterm", "title": "q"}),                   # Uncategorized: 0
    ])  # fmt: skip
    url = "/api/0/reports/workinghours/computers?from=2024-05-03&to=2024-05-03&tz=UTC"
    r = http.get(url)
    assert r.status_code == 200, r.text
    active = r.json()["rows"][0]["activeTime"]
    assert active == {"productive": 3600.0, "unproductive": 3600.0, "undefined": 3600.0, "total": 10800.0}
    store.set_setting("classes", [])  # the user's own (empty) list replaces the defaults
    r = http.get(url)
    assert r.status_code == 200, r.text
    active = r.json()["rows"][0]["activeTime"]
    assert active == {"productive": 0.0, "unproductive": 0.0, "undefined": 10800.0, "total": 10800.0}
