"""Grouping, ordering and totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from activitywatch.core.models import Event
from activitywatch.transforms.filters import json_key

_MISSING = object()


def _hashable(value: Any) -> Any:
    """`value` as a dict key: lists by their items, objects by their JSON text."""
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        return json_key(value)
    return value


def merge_events_by_keys(events: Sequence[Event], keys: Sequence[str]) -> list[Event]:
    """One event per distinct combination of `data[key]` values, with the summed duration.

    Each result starts when the first event of its group does and carries only the key fields that
    the group has. Groups come in the order of their first event. With no keys, the events as given.
    """
    if not keys:
        return list(events)
    # Events share data objects: total them per data object first (one lookup per event), then per group.
    per_data: dict[int, list[Any]] = {}
    for event in events:
        data = event[2]
        entry = per_data.get(id(data))
        if entry is None:
            per_data[id(data)] = [event[0], event[1], data]
        else:
            entry[1] += event[1]
    return merge_totals(per_data.values(), keys)


def merge_totals(per_data: Iterable[Sequence[Any]], keys: Sequence[str]) -> list[Event]:
    """merge_events_by_keys from `(first start, total duration, data)` per data object, in the order of
    each data object's first event."""
    groups: dict[Any, list[Any]] = {}
    for start, duration, data in per_data:
        group_key = tuple(_hashable(data.get(k, _MISSING)) for k in keys)
        group = groups.get(group_key)
        if group is None:
            groups[group_key] = [start, duration, {k: data[k] for k in keys if k in data}]
        else:
            group[1] += duration
    return [Event(start, duration, data) for start, duration, data in groups.values()]


def chunk_events_by_key(events: Sequence[Event], key: str) -> list[Event]:
    """Neighbouring events (in the given order) with the same `data[key]` joined into one event that
    starts with the first and lasts their summed duration; events without the key are left out."""
    out: list[list[Any]] = []
    last: Any = _MISSING
    for event in events:
        value = event.data.get(key, _MISSING)
        if value is _MISSING:
            continue
        if out and value == last:
            out[-1][1] += event.duration
        else:
            out.append([event.timestamp, event.duration, {key: value}])
            last = value
    return [Event(start, duration, data) for start, duration, data in out]


def sort_by_duration(events: Sequence[Event]) -> list[Event]:
    """Longest first (stable)."""
    return sorted(events, key=lambda e: e.duration, reverse=True)


def sort_by_timestamp(events: Sequence[Event]) -> list[Event]:
    """Earliest first (stable)."""
    return sorted(events, key=lambda e: e.timestamp)


def limit_events(events: Sequence[Event], count: int) -> list[Event]:
    """The first `count` events."""
    if count < 0:
        raise ValueError(f"the count must not be negative, got {count}")
    return list(events[:count])


def sum_durations(events: Sequence[Event]) -> float:
    """The total duration in seconds."""
    return sum(e.duration for e in events) / 1e9


def concat(*lists: Sequence[Any]) -> list[Any]:
    """The lists one after another."""
    out: list[Any] = []
    for items in lists:
        out.extend(items)
    return out
