"""merge_events_by_periods: merge_events_by_keys within each period, against a plain reference, and as a
query function over real HTTP (the dashboard cuts its bars from one whole-period query with it)."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from activitywatch.core.models import Bucket, Event
from activitywatch.transforms import merge_events_by_periods
from tests.conftest import LiveServer

S = 1_000_000_000
DATAS = [{"app": "a", "c": ["Work"]}, {"app": "b", "c": ["Work"]}, {"app": "c", "c": ["Play"]}, {"app": "d"}]


def reference(events: list[Event], periods: list[tuple[int, int]], keys: list[str]) -> dict[Any, int]:
    """Each event clipped to each period by hand, summed per (period, key values)."""
    totals: dict[Any, int] = defaultdict(int)
    for i, (start, end) in enumerate(periods):
        for e in events:
            low, high = max(e.timestamp, start), min(e.end, end)
            inside = high > low or (e.duration == 0 and start <= e.timestamp < end)
            if inside:
                values = tuple(repr(e.data.get(k, "-")) for k in keys)
                totals[(i, values)] += max(high - low, 0)
    return dict(totals)


def as_totals(merged: list[Event], keys: list[str]) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for e in merged:
        key = (e.data["$period"], tuple(repr(e.data.get(k, "-")) for k in keys))
        assert key not in out  # one result per period and key values
        out[key] = e.duration
    return out


def test_an_event_across_edges_counts_in_each_period_and_nothing_outside() -> None:
    events = [Event(50 * S, 100 * S, DATAS[0]), Event(160 * S, 30 * S, DATAS[1]), Event(250 * S, 40 * S, DATAS[0])]
    periods = [(0, 100 * S), (100 * S, 200 * S)]
    merged = merge_events_by_periods(events, periods, ["c"])
    assert [(e.timestamp, e.duration, e.data) for e in merged] == [
        (50 * S, 50 * S, {"c": ["Work"], "$period": 0}),
        (100 * S, 80 * S, {"c": ["Work"], "$period": 1}),  # 50 s of the first event and 30 s of the second
    ]


@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 120), st.integers(0, len(DATAS) - 1)), max_size=40),
    st.lists(st.integers(0, 500), min_size=2, max_size=8, unique=True),
    st.sampled_from([["c"], ["app", "c"], ["app"], []]),
)
def test_equals_clipping_each_event_to_each_period(
    rows: list[tuple[int, int, int]], edges: list[int], keys: list[str]
) -> None:
    events = [Event(start * S, duration * S, DATAS[d]) for start, duration, d in rows]  # in any order
    points = sorted(edges)
    periods = [(a * S, b * S) for a, b in itertools.pairwise(points)][::2]  # with gaps between
    assert as_totals(merge_events_by_periods(events, periods, keys), keys) == reference(events, periods, keys)


def post(url: str, statements: list[str], period: str) -> httpx.Response:
    return httpx.post(f"{url}/api/0/query/", json={"query": statements, "timeperiods": [period]}, timeout=30)


def test_as_a_query_function_the_bars_add_up_to_the_total(live_server: LiveServer) -> None:
    day = 1_700_000_000 * S
    live_server.store.create_bucket(
        Bucket("w", "currentwindow", "test", "h", day),
        [Event(day + k * 1000 * S, 900 * S, DATAS[k % 3]) for k in range(20)],
    )
    hours = ["2023-11-14T22:00:00Z/2023-11-14T23:00:00Z", "2023-11-14T23:00:00Z/2023-11-15T00:00:00Z",
             "2023-11-15T00:00:00Z/2023-11-15T06:00:00Z"]  # fmt: skip
    bars = f'merge_events_by_periods(events, {json.dumps(hours)}, ["c"])'
    statements = ['events = flood(query_bucket("w"));', f'RETURN = {{"bars": {bars}, "total": sum_durations(events)}};']
    reply = post(live_server.url, statements, "2023-11-14T00:00:00Z/2023-11-16T00:00:00Z")
    assert reply.status_code == 200, reply.text
    answer = reply.json()[0]
    assert sum(e["duration"] for e in answer["bars"]) == answer["total"]  # every event lies inside the hours
    assert {e["data"]["$period"] for e in answer["bars"]} == {0, 1, 2}
    assert {tuple(e["data"]["c"]) for e in answer["bars"]} == {("Work",), ("Play",)}


def test_bad_periods_get_a_clear_error(live_server: LiveServer) -> None:
    cases = {
        '["2023-11-14T01:00:00Z/2023-11-14T02:00:00Z", "2023-11-14T01:30:00Z/2023-11-14T03:00:00Z"]': "not overlap",
        '["yesterday/today"]': "period start",
        '["2023-11-14T01:00:00Z"]': "'<start>/<end>'",
        '["2023-11-14T02:00:00Z/2023-11-14T01:00:00Z"]': "not overlap",
    }
    for periods, message in cases.items():
        statements = [f'RETURN = merge_events_by_periods([], {periods}, ["c"]);']
        reply = post(live_server.url, statements, "2023-11-14T00:00:00Z/2023-11-15T00:00:00Z")
        assert reply.status_code == 400, (periods, reply.text)
        assert reply.json()["type"] == "QueryFunctionException"
        assert reply.json()["message"].startswith("merge_events_by_periods(): ")
        assert message in reply.json()["message"]
