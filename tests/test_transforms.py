"""transforms/: hand-computed cases per transform, and property-based differential tests against aw-core.

aw-core (the reference python implementation, a test dependency only) works in microseconds and mutates
its inputs, so every comparison gives it deep copies of events on a millisecond grid. Where we diverge
from it on purpose, the generated inputs avoid the divergence and a hand-written case pins our rule:
  - flood absorbs an equal-data neighbour and compares the merged event with the next, as aw-server-rust
    does, so it never leaves aw-core's sub-millisecond slivers (issue 17): it is compared with a plain
    model of the reference algorithm on nanosecond data, and with aw-core on per-data totals;
  - filter_period_intersect drops zero-length pieces (as aw-server-rust does);
  - merge_events_by_keys never merges an event lacking one key with another lacking a different key
    (aw-core groups on whichever keys are present, so {"a": "x"} and {"b": "x"} collide);
  - chunk_events_by_key neither nests `subevents` nor stops at the first event lacking the key;
  - categorize and tag reject malformed rules with a message instead of ignoring `type`;
  - filter_keyvals compares with JSON equality (true is not 1) and the regex filters skip non-strings.
"""

from __future__ import annotations

import copy
import datetime as dt
from itertools import pairwise
from typing import Any

import aw_core.models
import aw_transform
import pytest
from aw_transform.classify import Rule as AwRule
from hypothesis import given, settings
from hypothesis import strategies as st

from activitywatch import transforms as t
from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Event
from activitywatch.transforms import periods
from activitywatch.transforms.regexes import Deadline, RegexTimeout

S = 1_000_000_000
MS = 1_000_000
US = 1_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def ev(start_s: float, dur_s: float, data: dict[str, Any] | None = None, id: int | None = None) -> Event:
    return Event(round(start_s * S), round(dur_s * S), {"a": 1} if data is None else data, id)


def spans(events: list[Event]) -> list[tuple[float, float, dict[str, Any]]]:
    return [(e.timestamp / S, e.duration / S, dict(e.data)) for e in events]


# ---------------------------------------------------------------------------- aw-core conversion


