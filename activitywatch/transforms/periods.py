"""Transforms over the time spans of events: flood, intersection and unions.

Events are immutable, so each function works on `[timestamp, duration, data, id]` rows and builds new
events at the end; inputs are never changed. Times are integer nanoseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from operator import itemgetter
from typing import Any

from activitywatch.core.models import Event

SECOND = 1_000_000_000
NEGATIVE_GAP_TRIM = 100_000_000  # overlaps shorter than 0.1 s between different data are flooded over

_by_time = itemgetter(0)


def _rows(events: Sequence[Event]) -> list[list[Any]]:
    return [[e.timestamp, e.duration, e.data, e.id] for e in events]


def flood(events: Sequence[Event], pulsetime: float = 5) -> list[Event]:
    """Fill gaps of at most `pulsetime` seconds between neighbouring events, in time order.

    Neighbours with equal data merge across the gap (into the longer one's place); different data
    split the gap at its midpoint. Overlapping equal data merge; where different data still overlap
    at the end, the later event wins, so no time is counted twice. Zero-length results are dropped.
    """
    pulse = round(pulsetime * SECOND)
    rows = sorted(_rows(events), key=lambda r: (r[0], r[1]))
    for e1, e2 in pairwise(rows):
        e1_end = e1[0] + e1[1]
        gap = e2[0] - e1_end
        if gap == 0:
            continue
        e2_end = e2[0] + e2[1]
        if gap < 0 and e1[2] == e2[2]:
            start = min(e1[0], e2[0])
            end = max(e1_end, e2_end)
            e1[0], e1[1] = start, end - start
            e2[0], e2[1] = end, 0
        elif -NEGATIVE_GAP_TRIM < gap <= pulse:
            if e1[2] == e2[2]:
                if e1[1] >= e2[1]:
                    e1[1] = e2_end - e1[0]
                    e2[0], e2[1] = e2_end, 0
                else:
                    e2[0], e2[1] = e1[0], e2_end - e1[0]
                    e1[1] = 0
            else:
                midpoint = e1_end + gap // 2
                e1[1] = midpoint - e1[0]
                e2[0], e2[1] = midpoint, e2_end - midpoint
    normalized: list[list[Any]] = []
    for row in rows:
        if row[1] <= 0:
            continue
        while normalized and normalized[-1][0] + normalized[-1][1] > row[0]:
            previous = normalized[-1]
            if previous[2] == row[2]:
                previous[1] = max(previous[0] + previous[1], row[0] + row[1]) - previous[0]
                break
            previous[1] = row[0] - previous[0]
            if previous[1] <= 0:
                normalized.pop()
                continue
            normalized.append(row)
            break
        else:
            normalized.append(row)
    return [Event(*row) for row in normalized]


def filter_period_intersect(events: Sequence[Event], filter_events: Sequence[Event]) -> list[Event]:
    """The parts of `events` during which some event of `filter_events` is going on.

    Each event is cut to every filter event it overlaps (in time order), as aw-core does; pieces of
    zero length are dropped, as aw-server-rust does.
    """
    ours = sorted(events, key=_by_time)
    theirs = sorted(((f.timestamp, f.timestamp + f.duration) for f in filter_events), key=_by_time)
    out = []
    i = j = 0
    n, m = len(ours), len(theirs)
    while i < n and j < m:
        event = ours[i]
        start = event.timestamp
        end = start + event.duration
        f_start, f_end = theirs[j]
        if (start < f_end and f_start < end) or start == f_start:
            piece_start = start if start > f_start else f_start
            piece_end = end if end < f_end else f_end
            if piece_end > piece_start:
                out.append(Event(piece_start, piece_end - piece_start, event.data, event.id))
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
