"""store: buckets, events, heartbeats, the change sequence, settings and import/export on real SQLite files."""

from __future__ import annotations

import threading
from pathlib import Path

import apsw
import orjson
import pytest

from activitywatch.core.errors import InvalidInput, NotFound
from activitywatch.core.models import Bucket, Event
from activitywatch.core.wire import import_from_wire
from activitywatch.store import Store
from activitywatch.store.schema import MIGRATIONS

S = 1_000_000_000
T = 1704067200 * S


def bucket(bucket_id: str = "b", **changes: object) -> Bucket:
    fields: dict[str, object] = {"id": bucket_id, "type": "t", "client": "c", "hostname": "h", "created": T}
    fields.update(changes)
    return Bucket(**fields)  # type: ignore[arg-type]


def ev(start_s: float, dur_s: float = 0, data: dict[str, object] | None = None, id: int | None = None) -> Event:
    return Event(timestamp=T + round(start_s * S), duration=round(dur_s * S), data=data or {"a": 1}, id=id)


def seqs(path: Path) -> dict[int, int]:
    conn = apsw.Connection(str(path))
    try:
        return {row[0]: row[1] for row in conn.execute("SELECT id, seq FROM events")}
    finally:
        conn.close()


# --------------------------------------------------------------------------- buckets


def test_bucket_lifecycle(store: Store) -> None:
    assert store.list_buckets() == []
    assert store.create_bucket(bucket("b1", data={"k": "v"}, name="My bucket")) is True
    assert store.create_bucket(bucket("b1", client="other")) is False  # exists: unchanged
    info = store.get_bucket("b1")
    assert info.bucket == bucket("b1", data={"k": "v"}, name="My bucket")
    assert (info.start, info.end) == (None, None)
    store.update_bucket(bucket("b1", type="t2", client="c2", hostname="h2", data={}))
    assert store.get_bucket("b1").bucket == bucket("b1", type="t2", client="c2", hostname="h2", data={})
    store.delete_bucket("b1")
    with pytest.raises(NotFound, match="The requested bucket 'b1' does not exist"):
        store.get_bucket("b1")
    with pytest.raises(NotFound):
        store.delete_bucket("b1")
    with pytest.raises(NotFound):
        store.update_bucket(bucket("b1"))


def test_bucket_span_covers_long_early_events(store: Store) -> None:
    store.create_bucket(bucket())
    store.insert_events("b", [ev(0, 1000), ev(10, 5), ev(20, 1)])
    info = store.get_bucket("b")
    assert (info.start, info.end) == (T, T + 1000 * S)
    [listed] = store.list_buckets()
    assert listed == info


def test_delete_bucket_deletes_its_events(store: Store) -> None:
    store.create_bucket(bucket("b1"))
    store.insert_events("b1", [ev(0), ev(1)])
    store.delete_bucket("b1")
    store.create_bucket(bucket("b1"))
    assert store.get_events("b1") == []


# --------------------------------------------------------------------------- events


def test_get_events_newest_first_with_limit(store: Store) -> None:
    store.create_bucket(bucket())
    stored = store.insert_events("b", [ev(i, 1, {"i": i}) for i in range(10)])
    assert [e.id for e in stored] == list(range(1, 11))
    events = store.get_events("b")
    assert [e.data["i"] for e in events] == list(range(9, -1, -1))
    assert [e.data["i"] for e in store.get_events("b", limit=3)] == [9, 8, 7]
    assert store.get_events("b", limit=0) == []
    assert store.count_events("b") == 10


def test_get_events_clips_to_the_window(store: Store) -> None:
    store.create_bucket(bucket())
    store.insert_events("b", [ev(0, 100, {"n": "long"}), ev(50, 10, {"n": "mid"}), ev(200, 10, {"n": "late"})])
    events = store.get_events("b", start=T + 55 * S, end=T + 120 * S)
    assert [(e.data["n"], e.timestamp, e.duration) for e in events] == [
        ("mid", T + 55 * S, 5 * S),
        ("long", T + 55 * S, 45 * S),
    ]
    assert store.count_events("b", start=T + 55 * S, end=T + 120 * S) == 2
    assert store.count_events("b", start=T + 150 * S) == 1
    assert store.get_events("b", start=T + 300 * S) == []
    assert store.get_events("b", start=T + 10 * S, end=T) == []  # end before start


