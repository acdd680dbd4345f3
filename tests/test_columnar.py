"""The transforms on columns (transforms/columnar.py) answer exactly as the event functions do.

Differential tests on generated events (overlaps, zero-length events, equal starts, gaps, filter events
that touch), both list orders a `Columns` can hold, and whole queries over a real store: the first-time
path through the event cache against the same query run on the store's events without any cache.
"""

from __future__ import annotations

import json
from array import array
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activitywatch import transforms as t
from activitywatch.core.models import Bucket, Event
from activitywatch.query import QueryError
from activitywatch.store import Store
from activitywatch.transforms import columnar
from activitywatch.transforms.columns import Columns
from tests.test_query_cache import cached, fresh, make_api
from tests.test_transforms import APPS, MS, datas, short_datas, sorted_disjoint

CLASSES = [
    [["Work"], {"type": "regex", "regex": "code|term"}],
    [["Work", "Web"], {"type": "regex", "regex": "GitHub", "select_keys": ["title"]}],
    [["Media"], {"type": "regex", "regex": "youtube", "ignore_case": True}],
]


@st.composite
def event_lists(draw: st.DrawFn, data: st.SearchStrategy[dict[str, Any]] = datas) -> list[Event]:
    """Events in any order: overlapping, touching, with gaps, zero-length, often starting together."""
    n = draw(st.integers(0, 30))
    out, t0 = [], 0
    for i in range(n):
        t0 += draw(st.sampled_from([0, 0, 1, 500, 2_000, 8_000, -3_000]))
        duration = draw(st.sampled_from([0, 1, 700, 2_000, 5_000, 30_000]))
        out.append(Event(t0 * MS, duration * MS, draw(data), 1000 - i if draw(st.booleans()) else i + 1))
    return out


# Data that Python finds equal though their JSON texts differ (flood compares with ==).
look_alike = st.sampled_from([{"a": 1}, {"a": 1.0}, {"a": True}, {"a": [1]}, {"a": [1.0]}, {"a": {"b": 0}}, {"b": 1}])


@st.composite
def disjoint_filters(draw: st.DrawFn) -> list[Event]:
    """Filter events that do not overlap each other: with gaps, or touching (AFK periods tile a day)."""
    filters = draw(sorted_disjoint(short_datas))
    if draw(st.booleans()):
        filters = [f.replace(duration=g.timestamp - f.timestamp) for f, g in pairwise(filters)] + filters[-1:]
    return filters


def columns_of(events: list[Event], newest_first: bool) -> Columns:
    """The events as the cache holds them: in (start, id) order, one data object per distinct data."""
    ordered = sorted(events, key=lambda e: (e.timestamp, e.id))
    if not newest_first:  # the list is the columns: any order of equal starts
        ordered = sorted(events, key=lambda e: e.timestamp)
    shared: dict[str, int] = {}
    objects: list[Any] = []
    refs = []
    for e in ordered:
        text = json.dumps(e.data, sort_keys=True)
        if text not in shared:
            shared[text] = len(objects)
            objects.append(json.loads(text))
        refs.append(shared[text])
    return Columns(
        array("q", [e.timestamp for e in ordered]),
        array("q", [e.end for e in ordered]),
        array("q", [e.id or 0 for e in ordered]),
        array("l", refs),
        objects,
        newest_first=newest_first,
    )


def exact(events: list[Event]) -> list[tuple[int, int, str, int | None]]:
    """Events as the wire sees them: 1, 1.0 and true differ (== alone would not tell them apart)."""
    return [(e.timestamp, e.duration, json.dumps(e.data, sort_keys=True), e.id) for e in events]


def listed(events: list[Event], newest_first: bool) -> list[Event]:
    """The list `columns_of(events, newest_first)` holds."""
    ordered = sorted(events, key=lambda e: (e.timestamp, e.id))
    return ordered[::-1] if newest_first else sorted(events, key=lambda e: e.timestamp)


