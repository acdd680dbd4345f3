"""The transforms queries chain most, on `Columns`: the same results as the event functions, event for
event, without building an event per input (see columns.py).

Each returns None when its input is outside what it handles (for example filter events that overlap
each other); the caller then runs the event function on `Columns.events()`.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, islice
from operator import le, lt, sub
from typing import Any

from activitywatch.core.models import Event
from activitywatch.transforms.classify import Relabeled, relabeled_data
from activitywatch.transforms.columns import Columns
from activitywatch.transforms.filters import wanted_verdict
from activitywatch.transforms.grouping import merge_totals


def _verdicts(columns: Columns, decide: Callable[[Any], Any]) -> Callable[[int], Any]:
    """`decide(data)` by ref, for every data object the events use."""
    datas = columns.datas
    if len(datas) <= len(columns.refs):
        return list(map(decide, datas)).__getitem__
    return {ref: decide(datas[ref]) for ref in set(columns.refs)}.__getitem__


def _select(columns: Columns, selectors: list[Any]) -> Columns:
    """The events whose selector is true, in the same order."""
    if all(selectors):
        return columns
    starts, ends, ids, refs = (
        array(c.typecode, compress(c, selectors)) for c in (columns.starts, columns.ends, columns.ids, columns.refs)
    )
    return Columns(starts, ends, ids, refs, columns.datas, newest_first=columns.newest_first)


def keep_by_value(columns: Columns, key: str, values: Sequence[Any], keep: bool) -> Columns:
    """filter_keyvals (keep) and exclude_keyvals (not keep)."""
    verdict = wanted_verdict(key, values, keep)
    verdicts = _verdicts(columns, verdict)
    return _select(columns, list(map(verdicts, columns.refs)))


def relabel(columns: Columns, field: str, label_for: Callable[[Any], Any], memo: Relabeled | None) -> Columns:
    """categorize and tag: the same events, each data object relabeled once (see classify._relabel)."""
    done: Relabeled = {} if memo is None else memo
    datas = list(columns.datas)
    for ref in dict.fromkeys(columns.refs):  # in the order of first use, as the event function goes
        datas[ref] = relabeled_data(datas[ref], field, label_for, done)
    return Columns(columns.starts, columns.ends, columns.ids, columns.refs, datas, newest_first=columns.newest_first)


def sum_durations(columns: Columns) -> float:
    """The total duration in seconds."""
    return (sum(columns.ends) - sum(columns.starts)) / 1e9


def merge_events_by_keys(columns: Columns, keys: Sequence[str]) -> list[Event]:
    """One event per distinct combination of key values (see grouping.merge_events_by_keys)."""
    if not keys:
        return list(columns.events())
    starts, ends, refs = columns.starts, columns.ends, columns.refs
    if columns.newest_first:
        starts, ends, refs = starts[::-1], ends[::-1], refs[::-1]
    totals = dict.fromkeys(refs, 0)  # in the order of each data object's first event
    for ref, duration in zip(refs, map(sub, ends, starts), strict=True):
        totals[ref] += duration
    first_starts = dict(zip(reversed(refs), reversed(starts), strict=True))  # the earliest event wins
    datas = columns.datas
    return merge_totals(((first_starts[ref], total, datas[ref]) for ref, total in totals.items()), keys)


def filter_period_intersect(events: Columns, filters: Columns) -> Columns | None:
    """The parts of `events` during filter events, when the filter events do not overlap each other and
    none is empty (what watchers record and flood gives); None otherwise.

    The event function walks both lists in time order as aw-core does; there an event gets a piece of
    every filter event it overlaps that ends no earlier than every earlier event ends, and zero-length
    pieces are dropped. That rule, with the filters found by bisection, is what this loop applies.
    """
    f_starts, f_ends = filters.starts, filters.ends  # strictly increasing when disjoint: no ties to order
    if not (all(map(lt, f_starts, f_ends)) and all(map(le, f_ends, islice(f_starts, 1, None)))):
        return None
    starts, ends, ids, refs = events.in_time_order()
    m = len(f_starts)
    if not m:
        return Columns(array("q"), array("q"), array("q"), array(refs.typecode), events.datas)
    positions: Iterable[int] = range(len(starts))
    if not all(map(lt, starts, ends)):  # empty events have no piece and never hold the walk back: drop them
        keep = list(map(lt, starts, ends))
        positions, starts, ends = (
            compress(positions, keep),
            array("q", compress(starts, keep)),
            array("q", compress(ends, keep)),
        )
    sources: list[int] = []
    piece_starts: list[int] = []
    piece_ends: list[int] = []
    add_source, add_start, add_end = sources.append, piece_starts.append, piece_ends.append
    j = 0
    f_start, f_end = f_starts[0], f_ends[0]
    # The furthest end of the events so far, noted only where it passes `f_end`: below that it cannot
    # change which filter events an event may be cut to.
    reach = -(1 << 63)
    for i, start, end in zip(positions, starts, ends, strict=True):
        if f_end <= start:
            j = max(bisect_right(f_ends, start, j), bisect_left(f_ends, reach, j))
            if j == m:
                break
            f_start, f_end = f_starts[j], f_ends[j]
        if end <= f_end:
            if f_start <= start:
                add_source(i)  # the common case: wholly inside the filter event
                add_start(start)
                add_end(end)
            elif end > f_start:
                add_source(i)
                add_start(f_start)
                add_end(end)
            continue
        # Reaching past the filter event: a piece of it (if it starts inside), then of each later one.
        k, k_start, k_end = j, f_start, f_end
        while True:
            piece_start = start if start > k_start else k_start
            piece_end = end if end < k_end else k_end
            if piece_end > piece_start:
                add_source(i)
                add_start(piece_start)
                add_end(piece_end)
            k += 1
            if k == m or f_starts[k] >= end:
                break
            k_start, k_end = f_starts[k], f_ends[k]
        reach = end  # later events get pieces only of filter events ending at or after it
        j = bisect_left(f_ends, reach, j)
        if j == m:
            break
        f_start, f_end = f_starts[j], f_ends[j]
    return Columns(
        array("q", piece_starts),
        array("q", piece_ends),
        array("q", map(ids.__getitem__, sources)),
        array(refs.typecode, map(refs.__getitem__, sources)),
        events.datas,
    )
