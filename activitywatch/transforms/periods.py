"""Transforms over the time spans of events: flood, intersection and unions.

Events are immutable, so each function works on `[timestamp, duration, data, id]` rows and builds new
events at the end; inputs are never changed. Times are integer nanoseconds.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import repeat
from operator import add, itemgetter, le, lt, sub
from typing import Any

from activitywatch.core.models import Event

SECOND = 1_000_000_000
NEGATIVE_GAP_TRIM = 100_000_000  # overlaps shorter than 0.1 s between different data are flooded over

_by_time = itemgetter(0)
_by_time_and_duration = itemgetter(0, 1)
_duration = itemgetter(1)
_id = itemgetter(3)


def flood(events: Sequence[Event], pulsetime: float = 5) -> list[Event]:
    """Fill gaps of at most `pulsetime` seconds between neighbouring events, in time order.

    As aw-server-rust does, an event with the same data as the one before it (touching, overlapping or
    at most `pulsetime` later) is absorbed into it, and the merged event is compared with the next one,
    so an absorbed event never comes back as a sliver. Different data split a gap, or an overlap shorter
    than 0.1 s, at its midpoint; where different data still overlap, the later event wins, so no time
    is counted twice. Zero-length results are dropped.
    """
    pulse = round(pulsetime * SECOND)
    ordered = sorted(events, key=_by_time_and_duration)
    # The output so far as parallel lists: start, end, data and the index of the event it came from.
    starts: list[int] = []
    ends: list[int] = []
    datas: list[Any] = []
    origins: list[int] = []

    def emit(start: int, end: int, data: Any, origin: int) -> None:
        if end <= start:
            return
        while starts:
            last_end = ends[-1]
            if last_end < start:
                break
            last_data = datas[-1]
            if last_data is data or last_data == data:
                if end > last_end:
                    ends[-1] = end
                return
            if last_end == start:
                break
            ends[-1] = start  # different data overlap: the later event wins
            if start > starts[-1]:
                break
            del starts[-1], ends[-1], datas[-1], origins[-1]
        starts.append(start)
        ends.append(end)
        datas.append(data)
        origins.append(origin)

    if ordered:
        first = ordered[0]
        cur_start, cur_end, cur_data, cur_origin = first[0], first[0] + first[1], first[2], 0
        for i in range(1, len(ordered)):
            event = ordered[i]
            start = event[0]
            end = start + event[1]
            data = event[2]
            gap = start - cur_end
            if gap <= pulse and (data is cur_data or data == cur_data):
                cur_end = end if end > cur_end else cur_end
                continue
            if gap and -NEGATIVE_GAP_TRIM < gap <= pulse:
                cur_end += gap // 2
                start = cur_end
            if cur_end > cur_start and (not ends or ends[-1] < cur_start):
                # The common case, inlined: a non-empty event after the last one with a gap.
                starts.append(cur_start)
                ends.append(cur_end)
                datas.append(cur_data)
                origins.append(cur_origin)
            else:
                emit(cur_start, cur_end, cur_data, cur_origin)
            cur_start, cur_end, cur_data, cur_origin = start, end, data, i
        emit(cur_start, cur_end, cur_data, cur_origin)

    # Built in C: most events moved to a gap midpoint, so each is a new tuple anyway.
    ids = map(_id, map(ordered.__getitem__, origins))
    columns = zip(starts, map(sub, ends, starts), datas, ids, strict=True)
    return list(map(tuple.__new__, repeat(Event), columns))


def filter_period_intersect(events: Sequence[Event], filter_events: Sequence[Event]) -> list[Event]:
    """The parts of `events` during which some event of `filter_events` is going on.

    Each event is cut to every filter event it overlaps (in time order), as aw-core does; pieces of
    zero length are dropped, as aw-server-rust does.
    """
    ours = sorted(events, key=_by_time)
    theirs = sorted(((f[0], f[0] + f[1]) for f in filter_events), key=_by_time)
    starts = list(map(_by_time, ours))
    ends = list(map(add, starts, map(_duration, ours)))
    if _disjoint(starts, ends) and _disjoint([f[0] for f in theirs], [f[1] for f in theirs]):
        return _intersect_disjoint(ours, starts, ends, theirs)
    return _intersect_general(ours, theirs)


def _disjoint(starts: list[int], ends: list[int]) -> bool:
    """Whether spans in start order are each non-empty and end before (or as) the next one starts."""
    return all(map(lt, starts, ends)) and all(map(le, ends, starts[1:]))


def _intersect_disjoint(
    ours: list[Event], starts: list[int], ends: list[int], theirs: list[tuple[int, int]]
) -> list[Event]:
    """filter_period_intersect when neither side overlaps itself (what watchers and flood give): per
    filter event, the events it covers are found by bisection and copied whole, the two ends clipped."""
    out: list[Event] = []
    append = out.append
    new = tuple.__new__
    for f_start, f_end in theirs:
        first = bisect_right(ends, f_start)
        last = bisect_left(starts, f_end)
        if first >= last:
            continue
        event = ours[first]
        if event[0] < f_start or ends[first] > f_end:
            piece_end = min(ends[first], f_end)
            start = max(event[0], f_start)
            append(new(Event, (start, piece_end - start, event[2], event[3])))
        else:
            append(event)
        if last - first > 2:
            out.extend(ours[first + 1 : last - 1])
        if last - first > 1:
            event = ours[last - 1]
            if ends[last - 1] > f_end:
                append(new(Event, (event[0], f_end - event[0], event[2], event[3])))
            else:
                append(event)
    return out


def _intersect_general(ours: list[Event], theirs: list[tuple[int, int]]) -> list[Event]:
    """filter_period_intersect for any input: both sides walked in time order."""
    out: list[Event] = []
    append = out.append
    new = tuple.__new__
    i = j = 0
    n, m = len(ours), len(theirs)
    while i < n and j < m:
        event = ours[i]
        start = event[0]
        end = start + event[1]
        f_start, f_end = theirs[j]
        # The common case, in a tight loop: events wholly inside the filter event are kept as they are.
        while f_start <= start and end <= f_end and start < end:
            append(event)
            i += 1
            if i == n:
                break
            event = ours[i]
            start = event[0]
            end = start + event[1]
        if i == n:
            break
        if (start < f_end and f_start < end) or start == f_start:
            if f_start <= start and end <= f_end:
                if end > start:
                    append(event)  # wholly inside: the event itself
            else:
                piece_start = start if start > f_start else f_start
                piece_end = end if end < f_end else f_end
                if piece_end > piece_start:
                    append(new(Event, (piece_start, piece_end - piece_start, event[2], event[3])))
            if end <= f_end:
                i += 1
            else:
                j += 1
        elif end <= f_start:
            i += 1
        else:
            j += 1
    return out


def period_union(events1: Sequence[Event], events2: Sequence[Event]) -> list[Event]:
    """The time covered by either list as events without data, merged where they overlap or touch."""
    spans = sorted(((e.timestamp, e.timestamp + e.duration) for e in (*events1, *events2)), key=_by_time)
    out: list[list[int]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [Event(start, end - start, {}) for start, end in out]


def union_no_overlap(events1: Sequence[Event], events2: Sequence[Event]) -> list[Event]:
    """Both lists (each in time order) merged in time order; where they overlap `events1` wins and
    the events of `events2` are cut around it."""
    out: list[Event] = []
    second = list(events2)
    i = j = 0
    while i < len(events1) and j < len(second):
        e1, e2 = events1[i], second[j]
        e1_end, e2_end = e1.timestamp + e1.duration, e2.timestamp + e2.duration
        overlap = (
            e1.timestamp <= e2.timestamp < e1_end
            or e1.timestamp < e2_end <= e1_end
            or (e2.timestamp <= e1.timestamp and e1_end <= e2_end)
        )
        if overlap and e1.timestamp <= e2.timestamp:
            out.append(e1)
            i += 1
            if e2.timestamp < e1_end < e2_end:
                second[j] = Event(e1_end, e2_end - e1_end, e2.data, e2.id)
            else:
                j += 1
        elif overlap:
            if e2.timestamp < e1.timestamp < e2_end:
                out.append(Event(e2.timestamp, e1.timestamp - e2.timestamp, e2.data, e2.id))
                j += 1
                second.insert(j, Event(e1.timestamp, e2_end - e1.timestamp, e2.data, e2.id))
            else:
                out.append(e2)
                j += 1
        elif e1.timestamp <= e2.timestamp:
            out.append(e1)
            i += 1
        else:
            out.append(e2)
            j += 1
    out.extend(events1[i:])
    out.extend(second[j:])
    return out
