"""Queries end to end: the reference python implementation (aw-core's aw_query) as an oracle on the same
data, POST /api/0/query/ over real HTTP on a real store, its errors, and the hostile-query matrix.

The oracle reads from aw-core's in-memory datastore, which does not clip events to the period (its
SQL stores do) and rounds the period's end up by 1 ms; generated events therefore lie well inside the
period. Its parser splits arguments naively (a nested call followed by a list with commas fails), so the
oracle's queries use one call per statement where that matters. Its categorize, tag and period_union change
the events they are given in place, so those get a list of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import aw_core.models
import httpx
import pytest
from aw_datastore import Datastore
from aw_datastore.storages import MemoryStorage
from aw_query.query2 import query as reference_query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activitywatch.core.models import Bucket, Event
from activitywatch.query import function_table, parse_timeperiod, run_query
from activitywatch.server.query_api import StoreBuckets
from activitywatch.store import Store
from tests.conftest import LiveServer, snapshot

S = 1_000_000_000
MS = 1_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY_START = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
PERIOD = f"{DAY_START.isoformat()}/{(DAY_START + dt.timedelta(days=1)).isoformat()}"
T0 = int(DAY_START.timestamp()) * S + 3600 * S  # events start an hour into the period
WINDOW, AFK, WEB = "aw-watcher-window_host", "aw-watcher-afk_host", "aw-watcher-web-firefox_host"

CLASSES = [
    [["Work"], {"type": "regex", "regex": "GitHub|main"}],
    [["Work", "Programming"], {"type": "regex", "regex": "main\\.py|code"}],
    [["Media", "Video"], {"type": "regex", "regex": "youtube", "ignore_case": True}],
    [["Comms"], {"type": "regex", "regex": "Slack|mail"}],
]

# Queries valid in both dialects (aw_query's subset), each answering something the dashboards ask.
QUERIES = {
    "canonical": f"""
        afk = query_bucket("{AFK}");
        window = query_bucket("{WINDOW}");
        not_afk = filter_keyvals(afk, "status", ["not-afk"]);
        window = filter_period_intersect(window, not_afk);
        events = merge_events_by_keys(window, ["app"]);
        RETURN = sort_by_duration(events);""",
    "activity": f"""
        events = flood(query_bucket(find_bucket("aw-watcher-window_")));
        not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_")));
        not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);
        events = filter_period_intersect(events, not_afk);
        events = categorize(events, {json.dumps(CLASSES)});
        title_events = merge_events_by_keys(events, ["app", "title"]);
        title_events = sort_by_duration(title_events);
        app_events = merge_events_by_keys(title_events, ["app"]);
        app_events = sort_by_duration(app_events);
        cat_events = merge_events_by_keys(events, ["$category"]);
        cat_events = sort_by_duration(cat_events);
        app_events = limit_events(app_events, 2);
        duration = sum_durations(events);
        RETURN = {{"app_events": app_events, "title_events": title_events, "cat_events": cat_events,
                  "duration": duration}};""",
    "browser": f"""
        web = flood(query_bucket("{WEB}"));
        window = flood(query_bucket("{WINDOW}"));
        browser = filter_keyvals(window, "app", ["firefox"]);
        web = filter_period_intersect(web, browser);
        web = split_url_events(web);
        domains = merge_events_by_keys(web, ["$domain"]);
        RETURN = sort_by_duration(domains);""",
    "unions": f"""
        afk = query_bucket("{AFK}");
        not_afk = filter_keyvals(afk, "status", ["not-afk"]);
        web = query_bucket("{WEB}");
        audible = filter_keyvals(web, "audible", [true]);
        active = period_union(not_afk, audible);
        afk2 = query_bucket("{AFK}");
        away = exclude_keyvals(afk2, "status", ["not-afk"]);
        web2 = query_bucket("{WEB}");
        sorted_web = sort_by_timestamp(web2);
        sorted_afk = sort_by_timestamp(away);
        RETURN = {{"active": active, "total": sum_durations(active),
                  "overlay": union_no_overlap(sorted_web, sorted_afk)}};""",
    "titles": f"""
        window = query_bucket("{WINDOW}");
        window = sort_by_timestamp(window);
        code = filter_keyvals_regex(window, "title", "\\\\.py$|GitHub");
        simple = simplify_window_titles(window, "title");
        chunks = chunk_events_by_key(window, "app");
        fresh = query_bucket("{WINDOW}");
        tagged = tag(fresh, [["video", {{"type": "regex", "regex": "YouTube"}}],
                             ["dev", {{"type": "regex", "regex": "code"}}]]);
        RETURN = {{"code": code, "simple": simple, "chunks": chunks, "tagged": limit_events(tagged, 5),
                  "n": query_bucket_eventcount("{WINDOW}"), "both": concat(code, chunks)}};""",
}

APPS = {
    "firefox": ["GitHub - PR 7", "YouTube - video", "(3) Inbox - mail"],
    "code": ["main.py - proj", "● README.md - proj"],
    "slack": ["general", "random"],
}
URLS = ["https://www.github.com/a/b", "https://youtube.com/watch?v=1", "about:blank", "file:///tmp/x.txt"]


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, list[Event]]:
    """Window, AFK and web events inside the period, on a 2 ms grid (aw-core keeps milliseconds)."""

    def series(n_max: int, make_data: Any) -> list[Event]:
        out, t = [], T0
        for _ in range(draw(st.integers(0, n_max))):
            t += draw(st.integers(0, 8_000)) * 2 * MS
            duration = draw(st.integers(1, 60_000)) * 2 * MS  # zero-length pieces: see test_transforms
            out.append(Event(t, duration, make_data()))
            t += duration if draw(st.booleans()) else 0
        return out

    def window() -> dict[str, Any]:
        app = draw(st.sampled_from(sorted(APPS)))
        return {"app": app, "title": draw(st.sampled_from(APPS[app]))}

    def afk() -> dict[str, Any]:
        return {"status": draw(st.sampled_from(["afk", "not-afk"]))}

    def web() -> dict[str, Any]:
        return {"url": draw(st.sampled_from(URLS)), "title": "t", "audible": draw(st.booleans())}

    return {WINDOW: series(30, window), AFK: series(12, afk), WEB: series(15, web)}


def to_aw(event: Event) -> aw_core.models.Event:
    return aw_core.models.Event(
        timestamp=EPOCH + dt.timedelta(microseconds=event.timestamp // 1000),
        duration=dt.timedelta(microseconds=event.duration // 1000),
        data=json.loads(json.dumps(event.data)),
    )


def normal(value: Any) -> Any:
    """Results of either implementation as comparable plain values (events as (start ns, ns, data))."""
    if isinstance(value, aw_core.models.Event):
        start = (value.timestamp - EPOCH) // dt.timedelta(microseconds=1) * 1000
        return ("event", start, value.duration // dt.timedelta(microseconds=1) * 1000, normal(dict(value.data)))
    if isinstance(value, Event):
        return ("event", value.timestamp, value.duration, normal(dict(value.data)))
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds(), 6)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if isinstance(value, dict):  # aw-core's chunk_events_by_key nests `subevents`; we do not (see test_transforms)
        return {k: normal(v) for k, v in value.items() if k != "subevents"}
    return value


def oracle(data: dict[str, list[Event]], source: str) -> Any:
    datastore = Datastore(storage_strategy=MemoryStorage, testing=True)
    for bucket_id, events in data.items():
        datastore.create_bucket(bucket_id, "test", "test", "host")
        if events:
            datastore[bucket_id].insert([to_aw(e) for e in events])
    period = parse_timeperiod(PERIOD)
    start = EPOCH + dt.timedelta(microseconds=period.start // 1000)
    end = EPOCH + dt.timedelta(microseconds=period.end // 1000)
    return reference_query("q", source, start, end, datastore)


def ours(store: Store, data: dict[str, list[Event]], source: str) -> Any:
    for bucket_id, events in data.items():
        store.create_bucket(Bucket(bucket_id, "test", "test", "host", 0), events)
    (result,) = run_query(source, [parse_timeperiod(PERIOD)], StoreBuckets(store), function_table(), "q")
    return result


@pytest.mark.parametrize("name", sorted(QUERIES))
@given(data=datasets())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_queries_give_the_reference_answers(name: str, data: dict[str, list[Event]], tmp_path_factory: Any) -> None:
    with Store(tmp_path_factory.mktemp("q") / "db.sqlite") as store:
        got = ours(store, data, QUERIES[name])
    assert normal(got) == normal(oracle(data, QUERIES[name]))


# ---------------------------------------------------------------------------- over HTTP


def seed(store: Store) -> None:
    window = [
        Event(T0, 60 * S, {"app": "code", "title": "main.py - proj"}),
        Event(T0 + 60 * S, 30 * S, {"app": "firefox", "title": "GitHub - PR 7"}),
        Event(T0 + 90 * S, 45 * S, {"app": "code", "title": "main.py - proj"}),
        Event(T0 + 200 * S, 100 * S, {"app": "slack", "title": "general"}),
    ]
    afk = [Event(T0, 150 * S, {"status": "not-afk"}), Event(T0 + 150 * S, 200 * S, {"status": "afk"})]
    store.create_bucket(Bucket(WINDOW, "currentwindow", "aw-watcher-window", "host", 0), window)
    store.create_bucket(Bucket(AFK, "afkstatus", "aw-watcher-afk", "host", 0), afk)


def post(http: httpx.Client, query: str | list[str], periods: list[str] | None = None) -> httpx.Response:
    return http.post("/api/0/query/", json={"query": query, "timeperiods": periods or [PERIOD]})


def test_canonical_query_over_http(live_server: LiveServer, http: httpx.Client) -> None:
    seed(live_server.store)
    r = post(http, QUERIES["canonical"].strip().splitlines())
    assert r.status_code == 200, r.text
    (result,) = r.json()
    assert [(e["data"], e["duration"]) for e in result] == [({"app": "code"}, 105.0), ({"app": "firefox"}, 30.0)]
    assert result[0]["timestamp"] == "2024-05-01T01:00:00Z"


def test_rust_dialect_and_many_periods(live_server: LiveServer, http: httpx.Client) -> None:
    seed(live_server.store)
    hours = [
        f"{(DAY_START + dt.timedelta(hours=h)).isoformat()}/{(DAY_START + dt.timedelta(hours=h + 1)).isoformat()}"
        for h in range(24)
    ]
    query = f"""
        # seconds of window events per hour, and whether there were any
        n = query_bucket_eventcount("{WINDOW}");
        if n == 0 {{ return {{"busy": false, "seconds": 0}}; }}
        else {{ return {{"busy": true, "seconds": sum_durations(query_bucket("{WINDOW}")) * 1.0}}; }}
    """
    r = post(http, query, hours)
    assert r.status_code == 200, r.text
    answers = r.json()
    assert len(answers) == 24
    assert answers[1] == {"busy": True, "seconds": 235.0}
    # the first event starts at 01:00, the end of hour 0: periods include their end, as aw-core's do
    assert answers[0] == {"busy": True, "seconds": 0.0}
    assert all(a == {"busy": False, "seconds": 0} for a in answers[2:])


def test_query_bucket_is_clipped_to_the_period(live_server: LiveServer, http: httpx.Client) -> None:
    seed(live_server.store)
    start = DAY_START + dt.timedelta(hours=1, seconds=30)
    period = f"{start.isoformat()}/{(start + dt.timedelta(seconds=60)).isoformat()}"
    r = post(http, f'RETURN = query_bucket("{WINDOW}");', [period])
    assert [(e["timestamp"], e["duration"]) for e in r.json()[0]] == [
        ("2024-05-01T01:01:30Z", 0.0),
        ("2024-05-01T01:01:00Z", 30.0),
        ("2024-05-01T01:00:30Z", 30.0),
    ]


@pytest.mark.parametrize(
    ("query", "kind", "words"),
    [
        ("RETURN = ;", "QueryParseException", ["line 1", "column"]),
        ('a = 1;\nb = "x" +;\nRETURN = a;', "QueryParseException", ["line 2"]),
        ("RETURN = nothing;", "QueryInterpretException", ["nothing", "line 1"]),
        ("x = 1;", "QueryInterpretException", ["RETURN"]),
        ('RETURN = 1 == "a";', "QueryInterpretException", ["compare"]),
        ("RETURN = 1 / 0;", "QueryInterpretException", ["zero"]),
        ('RETURN = query_bucket("nope");', "QueryFunctionException", ["nope"]),
        ('RETURN = find_bucket("nope");', "QueryFunctionException", ["nope"]),
        ("RETURN = limit_events(1, 2);", "QueryFunctionException", ["limit_events", "argument 1"]),
        ("RETURN = sort_by_duration();", "QueryFunctionException", ["sort_by_duration"]),
        ('RETURN = filter_keyvals_regex([], "a", "(");', "QueryFunctionException", ["regular expression"]),
        ('RETURN = categorize([], [[["A"], {"type": "glob"}]]);', "QueryFunctionException", ["type"]),
        ("RETURN = unknown_function();", "QueryInterpretException", ["unknown_function"]),
    ],
)
def test_errors_are_400_with_type_and_place(
    live_server: LiveServer, http: httpx.Client, query: str, kind: str, words: list[str]
) -> None:
    seed(live_server.store)
    before = snapshot(live_server.store)
    r = post(http, query)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["type"] == kind
    assert all(w in body["message"] for w in words), body["message"]
    assert snapshot(live_server.store) == before


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"not json", 400, []),
        (b"[]", 400, ["query"]),
        (b'{"timeperiods": ["x"]}', 400, ["query"]),
        (b'{"query": ["RETURN = 1;"]}', 400, ["timeperiods"]),
        (b'{"query": [1, 2], "timeperiods": []}', 400, ["query"]),
        (b'{"query": ["RETURN = 1;"], "timeperiods": "x"}', 400, ["timeperiods"]),
        (b'{"query": ["RETURN = 1;"], "timeperiods": ["2024-01-01T00:00:00Z"]}', 400, ["timeperiod"]),
        (b'{"query": ["RETURN = 1;"], "timeperiods": ["2024-01-02T00:00:00Z/2024-01-01T00:00:00Z"]}', 400, ["before"]),
        (b'{"query": ["RETURN = 1;"], "timeperiods": ["yesterday/today"]}', 400, []),
        (b'{"query": ["RETURN = 1;"], "timeperiods": [5]}', 400, []),
    ],
)
def test_malformed_bodies(http: httpx.Client, body: bytes, status: int, words: list[str]) -> None:
    r = http.post("/api/0/query/", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert all(w in r.json()["message"] for w in words), r.json()


def test_no_timeperiods_gives_no_results(http: httpx.Client) -> None:
    r = http.post("/api/0/query/", json={"query": ["RETURN = 1;"], "timeperiods": []})
    assert (r.status_code, r.json()) == (200, [])


# ---------------------------------------------------------------------------- hostile queries

HOSTILE = {
    "50k-deep parentheses": "RETURN = " + "(" * 50_000 + "1" + ")" * 50_000 + ";",
    "50k-deep lists": "RETURN = " + "[" * 50_000 + "]" * 50_000 + ";",
    "50k-deep calls": "RETURN = " + "nop(" * 50_000 + ")" * 50_000 + ";",
    "unterminated string": 'RETURN = "' + "a" * 100_000,
    "2 MB query": "RETURN = 1;" + " " * 2_000_000,
    "endless statements": "x = [1];" + "x = x + x;" * 40 + "RETURN = 1;",
    "many steps": "x = 1;" + "x = x + 1;" * 300_000 + "RETURN = x;",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_queries_get_a_400(live_server: LiveServer, http: httpx.Client, name: str) -> None:
    seed(live_server.store)
    before = snapshot(live_server.store)
    r = post(http, HOSTILE[name])
    assert r.status_code in (400, 413), r.text[:300]
    assert "message" in r.json()
    assert snapshot(live_server.store) == before
    assert http.get("/api/0/info").status_code == 200


def test_thousands_of_timeperiods_are_refused(http: httpx.Client) -> None:
    periods = [PERIOD] * 5000
    r = post(http, "RETURN = 1;", periods)
    assert r.status_code == 400 and "timeperiods" in r.json()["message"]


def test_a_backtracking_regex_over_events_is_stopped(live_server: LiveServer, http: httpx.Client) -> None:
    store = live_server.store
    store.create_bucket(
        Bucket("evil", "x", "x", "host", 0), [Event(T0 + i * S, S, {"t": "a" * 3000 + str(i)}) for i in range(50)]
    )
    r = post(http, 'RETURN = filter_keyvals_regex(query_bucket("evil"), "t", "^(a|aa)+$");')
    assert r.status_code == 400
    assert r.json()["type"] == "QueryFunctionException" and "regular expression" in r.json()["message"]


def test_heartbeats_are_served_while_a_hostile_query_runs(live_server: LiveServer, http: httpx.Client) -> None:
    """A query that runs until its regex deadline (seconds) does not hold up the heartbeat path."""
    store = live_server.store
    store.create_bucket(
        Bucket("evil", "x", "x", "host", 0), [Event(T0 + i * S, S, {"t": "a" * 3000 + str(i)}) for i in range(50)]
    )
    http.post("/api/0/buckets/hb", json={"type": "x", "client": "x", "hostname": "h"})
    answer: list[httpx.Response] = []
    evil = 'RETURN = filter_keyvals_regex(query_bucket("evil"), "t", "^(a|aa)+$");'

    def run_slow_query() -> None:
        with httpx.Client(base_url=live_server.url, timeout=60) as other:
            answer.append(post(other, evil))

    slow = threading.Thread(target=run_slow_query)
    slow.start()
    statuses = []
    for i in range(5):
        beat = {"timestamp": f"2024-05-01T00:00:0{i}Z", "duration": 0, "data": {"n": 1}}
        statuses.append(http.post("/api/0/buckets/hb/heartbeat?pulsetime=10", json=beat).status_code)
    heartbeats_done_first = slow.is_alive()
    slow.join()
    assert statuses == [200] * 5
    assert heartbeats_done_first  # the heartbeats did not wait for the query
    assert answer[0].status_code == 400