def to_aw(event: Event) -> aw_core.models.Event:
    return aw_core.models.Event(
        id=event.id,
        timestamp=EPOCH + dt.timedelta(microseconds=event.timestamp // US),
        duration=dt.timedelta(microseconds=event.duration // US),
        data=copy.deepcopy(dict(event.data)),
    )


def from_aw(event: aw_core.models.Event) -> tuple[int, int, dict[str, Any]]:
    ts = (event.timestamp - EPOCH) // dt.timedelta(microseconds=1) * US
    return ts, event.duration // dt.timedelta(microseconds=1) * US, dict(event.data)


def ours(events: list[Event]) -> list[tuple[int, int, dict[str, Any]]]:
    return [(e.timestamp, e.duration, dict(e.data)) for e in events]


def theirs(events: list[aw_core.models.Event]) -> list[tuple[int, int, dict[str, Any]]]:
    return [from_aw(e) for e in events]


def aw(events: list[Event]) -> list[aw_core.models.Event]:
    return [to_aw(e) for e in events]


def unchanged(events: list[Event], snapshot: list[Event]) -> bool:
    """Our transforms never change their input (events are immutable, but data dicts are not)."""
    return events == snapshot and all(a.data == b.data for a, b in zip(events, snapshot, strict=True))


APPS = ["firefox", "code", "term"]
TITLES = ["GitHub - PR", "YouTube - video", "Inbox (3) mail", "main.py", "(2) Slack | general"]

datas = st.fixed_dictionaries({"app": st.sampled_from(APPS), "title": st.sampled_from(TITLES)})
short_datas = st.fixed_dictionaries({"app": st.sampled_from(APPS[:2])})


@st.composite
def event_lists(draw: st.DrawFn, data: st.SearchStrategy[dict[str, Any]] = datas, grid: int = MS) -> list[Event]:
    """Events on a grid: sometimes overlapping, sometimes with gaps, some zero-length."""
    n = draw(st.integers(0, 25))
    out, t0 = [], 0
    for i in range(n):
        t0 += draw(st.integers(-3_000, 8_000))
        duration = draw(st.one_of(st.just(0), st.integers(1, 10_000)))
        out.append(Event(t0 * grid, duration * grid, draw(data), i + 1))
    return out


@st.composite
def sorted_disjoint(draw: st.DrawFn, data: st.SearchStrategy[dict[str, Any]] = datas) -> list[Event]:
    """Events in time order that do not overlap each other (what query_bucket + flood give)."""
    n = draw(st.integers(0, 20))
    out, t0 = [], 0
    for i in range(n):
        t0 += draw(st.integers(0, 6_000))
        duration = draw(st.integers(1, 9_000))
        out.append(Event(t0 * MS, duration * MS, draw(data), i + 1))
        t0 += duration
    return out


# ---------------------------------------------------------------------------- flood


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], []),
        ([ev(0, 10, {"a": 1}), ev(12, 5, {"a": 1})], [(0, 17, {"a": 1})]),  # equal data merge across the gap
        ([ev(0, 10, {"a": 1}), ev(12, 6, {"a": 2})], [(0, 11, {"a": 1}), (11, 7, {"a": 2})]),  # midpoint split
        ([ev(0, 10, {"a": 1}), ev(16, 5, {"a": 2})], [(0, 10, {"a": 1}), (16, 5, {"a": 2})]),  # gap > 5 s kept
        ([ev(0, 10, {"a": 1}), ev(15, 5, {"a": 1})], [(0, 20, {"a": 1})]),  # exactly 5 s: filled
        ([ev(0, 10, {"a": 1}), ev(5, 10, {"a": 1})], [(0, 15, {"a": 1})]),  # overlapping equal data merge
        ([ev(0, 10, {"a": 1}), ev(9.95, 5, {"a": 2})], [(0, 9.975, {"a": 1}), (9.975, 4.975, {"a": 2})]),
        ([ev(0, 10, {"a": 1}), ev(5, 10, {"a": 2})], [(0, 5, {"a": 1}), (5, 10, {"a": 2})]),  # later wins
        ([ev(12, 5, {"a": 1}), ev(0, 10, {"a": 1})], [(0, 17, {"a": 1})]),  # sorted first
        ([ev(0, 0, {"a": 1})], []),  # zero-length dropped
    ],
)
def test_flood_cases(events: list[Event], expected: list[tuple[float, float, dict[str, Any]]]) -> None:
    snapshot = list(events)
    assert [(round(a, 6), round(b, 6), c) for a, b, c in spans(t.flood(events))] == expected
    assert unchanged(events, snapshot)


def test_flood_pulsetime_argument() -> None:
    events = [ev(0, 10, {"a": 1}), ev(20, 5, {"a": 1})]
    assert spans(t.flood(events, 10)) == [(0, 25, {"a": 1})]
    assert spans(t.flood(events, 9.999)) == spans(events)


def reference_flood(events: list[Event], pulsetime: float = 5) -> list[tuple[int, int, dict[str, Any]]]:
    """aw-server-rust's flood as activitywatch-compat.md describes it, written plainly on mutable rows.

    Sort by (time, duration); an event with the same data as its predecessor within `pulsetime` is merged
    into it and removed, and the merged row is compared with the next again; different data split a
    gap (or an overlap under 0.1 s) at the midpoint. A final pass removes empty rows and lets the later
    of two overlapping rows win (merging equal data), as aw-core's normalisation does.
    """
    pulse = round(pulsetime * S)
    rows = [[e.timestamp, e.timestamp + e.duration, dict(e.data)] for e in sorted(events, key=lambda e: e[:2])]
    i = 0
    while i + 1 < len(rows):
        a, b = rows[i], rows[i + 1]
        gap = b[0] - a[1]
        if a[2] == b[2] and gap <= pulse:
            a[1] = max(a[1], b[1])
            del rows[i + 1]
            continue
        if gap != 0 and -100 * MS < gap <= pulse:
            a[1] = b[0] = a[1] + gap // 2
        i += 1
    out: list[list[Any]] = []
    for row in (r for r in rows if r[1] > r[0]):
        while out and out[-1][1] >= row[0]:
            if out[-1][2] == row[2]:
                out[-1][1] = max(out[-1][1], row[1])
                break
            if out[-1][1] == row[0]:
                out.append(row)
                break
            out[-1][1] = row[0]
            if out[-1][1] <= out[-1][0]:
                out.pop()
                continue
            out.append(row)
            break
        else:
            out.append(row)
    return [(start, end - start, data) for start, end, data in out]