@given(event_lists(), st.booleans())
@settings(max_examples=200, deadline=None)
def test_columns_hold_the_list(events: list[Event], newest_first: bool) -> None:
    columns = columns_of(events, newest_first)
    assert columns.events() == listed(events, newest_first)
    starts, ends, _, _ = columns.in_time_order()
    expected = sorted(columns.events(), key=lambda e: e.timestamp)  # stable, as the transforms sort
    assert [(s, e) for s, e in zip(starts, ends, strict=True)] == [(e.timestamp, e.end) for e in expected]


@given(
    st.one_of(event_lists(), event_lists(look_alike)),
    st.booleans(),
    st.lists(st.sampled_from(["firefox", "code", "term", 3, 1, True, [1]]), max_size=3),
)
@settings(max_examples=150, deadline=None)
def test_filter_and_exclude_keyvals(events: list[Event], newest_first: bool, apps: list[Any]) -> None:
    columns = columns_of(events, newest_first)
    for key in ("app", "a"):
        kept = columnar.keep_by_value(columns, key, apps, True)
        assert exact(kept.events()) == exact(t.filter_keyvals(columns.events(), key, apps))
        dropped = columnar.keep_by_value(columns, key, apps, False)
        assert exact(dropped.events()) == exact(t.exclude_keyvals(columns.events(), key, apps))


@given(event_lists(), disjoint_filters(), st.booleans(), st.booleans())
@settings(max_examples=400, deadline=None)
def test_filter_period_intersect_with_disjoint_filters(
    events: list[Event], filters: list[Event], newest_first: bool, filters_newest_first: bool
) -> None:
    columns, filter_columns = columns_of(events, newest_first), columns_of(filters, filters_newest_first)
    expected = t.filter_period_intersect(columns.events(), filter_columns.events())
    result = columnar.filter_period_intersect(columns, filter_columns)
    assert result is not None
    assert exact(result.events()) == exact(expected)  # the pieces themselves
    # A result asked only for its length, totals or merges takes the other walk (totals, no pieces).
    for keys in (["app"], ["app", "title"]):
        lazy = columnar.filter_period_intersect(columns, filter_columns)
        assert lazy is not None
        assert len(lazy) == len(expected)
        assert exact(columnar.merge_events_by_keys(lazy, keys)) == exact(t.merge_events_by_keys(expected, keys))
        assert columnar.sum_durations(lazy) == t.sum_durations(expected)
        labelled = columnar.relabel(lazy, "$category", t.classify.category_of(CLASSES), {})
        merged = columnar.merge_events_by_keys(labelled, ["$category"])
        assert not lazy.rows.built()  # all of it from the totals
        assert exact(labelled.events()) == exact(t.categorize(expected, CLASSES))
        assert exact(merged) == exact(t.merge_events_by_keys(t.categorize(expected, CLASSES), ["$category"]))


@given(event_lists(), event_lists(short_datas))
@settings(max_examples=200, deadline=None)
def test_filter_period_intersect_declines_overlapping_filters(events: list[Event], filters: list[Event]) -> None:
    """Overlapping or empty filter events are left to the event function (None), others answered alike."""
    columns, filter_columns = columns_of(events, True), columns_of(filters, True)
    result = columnar.filter_period_intersect(columns, filter_columns)
    spans = sorted((f.timestamp, f.end) for f in filters)
    disjoint = all(s < e for s, e in spans) and all(a[1] <= b[0] for a, b in pairwise(spans))
    assert (result is not None) == disjoint
    if result is not None:
        assert result.events() == t.filter_period_intersect(columns.events(), filter_columns.events())


@given(
    st.one_of(event_lists(), event_lists(short_datas), event_lists(look_alike)),
    st.booleans(),
    st.sampled_from([0, 0.5, 1, 5, 30]),
)
@settings(max_examples=400, deadline=None)
def test_flood(events: list[Event], newest_first: bool, pulsetime: float) -> None:
    columns = columns_of(events, newest_first)
    flooded = columnar.flood(columns, pulsetime)
    assert exact(flooded.events()) == exact(t.flood(columns.events(), pulsetime))
    assert all(a < b for a, b in pairwise(flooded.starts))  # in time order, as columns must be


