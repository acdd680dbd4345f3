"""core.wire: reading and writing the JSON wire format, with messages that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, BucketInfo, Event
from activitywatch.core.wire import (
    MAX_DATA_DEPTH,
    bucket_from_wire,
    bucket_to_wire,
    check_bucket_id,
    check_setting_key,
    event_from_wire,
    event_to_wire,
    events_from_wire,
    import_from_wire,
    json_depth,
)

S = 1_000_000_000
T = 1704067200 * S


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_event_defaults_and_round_trip() -> None:
    event = event_from_wire({"timestamp": "2024-01-01T00:00:00Z"})
    assert event == Event(timestamp=T, duration=0, data={}, id=None)
    full = event_from_wire({"id": 5, "timestamp": "2024-01-01T01:00:00+01:00", "duration": 1.5, "data": {"k": [1]}})
    assert full == Event(timestamp=T, duration=3 * S // 2, data={"k": [1]}, id=5)
    assert event_to_wire(full) == {"id": 5, "timestamp": "2024-01-01T00:00:00Z", "duration": 1.5, "data": {"k": [1]}}


def test_null_duration_and_data_mean_defaults() -> None:
    assert event_from_wire({"timestamp": "2024-01-01", "duration": None, "data": None, "id": None}) == Event(T, 0, {})


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "event must be a JSON object, not an array"),
        ({}, "missing required field 'timestamp'"),
        ({"timestamp": 5}, "timestamp must be an RFC 3339 string, not int"),
        ({"timestamp": "2024-01-01", "duration": -1}, "duration must not be negative"),
        ({"timestamp": "2024-01-01", "duration": "5"}, "duration must be a number"),
        ({"timestamp": "2024-01-01", "duration": True}, "duration must be a number"),
        ({"timestamp": "2024-01-01", "data": []}, "data must be a JSON object, not an array"),
        ({"timestamp": "2024-01-01", "data": "x"}, "data must be a JSON object, not a string"),
        ({"timestamp": "2024-01-01", "data": nested(MAX_DATA_DEPTH + 1)}, "nested more than 64 levels"),
        ({"timestamp": "2024-01-01", "id": "5"}, "id must be an integer"),
        ({"timestamp": "2024-01-01", "id": 0}, "id must be between 1 and"),
        ({"timestamp": "2024-01-01", "id": 2**63}, "id must be between 1 and"),
        ({"timestamp": "2262-04-11T23:47:16Z", "duration": 1}, "ends after the latest supported time"),
    ],
)
def test_event_errors_name_the_problem(obj: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        event_from_wire(obj)


def test_data_at_the_depth_limit_is_accepted() -> None:
    assert json_depth(nested(MAX_DATA_DEPTH)) == MAX_DATA_DEPTH
    event_from_wire({"timestamp": "2024-01-01", "data": nested(MAX_DATA_DEPTH)})


def test_events_one_or_many() -> None:
    one = {"timestamp": "2024-01-01"}
    assert events_from_wire(one) == [Event(T, 0, {})]
    assert events_from_wire([one, one]) == [Event(T, 0, {}), Event(T, 0, {})]
    with pytest.raises(InvalidInput, match="event #1: missing required field 'timestamp'"):
        events_from_wire([one, {}])
    with pytest.raises(InvalidInput, match="must be an event object or an array"):
        events_from_wire("x")


def test_bucket_from_wire() -> None:
    b = bucket_from_wire({"client": "c", "type": "t", "hostname": "h", "id": "ignored"}, "b1", now_ns=T)
    assert b == Bucket(id="b1", type="t", client="c", hostname="h", created=T, data={}, name=None)
    with pytest.raises(InvalidInput, match="missing required field 'hostname'"):
        bucket_from_wire({"client": "c", "type": "t"}, "b1", now_ns=T)
    with pytest.raises(InvalidInput, match="'client' must be a string, not a number"):
        bucket_from_wire({"client": 1, "type": "t", "hostname": "h"}, "b1", now_ns=T)
    with pytest.raises(InvalidInput, match="created"):
        bucket_from_wire({"client": "c", "type": "t", "hostname": "h", "created": "then"}, "b1", now_ns=T)


def test_bucket_to_wire_has_both_reference_shapes() -> None:
    info = BucketInfo(Bucket("b", "t", "c", "h", T, {"x": 1}, "name"), start=T, end=T + S)
    assert bucket_to_wire(info) == {
        "id": "b",
        "name": "name",
        "type": "t",
        "client": "c",
        "hostname": "h",
        "created": "2024-01-01T00:00:00Z",
        "data": {"x": 1},
        "metadata": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T00:00:01Z"},
        "last_updated": "2024-01-01T00:00:01Z",
    }


@pytest.mark.parametrize("bad", ["", "a/b", "a\nb", "a\x00b", "x" * 256, 5])
def test_bad_bucket_ids(bad: Any) -> None:
    with pytest.raises(InvalidInput):
        check_bucket_id(bad)


def test_setting_keys() -> None:
    assert check_setting_key("startOfDay") == "startOfDay"
    with pytest.raises(InvalidInput, match="Too long key"):
        check_setting_key("k" * 128)
    with pytest.raises(InvalidInput):
        check_setting_key("")


def test_import_document() -> None:
    doc = {
        "buckets": {
            "b1": {
                "id": "b1",
                "client": "c",
                "type": "t",
                "hostname": "h",
                "created": "2024-01-01T00:00:00Z",
                "events": [{"id": 9, "timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {}}],
            }
        }
    }
    [(bucket, events)] = import_from_wire(doc, now_ns=0)
    assert bucket.id == "b1" and bucket.created == T
    assert events == [Event(T, S, {}, id=None)]  # ids are dropped


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "must be a JSON object of the form"),
        ({"buckets": []}, "must be a JSON object of the form"),
        ({"buckets": {"b": 1}}, "bucket 'b' must be a JSON object"),
        ({"buckets": {"b": {"client": "c", "type": "t", "hostname": "h", "events": {}}}}, "'events' must be an array"),
        (
            {"buckets": {"b": {"client": "c", "type": "t", "hostname": "h", "events": [{"timestamp": "x"}]}}},
            "bucket 'b': event #0: timestamp 'x'",
        ),
        ({"buckets": {"b/c": {"client": "c", "type": "t", "hostname": "h"}}}, "must not contain '/'"),
    ],
)
def test_import_document_errors(doc: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        import_from_wire(doc, now_ns=0)
