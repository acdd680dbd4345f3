"""Keep or drop events by the values in their data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from activitywatch.core.jsontext import canonical_json
from activitywatch.core.models import Event
from activitywatch.transforms.regexes import UNLIMITED, Deadline, compile_pattern, search


def json_key(value: Any) -> Any:
    """A hashable stand-in for a JSON value under JSON equality (so `true` never equals `1`)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("json", canonical_json(value))


def wanted_verdict(key: str, values: Iterable[Any], keep: bool) -> Callable[[Any], bool]:
    """Whether an event with this data stays: `data[key]` is one of `values` (keep) or is not (not keep)."""
    wanted = {json_key(v) for v in values}
    missing = object()

    def verdict(data: Any) -> bool:
        value = data.get(key, missing)
        return (value is not missing and json_key(value) in wanted) is keep

    return verdict


def _wanted(events: Sequence[Event], key: str, values: Iterable[Any], keep: bool) -> list[Event]:
    decide = wanted_verdict(key, values, keep)
    # Events share data objects (one per distinct value in a bucket): decide once per data object.
    verdicts: dict[int, bool] = {}
    out: list[Event] = []
    append = out.append
    for event in events:
        data = event[2]
        verdict = verdicts.get(id(data))
        if verdict is None:
            verdict = verdicts[id(data)] = decide(data)
        if verdict:
            append(event)
    return out


def filter_keyvals(events: Sequence[Event], key: str, values: Iterable[Any]) -> list[Event]:
    """The events whose `data[key]` equals one of `values`."""
    return _wanted(events, key, values, True)


def exclude_keyvals(events: Sequence[Event], key: str, values: Iterable[Any]) -> list[Event]:
    """The events whose `data[key]` is missing or equals none of `values`."""
    return _wanted(events, key, values, False)


def filter_keyvals_regex(
    events: Sequence[Event], key: str, pattern: str, deadline: Deadline = UNLIMITED
) -> list[Event]:
    """The events whose string `data[key]` matches `pattern` anywhere (other values never match)."""
    compiled = compile_pattern(pattern)
    verdicts: dict[str, bool] = {}
    out = []
    for event in events:
        value = event.data.get(key)
        if not isinstance(value, str):
            continue
        verdict = verdicts.get(value)
        if verdict is None:
            verdict = verdicts[value] = search(compiled, value, deadline)
        if verdict:
            out.append(event)
    return out