def test_range_query_finds_an_event_that_started_long_before(store: Store) -> None:
    store.create_bucket(bucket())
    store.insert_events("b", [ev(0, 10 * 86400, {"n": "ten days"})] + [ev(i, 1) for i in range(1, 100)])
    [found] = store.get_events("b", start=T + 5 * 86400 * S, end=T + 6 * 86400 * S)
    assert found.data == {"n": "ten days"} and found.duration == 86400 * S


def test_events_of_unknown_buckets(store: Store) -> None:
    for call in (
        lambda: store.get_events("nope"),
        lambda: store.get_events("nope", limit=0),
        lambda: store.count_events("nope"),
        lambda: store.insert_events("nope", [ev(0)]),
        lambda: store.heartbeat("nope", ev(0), S),
        lambda: store.get_event("nope", 1),
        lambda: store.delete_event("nope", 1),
    ):
        with pytest.raises(NotFound, match="'nope' does not exist"):
            call()


def test_get_and_delete_one_event(store: Store) -> None:
    store.create_bucket(bucket("b1"))
    store.create_bucket(bucket("b2"))
    [e] = store.insert_events("b1", [ev(0, 1, {"x": "y"})])
    assert e.id is not None
    assert store.get_event("b1", e.id) == e
    with pytest.raises(NotFound, match=f"no event {e.id} in bucket 'b2'"):
        store.get_event("b2", e.id)
    assert store.delete_event("b2", e.id) is False
    assert store.delete_event("b1", e.id) is True
    assert store.delete_event("b1", e.id) is False


def test_an_event_with_an_id_replaces_it(store: Store) -> None:
    store.create_bucket(bucket("b1"))
    store.create_bucket(bucket("b2"))
    [e] = store.insert_events("b1", [ev(0, 1)])
    assert e.id is not None
    store.insert_events("b1", [ev(5, 2, {"edited": True}, id=e.id)])
    assert store.get_events("b1") == [ev(5, 2, {"edited": True}, id=e.id)]
    # An id of another bucket's event is not taken over: a new event is stored, the other one is untouched.
    [copy] = store.insert_events("b2", [ev(5, 2, id=e.id)])
    assert copy.id != e.id and store.get_events("b2") == [copy]
    assert store.get_events("b1") == [ev(5, 2, {"edited": True}, id=e.id)]
    # An id of no event at all (even the largest) is ignored too, so the id space cannot be exhausted.
    [new] = store.insert_events("b1", [ev(9, 1, id=2**63 - 1)])
    assert new.id == copy.id + 1  # type: ignore[operator]
    [after] = store.insert_events("b1", [ev(10, 1)])
    assert after.id == new.id + 1  # type: ignore[operator]


def test_a_failed_batch_stores_nothing(store: Store) -> None:
    store.create_bucket(bucket("b1"))
    with pytest.raises(InvalidInput):
        store.insert_events("b1", [ev(1), ev(2), ev(3, 0, {"bad": "\udc80"})])
    assert store.get_events("b1") == []


def test_data_that_cannot_be_json_is_refused(store: Store) -> None:
    store.create_bucket(bucket())
    with pytest.raises(InvalidInput, match="cannot be stored as JSON"):
        store.insert_events("b", [ev(0, 0, {"title": "bad \udc80 surrogate"})])
    with pytest.raises(InvalidInput, match="cannot be stored as JSON"):
        store.heartbeat("b", ev(0, 0, {"n": 2**64}), S)
    assert store.get_events("b") == []


def test_data_survives_exactly(store: Store) -> None:
    store.create_bucket(bucket())
    data = {"title": "naïve 日本 \x00 nul", "n": -(2**63), "f": 0.1, "nested": {"z": [1, None, True]}, "": ""}
    [e] = store.insert_events("b", [ev(0, 0, data)])
    assert store.get_events("b")[0].data == data
    assert e.data == data


# --------------------------------------------------------------------------- heartbeats