@st.composite
def fine_event_lists(draw: st.DrawFn, data: st.SearchStrategy[dict[str, Any]] = datas) -> list[Event]:
    """Events with nanosecond timestamps: overlaps and gaps of a few microseconds to a few seconds."""
    n = draw(st.integers(0, 25))
    out, t0 = [], 0
    for i in range(n):
        t0 += draw(st.one_of(st.integers(-200 * MS, 7 * S), st.integers(-2 * MS, 2 * MS)))
        duration = draw(st.one_of(st.just(0), st.integers(1, 2 * MS), st.integers(1, 10 * S)))
        out.append(Event(t0, duration, draw(data), i + 1))
    return out


@st.composite
def watcher_streams(draw: st.DrawFn, resolutions: tuple[int, ...] = (1, US, MS)) -> tuple[int, list[Event]]:
    """What watchers record at a resolution of `res` ns: events at least 2 ms long, each starting up to
    1 ms before the previous one ends only when their data are equal (heartbeat merges that overlap)."""
    res = draw(st.sampled_from(resolutions))
    n = draw(st.integers(0, 25))
    out: list[Event] = []
    t0 = 0
    for i in range(n):
        data = draw(short_datas)
        overlap = out and out[-1].data == data
        t0 += draw(st.integers(-MS // res if overlap else 0, 7 * S // res)) * res
        duration = draw(st.integers(2 * MS // res, 10 * S // res)) * res
        out.append(Event(t0, duration, data, i + 1))
        t0 += duration
    return res, out


def test_flood_absorbed_event_leaves_no_sliver() -> None:
    """Issue 17: two overlapping "a" then "b" 0.476 ms later gave a 0.000238 s piece of "a" before "b"."""
    base = 33_508 * S  # 09:18:28 of some day
    a1 = Event(base + 733 * MS, 76_508_531 * US, {"app": "a"}, 1)
    a2 = Event(base + 77_241 * MS, 134_713_524 * US, {"app": "a"}, 2)  # starts 0.531 ms before a1 ends
    b = Event(base + 211_955 * MS, 10 * S, {"app": "b"}, 3)
    a_end = a2.end + (b.timestamp - a2.end) // 2
    assert ours(t.flood([a1, a2, b])) == [
        (a1.timestamp, a_end - a1.timestamp, {"app": "a"}),
        (a_end, b.end - a_end, {"app": "b"}),
    ]
    assert ours(t.flood([a1, a2, b])) == reference_flood([a1, a2, b])


@given(fine_event_lists(), st.sampled_from([0, 1, 5, 30]))
@settings(max_examples=300, deadline=None)
def test_flood_matches_reference_sub_millisecond(events: list[Event], pulsetime: int) -> None:
    snapshot = list(events)
    assert ours(t.flood(events, pulsetime)) == reference_flood(events, pulsetime)
    assert unchanged(events, snapshot)


@given(fine_event_lists(), st.sampled_from([0, 1, 5]))
@settings(max_examples=200, deadline=None)
def test_flood_leaves_no_equal_neighbours(events: list[Event], pulsetime: int) -> None:
    flooded = t.flood(events, pulsetime)
    assert all(a.end < b.timestamp or a.data != b.data for a, b in pairwise(flooded))


@given(watcher_streams())
@settings(max_examples=200, deadline=None)
def test_flood_makes_nothing_shorter_than_the_resolution(stream: tuple[int, list[Event]]) -> None:
    res, events = stream
    flooded = t.flood(events)
    assert all(e.duration >= res for e in flooded)
    assert sum(e.duration for e in flooded) >= sum(e.duration for e in period_union_of(events))


def period_union_of(events: list[Event]) -> list[Event]:
    return t.period_union(events, [])


# aw-core differs from the fixed flood only after it absorbs an equal-data neighbour (the sliver, and
# touching equal neighbours kept apart): where time order never puts equal data side by side, both agree
# exactly. aw-core truncates to whole milliseconds; on a 2 ms grid every midpoint stays on the 1 ms grid.
@given(event_lists(grid=2 * MS), st.sampled_from([0, 1, 5, 30]))
@settings(max_examples=150, deadline=None)
def test_flood_matches_aw_core_without_equal_neighbours(events: list[Event], pulsetime: int) -> None:
    ordered = sorted(events, key=lambda e: (e.timestamp, e.duration))
    events = [e for i, e in enumerate(ordered) if i == 0 or e.data != ordered[i - 1].data]
    expected: list[tuple[int, int, dict[str, Any]]] = []
    for start, duration, data in theirs(aw_transform.flood(aw(events), pulsetime)):
        if expected and expected[-1][2] == data and sum(expected[-1][:2]) == start:
            expected[-1] = (expected[-1][0], expected[-1][1] + duration, data)  # we join touching equal data
        else:
            expected.append((start, duration, data))
    assert ours(t.flood(events, pulsetime)) == expected


@given(event_lists())
@settings(max_examples=200, deadline=None)
def test_flood_never_double_counts(events: list[Event]) -> None:
    flooded = t.flood(events)
    assert all(a.end <= b.timestamp for a, b in pairwise(flooded))
    assert all(e.duration > 0 for e in flooded)


# ---------------------------------------------------------------------------- intersections and unions


def test_filter_period_intersect_cases() -> None:
    events = [ev(0, 10, {"w": 1}), ev(20, 10, {"w": 2})]
    filters = [ev(5, 20, {"s": 1}), ev(28, 1, {"s": 1}), ev(40, 5, {"s": 1})]
    assert spans(t.filter_period_intersect(events, filters)) == [(5, 5, {"w": 1}), (20, 5, {"w": 2}), (28, 1, {"w": 2})]
    assert t.filter_period_intersect(events, []) == []
    # zero-length pieces are dropped (aw-core keeps them)
    assert t.filter_period_intersect([ev(10, 0)], [ev(0, 10)]) == []
    assert t.filter_period_intersect([ev(0, 10)], [ev(10, 5)]) == []


@given(sorted_disjoint(), sorted_disjoint(short_datas), st.booleans())
@settings(max_examples=300, deadline=None)
def test_filter_period_intersect_fast_path_matches_the_general_walk(
    events: list[Event], filters: list[Event], touching: bool
) -> None:
    """Inputs that overlap nowhere take the bisection path; it answers exactly as the general walk."""
    if touching:  # filters that touch (afk periods tile the day) stay disjoint
        filters = [f.replace(duration=g.timestamp - f.timestamp) for f, g in pairwise(filters)] + filters[-1:]
    theirs_spans = sorted((f.timestamp, f.end) for f in filters)
    general = periods._intersect_general(sorted(events, key=lambda e: e.timestamp), theirs_spans)
    assert t.filter_period_intersect(events, filters) == general


@given(event_lists(), event_lists(short_datas))
@settings(max_examples=150, deadline=None)
def test_filter_period_intersect_matches_aw_core(events: list[Event], filters: list[Event]) -> None:
    expected = [e for e in theirs(aw_transform.filter_period_intersect(aw(events), aw(filters))) if e[1] > 0]
    assert ours(t.filter_period_intersect(events, filters)) == expected


def test_period_union_cases() -> None:
    assert spans(t.period_union([ev(0, 5), ev(10, 5)], [ev(4, 2), ev(15, 1), ev(20, 1)])) == [
        (0, 6, {}),
        (10, 6, {}),
        (20, 1, {}),
    ]
    assert t.period_union([], []) == []


@given(event_lists(), event_lists(short_datas))
@settings(max_examples=150, deadline=None)
def test_period_union_matches_aw_core(events1: list[Event], events2: list[Event]) -> None:
    assert ours(t.period_union(events1, events2)) == theirs(aw_transform.period_union(aw(events1), aw(events2)))


def test_union_no_overlap_cases() -> None:
    first = [ev(0, 10, {"x": 1}), ev(20, 5, {"x": 1})]
    second = [ev(5, 20, {"y": 1}), ev(30, 1, {"y": 1})]
    assert spans(t.union_no_overlap(first, second)) == [
        (0, 10, {"x": 1}),
        (10, 10, {"y": 1}),
        (20, 5, {"x": 1}),
        (30, 1, {"y": 1}),
    ]


@given(sorted_disjoint(), sorted_disjoint(short_datas))
@settings(max_examples=150, deadline=None)
def test_union_no_overlap_matches_aw_core(events1: list[Event], events2: list[Event]) -> None:
    expected = theirs(aw_transform.union_no_overlap(aw(events1), aw(events2)))
    assert ours(t.union_no_overlap(events1, events2)) == expected


# ---------------------------------------------------------------------------- filters


def test_filter_keyvals_cases() -> None:
    events = [
        ev(0, 1, {"s": "afk"}),
        ev(1, 1, {"s": "not-afk"}),
        ev(2, 1, {}),
        ev(3, 1, {"s": True}),
        ev(4, 1, {"s": 1}),
    ]
    assert [e.timestamp // S for e in t.filter_keyvals(events, "s", ["not-afk"])] == [1]
    assert [e.timestamp // S for e in t.exclude_keyvals(events, "s", ["not-afk"])] == [0, 2, 3, 4]
    assert [e.timestamp // S for e in t.filter_keyvals(events, "s", [True])] == [3]  # JSON equality: not 1
    assert [e.timestamp // S for e in t.filter_keyvals(events, "s", [1.0])] == [4]
    assert t.filter_keyvals([ev(0, 1, {"s": [1, {"b": 2}]})], "s", [[1, {"b": 2}]]) != []


def test_filter_keyvals_regex_cases() -> None:
    events = [ev(0, 1, {"t": "GitHub"}), ev(1, 1, {"t": "gitlab"}), ev(2, 1, {"t": 5}), ev(3, 1, {})]
    assert [e.timestamp // S for e in t.filter_keyvals_regex(events, "t", "Git")] == [0]
    assert [e.timestamp // S for e in t.filter_keyvals_regex(events, "t", "(?i)git(?=lab)")] == [1]
    with pytest.raises(InvalidInput, match="Invalid regular expression"):
        t.filter_keyvals_regex(events, "t", "(unclosed")


@given(event_lists(), st.sampled_from(APPS), st.lists(st.sampled_from(APPS), max_size=3))
@settings(max_examples=100, deadline=None)
def test_filters_match_aw_core(events: list[Event], app: str, apps: list[str]) -> None:
    for exclude in (False, True):
        expected = theirs(aw_transform.filter_keyvals(aw(events), "app", apps, exclude))
        assert ours((t.exclude_keyvals if exclude else t.filter_keyvals)(events, "app", apps)) == expected
    pattern = f"^{app[:2]}|Hub$"
    expected = theirs(aw_transform.filter_keyvals_regex(aw(events), "title", pattern))
    assert ours(t.filter_keyvals_regex(events, "title", pattern)) == expected


def test_backtracking_regex_stops_at_the_deadline() -> None:
    events = [ev(0, 1, {"t": "a" * 5000 + "b"})]
    with pytest.raises(RegexTimeout, match=r"took more than 0.2 s to match"):
        t.filter_keyvals_regex(events, "t", "(a|aa)+$", deadline=Deadline(0.2))


def test_only_matching_time_counts_against_the_deadline() -> None:
    """A long query is not refused at its first regex: the deadline counts time spent matching."""
    deadline = Deadline(0.5)
    events = [ev(i, 1, {"t": f"GitHub {i}"}) for i in range(2000)]
    t.flood(t.sort_by_duration(events))  # the rest of a query: it reads no clock and costs nothing here
    assert deadline.remaining == 0.5
    assert t.filter_keyvals_regex(events, "t", "Git", deadline=deadline) == events
    assert 0 < deadline.remaining < 0.5


# ---------------------------------------------------------------------------- grouping and ordering


def test_merge_events_by_keys_cases() -> None:
    events = [
        ev(0, 1, {"app": "a", "title": "x"}),
        ev(5, 2, {"app": "b", "title": "y"}),
        ev(9, 3, {"app": "a", "title": "z"}),
    ]
    assert spans(t.merge_events_by_keys(events, ["app"])) == [(0, 4, {"app": "a"}), (5, 2, {"app": "b"})]
    assert len(t.merge_events_by_keys(events, ["app", "title"])) == 3
    assert t.merge_events_by_keys(events, []) == events
    # lacking different keys is not the same group (aw-core merges these two)
    odd = [ev(0, 1, {"a": "x"}), ev(1, 1, {"b": "x"})]
    assert spans(t.merge_events_by_keys(odd, ["a", "b"])) == [(0, 1, {"a": "x"}), (1, 1, {"b": "x"})]
    # list and object values group by value
    listy = [ev(0, 1, {"c": ["Work", "Dev"]}), ev(1, 1, {"c": ["Work", "Dev"]}), ev(2, 1, {"c": {"k": 1}})]
    assert spans(t.merge_events_by_keys(listy, ["c"])) == [(0, 2, {"c": ["Work", "Dev"]}), (2, 1, {"c": {"k": 1}})]


@given(event_lists(), st.sampled_from([["app"], ["title"], ["app", "title"], ["title", "app"]]))
@settings(max_examples=200, deadline=None)
def test_merge_events_by_keys_matches_aw_core(events: list[Event], keys: list[str]) -> None:
    assert ours(t.merge_events_by_keys(events, keys)) == theirs(aw_transform.merge_events_by_keys(aw(events), keys))


POOL = [{"app": "a", "title": "x"}, {"app": "a", "title": "y"}, {"app": "b"}, {"title": "x"}]
POOL.append({"app": "a", "title": "x"})  # equal to the first, another object


@given(
    st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 10), st.sampled_from(range(len(POOL)))), max_size=40),
    st.sampled_from([["app"], ["title"], ["app", "title"], ["title", "app"]]),
)
@settings(max_examples=200, deadline=None)
def test_merge_events_by_keys_with_shared_data_matches_aw_core(
    rows: list[tuple[int, int, int]], keys: list[str]
) -> None:
    """Events sharing data objects (as the event cache gives them), in any order, equal ones apart: totals per
    object, then per group, answer as aw-core does on copies."""
    events = [Event(start * S, duration * S, POOL[i], n) for n, (start, duration, i) in enumerate(rows)]
    assert ours(t.merge_events_by_keys(events, keys)) == theirs(aw_transform.merge_events_by_keys(aw(events), keys))


# aw-core measures each gap against the last event of the whole list (a slip): in time order that gap is
# never positive, so it joins every neighbour with the same value, as we do in any order.
@given(sorted_disjoint())
@settings(max_examples=100, deadline=None)
def test_chunk_events_by_key_matches_aw_core(events: list[Event]) -> None:
    expected = [(e[0], e[1], {"app": e[2]["app"]}) for e in theirs(aw_transform.chunk_events_by_key(aw(events), "app"))]
    assert ours(t.chunk_events_by_key(events, "app")) == expected


def test_chunk_events_by_key_skips_events_without_the_key() -> None:
    events = [ev(0, 1, {"k": 1}), ev(1, 1, {}), ev(2, 1, {"k": 1}), ev(3, 1, {"k": 2})]
    assert spans(t.chunk_events_by_key(events, "k")) == [(0, 2, {"k": 1}), (3, 1, {"k": 2})]


@given(event_lists(), st.integers(0, 30))
@settings(max_examples=100, deadline=None)
def test_ordering_and_totals_match_aw_core(events: list[Event], count: int) -> None:
    assert ours(t.sort_by_duration(events)) == theirs(aw_transform.sort_by_duration(aw(events)))
    assert ours(t.sort_by_timestamp(events)) == theirs(aw_transform.sort_by_timestamp(aw(events)))
    assert ours(t.limit_events(events, count)) == theirs(aw_transform.limit_events(aw(events), count))
    assert t.sum_durations(events) == pytest.approx(aw_transform.sum_durations(aw(events)).total_seconds())
    assert ours(t.concat(events, events[:3])) == theirs(aw_transform.concat(aw(events), aw(events[:3])))


def test_concat_limit_and_sum_cases() -> None:
    assert t.concat([1], [2, 3], [], [4]) == [1, 2, 3, 4]
    assert t.sum_durations([ev(0, 1.5), ev(3, 0.25)]) == 1.75
    with pytest.raises(ValueError, match="negative"):
        t.limit_events([ev(0, 1)], -1)


# ---------------------------------------------------------------------------- categories and tags

CLASSES = [
    (["Work"], {"type": "regex", "regex": "GitHub|main"}),
    (["Work", "Programming"], {"type": "regex", "regex": "main\\.py"}),
    (["Media"], {"type": "regex", "regex": "youtube", "ignore_case": True}),
    (["Media", "Video"], {"type": "regex", "regex": "video", "select_keys": ["title"]}),
    (["Comms"], {"type": "regex", "regex": "Slack|mail"}),
    (["Code"], {"type": "regex", "regex": "^code$", "select_keys": ["app"]}),
    (["Never"], {"type": "none"}),
]


def test_categorize_cases() -> None:
    events = [
        ev(0, 1, {"app": "code", "title": "main.py"}),  # Work, Work>Programming, Code: deepest wins
        ev(1, 1, {"app": "firefox", "title": "YouTube - video"}),  # Media, Media>Video
        ev(2, 1, {"app": "x", "title": "nothing"}),
        ev(3, 1, {"app": "code", "title": "x"}),  # select_keys
    ]
    snapshot = copy.deepcopy(events)
    result = t.categorize(events, CLASSES)
    assert [e.data["$category"] for e in result] == [
        ["Work", "Programming"],
        ["Media", "Video"],
        ["Uncategorized"],
        ["Code"],
    ]
    assert events == snapshot
    # equally deep: the later rule wins
    tie = [(["A"], {"type": "regex", "regex": "x"}), (["B"], {"type": "regex", "regex": "x"})]
    assert t.categorize([ev(0, 1, {"t": "x"})], tie)[0].data["$category"] == ["B"]
    # priority overrides depth (aw-core's rule)
    prio = [(["A", "Deep"], {"type": "regex", "regex": "x"}), (["B"], {"type": "regex", "regex": "x", "priority": 99})]
    assert t.categorize([ev(0, 1, {"t": "x"})], prio)[0].data["$category"] == ["B"]


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([["Work"]], "pair"),
        ([[["Work"], "GitHub"]], "object"),
        ([[["Work"], {"type": "glob", "regex": "x"}]], "'type'"),
        ([[["Work"], {"type": "regex", "regex": "("}]], "Invalid regular expression"),
        ([[["Work"], {"type": "regex", "regex": 5}]], "'regex' must be a string"),
        ([[["Work"], {"type": "regex", "regex": "x", "select_keys": "app"}]], "select_keys"),
        ([[["Work"], {"type": "regex", "regex": "x", "ignore_case": "yes"}]], "ignore_case"),
        ([["Work", {"type": "regex", "regex": "x"}]], "list of strings"),
    ],
)
def test_categorize_rejects_bad_rules(classes: list[Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        t.categorize([ev(0, 1, {"t": "x"})], classes)


@given(event_lists())
@settings(max_examples=100, deadline=None)
def test_categorize_and_tag_match_aw_core(events: list[Event]) -> None:
    aw_classes = [(name, AwRule(rule)) for name, rule in CLASSES]
    expected = [e[2]["$category"] for e in theirs(aw_transform.categorize(aw(events), aw_classes))]
    assert [e.data["$category"] for e in t.categorize(events, CLASSES)] == expected
    tags = [(name[-1], rule) for name, rule in CLASSES]
    expected = [e[2]["$tags"] for e in theirs(aw_transform.tag(aw(events), [(n, AwRule(r)) for n, r in tags]))]
    assert [e.data["$tags"] for e in t.tag(events, tags)] == expected


# ---------------------------------------------------------------------------- text fields

URLS = [
    "https://www.github.com/ActivityWatch/aw-core/pulls?q=is%3Aopen#top",
    "http://example.org:8080/a/b;p=1?x=y",
    "file:///home/user/notes.txt",
    "about:blank",
    "chrome://settings/",
    "no scheme at all",
    "",
]


@pytest.mark.parametrize("url", URLS)
def test_split_url_events_matches_aw_core(url: str) -> None:
    events = [ev(0, 1, {"url": url, "title": "t"}), ev(1, 1, {"title": "no url"})]
    assert ours(t.split_url_events(events)) == theirs(aw_transform.split_url_events(aw(events)))
    assert events[0].data == {"url": url, "title": "t"}


def test_split_url_events_domain() -> None:
    (e,) = t.split_url_events([ev(0, 1, {"url": URLS[0]})])
    assert (e.data["$domain"], e.data["$path"], e.data["$options"], e.data["$identifier"]) == (
        "github.com",
        "/ActivityWatch/aw-core/pulls",
        "q=is%3Aopen",
        "top",
    )
    assert t.split_url_events([ev(0, 1, {"url": 7})])[0].data == {"url": 7}  # non-strings left alone
    assert t.split_url_events([ev(0, 1, {"url": "http://[::1"})])[0].data["$domain"] == ""  # unparsable


@pytest.mark.parametrize(
    ("data", "key", "expected"),
    [
        ({"app": "x", "title": "(3) Inbox"}, "title", "Inbox"),
        ({"app": "x", "title": "● main.py - code"}, "title", "main.py - code"),
        ({"app": "x", "title": "* unsaved"}, "title", "unsaved"),
        ({"app": "x", "title": "Game FPS: 59.9 x"}, "title", "Game FPS: ... x"),
        ({"title": "● no app"}, "title", "● no app"),
        ({"name": "(12) ● n"}, "name", "● n"),
    ],
)
def test_simplify_window_titles(data: dict[str, Any], key: str, expected: str) -> None:
    events = [ev(0, 1, data)]
    assert t.simplify_window_titles(events, key)[0].data[key] == expected
    assert theirs(aw_transform.simplify_string(aw(events), key))[0][2][key] == expected


# ---------------------------------------------------------------------------- sub-watcher fields


def test_merge_subwatcher_fields_cases() -> None:
    base = [ev(0, 10, {"app": "firefox", "title": "t"})]
    sub = [ev(2, 3, {"url": "a", "title": "sub"}), ev(4, 4, {"url": "b"})]
    got = spans(t.merge_subwatcher_fields(base, sub, ["url", "title"]))
    assert got == [
        (0, 2, {"app": "firefox", "title": "t"}),
        (2, 2, {"app": "firefox", "title": "t", "url": "a"}),
        (4, 4, {"app": "firefox", "title": "t", "url": "b"}),
        (8, 2, {"app": "firefox", "title": "t"}),
    ]
    got = spans(t.merge_subwatcher_fields(base, sub, ["title"], "sub_wins"))
    assert got[1] == (2, 2, {"app": "firefox", "title": "sub"})  # from 4 s the later sub event (no title) wins
    with pytest.raises(ValueError, match="conflict"):
        t.merge_subwatcher_fields(base, sub, ["url"], "neither")


@given(
    sorted_disjoint(),
    event_lists(st.fixed_dictionaries({"url": st.sampled_from(["u1", "u2"])})),
    st.sampled_from(["base_wins", "sub_wins"]),
)
@settings(max_examples=200, deadline=None)
def test_merge_subwatcher_fields_matches_aw_core(base: list[Event], sub: list[Event], conflict: str) -> None:
    expected = theirs(aw_transform.merge_subwatcher_fields(aw(base), aw(sub), ["url", "app"], conflict))
    assert ours(t.merge_subwatcher_fields(base, sub, ["url", "app"], conflict)) == expected


def test_a_category_without_a_rule_as_aw_webui_saves_it() -> None:
    """aw-webui stores parent categories without a rule as {"type": null}: they never match."""
    classes = [[["Media"], {"type": None}], [["Media", "Video"], {"type": "regex", "regex": "YouTube"}]]
    events = [Event(0, 1, {"title": "YouTube"}), Event(1, 1, {"title": "Media"})]
    assert [e.data["$category"] for e in t.categorize(events, classes)] == [["Media", "Video"], ["Uncategorized"]]
