"""The JSON wire format of the ActivityWatch API: plain JSON values to and from the models.

Inputs are checked here once, with messages that name the field, so every entry point (HTTP, import
files, the command line) rejects the same things the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, BucketInfo, Event
from activitywatch.core.timestamps import (
    MAX_NS,
    NS_PER_SECOND,
    duration_seconds,
    format_timestamp,
    parse_duration,
    parse_timestamp,
)

MAX_ID_LENGTH = 255
MAX_FIELD_LENGTH = 1024
MAX_SETTING_KEY_LENGTH = 127
MAX_DATA_DEPTH = 64
MAX_EVENT_ID = 2**63 - 1
MIN_JSON_INT = -(2**63)
MAX_JSON_INT = 2**64 - 1  # what the store's JSON encoder can write back
_SCALARS = frozenset({str, float, bool, type(None)})  # data values with nothing more to check
_MAX_SECONDS = (MAX_NS - NS_PER_SECOND) // NS_PER_SECOND  # the longest duration parse_duration takes


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, `[]` and `{}` are 1), computed without recursion."""
    return _walk(value, check_ints=False)


def _walk(value: Any, *, check_ints: bool) -> int:
    if type(value) is dict:  # the usual flat event data is checked without building a stack
        for v in value.values():
            kind = type(v)
            if kind is dict or kind is list:
                break
            if check_ints and kind is int and not MIN_JSON_INT <= v <= MAX_JSON_INT:
                raise InvalidInput(f"the integer {v} is outside the 64-bit range that can be stored")
        else:
            return 1
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            depth += 1
            stack.extend((v, depth) for v in item.values())
        elif isinstance(item, list):
            depth += 1
            stack.extend((v, depth) for v in item)
        elif check_ints and type(item) is int and not MIN_JSON_INT <= item <= MAX_JSON_INT:
            raise InvalidInput(f"the integer {item} is outside the 64-bit range that can be stored")
        deepest = max(deepest, depth)
        if deepest > MAX_DATA_DEPTH:
            break
    return deepest


def check_value(value: Any, what: str = "value") -> Any:
    """Any JSON value that can be stored: at most 64 levels deep, integers within 64 bits."""
    try:
        depth = _walk(value, check_ints=True)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}") from None
    if depth > MAX_DATA_DEPTH:
        raise InvalidInput(f"{what} is nested more than {MAX_DATA_DEPTH} levels deep")
    return value


