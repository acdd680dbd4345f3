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
from operator import le, lt
from typing import TYPE_CHECKING, Any

from activitywatch.core.models import Event
from activitywatch.transforms.classify import Relabeled, relabeled_data
from activitywatch.transforms.columns import Arrays, Columns, Rows, Summary
from activitywatch.transforms.filters import wanted_verdict
from activitywatch.transforms.grouping import merge_totals
from activitywatch.transforms.periods import NEGATIVE_GAP_TRIM, SECOND

if TYPE_CHECKING:
    from activitywatch.transforms.columns import IntColumn


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
    rows = columns.rows
    used = dict.fromkeys(columns.refs) if rows.built() else columns.summary().totals  # the refs the events use
    for ref in used:
        datas[ref] = relabeled_data(datas[ref], field, label_for, done)
    return Columns.of(rows, datas)


def sum_durations(columns: Columns) -> float:
    """The total duration in seconds."""
    if columns.rows.built():
        return (sum(columns.ends) - sum(columns.starts)) / 1e9
    return sum(columns.summary().totals.values()) / 1e9


def merge_events_by_keys(columns: Columns, keys: Sequence[str]) -> list[Event]:
    """One event per distinct combination of key values (see grouping.merge_events_by_keys)."""
    if not keys:
        return list(columns.events())
    totals, first_starts, _ = columns.summary()
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
    walk = (starts, ends, f_starts, f_ends)

    def build() -> Arrays:
        sources, piece_starts, piece_ends = _intersect_pieces(*walk)
        return (
            array("q", piece_starts),
            array("q", piece_ends),
            array("q", map(ids.__getitem__, sources)),
            array(refs.typecode, map(refs.__getitem__, sources)),
        )

    return Columns.of(Rows(None, False, build, lambda: _intersect_summary(refs, *walk)), events.datas)


# The two walks below apply one rule (see filter_period_intersect) and differ only in what they keep of
# each piece: the pieces themselves, or totals per data object. They are written out twice because a
# call per piece would cost more than the rest of the loop.


def _intersect_pieces(
    starts: IntColumn, ends: IntColumn, f_starts: IntColumn, f_ends: IntColumn
) -> tuple[list[int], list[int], list[int]]:
    """(source position, start, end) of every piece, as three lists."""
    sources: list[int] = []
    piece_starts: list[int] = []
    piece_ends: list[int] = []
    add_source, add_start, add_end = sources.append, piece_starts.append, piece_ends.append
    m = len(f_starts)
    if not m:
        return sources, piece_starts, piece_ends
    j = 0
    f_start, f_end = f_starts[0], f_ends[0]
    for i, start, end in zip(range(len(starts)), starts, ends, strict=True):
        if f_end <= start:
            j = bisect_right(f_ends, start, j)  # f_end stays at or after every earlier event's end
            if j == m:
                break
            f_start, f_end = f_starts[j], f_ends[j]
        if end <= f_end:
            if f_start <= start:
                if start < end:  # an empty event has no piece (nor does it hold the walk back)
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
        # Later events get pieces only of filter events ending at or after this one's end.
        j = bisect_left(f_ends, end, j)
        if j == m:
            break
        f_start, f_end = f_starts[j], f_ends[j]
    return sources, piece_starts, piece_ends


def _intersect_summary(
    refs: IntColumn, starts: IntColumn, ends: IntColumn, f_starts: IntColumn, f_ends: IntColumn
) -> Summary:
    """The Summary of the pieces `_intersect_pieces` finds, without keeping them."""
    totals: dict[int, int] = {}
    first_starts: dict[int, int] = {}
    count = 0
    m = len(f_starts)
    if not m:
        return Summary(totals, first_starts, count)
    j = 0
    f_start, f_end = f_starts[0], f_ends[0]
    for start, end, ref in zip(starts, ends, refs, strict=True):
        if f_end <= start:
            j = bisect_right(f_ends, start, j)
            if j == m:
                break
            f_start, f_end = f_starts[j], f_ends[j]
        if end <= f_end:
            piece_start = start if f_start <= start else f_start
            if end > piece_start:
                count += 1
                if ref in totals:
                    totals[ref] += end - piece_start
                else:
                    totals[ref] = end - piece_start
                    first_starts[ref] = piece_start
            continue
        k, k_start, k_end = j, f_start, f_end
        while True:
            piece_start = start if start > k_start else k_start
            piece_end = end if end < k_end else k_end
            if piece_end > piece_start:
                count += 1
                if ref in totals:
                    totals[ref] += piece_end - piece_start
                else:
                    totals[ref] = piece_end - piece_start
                    first_starts[ref] = piece_start
            k += 1
            if k == m or f_starts[k] >= end:
                break
            k_start, k_end = f_starts[k], f_ends[k]
        j = bisect_left(f_ends, end, j)
        if j == m:
            break
        f_start, f_end = f_starts[j], f_ends[j]
    return Summary(totals, first_starts, count)