@given(
    st.one_of(event_lists(), event_lists(look_alike)),
    st.booleans(),
    st.sampled_from([["app"], ["title"], ["app", "title"], ["none"], ["a"], []]),
)
@settings(max_examples=300, deadline=None)
def test_merge_events_by_keys(events: list[Event], newest_first: bool, keys: list[str]) -> None:
    columns = columns_of(events, newest_first)
    assert exact(columnar.merge_events_by_keys(columns, keys)) == exact(t.merge_events_by_keys(columns.events(), keys))


@given(event_lists(), st.booleans())
@settings(max_examples=100, deadline=None)
def test_categorize_tag_and_sum_durations(events: list[Event], newest_first: bool) -> None:
    columns = columns_of(events, newest_first)
    memo: dict[Any, Any] = {}
    categorized = columnar.relabel(columns, "$category", t.classify.category_of(CLASSES), memo)
    assert categorized.events() == t.categorize(columns.events(), CLASSES)
    tag_classes = [["work", rule] for _, rule in CLASSES]
    tagged = columnar.relabel(columns, "$tags", t.classify.tags_of(tag_classes), {})
    assert tagged.events() == t.tag(columns.events(), tag_classes)
    assert columnar.sum_durations(columns) == t.sum_durations(columns.events())
    again = columnar.relabel(columns, "$category", t.classify.category_of(CLASSES), memo)
    assert all(a[2] is b[2] for a, b in zip(again.events(), categorized.events(), strict=True))  # memo reused


def test_a_chain_of_columns_matches_the_chain_of_lists() -> None:
    """query_bucket → filter_keyvals → intersect → categorize → merge, on events crossing every edge."""
    s = 1000 * MS
    window = [Event(i * 7 * s, (i % 4) * 3 * s, {"app": ["code", "firefox", "term"][i % 3]}, i + 1) for i in range(60)]
    afk = [Event(i * 30 * s, 30 * s, {"status": ["not-afk", "afk"][i % 2]}, 100 + i) for i in range(15)]
    w, a = columns_of(window, True), columns_of(afk, True)
    active = columnar.keep_by_value(a, "status", ["not-afk"], True)
    cut = columnar.filter_period_intersect(w, active)
    assert cut is not None
    labelled = columnar.relabel(cut, "$category", t.classify.category_of(CLASSES), {})
    expected_events = t.categorize(
        t.filter_period_intersect(w.events(), t.filter_keyvals(a.events(), "status", ["not-afk"])), CLASSES
    )
    assert labelled.events() == expected_events
    assert columnar.merge_events_by_keys(labelled, ["$category"]) == t.merge_events_by_keys(
        expected_events, ["$category"]
    )


# ---------------------------------------------------------------------------- whole queries over a store

MINUTE = 60 * 1000 * MS
T0 = 1_714_521_600 * 1000 * MS  # 2024-05-01T00:00:00Z
CANONICAL = """
    afk = filter_keyvals(query_bucket("afk"), "status", ["not-afk"]);
    w = filter_period_intersect(query_bucket("win"), afk);
    RETURN = sort_by_duration(merge_events_by_keys(w, ["app"]));
"""
ACTIVITY = f"""
    events = flood(query_bucket("win"));
    not_afk = filter_keyvals(flood(query_bucket("afk")), "status", ["not-afk"]);
    events = categorize(filter_period_intersect(events, not_afk), {json.dumps(CLASSES)});
    titles = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));
    RETURN = {{"apps": sort_by_duration(merge_events_by_keys(titles, ["app"])), "titles": limit_events(titles, 5),
              "cats": sort_by_duration(merge_events_by_keys(events, ["$category"])),
              "duration": sum_durations(events), "raw": exclude_keyvals(query_bucket("win"), "app", ["term"])}};
"""
PERIODS = [
    "2024-05-01T00:00:00Z/2024-05-01T02:00:00Z",
    "2024-05-01T00:37:00Z/2024-05-01T01:13:30Z",
    "2024-05-01T01:00:00Z/2024-05-01T01:00:00Z",
    "2024-04-30T00:00:00Z/2024-05-03T00:00:00Z",
]
store_events = st.lists(
    st.tuples(st.integers(0, 150), st.sampled_from([0, 0, 1, 2, 5, 30, 90]), datas), min_size=0, max_size=40
)
afk_events = st.lists(st.tuples(st.integers(0, 150), st.integers(0, 40), st.booleans()), max_size=12)


