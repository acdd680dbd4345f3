"""The fast bulk-insert path against the careful one: same values, same errors, same stored rows.

Each short way added for `POST /api/0/buckets/{id}/events` keeps the careful way it skips, and these
tests hold them together: orjson's parse against the strict parser, the timestamp short way against the
full parser, the inline event check against the per-event reader, the one-executemany insert against
the per-event loop, and the whole request against the same batch taking the careful ways.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import httpx
import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from activitywatch.core import jsontext, timestamps
from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.core.wire import _read_event, events_from_wire, json_type
from activitywatch.server.quickjson import quick_loads
from activitywatch.store import Store
from tests.conftest import LiveServer, snapshot

JSON = {"Content-Type": "application/json"}
UNOWNED_ID = 9_000_000_000_000_000_000  # names no stored event: the event is new, but takes the careful path


# ---------------------------------------------------------------- JSON


def same_json(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (1 and 1.0 differ; NaN never appears here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a == 0:
        return math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def strict(body: bytes) -> tuple[str, Any]:
    """("ok", value) or ("error", message) from the strict parser."""
    try:
        return "ok", jsontext.loads(body)
    except InvalidInput as exc:
        return "error", exc.message


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def json_texts(draw: st.DrawFn) -> bytes:
    """JSON texts as clients write them (compact or spaced, escaped or not), some with a key repeated."""
    value = draw(json_values)
    text = json.dumps(
        value, ensure_ascii=draw(st.booleans()), separators=draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    )
    if draw(st.booleans()) and "{" in text:  # repeat the first key of an object, or add a colon escape
        at = text.index("{") + 1
        extra = draw(st.sampled_from(['"k": 1, "k": 2, ', '"\\u003a": 1, ":": 2, ', '"a:b": 1, ', '"\\u003a": 0, ']))
        text = (text[:at] + extra + text[at:]).replace(", }", "}")
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None)
@given(json_texts())
@example(b'{"a":1,"a":2}')
@example(b'{"\\u0061":1,"a":2}')
@example(b'{"\\u003a":1,":":2}')
@example(b"18446744073709551616")
@example(b"[-9223372036854775809, 1]")
@example(b'{"x":"::","y":{"z":1,"z":1}}')
@example(b"[1e400]")
@example(b'"\\ud800"')
@example(b"\xef\xbb\xbf[1]")
@example(b"[" * 300 + b"]" * 300)
@example(b"[-0.0, 0, -0]")
def test_quick_parse_is_the_strict_parse(body: bytes) -> None:
    """Whatever the quick parser accepts, the strict parser returns the same; whatever it refuses, it leaves."""
    quick, value = quick_loads(body)
    outcome, expected = strict(body)
    if quick:
        assert outcome == "ok", expected
        assert same_json(value, expected)


def test_quick_parse_takes_the_usual_batch() -> None:
    """The batch aw-client sends goes the quick way (else nothing would be faster)."""
    body = orjson.dumps([event_json(i) for i in range(100)])
    assert quick_loads(body) == (True, orjson.loads(body))


# ---------------------------------------------------------------- timestamps

digits2 = st.integers(0, 99).map(lambda n: f"{n:02d}")


@st.composite
def timestamp_texts(draw: st.DrawFn) -> str:
    """Timestamps near the usual shape: valid ones and ones off by a field, a separator or a zone."""
    year = draw(st.sampled_from(["1677", "1678", "1970", "2020", "2024", "2262", "9999", "0001"]))
    date = f"{year}-{draw(digits2)}-{draw(digits2)}"
    sep = draw(st.sampled_from(["T", "t", " ", "_"]))
    clock = f"{draw(digits2)}:{draw(digits2)}:{draw(digits2)}"
    frac = draw(
        st.sampled_from(["", ".", ".1", ".123", ".123456", ".123456789", ".1234567891234", ",5", ".\u0661", ".12a"])
    )
    zone = draw(
        st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+05:30", "-23:59", "+24:00", "+0530", "+05", "+5:30", "Zx"])
    )
    return date + sep + clock + frac + zone


def parse_outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", parse(text)
    except InvalidInput as exc:
        return "error", exc.message


@settings(max_examples=500, deadline=None)
@given(st.lists(timestamp_texts(), min_size=1, max_size=5))
@example(["2024-05-01T12:00:00Z", "2024-05-01T12:00:59.5Z", "2024-05-01T12:00:60Z"])
@example(["2024-05-01T12:00:00+05:30", "2024-05-01T12:00:01.25+05:30", "2024-05-01T12:00:01.+05:30"])
@example(["2262-04-11T23:47:16Z", "2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775808Z"])
@example(["1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224191Z", "1677-09-21T00:12:44-00:01"])
@example(["2024-05-01T12:00:00Z", "2024-05-01T12:00:00" + "0" * 50 + "Z"])
def test_timestamp_short_way_is_the_full_parse(texts: list[str]) -> None:
    """The short way (from minutes and zones the full parser has seen) gives what the full parser gives."""
    for text in texts:
        expected = parse_outcome(lambda t: timestamps._parse_full(t, "timestamp"), text)
        assert parse_outcome(timestamps.parse_timestamp, text) == expected  # may fill the short way's tables
        assert parse_outcome(timestamps.parse_timestamp, text) == expected  # may take the short way


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=timestamps.MIN_NS, max_value=timestamps.MAX_NS))
def test_formatting_reads_back(ns: int) -> None:
    """format_timestamp (now with a per-minute table) still writes what parse_timestamp reads back."""
    text = timestamps.format_timestamp(ns)
    assert timestamps.format_timestamp(ns) == text
    assert timestamps.parse_timestamp(text) == ns


# ---------------------------------------------------------------- events


def careful_events(obj: list[Any]) -> list[Event]:
    """Every event through the per-event reader, as events_from_wire read arrays before the inline check."""
    events = []
    for i, item in enumerate(obj):
        if type(item) is not dict:
            raise InvalidInput(f"event #{i} must be a JSON object, not {json_type(item)}")
        try:
            events.append(_read_event(item))
        except InvalidInput as exc:
            raise InvalidInput(f"event #{i}: {exc.message}") from None
    return events


event_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=2),
)
event_objects = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": st.one_of(timestamp_texts(), st.integers(), st.none()),
        "duration": st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-5, max_value=2**64),
            st.floats(min_value=-1, max_value=1e12),
            st.floats(min_value=9.2e9, max_value=9.3e9),
            st.text(max_size=2),
        ),
        "data": st.one_of(
            st.none(), st.dictionaries(st.text(max_size=5), event_values, max_size=4), st.text(max_size=2)
        ),
        "id": st.one_of(st.none(), st.integers(min_value=-2, max_value=2**64), st.booleans()),
        "other": st.integers(),
    },
)


def read_outcome(read: Any, obj: list[Any]) -> tuple[str, Any]:
    try:
        return "ok", read(obj)
    except InvalidInput as exc:
        return "error", exc.message


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(event_objects, st.integers(), st.none()), max_size=6))
def test_inline_event_check_is_the_careful_one(items: list[Any]) -> None:
    """The same events (data objects shared, not copied) or the same message naming the same event."""
    expected = read_outcome(careful_events, items)
    got = read_outcome(events_from_wire, items)
    assert got == expected
    if got[0] == "ok":
        assert [type(e) for e in got[1]] == [Event] * len(got[1])
        for ev, item in zip(got[1], items, strict=True):
            if item.get("data") is not None:
                assert ev.data is item["data"]


# ---------------------------------------------------------------- the store and the request


def event_json(i: int, **extra: Any) -> dict[str, Any]:
    return {"timestamp": f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}+02:00", "duration": i % 7, **extra}


def edge_batch() -> list[dict[str, Any]]:
    """A batch with the edges: zero and fractional durations, unicode, big and nested data, equal events."""
    big = {"title": "x" * 100_000, "nested": {"list": [1, 2.5, None, True, {"deep": "é"}]}, "n": 2**59}
    events = [event_json(i, data={"app": "app", "title": f"window {i % 5}"}) for i in range(40)]
    events += [
        {"timestamp": "2024-05-01T12:00:00Z"},  # no duration, no data
        {"timestamp": "2024-05-01T12:00:00Z", "duration": 0, "data": {}},
        {"timestamp": "2024-05-01T12:00:00Z", "duration": 0, "data": {}},  # the same again: stored twice
        {"timestamp": "2024-05-01 12:00:01.5", "duration": 0.000000001, "data": {"title": "日本語 🎉 \u0000 \\"}},
        {
            "timestamp": "2024-05-01T12:00:02,25-05:00",
            "duration": 1.5,
            "data": {"z": 1, "a": [], "m": {"b": 2, "a": 1}},
        },
        {"timestamp": "2024-05-01T12:00:03Z", "duration": 3600.25, "data": big},
        {
            "timestamp": "2024-05-01T12:00:04Z",
            "duration": 1,
            "data": {"incognito": True},
        },  # the default filter drops it
        {"timestamp": "2024-05-01T12:00:05Z", "duration": 1, "data": {"incognito": False}, "other": "ignored"},
    ]
    return events


def stored_rows(store: Store, bucket_id: str) -> list[tuple[Any, ...]]:
    """The bucket's rows as SQLite has them, ids and change numbers included."""
    conn = apsw.Connection(str(store.path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return list(
            conn.execute(
                "SELECT e.id, e.starttime, e.endtime, e.data, e.seq, e.origin_id FROM events e"
                " JOIN buckets b ON b.key = e.bucket_key WHERE b.id = ? ORDER BY e.id",
                (bucket_id,),
            )
        )
    finally:
        conn.close()


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two fresh stores with the same bucket, to put one batch through each path."""
    with (
        Store(tmp_path / "fast.db", clock=lambda: 0) as fast,
        Store(tmp_path / "careful.db", clock=lambda: 0) as careful,
    ):
        for store in (fast, careful):
            store.create_bucket(Bucket(id="b", type="t", client="c", hostname="h", created=0))
        yield fast, careful


def test_one_executemany_stores_what_the_loop_stores(two_stores: tuple[Store, Store]) -> None:
    """A batch without ids (one executemany) and the same batch with an id naming no event (the per-event
    loop) leave the same rows, change numbers and answers, and the same last event for heartbeats."""
    fast, careful = two_stores
    events = events_from_wire([*edge_batch(), {"timestamp": "2024-05-01T12:00:06Z", "data": {"n": 2**64 - 1}}])
    for store in (fast, careful):  # something stored before, so ids and numbers do not start at 1
        store.heartbeat("b", events[0], 0)
    with_unowned_id = [events[0].replace(id=UNOWNED_ID), *events[1:]]
    answer_fast = fast.insert_events("b", events)
    answer_careful = careful.insert_events("b", with_unowned_id)
    assert answer_fast == answer_careful
    assert len(answer_fast) == len(events) - 1  # the incognito one was dropped
    assert stored_rows(fast, "b") == stored_rows(careful, "b")
    assert fast.last_seq == careful.last_seq
    assert fast.change_token() == careful.change_token()
    heartbeat = Event(timestamp=events[-1].end, duration=0, data=events[-1].data)
    assert fast.heartbeat("b", heartbeat, 10**9) == careful.heartbeat("b", heartbeat, 10**9)
    assert stored_rows(fast, "b") == stored_rows(careful, "b")


def test_replacing_and_new_events_in_one_batch(two_stores: tuple[Store, Store]) -> None:
    """Ids of this bucket's events replace them (twice the same id: the later one wins), the rest is new;
    the rows are the same as when each is sent alone, in order."""
    fast, careful = two_stores
    first = [Event(timestamp=i * 10**9, duration=10**9, data={"i": i}) for i in range(5)]
    for store in (fast, careful):
        store.insert_events("b", first)
    ids = [e.id for e in fast.get_events("b")][::-1]
    batch = [
        Event(timestamp=100 * 10**9, duration=0, data={"new": 1}),
        Event(timestamp=1, duration=2, data={"replaced": 1}, id=ids[1]),
        Event(timestamp=3, duration=4, data={"replaced": 2}, id=ids[1]),
        Event(timestamp=101 * 10**9, duration=0, data={"new": 2}, id=UNOWNED_ID),
        Event(timestamp=5, duration=6, data={"replaced": 3}, id=ids[3]),
    ]
    answer = fast.insert_events("b", batch)
    one_by_one = [careful.insert_events("b", [ev])[0] for ev in batch]
    assert answer == one_by_one
    assert [e.id for e in answer] == [ids[-1] + 1, ids[1], ids[1], ids[-1] + 2, ids[3]]
    assert stored_rows(fast, "b") == stored_rows(careful, "b")


def test_request_through_both_paths(live_server: LiveServer, http: httpx.Client) -> None:
    """Over HTTP: the same batch, once the quick way and once with the careful ways forced (a colon
    escape for the parser, an id naming no event for the store), answers and stores the same."""
    for bucket in ("fast", "careful"):
        r = http.post(f"/api/0/buckets/{bucket}", json={"client": "c", "type": "t", "hostname": "h"})
        assert r.status_code == 200
    batch = [{**event_json(0), "data": {"k": ":"}}, *edge_batch()]
    fast_body = orjson.dumps(batch)
    careful_body = orjson.dumps([{**batch[0], "id": UNOWNED_ID}, *batch[1:]]).replace(b'":"}', b'"\\u003a"}', 1)
    assert quick_loads(fast_body)[0] and not quick_loads(careful_body)[0]
    fast = http.post("/api/0/buckets/fast/events", content=fast_body, headers=JSON)
    careful = http.post("/api/0/buckets/careful/events", content=careful_body, headers=JSON)
    assert fast.status_code == careful.status_code == 200
    answer_fast, answer_careful = fast.json(), careful.json()
    offset = answer_careful[0]["id"] - answer_fast[0]["id"]  # the buckets share the id sequence
    assert [{**e, "id": e["id"] + offset} for e in answer_fast] == answer_careful
    assert [e["timestamp"] for e in answer_fast][:1] == ["2024-05-01T10:00:00Z"]
    got_fast = http.get("/api/0/buckets/fast/events").json()
    got_careful = http.get("/api/0/buckets/careful/events").json()
    assert [{**e, "id": e["id"] + offset} for e in got_fast] == got_careful
    assert sorted(got_fast, key=lambda e: e["id"]) == sorted(answer_fast, key=lambda e: e["id"])
    rows_fast, rows_careful = stored_rows(live_server.store, "fast"), stored_rows(live_server.store, "careful")
    assert [r[1:4] for r in rows_fast] == [r[1:4] for r in rows_careful]


@pytest.mark.parametrize(
    ("bad", "status", "message"),
    [
        (
            {"timestamp": "2024-05-01T12:00:61Z"},
            422,
            "event #500: timestamp '2024-05-01T12:00:61Z' has a time of day out of range",
        ),
        ({"timestamp": "2024-05-01T12:00:00Z", "duration": -1}, 422, "event #500: duration must not be negative"),
        ({"timestamp": "2024-05-01T12:00:00Z", "data": {"n": 2**64}}, 422, "event #500: data: the integer"),
        ({"timestamp": "2024-05-01T12:00:00Z", "id": 0}, 422, "event #500: id must be between 1 and"),
        ({"duration": 1}, 422, "event #500: missing required field 'timestamp'"),
        ("event", 422, "event #500 must be a JSON object, not a string"),
    ],
)
def test_one_bad_event_in_a_big_batch(
    live_server: LiveServer, http: httpx.Client, bad: Any, status: int, message: str
) -> None:
    """One bad event among a thousand good ones: the status and the message naming it, and nothing stored."""
    http.post("/api/0/buckets/b1", json={"client": "c", "type": "t", "hostname": "h"})
    http.post("/api/0/buckets/b1/events", json=[event_json(1)])
    before = snapshot(live_server.store)
    batch: list[Any] = [event_json(i) for i in range(1000)]
    batch[500] = bad
    r = http.post("/api/0/buckets/b1/events", content=json.dumps(batch), headers=JSON)
    assert r.status_code == status
    assert message in r.json()["message"]
    assert r.json()["type"]
    assert snapshot(live_server.store) == before


def test_duplicate_key_in_a_big_batch(live_server: LiveServer, http: httpx.Client) -> None:
    """A key given twice in one event of a big batch is refused as before (the quick parser steps aside)."""
    http.post("/api/0/buckets/b1", json={"client": "c", "type": "t", "hostname": "h"})
    before = snapshot(live_server.store)
    body = json.dumps([event_json(i) for i in range(1000)]).replace('"duration": 3', '"duration": 3, "duration": 4', 1)
    r = http.post("/api/0/buckets/b1/events", content=body, headers=JSON)
    assert r.status_code == 422
    assert r.json()["message"] == "Request body has the duplicate key 'duration' in one object"
    assert snapshot(live_server.store) == before