def test_heartbeats_merge_and_split(store: Store) -> None:
    store.create_bucket(bucket())
    for i in range(5):
        last = store.heartbeat("b", ev(i, 0, {"app": "x"}), 2 * S)
    assert last == ev(0, 4, {"app": "x"}, id=1)
    other = store.heartbeat("b", ev(5, 0, {"app": "y"}), 2 * S)
    assert other == ev(5, 0, {"app": "y"}, id=2)
    late = store.heartbeat("b", ev(10, 0, {"app": "y"}), 2 * S)  # 5 s after: beyond pulsetime
    assert late.id == 3
    assert [(e.id, e.duration) for e in store.get_events("b")] == [(3, 0), (2, 0), (1, 4 * S)]


def test_heartbeat_older_than_the_last_event_is_inserted_and_does_not_become_last(store: Store) -> None:
    store.create_bucket(bucket())
    store.heartbeat("b", ev(100), S)
    old = store.heartbeat("b", ev(50), S)
    assert old.id == 2
    merged = store.heartbeat("b", ev(100.5), S)
    assert merged == ev(100, 0.5, id=1)


def _model_heartbeat(model: dict[int, Event], hb: Event, pulsetime: int, next_id: int) -> Event:
    """The reference rule computed from scratch over all stored events (no cache)."""
    if model:
        last = max(model.values(), key=lambda e: (e.timestamp, e.id))
        if last.data == hb.data and last.timestamp <= hb.timestamp <= last.end + pulsetime:
            merged = last.replace(duration=max(last.end, hb.end) - last.timestamp)
            model[merged.id] = merged  # type: ignore[index]
            return merged
    new = hb.replace(id=next_id)
    model[next_id] = new
    return new


def test_last_event_cache_is_never_stale(store: Store) -> None:
    """Interleave heartbeats with inserts, replaces and deletes; every answer must match a cacheless model."""
    store.create_bucket(bucket())
    model: dict[int, Event] = {}
    next_id = 1
    # Each step is decisive: a cache that missed the previous change would answer differently.
    script: list[tuple[str, Event]] = [
        ("hb", ev(0, 0, {"a": 1})),
        ("hb", ev(1, 0, {"a": 1})),
        ("insert", ev(3, 0, {"a": 1})),  # becomes last: the next heartbeat merges into it, not into event 1
        ("hb", ev(4, 0, {"a": 1})),
        ("insert", ev(2, 0, {"a": 2})),  # older: the last stays event 2
        ("hb", ev(5, 0, {"a": 1})),
        ("replace-last", ev(-10, 1, {"a": 1})),  # the last event moves back: event 3 (a=2) is last now
        ("hb", ev(6, 0, {"a": 2})),
        ("delete-last", ev(0)),  # deleting the last: event 1 is last again
        ("hb", ev(5.5, 0, {"a": 1})),
        ("replace-older", ev(40, 0, {"a": 9})),  # the oldest event is edited to be the newest
        ("hb", ev(41, 0, {"a": 9})),
        ("hb", ev(100, 0, {"a": 4})),
    ]
    for action, event in script:
        if action == "hb":
            got = store.heartbeat("b", event, 5 * S)
            want = _model_heartbeat(model, event, 5 * S, next_id)
            assert got == want, action
        elif action == "insert":
            [got] = store.insert_events("b", [event])
            assert got.id == next_id
            model[next_id] = got
        elif action.startswith("replace"):
            ordered = sorted(model.values(), key=lambda e: (e.timestamp, e.id))
            target = ordered[-1] if action == "replace-last" else ordered[0]
            store.insert_events("b", [event.replace(id=target.id)])
            model[target.id] = event.replace(id=target.id)  # type: ignore[index]
        elif action == "delete-last":
            target = max(model.values(), key=lambda e: (e.timestamp, e.id))
            assert store.delete_event("b", target.id)  # type: ignore[arg-type]
            del model[target.id]  # type: ignore[arg-type]
        next_id = max([next_id - 1, *model]) + 1
        assert sorted(store.get_events("b"), key=lambda e: e.id or 0) == sorted(model.values(), key=lambda e: e.id or 0)