def _equal_data_classes(columns: Columns, refs: Iterable[int]) -> dict[int, int]:
    """A number per ref, equal where the data objects are equal (==, as flood compares them)."""
    datas = columns.datas
    numbers: dict[Any, int] = {}
    return {ref: numbers.setdefault(_hashable(datas[ref]), len(numbers)) for ref in set(refs)}


def _hashable(value: Any) -> Any:
    """A hashable value equal to another one's exactly when the values are equal (==)."""
    if isinstance(value, dict):
        return frozenset((key, _hashable(item)) for key, item in value.items())
    if isinstance(value, list):
        return ("list", tuple(_hashable(item) for item in value))
    return value


def flood(columns: Columns, pulsetime: float = 5) -> Columns:
    """flood (see periods.flood), the same rule applied to columns."""
    pulse = round(pulsetime * SECOND)
    starts, ends, ids, refs = columns.in_time_order(by_duration=True)
    classes = _equal_data_classes(columns, refs)
    out_starts: list[int] = []
    out_ends: list[int] = []
    out_classes: list[int] = []
    origins: list[int] = []

    def emit(start: int, end: int, data_class: int, origin: int) -> None:
        if end <= start:
            return
        while out_starts:
            last_end = out_ends[-1]
            if last_end < start:
                break
            if out_classes[-1] == data_class:
                if end > last_end:
                    out_ends[-1] = end
                return
            if last_end == start:
                break
            out_ends[-1] = start  # different data overlap: the later event wins
            if start > out_starts[-1]:
                break
            del out_starts[-1], out_ends[-1], out_classes[-1], origins[-1]
        out_starts.append(start)
        out_ends.append(end)
        out_classes.append(data_class)
        origins.append(origin)

    if starts:
        cur_start, cur_end, cur_class, cur_origin = starts[0], ends[0], classes[refs[0]], 0
        add_start, add_end, add_class, add_origin = (
            out_starts.append,
            out_ends.append,
            out_classes.append,
            origins.append,
        )
        following = zip(range(1, len(starts)), starts[1:], ends[1:], refs[1:], strict=True)
        for i, event_start, end, ref in following:
            data_class = classes[ref]
            gap = event_start - cur_end
            if gap <= pulse and data_class == cur_class:
                if end > cur_end:  # noqa: PLR1730 (max() costs a call per event)
                    cur_end = end
                continue
            start = event_start
            if gap and -NEGATIVE_GAP_TRIM < gap <= pulse:
                cur_end += gap // 2
                start = cur_end
            if cur_end > cur_start and (
                not out_ends or out_ends[-1] < cur_start or (out_ends[-1] == cur_start and out_classes[-1] != cur_class)
            ):
                add_start(cur_start)  # the common case, inlined: a non-empty event after the last one
                add_end(cur_end)
                add_class(cur_class)
                add_origin(cur_origin)
            else:
                emit(cur_start, cur_end, cur_class, cur_origin)
            cur_start, cur_end, cur_class, cur_origin = start, end, data_class, i
        emit(cur_start, cur_end, cur_class, cur_origin)
    return Columns(
        array("q", out_starts),
        array("q", out_ends),
        array("q", map(ids.__getitem__, origins)),
        array(refs.typecode, map(refs.__getitem__, origins)),
        columns.datas,
    )