@given(store_events, afk_events)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_first_time_queries_answer_as_the_store_does(
    tmp_path_factory: pytest.TempPathFactory, window: list[Any], afk: list[Any]
) -> None:
    with Store(tmp_path_factory.mktemp("q") / "db.sqlite") as store:
        store.create_bucket(
            Bucket("win", "currentwindow", "w", "h", 0),
            [Event(T0 + at * MINUTE, length * MINUTE, data) for at, length, data in window],
        )
        store.create_bucket(
            Bucket("afk", "afkstatus", "a", "h", 0),
            [Event(T0 + at * MINUTE, n * MINUTE, {"status": "afk" if away else "not-afk"}) for at, n, away in afk],
        )
        api = make_api(store)
        for n, query in enumerate((CANONICAL, ACTIVITY)):
            assert cached(api, f"n{n} = nop();" + query, PERIODS) == fresh(store, query, PERIODS)


def test_the_bench_shape_answers_as_the_store_does(tmp_path: Path) -> None:
    """Days of bench-like data (events piling up at the end of a day start together) through both queries."""
    from activitywatch.core.wire import event_from_wire
    from bench import queries

    window, afk = queries.generate(3)
    with Store(tmp_path / "db.sqlite") as store:
        for bucket_id, events in (("win", window), ("afk", afk)):
            store.create_bucket(Bucket(bucket_id, "t", "c", "h", 0), [event_from_wire(e) for e in events])
        api = make_api(store)
        periods = [queries.period(0, 3), queries.period(1, 1)]
        for n, query in enumerate((CANONICAL, ACTIVITY)):
            assert cached(api, f"n{n} = nop();" + query, periods) == fresh(store, query, periods)


ODD_PLACES = [
    'RETURN = [query_bucket("win"), 1];',
    'RETURN = query_bucket("win") + query_bucket("afk");',
    'RETURN = limit_events(sort_by_timestamp(query_bucket("win")), 3);',
    'w = query_bucket("win"); RETURN = contains(w, w);',
    'RETURN = concat(query_bucket("afk"), flood(query_bucket("win")));',
    'RETURN = filter_period_intersect(query_bucket("win"), query_bucket("win"));',  # filters overlap
    'RETURN = filter_period_intersect(query_bucket("win"), [query_bucket("afk")]);',
    'RETURN = query_bucket_eventcount("win") + len_guard; len_guard = 0;',
    'if query_bucket("win") { RETURN = 1; } else { RETURN = 2; }',
    'w = flood(query_bucket("win")); RETURN = merge_events_by_keys(filter_period_intersect(w, w), []);',
]


@pytest.mark.parametrize("query", ODD_PLACES)
def test_columns_anywhere_else_are_the_list_they_hold(tmp_path: Path, query: str) -> None:
    """Columns reaching a list, an operator, another function or RETURN answer (or fail) as lists do."""
    with Store(tmp_path / "db.sqlite") as store:
        store.create_bucket(
            Bucket("win", "currentwindow", "w", "h", 0),
            [Event(T0 + i * 7 * MINUTE, (i % 3) * 5 * MINUTE, {"app": APPS[i % 3]}) for i in range(12)],
        )
        store.create_bucket(
            Bucket("afk", "afkstatus", "a", "h", 0),
            [Event(T0 + i * 20 * MINUTE, 20 * MINUTE, {"status": ["afk", "not-afk"][i % 2]}) for i in range(5)],
        )
        api = make_api(store)
        query = "n = nop(); " + query  # a text the result cache has not seen, whichever runs first
        try:
            expected: Any = fresh(store, query, PERIODS)
        except QueryError as exc:
            with pytest.raises(type(exc)) as raised:
                cached(api, query, PERIODS)
            assert raised.value.message == exc.message
            return
        assert cached(api, query, PERIODS) == expected