def test_cache_sees_writes_from_another_connection(tmp_path: Path) -> None:
    """Another process (here: another Store on the same file) adds a later event: heartbeats must see it."""
    path = tmp_path / "shared.db"
    with Store(path) as mine, Store(path) as theirs:
        mine.create_bucket(bucket())
        mine.heartbeat("b", ev(0, 0, {"a": 1}), 2 * S)  # cache warm: last = event 1
        theirs.insert_events("b", [ev(10, 0, {"a": 1})])  # event 2, now the last
        merged = mine.heartbeat("b", ev(11, 0, {"a": 1}), 2 * S)
        assert merged == ev(10, 1, {"a": 1}, id=2)
        # Both connections hand out change sequence numbers: they must stay increasing across them.
        [a] = mine.insert_events("b", [ev(20)])
        [b] = theirs.insert_events("b", [ev(21)])
        [c] = mine.insert_events("b", [ev(22)])
        numbers = seqs(path)
        assert numbers[a.id] < numbers[b.id] < numbers[c.id]  # type: ignore[index]
        theirs.delete_bucket("b")
        with pytest.raises(NotFound):
            mine.heartbeat("b", ev(12), S)


def test_heartbeat_after_failed_write_uses_fresh_state(store: Store) -> None:
    store.create_bucket(bucket())
    store.heartbeat("b", ev(0, 0, {"a": 1}), 2 * S)
    with pytest.raises(InvalidInput):
        store.heartbeat("b", ev(1, 0, {"bad": "\udc80"}), 2 * S)
    assert store.heartbeat("b", ev(1, 0, {"a": 1}), 2 * S) == ev(0, 1, {"a": 1}, id=1)


# --------------------------------------------------------------------------- change sequence


def test_every_insert_and_update_raises_the_sequence(store: Store) -> None:
    store.create_bucket(bucket())
    store.heartbeat("b", ev(0, 0, {"a": 1}), 2 * S)
    first = seqs(store.path)
    store.heartbeat("b", ev(1, 0, {"a": 1}), 2 * S)  # merge: event 1 updated
    second = seqs(store.path)
    assert second[1] > first[1]
    store.heartbeat("b", ev(0.5, 0, {"a": 1}), 2 * S)  # inside the event: nothing changes
    assert seqs(store.path) == second
    [e2] = store.insert_events("b", [ev(5)])
    third = seqs(store.path)
    assert third[e2.id] > third[1]  # type: ignore[index]
    store.insert_events("b", [ev(1, 1, {"edited": 1}, id=1)])
    assert seqs(store.path)[1] > third[e2.id]  # type: ignore[index]
    assert store.last_seq == max(seqs(store.path).values())


def test_sequence_numbers_are_never_reused_after_deletes_and_restart(tmp_path: Path) -> None:
    path = tmp_path / "seq.db"
    with Store(path) as s:
        s.create_bucket(bucket())
        [_a, b] = s.insert_events("b", [ev(0), ev(1)])
        top = s.last_seq
        s.delete_event("b", b.id)  # type: ignore[arg-type]
    with Store(path) as s:
        assert s.last_seq == top
        [c] = s.insert_events("b", [ev(2)])
        assert seqs(path)[c.id] > top  # type: ignore[index]
        assert c.id != b.id  # event ids are never reused either


# --------------------------------------------------------------------------- settings


def test_settings(store: Store) -> None:
    assert store.get_settings() == {}
    assert store.get_setting("theme") is None
    store.set_setting("theme", "dark")
    store.set_setting("classes", [{"name": ["Work"], "rule": {"type": "regex", "regex": "x"}}])
    store.set_setting("flag", False)  # falsy values are kept (aw-server-rust), not deleted
    assert store.get_settings() == {
        "classes": [{"name": ["Work"], "rule": {"type": "regex", "regex": "x"}}],
        "flag": False,
        "theme": "dark",
    }
    assert store.delete_setting("theme") is True
    assert store.delete_setting("theme") is False
    assert store.get_setting("theme") is None


# --------------------------------------------------------------------------- import / export


def _export(store: Store, ids: list[str] | None = None) -> dict[str, object]:
    return orjson.loads(b"".join(store.open_export(ids)))  # type: ignore[no-any-return]


