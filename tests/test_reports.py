"""Working-hours reports over seeded window and AFK data, against totals worked out by hand."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

import httpx
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.server.app import create_app
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer
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


ME = getpass.getuser()
PC1_MAY_1 = {
    "date": "2024-05-01",
    "userid": 1,
    "groups": [],
    "computers": [1],
    "computer": "pc1",
    "user": ME,
    "firstActivity": "2024-05-01T09:00:00Z",
    "lastActivity": "2024-05-01T17:00:00Z",
    "lastActivityLog": "2024-05-01T18:00:00Z",
    "activeTime": {"productive": 7200.0, "unproductive": 3600.0, "undefined": 14400.0, "total": 25200.0},
    "passiveTime": {"productive": 0.0, "unproductive": 1800.0, "undefined": 0.0, "total": 1800.0},
    "totalTime": 27000.0,
}
PC2_MAY_2 = {
    "date": "2024-05-02",
    "userid": 1,
    "groups": [],
    "computers": [2],
    "computer": "pc2",
    "user": ME,
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
    assert r.json() == {"activity": [PC1_MAY_1, PC2_MAY_2], "total": 2, "page": 1, "pageSize": 150}
    # the parts add up
    row = r.json()["activity"][0]
    assert row["totalTime"] == row["activeTime"]["total"] + row["passiveTime"]["total"]


def test_paging_and_filters(seeded: httpx.Client) -> None:
    days = {"from": "2024-05-01", "to": "2024-05-02"}
    assert report(seeded, **days, pageSize=1, page=2).json()["activity"] == [PC2_MAY_2]
    assert report(seeded, **days, pageSize=1, page=3).json() == {"activity": [], "total": 2, "page": 3, "pageSize": 1}
    assert report(seeded, **days, computerId=2).json()["activity"] == [PC2_MAY_2]
    assert report(seeded, **days, host="pc2").json()["activity"] == [PC2_MAY_2]  # the readable alias
    assert report(seeded, **days, host="nobody").json()["total"] == 0
    assert report(seeded, **days, computerId=99).json()["total"] == 0
    # one user: userId 1 (and -1, all users) shows every computer; another id shows nothing
    assert report(seeded, **days, userId=1).json()["total"] == 2
    assert report(seeded, **days, userId=-1, computerId=1).json()["activity"] == [PC1_MAY_1]
    assert report(seeded, **days, userId=2).json()["total"] == 0
    assert report(seeded, **days, user="someone-else").json()["total"] == 0


def test_per_user_joins_the_computers(seeded: httpx.Client) -> None:
    days = {"from": "2024-05-01", "to": "2024-05-02"}
    rows = report(seeded, "users", **days).json()["activity"]
    expected = [
        {**{k: v for k, v in row.items() if k not in {"computer", "userid", "computers"}}, "computerid": -1}
        | {"users": [1]}
        for row in (PC1_MAY_1, PC2_MAY_2)
    ]
    assert rows == expected
    assert report(seeded, "users", user="someone-else", **days).json()["total"] == 0
    assert report(seeded, "users", userId=1, **days).json()["activity"] == expected
    assert report(seeded, "users", userId=7, **days).json()["total"] == 0
    # the user's day on one computer only
    assert report(seeded, "users", computerId=2, **days).json()["activity"] == expected[1:]


def test_ids_are_listed_and_stay(seeded: httpx.Client, live_server: LiveServer) -> None:
    assert seeded.get("/api/0/reports/computers").json() == [
        {"computerId": 1, "computer": "pc1"},
        {"computerId": 2, "computer": "pc2"},
    ]
    assert seeded.get("/api/0/reports/users").json() == [{"userId": 1, "user": ME}]
    # a new computer gets the next id, even though its name sorts first; the others keep theirs
    live_server.store.create_bucket(Bucket("aw-watcher-afk_a0", "afkstatus", "aw-watcher-afk", "a0", 0))
    assert [(c["computerId"], c["computer"]) for c in seeded.get("/api/0/reports/computers").json()] == [
        (1, "pc1"),
        (2, "pc2"),
        (3, "a0"),
    ]
    # and the ids survive a restart (they are stored)
    path = live_server.store.path
    with Store(path) as reopened:
        assert reopened.report_ids("computer") == {"pc1": 1, "pc2": 2, "a0": 3}


def test_days_follow_the_time_zone_and_start_of_day(seeded: httpx.Client, live_server: LiveServer) -> None:
    # UTC+14: 1 May 04:00 there is 30 April 14:00 UTC, so pc1's day splits at 14:00 UTC
    rows = report(seeded, host="pc1", tz="Pacific/Kiritimati", **{"from": "2024-05-01", "to": "2024-05-02"}).json()[
        "activity"
    ]
    assert [(r["date"], r["firstActivity"], r["lastActivity"]) for r in rows] == [
        ("2024-05-01", "2024-05-01T09:00:00Z", "2024-05-01T14:00:00Z"),
        ("2024-05-02", "2024-05-01T14:00:00Z", "2024-05-01T17:00:00Z"),
    ]
    assert sum(r["totalTime"] for r in rows) == PC1_MAY_1["totalTime"]
    live_server.store.set_setting("startOfDay", "12:00")  # now pc1's day is split at noon UTC
    rows = report(seeded, host="pc1", **{"from": "2024-04-30", "to": "2024-05-01"}).json()["activity"]
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
        ({"from": "2024-05-01", "to": "2024-05-01", "userId": 1, "computerId": 1}, "at most one"),
        ({"from": "2024-05-01", "to": "2024-05-01", "computerId": 1, "host": "pc1"}, "at most one"),
        ({"from": "2024-05-01", "to": "2024-05-01", "groupId": 1}, "There are no groups"),
        ({"from": "2024-05-01", "to": "2024-05-01", "userId": -2}, "'userId' must be between -1"),
        ({"from": "2024-05-01", "to": "2024-05-01", "computerId": 0}, "'computerId' must be between 1"),
        ({"from": "2024-05-01", "to": "2024-05-01", "computerId": "pc1"}, "'computerId' must be an integer"),
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
    while page["activity"]:
        rows += page["activity"]
        page = log(http, cursor=page["cursor"], pageSize=params.get("pageSize", 150))
    return rows, page["cursor"]


def afk_ids(store: Store, host: str) -> dict[int, int]:
    """{start hour on 1 May: event id} of a host's AFK events."""
    return {(e.timestamp - at(1, 0)) // (3600 * S): e.id or 0 for e in store.get_events(f"aw-watcher-afk_{host}")}


def test_activity_log_rows(seeded: httpx.Client, live_server: LiveServer) -> None:
    store = live_server.store
    store.create_bucket(Bucket("aw-watcher-web-firefox_pc1", "web.tab.current", "aw-watcher-web", "pc1", 0))
    store.insert_events("aw-watcher-web-firefox_pc1", [
        span(1, 11, 11.25, {"url": "https://news.example/", "title": "n"}),
        span(1, 11.25, 12.5, {"url": "https://YouTube.com/watch?v=1", "title": "YouTube"}),
    ])  # fmt: skip
    rows = log(seeded, startDate="2024-05-01", endDate="2024-05-01", tz="UTC", host="pc1")["activity"]
    assert [r["executable"] for r in rows] == ["code", "firefox", "slack", "terminal"]  # in time order
    by_app = {r["executable"]: r for r in rows}
    spans = afk_ids(store, "pc1")
    firefox = by_app["firefox"]
    assert {k: v for k, v in firefox.items() if k not in {"logId", "applicationId", "websiteId"}} == {
        "productivity": -1,
        "popupAlarm": None,
        "emailAlarm": None,
        "externalNotificationAlarm": None,
        "terminate": None,
        "date": "2024-05-01T11:00:00+00:00",
        "computerId": 1,
        "computer": "pc1",
        "primaryDomain": "",
        "privateIp": "",
        "publicIp": "",
        "loginDomain": "pc1",
        "user": ME,
        "session": spans[9],  # the not-afk span 9:00-12:00 covers most of it
        "duration": 5400.0,
        "executable": "firefox",
        "description": "YouTube",
        "url": "https://YouTube.com/watch?v=1",  # the tab showing for most of the time
        "category": "Media",
    }
    ids = {e.id for e in store.get_events("aw-watcher-window_pc1")}
    assert {r["logId"] for r in rows} == ids
    assert (by_app["code"]["productivity"], by_app["code"]["category"]) == (1, "Work > Programming")
    assert (by_app["slack"]["productivity"], by_app["terminal"]["category"]) == (0, "Uncategorized")
    assert (by_app["code"]["url"], by_app["code"]["websiteId"]) == ("", None)  # not a browser
    assert by_app["code"]["session"] == spans[9]
    assert by_app["slack"]["session"] == by_app["terminal"]["session"] == spans[13]
    # ids: one per application and per domain, stable, and listed nowhere else twice
    assert len({r["applicationId"] for r in rows}) == 4
    assert isinstance(firefox["websiteId"], int)
    store.insert_events("aw-watcher-window_pc2", [span(3, 9, 10, {"app": "firefox", "title": "t"})])
    store.insert_events("aw-watcher-web-firefox_pc1", [span(3, 9, 10, {"url": "https://youtube.com/", "title": "t"})])
    [again] = log(seeded, startDate="2024-05-03", tz="UTC")["activity"]
    assert (again["applicationId"], again["computerId"], again["computer"]) == (firefox["applicationId"], 2, "pc2")
    assert (again["url"], again["websiteId"], again["session"]) == ("", None, 0)  # pc2 has no tabs and no span here
    assert log(seeded, startDate="2024-05-01", endDate="2024-05-02", tz="UTC", minDuration=7200, maxDuration=7200)[
        "activity"
    ] == [by_app["code"], by_app["terminal"]]
    # dates in the asked time zone
    berlin = log(seeded, startDate="2024-05-01", endDate="2024-05-01", tz="Europe/Berlin", computerId=1)
    assert berlin["activity"][0]["date"] == "2024-05-01T11:00:00+02:00"


def test_the_same_website_gets_the_same_id(seeded: httpx.Client, live_server: LiveServer) -> None:
    store = live_server.store
    store.create_bucket(Bucket("aw-watcher-web-chrome_pc2", "web.tab.current", "aw-watcher-web", "pc2", 0))
    store.insert_events("aw-watcher-window_pc2", [
        span(4, 9, 10, {"app": "Google-chrome", "title": "a"}),
        span(4, 10, 11, {"app": "Google-chrome", "title": "b"}),
        span(4, 11, 12, {"app": "Google-chrome", "title": "c"}),
    ])  # fmt: skip
    store.insert_events("aw-watcher-web-chrome_pc2", [
        span(4, 9, 10, {"url": "https://docs.example.org/a"}),
        span(4, 10, 11, {"url": "https://DOCS.example.org:8443/b"}),
        span(4, 11, 12, {"url": "https://other.example.org/"}),
    ])  # fmt: skip
    rows = log(seeded, startDate="2024-05-04", endDate="2024-05-04", tz="UTC")["activity"]
    a, b, c = (r["websiteId"] for r in rows)
    assert a == b != c and None not in (a, b, c)


def test_paging_walks_the_range_once_then_follows_changes(seeded: httpx.Client, live_server: LiveServer) -> None:
    store = live_server.store
    stored = {e.id for host in ("pc1", "pc2") for e in store.get_events(f"aw-watcher-window_{host}")}
    rows, cursor = all_pages(seeded, startDate="2024-05-01", endDate="2024-05-02", tz="UTC", pageSize=2)
    assert sorted(r["logId"] for r in rows) == sorted(stored)  # each exactly once
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)  # in time order
    assert log(seeded, cursor=cursor) == {"activity": [], "cursor": cursor}  # an empty page keeps the cursor

    # a client catching up with an event from last week, and a heartbeat extending the last event
    late = store.insert_events("aw-watcher-window_pc2", [span(2, 8, 9, {"app": "late", "title": "queued"})])[0]
    latest = store.get_events("aw-watcher-window_pc2", limit=1)[0]
    store.heartbeat("aw-watcher-window_pc2", Event(latest.end + S, 0, latest.data), 10 * S)
    after_range = store.insert_events("aw-watcher-window_pc1", [span(5, 8, 9, {"app": "later", "title": "x"})])[0]
    newer, next_cursor = all_pages(seeded, cursor=cursor)
    # the end date still bounds the listing: the event of 5 May is not in it
    assert [r["logId"] for r in newer] == [late.id, latest.id]
    assert newer[1]["duration"] == latest.duration / S + 1
    assert next_cursor != cursor
    # without an end date the listing goes on to now, and on
    rows, cursor = all_pages(seeded, startDate="2024-05-02", tz="UTC", pageSize=2)
    assert [r["executable"] for r in rows] == ["late", "code", "later"]
    grown = store.insert_events("aw-watcher-window_pc1", [span(6, 8, 9, {"app": "new", "title": "y"})])[0]
    assert [r["logId"] for r in all_pages(seeded, cursor=cursor)[0]] == [grown.id]
    assert after_range.id != grown.id