def check_data(value: Any, what: str = "data") -> dict[str, Any]:
    """A JSON object that can be stored, or InvalidInput."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, not {json_type(value)}")
    return check_value(value, what)  # type: ignore[no-any-return]


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_SLASH_OR_CONTROL = re.compile("[/\x00-\x1f\x7f]")


def check_bucket_id(value: Any, what: str = "bucket id") -> str:
    """A bucket id: 1 to 255 characters, no control characters and no `/`."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, not {json_type(value)}")
    if not value:
        raise InvalidInput(f"{what} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(f"{what} is longer than {MAX_ID_LENGTH} characters")
    if _SLASH_OR_CONTROL.search(value):
        raise InvalidInput(f"{what} {value!r} must not contain '/' or control characters")
    return value


def check_setting_key(value: str) -> str:
    """A settings key: 1 to 127 characters without control characters."""
    if not value:
        raise InvalidInput("setting key must not be empty")
    if len(value) > MAX_SETTING_KEY_LENGTH:
        raise InvalidInput(f"Too long key: setting keys are at most {MAX_SETTING_KEY_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput("setting key must not contain control characters")
    return value


def check_event_id(value: Any, what: str = "event id") -> int:
    """A positive 64-bit event id."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be an integer, not {json_type(value)}")
    if not 1 <= value <= MAX_EVENT_ID:
        raise InvalidInput(f"{what} must be between 1 and {MAX_EVENT_ID}")
    return value


def _optional_string(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what}: '{key}' must be a string, not {json_type(value)}")
    if len(value) > MAX_FIELD_LENGTH:
        raise InvalidInput(f"{what}: '{key}' is longer than {MAX_FIELD_LENGTH} characters")
    return value


def _required_string(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = _optional_string(obj, key, what)
    if value is None:
        raise InvalidInput(f"{what}: missing required field '{key}'")
    return value


def _read_event(obj: dict[str, Any]) -> Event:
    if "timestamp" not in obj:
        raise InvalidInput("missing required field 'timestamp'")
    timestamp = parse_timestamp(obj["timestamp"])
    raw_duration = obj.get("duration")
    duration = 0 if raw_duration is None else parse_duration(raw_duration)
    if timestamp + duration > MAX_NS:
        raise InvalidInput("ends after the latest supported time")
    raw_data = obj.get("data")
    data = {} if raw_data is None else check_data(raw_data)
    raw_id = obj.get("id")
    event_id = None if raw_id is None else check_event_id(raw_id, "id")
    return Event(timestamp=timestamp, duration=duration, data=data, id=event_id)


def event_from_wire(obj: Any, what: str = "event") -> Event:
    """Read an event object: `timestamp` (required), `duration` (default 0), `data` (default {}), `id`."""
    if not isinstance(obj, dict):
        raise InvalidInput(f"{what} must be a JSON object, not {json_type(obj)}")
    try:
        return _read_event(obj)
    except InvalidInput as exc:  # messages name the event only when something is wrong (cheap when all is well)
        raise InvalidInput(f"{what}: {exc.message}") from None


def events_from_wire(obj: Any, what: str = "events") -> list[Event]:
    """Read one event object or an array of them."""
    if isinstance(obj, dict):
        return [event_from_wire(obj, "event")]
    if not isinstance(obj, list):
        raise InvalidInput(f"{what} must be an event object or an array of events, not {json_type(obj)}")
    events: list[Event] = []
    append = events.append
    new = tuple.__new__  # Event(...) without the NamedTuple's Python-level __new__
    for item in obj:
        # The usual event (a string timestamp, a number or no duration, flat data, no id) is checked
        # inline: a batch of a thousand took 4.7 ms through `_read_event`, most of it in calls. Anything
        # else, or anything wrong, goes the careful way below, which says what is wrong.
        if type(item) is dict and item.get("id") is None:
            data = item.get("data")
            raw_duration = item.get("duration")
            kind = type(raw_duration)
            if type(data) is dict and (
                raw_duration is None or ((kind is float or kind is int) and 0 <= raw_duration <= _MAX_SECONDS)
            ):
                for value in data.values():
                    kind = type(value)
                    if not (kind in _SCALARS or (kind is int and MIN_JSON_INT <= value <= MAX_JSON_INT)):
                        break
                else:
                    duration = 0 if raw_duration is None else round(raw_duration * NS_PER_SECOND)
                    try:
                        start = parse_timestamp(item["timestamp"])
                        fits = start + duration <= MAX_NS
                    except (KeyError, InvalidInput):
                        fits = False  # the careful way finds it again and names it
                    if fits:
                        append(new(Event, (start, duration, data, None)))
                        continue
        i = len(events)
        if type(item) is not dict:
            raise InvalidInput(f"event #{i} must be a JSON object, not {json_type(item)}")
        try:
            append(_read_event(item))
        except InvalidInput as exc:
            raise InvalidInput(f"event #{i}: {exc.message}") from None
    return events


def event_to_wire(event: Event) -> dict[str, Any]:
    """An event as the reference servers send it."""
    return {
        "id": event.id,
        "timestamp": format_timestamp(event.timestamp),
        "duration": duration_seconds(event.duration),
        "data": event.data,
    }


def events_to_wire(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Events as `event_to_wire` writes each (for a batch, without two calls per event)."""
    fmt = format_timestamp
    return [{"id": ev[3], "timestamp": fmt(ev[0]), "duration": ev[1] / NS_PER_SECOND, "data": ev[2]} for ev in events]


def bucket_from_wire(obj: Any, bucket_id: str, now_ns: int, what: str = "bucket") -> Bucket:
    """Read a bucket definition: `client`, `type`, `hostname` required; `created`, `data`, `name` optional.

    The id comes from the URL (or the export's key) and wins over any `id` in the body.
    """
    if not isinstance(obj, dict):
        raise InvalidInput(f"{what} must be a JSON object, not {json_type(obj)}")
    client = _required_string(obj, "client", what)
    type_ = _required_string(obj, "type", what)
    hostname = _required_string(obj, "hostname", what)
    name = _optional_string(obj, "name", what)
    created_raw = obj.get("created")
    created = now_ns if created_raw is None else parse_timestamp(created_raw, f"{what}: created")
    raw_data = obj.get("data")
    data = {} if raw_data is None else check_data(raw_data, f"{what}: data")
    return Bucket(
        id=check_bucket_id(bucket_id),
        type=type_,
        client=client,
        hostname=hostname,
        created=created,
        data=data,
        name=name,
    )


def bucket_to_wire(info: BucketInfo) -> dict[str, Any]:
    """A bucket in the union of both reference servers' shapes (`metadata` and `last_updated`)."""
    b = info.bucket
    start = None if info.start is None else format_timestamp(info.start)
    end = None if info.end is None else format_timestamp(info.end)
    return {
        "id": b.id,
        "name": b.name,
        "type": b.type,
        "client": b.client,
        "hostname": b.hostname,
        "created": format_timestamp(b.created),
        "data": b.data,
        "metadata": {"start": start, "end": end},
        "last_updated": end,
    }


def import_from_wire(obj: Any, now_ns: int) -> list[tuple[Bucket, list[Event]]]:
    """Read an export document `{"buckets": {id: {bucket fields..., "events": [...]}}}`.

    Event ids are dropped: imported events get new ids. The whole document is checked before anything
    is stored, so a bad file stores nothing.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("buckets"), dict):
        raise InvalidInput('An import must be a JSON object of the form {"buckets": {"<bucket id>": {...}}}')
    result: list[tuple[Bucket, list[Event]]] = []
    for key, raw in obj["buckets"].items():
        what = f"bucket '{key}'"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{what} must be a JSON object, not {json_type(raw)}")
        bucket_id = raw.get("id", key)
        bucket = bucket_from_wire(raw, check_bucket_id(bucket_id, f"{what}: id"), now_ns, what)
        raw_events = raw.get("events", [])
        if raw_events is None:
            raw_events = []
        if not isinstance(raw_events, list):
            raise InvalidInput(f"{what}: 'events' must be an array, not {json_type(raw_events)}")
        events = [event_from_wire(item, f"{what}: event #{i}").replace(id=None) for i, item in enumerate(raw_events)]
        result.append((bucket, events))
    return result


def bucket_export_header(bucket: Bucket) -> dict[str, Any]:
    """The bucket fields of an export document (the events follow)."""
    return {
        "id": bucket.id,
        "name": bucket.name,
        "type": bucket.type,
        "client": bucket.client,
        "hostname": bucket.hostname,
        "created": format_timestamp(bucket.created),
        "data": bucket.data,
    }