def test_export_document(store: Store) -> None:
    store.create_bucket(bucket("b1", data={"k": 1}))
    store.create_bucket(bucket("b2"))
    store.insert_events("b1", [ev(1, 1), ev(0, 2)])
    doc = _export(store)
    assert list(doc["buckets"]) == ["b1", "b2"]  # type: ignore[call-overload]
    b1 = doc["buckets"]["b1"]  # type: ignore[index]
    assert b1 == {
        "id": "b1",
        "name": None,
        "type": "t",
        "client": "c",
        "hostname": "h",
        "created": "2024-01-01T00:00:00Z",
        "data": {"k": 1},
        "events": [
            {"id": 2, "timestamp": "2024-01-01T00:00:00Z", "duration": 2.0, "data": {"a": 1}},
            {"id": 1, "timestamp": "2024-01-01T00:00:01Z", "duration": 1.0, "data": {"a": 1}},
        ],
    }
    assert _export(store, ["b2"]) == {"buckets": {"b2": {**doc["buckets"]["b2"]}}}  # type: ignore[index]
    with pytest.raises(NotFound, match="'nope'"):
        store.open_export(["b1", "nope"])


def test_export_streams_many_events_in_chunks(store: Store) -> None:
    store.create_bucket(bucket())
    store.insert_events("b", [ev(i, 1, {"i": i}) for i in range(12_001)])
    chunks = list(store.open_export())
    assert len(chunks) > 3
    events = orjson.loads(b"".join(chunks))["buckets"]["b"]["events"]
    assert [e["data"]["i"] for e in events] == list(range(12_001))


def test_export_then_import_round_trip_and_twice_is_a_no_op(tmp_path: Path, store: Store) -> None:
    store.create_bucket(bucket("b1", data={"k": 1}, name="n"))
    store.insert_events("b1", [ev(i, 0.5, {"i": i}) for i in range(50)] + [ev(0, 0.5, {"i": 0})])  # one duplicate
    doc = _export(store)
    with Store(tmp_path / "other.db") as other:
        report = other.import_buckets(import_from_wire(doc, other.now()))
        assert (report.buckets_created, report.buckets_merged) == (["b1"], [])
        assert (report.events_imported, report.events_skipped) == (50, 1)
        assert other.get_bucket("b1").bucket == store.get_bucket("b1").bucket
        assert [(e.timestamp, e.duration, e.data) for e in other.get_events("b1")] == [
            (e.timestamp, e.duration, e.data) for e in store.get_events("b1") if e.id != 51
        ]
        again = other.import_buckets(import_from_wire(doc, other.now()))
        assert (again.buckets_created, again.buckets_merged, again.events_imported, again.events_skipped) == (
            [],
            ["b1"],
            0,
            51,
        )


def test_import_merges_into_an_existing_bucket(store: Store) -> None:
    store.create_bucket(bucket("b1"))
    store.insert_events("b1", [ev(0, 1)])
    store.heartbeat("b1", ev(1, 0), 5 * S)  # warm the cache: last = event 1
    doc = {
        "buckets": {
            "b1": {
                "client": "x",
                "type": "y",
                "hostname": "z",
                "events": [
                    {"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {"a": 1}},  # same as stored
                    {"timestamp": "2024-01-01T00:01:00Z", "duration": 1, "data": {"a": 1}},  # new and later
                ],
            }
        }
    }
    report = store.import_buckets(import_from_wire(doc, store.now()))
    assert (report.events_imported, report.events_skipped) == (1, 1)
    assert store.get_bucket("b1").bucket.client == "c"  # the existing bucket's metadata is kept
    merged = store.heartbeat("b1", ev(61.5, 0), 5 * S)  # must merge into the imported (now last) event
    assert merged.timestamp == T + 60 * S and merged.duration == 3 * S // 2


# --------------------------------------------------------------------------- lifecycle


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    s = Store(tmp_path / "c.db")
    s.close()
    s.close()  # twice is fine
    with pytest.raises(InvalidInput, match="closed"):
        s.create_bucket(bucket())


def test_wal_and_schema_version(store: Store) -> None:
    conn = apsw.Connection(str(store.path))
    try:
        assert conn.execute("PRAGMA journal_mode").fetchall()[0][0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchall()[0][0] == len(MIGRATIONS)
    finally:
        conn.close()


def test_readers_of_ended_threads_are_closed(tmp_path: Path) -> None:
    from activitywatch.store.database import ReaderPool

    with Store(tmp_path / "r.db"):
        pool = ReaderPool(tmp_path / "r.db")
        for _ in range(5):
            t = threading.Thread(target=lambda: pool.get().execute("SELECT 1").fetchall())
            t.start()
            t.join()
        pool.get()  # a new thread's first read closes the readers of the ended ones
        assert len(pool) == 1
        pool.close()
