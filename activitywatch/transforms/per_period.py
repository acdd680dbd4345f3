"""Totals per period and key in one pass: the bars of a chart cut from one whole period's events.

`merge_events_by_periods(events, periods, keys)` is `merge_events_by_keys` done within each of
`periods` (an event's time inside a period counts for that period), so the bars of a month (its days)
or of a day (its hours) add up exactly to the whole period's total: nothing is flooded or clipped
again per bar, and the events are read once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from activitywatch.core.models import Event
from activitywatch.transforms.grouping import _MISSING, _hashable

PERIOD_KEY = "$period"


def merge_events_by_periods(
    events: Sequence[Event], periods: Sequence[tuple[int, int]], keys: Sequence[str]
) -> list[Event]:
    """One event per period and distinct combination of `data[key]` values, with the summed duration of
    the events' parts inside that period; its data holds the key fields and `"$period"`, the period's
    index. `periods` are [start, end) nanoseconds, in time order and not overlapping. Results come in
    the order of each group's first part (by period for events in time order) and start where it does.
    """
    starts = [start for start, _ in periods]
    count = len(periods)
    # Per (data object, period): first start and summed duration. Events share data objects, so this
    # stays small and the keys are read once per data object, not per event.
    per_data: dict[tuple[int, int], list[Any]] = {}
    index = 0
    for event in events:
        start, duration, data = event[0], event[1], event[2]
        end = start + duration
        # Events mostly come in time order: look the period up only when the last one does not hold it.
        if not (index < count and starts[index] <= start < periods[index][1]):
            index = max(bisect_right(starts, start) - 1, 0)
        i = index
        while i < count:
            period_start, period_end = periods[i]
            low = start if start > period_start else period_start
            high = end if end < period_end else period_end
            if high > low or (duration == 0 and period_start <= start < period_end):
                entry = per_data.get((id(data), i))
                if entry is None:
                    per_data[(id(data), i)] = [low, high - low, data, i]
                else:
                    entry[1] += high - low
            if period_end >= end or period_start >= end:
                break
            i += 1
    group_keys: dict[int, tuple[Any, ...]] = {}
    groups: dict[tuple[int, tuple[Any, ...]], list[Any]] = {}
    for start, duration, data, i in per_data.values():
        group_key = group_keys.get(id(data))
        if group_key is None:
            group_key = group_keys[id(data)] = tuple(_hashable(data.get(k, _MISSING)) for k in keys)
        group = groups.get((i, group_key))
        if group is None:
            fields = {k: data[k] for k in keys if k in data}
            groups[(i, group_key)] = [start, duration, {**fields, PERIOD_KEY: i}]
        else:
            group[1] += duration
    return [Event(start, duration, data) for start, duration, data in groups.values()]