def test_a_change_during_the_walk_comes_once_after_it(seeded: httpx.Client, live_server: LiveServer) -> None:
    store = live_server.store
    first = log(seeded, startDate="2024-05-01", endDate="2024-05-02", tz="UTC", pageSize=2)
    assert [r["executable"] for r in first["activity"]] == ["code", "firefox"]
    # slack's event (not yet listed) changes before the walk reaches it: it comes after the walk, changed
    slack = next(e for e in store.get_events("aw-watcher-window_pc1") if e.data["app"] == "slack")
    store.insert_events("aw-watcher-window_pc1", [Event(slack.timestamp, slack.duration + S, slack.data, slack.id)])
    rest, _ = all_pages(seeded, cursor=first["cursor"], pageSize=2)
    assert [r["executable"] for r in rest] == ["terminal", "code", "slack"]
    assert rest[-1]["duration"] == slack.duration / S + 1


def test_start_date_defaults_to_today(tmp_path: Path) -> None:
    now = at(1, 15)
    store = Store(tmp_path / "activitywatch.db", clock=lambda: now)
    options = ServerOptions(hostname="h", device_id="d", version="v0", port=0, log_file=tmp_path / "log")
    server = ApiServer(create_app(store, options), options.host, 0)
    server.start()
    try:
        seed(store)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            rows = log(http, tz="UTC", endDate="2024-05-01")["activity"]  # today: 1 May from 04:00
            assert [r["executable"] for r in rows] == ["code", "firefox", "slack", "terminal"]
            assert len(log(http, tz="UTC")["activity"]) == 4 + 1  # and on to now: pc2's day too
            store.set_setting("startOfDay", "16:00")  # before 16:00 it is still 30 April
            assert [r["executable"] for r in log(http, tz="UTC", endDate="2024-04-30")["activity"]] == [
                "code",
                "firefox",
                "slack",
            ]
    finally:
        server.stop()
        store.close()


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"startDate": "2024-05-02", "endDate": "2024-05-01"}, "before 'startDate'"),
        ({"endDate": "1999-01-01"}, "before 'startDate'"),
        ({"cursor": "not-a-cursor"}, "not one this server gave out"),
        ({"cursor": "eyJzZXEiOiAtMX0"}, "not one this server gave out"),  # {"seq": -1}
        ({"cursor": "eyJ2IjoyLCJzZXEiOjEsImFmdGVyIjpbMV19"}, "not one this server gave out"),  # after: [1]
        ({"cursor": "x", "pageSize": 1001}, "pageSize"),
        ({"startDate": "2024-05-01", "endDate": "2024-05-01", "minDuration": "-1"}, "minDuration"),
        ({"startDate": "2024-05-01", "groupId": "3"}, "There are no groups"),
        ({"startDate": "2024-05-01", "userId": "1", "computerId": "1"}, "at most one"),
        ({"startDate": "2024-05-01", "computerId": "1", "host": "pc1"}, "at most one"),
        ({"startDate": "2024-05-01", "userId": "x"}, "'userId' must be an integer"),
        ({"startDate": "2024-05-01", "computerId": "-1"}, "'computerId' must be between 1"),
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
    active = r.json()["activity"][0]["activeTime"]
    assert active == {"productive": 3600.0, "unproductive": 3600.0, "undefined": 3600.0, "total": 10800.0}
    store.set_setting("classes", [])  # the user's own (empty) list replaces the defaults
    r = http.get(url)
    assert r.status_code == 200, r.text
    active = r.json()["activity"][0]["activeTime"]
    assert active == {"productive": 0.0, "unproductive": 0.0, "undefined": 10800.0, "total": 10800.0}
