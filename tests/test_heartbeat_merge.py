"""transforms.heartbeat: the merge rule, checked against aw-core's reference implementation."""

from __future__ import annotations

import copy
import datetime as dt

import aw_core.models
import aw_transform
import pytest
from hypothesis import given
from hypothesis import strategies as st

from activitywatch.core.models import Event
from activitywatch.transforms.heartbeat import heartbeat_merge

S = 1_000_000_000
US = 1_000


def ev(start_s: float, dur_s: float, data: dict[str, object] | None = None, id: int | None = None) -> Event:
    return Event(timestamp=round(start_s * S), duration=round(dur_s * S), data=data or {"a": 1}, id=id)


@pytest.mark.parametrize(
    ("last", "hb", "pulsetime_s", "expected"),
    [
        (ev(0, 10), ev(12, 0), 5, ev(0, 12)),  # within pulsetime after the end: extended
        (ev(0, 10), ev(15, 0), 5, ev(0, 15)),  # exactly at the edge: merged
        (ev(0, 10), ev(15.001, 0), 5, None),  # just past the edge: new event
        (ev(0, 10), ev(5, 1), 5, ev(0, 10)),  # inside the last event: unchanged
        (ev(0, 10), ev(5, 20), 5, ev(0, 25)),  # long heartbeat: end moves to its end
        (ev(0, 10), ev(-1, 0), 5, None),  # older than the last event: not merged
        (ev(0, 10), ev(12, 0, {"a": 2}), 5, None),  # other data: not merged
        (ev(0, 0), ev(0, 0), 0, ev(0, 0)),  # same instant, zero pulsetime
    ],
)
def test_merge_rule(last: Event, hb: Event, pulsetime_s: float, expected: Event | None) -> None:
    assert heartbeat_merge(last, hb, round(pulsetime_s * S)) == expected


def test_keeps_the_last_events_id_and_does_not_mutate() -> None:
    last = ev(0, 10, id=7)
    hb = ev(12, 1)
    merged = heartbeat_merge(last, hb, 5 * S)
    assert merged is not None and merged.id == 7 and merged.duration == 13 * S
    assert last == ev(0, 10, id=7) and hb == ev(12, 1)


def _aw(event: Event) -> aw_core.models.Event:
    return aw_core.models.Event(
        timestamp=dt.datetime.fromtimestamp(event.timestamp / S, dt.UTC).replace(
            microsecond=(event.timestamp // US) % 1_000_000
        ),
        duration=dt.timedelta(microseconds=event.duration // US),
        data=copy.deepcopy(dict(event.data)),
    )


times = st.integers(min_value=0, max_value=100_000).map(lambda ms: ms * 1_000_000)  # ms precision, as aw-core
datas = st.sampled_from([{"a": 1}, {"a": 2}, {"a": 1, "b": "x"}])


@given(times, times, datas, times, times, datas, st.integers(min_value=0, max_value=20_000).map(lambda ms: ms * 10**6))
def test_agrees_with_aw_core(
    t1: int, d1: int, data1: dict[str, object], t2: int, d2: int, data2: dict[str, object], pulse: int
) -> None:
    last, hb = Event(t1, d1, data1), Event(t2, d2, data2)
    ours = heartbeat_merge(last, hb, pulse)
    theirs = aw_transform.heartbeat_merge(_aw(last), _aw(hb), pulse / S)
    if theirs is None:
        assert ours is None
    else:
        assert ours is not None
        assert ours.timestamp == last.timestamp
        assert ours.duration // US == theirs.duration // dt.timedelta(microseconds=1)
