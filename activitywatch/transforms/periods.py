"""Transforms over the time spans of events: flood, intersection and unions.

Events are immutable, so each function works on `[timestamp, duration, data, id]` rows and builds new
events at the end; inputs are never changed. Times are integer nanoseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from activitywatch.core.models import Event

SECOND = 1_000_000_000
NEGATIVE_GAP_TRIM = 100_000_000  # overlaps shorter than 0.1 s between different data are flooded over

_by_time = itemgetter(0)
_by_time_and_duration = itemgetter(0, 1)


def flood(events: Sequence[Event], pulsetime: float = 5) -> list[Event]:
    """Fill gaps of at most `pulsetime` seconds between neighbouring events, in time order.

    Neighbours with equal data merge across the gap (into the longer one's place); different data
    split the gap at its midpoint. Overlapping equal data merge; where different data still overlap
    at the end, the later event wins, so no time is counted twice. Zero-length results are dropped.
    """
    pulse = round(pulsetime * SECOND)
    ordered = sorted(events, key=_by_time_and_duration)
    n = len(ordered)
    starts = [e[0] for e in ordered]
    durations = [e[1] for e in ordered]
    datas = [e[2] for e in ordered]
    for i in range(n - 1):
        start1 = starts[i]
        end1 = start1 + durations[i]
        start2 = starts[i + 1]
        gap = start2 - end1
        if gap == 0:
            continue
        end2 = start2 + durations[i + 1]
        same = datas[i] is datas[i + 1] or datas[i] == datas[i + 1]
        if gap < 0 and same:
            start = min(start1, start2)
            end = max(end1, end2)
            starts[i], durations[i] = start, end - start
            starts[i + 1], durations[i + 1] = end, 0
        elif -NEGATIVE_GAP_TRIM < gap <= pulse:
            if same:
                if durations[i] >= durations[i + 1]:
                    durations[i] = end2 - start1
                    starts[i + 1], durations[i + 1] = end2, 0
                else:
                    starts[i + 1], durations[i + 1] = start1, end2 - start1
                    durations[i] = 0
            else:
                midpoint = end1 + gap // 2
                durations[i] = midpoint - start1
                starts[i + 1], durations[i + 1] = midpoint, end2 - midpoint
    # Normalize: pairwise filling may leave overlaps; equal data merge, otherwise the later event wins.
    kept: list[int] = []
    for i in range(n):
        if durations[i] <= 0:
            continue
        while kept:
            last = kept[-1]
            last_end = starts[last] + durations[last]
            if last_end <= starts[i]:
                kept.append(i)
                break
            if datas[last] is datas[i] or datas[last] == datas[i]:
                durations[last] = max(last_end, starts[i] + durations[i]) - starts[last]
                break
            durations[last] = starts[i] - starts[last]
            if durations[last] <= 0:
                kept.pop()
                continue
            kept.append(i)
            break
        else:
            kept.append(i)
    new = tuple.__new__
    out: list[Event] = []
    append = out.append
    for i in kept:
        event = ordered[i]
        if starts[i] == event[0] and durations[i] == event[1]:
            append(event)
        else:
            append(new(Event, (starts[i], durations[i], datas[i], event[3])))
    return out


def filter_period_intersect(events: Sequence[Event], filter_events: Sequence[Event]) -> list[Event]:
    """The parts of `events` during which some event of `filter_events` is going on.

    Each event is cut to every filter event it overlaps (in time order), as aw-core does; pieces of
    zero length are dropped, as aw-server-rust does.
    """
    ours = sorted(events, key=_by_time)
    theirs = sorted(((f.timestamp, f.timestamp + f.duration) for f in filter_events), key=_by_time)
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
