"""The cache of decoded events (store/eventcache.py) answers range reads as the store does, after every
kind of write, including writes by another connection; and first-time queries through it answer as
queries run without any cache.

Each check compares with Store.get_events (or a query run on the store directly) on a real SQLite store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.store.eventcache import EventCache
from tests.test_query_cache import QUERY, T0, WRITES, H, S, cached, fresh, make_api, seed


def same_reads(cache: EventCache, store: Store, spans: list[tuple[str, int, int]]) -> None:
    for bucket_id, start, end in spans:
        assert cache.events(bucket_id, start, end) == store.get_events(bucket_id, start, end)
        # The equal starts the cache keeps track of (for sorting by start) are those of the columns.
        columns = cache.columns(bucket_id, start, end)
        starts = list(columns.starts)
        assert columns.rows.ties == [i for i in range(1, len(starts)) if starts[i] == starts[i - 1]]


SPANS = [("win", T0, T0 + 24 * H), ("win", T0 + 24 * H, T0 + 72 * H), ("afk", T0, T0 + 72 * H), ("win", 0, 2**62)]


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_kind_of_write_is_seen_by_range_reads(tmp_path: Path, write: str) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        cache = EventCache(store)
        same_reads(cache, store, SPANS)
        WRITES[write](store)
        same_reads(cache, store, SPANS)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_kind_of_write_is_seen_by_first_time_queries(tmp_path: Path, write: str) -> None:
    """A new query text each time: the result cache cannot answer, the event cache must be current."""
    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        api = make_api(store)
        assert cached(api, "n0 = nop();" + QUERY) == fresh(store)
        WRITES[write](store)
        assert cached(api, "n1 = nop();" + QUERY) == fresh(store)
        assert api.cache.hits == 0


def test_a_write_by_another_connection_is_seen(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        cache = EventCache(store)
        same_reads(cache, store, SPANS)
        with Store(tmp_path / "db.sqlite") as other:
            other.heartbeat("win", Event(T0 + 26 * H + H, 60 * S, {"app": "code"}), 120)
            other.insert_events("win", [Event(T0 + 3 * H, H, {"app": "elsewhere"})])
        same_reads(cache, store, SPANS)


def test_the_bound_is_kept(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        cache = EventCache(store, max_events=3)
        same_reads(cache, store, SPANS)  # win (3 events) and afk (1) do not both fit: answers still agree
        assert sum(len(c) for c in cache._buckets.values()) <= 3


OPS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "heartbeat", "delete", "replace", "forget", "read"]),
        st.integers(0, 200),  # minute
        st.integers(0, 200),  # length in minutes
        st.sampled_from(["code", "web", "mail"]),
    ),
    max_size=30,
)


@given(OPS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_writes_and_reads_agree_with_the_store(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, int, str]]
) -> None:
    minute = 60 * S
    with Store(tmp_path_factory.mktemp("e") / "db.sqlite") as store:
        store.create_bucket(Bucket("b", "t", "c", "h", 0))
        cache = EventCache(store)
        for op, at, length, app in ops:
            start = T0 + at * minute
            if op == "insert":
                store.insert_events("b", [Event(start, length * minute, {"app": app})])
            elif op == "heartbeat":
                store.heartbeat("b", Event(start, length * S, {"app": app}), 30 * 60)
            elif op == "delete" and (last := store.get_events("b", limit=1)):
                store.delete_event("b", last[0].id)
            elif op == "replace" and (last := store.get_events("b", limit=1)):
                store.insert_events("b", [last[0].replace(timestamp=start, duration=length * minute)])
            elif op == "forget":
                store.forget(start, start + (length + 1) * minute)
            else:
                span: list[tuple[str, int, int]] = [("b", start, start + length * minute)]
                same_reads(cache, store, span)
        same_reads(cache, store, [("b", T0, T0 + 400 * minute), ("b", 0, 2**62)])


def test_first_time_queries_share_decoded_data(tmp_path: Path) -> None:
    """Two different query texts over the same bucket read the same decoded data objects."""
    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        cache = EventCache(store)
        first: Any = cache.events("win", T0, T0 + 72 * H)
        second: Any = cache.events("win", T0, T0 + 72 * H)
        assert all(a[2] is b[2] for a, b in zip(first, second, strict=True))


def test_a_start_moved_later_in_place_is_seen(tmp_path: Path) -> None:
    """Sync's forget trims an event's start in place with a new change number and no new generation."""
    import apsw

    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        cache = EventCache(store)
        same_reads(cache, store, SPANS)
        moved = store.get_events("win", T0, T0 + 2 * H)[-1]  # the earliest: 01:00-02:00
        conn = apsw.Connection(str(tmp_path / "db.sqlite"))
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute(
            "UPDATE events SET starttime = ?, seq = (SELECT max(seq) + 1 FROM events) WHERE id = ?",
            (moved.timestamp + H // 2, moved.id),
        )
        conn.close()
        assert store.get_events("win", T0, T0 + 2 * H)[-1].timestamp == moved.timestamp + H // 2
        same_reads(cache, store, SPANS)


def test_equal_starts_are_tracked_through_clipping_and_rereads(tmp_path: Path) -> None:
    """Events starting together: in the bucket, at the start of a read span after clipping, and after
    a write makes the cache read the tail of a bucket again."""
    minute = 60 * S
    with Store(tmp_path / "db.sqlite") as store:
        store.create_bucket(
            Bucket("b", "t", "c", "h", 0),
            [
                Event(T0 - 10 * minute, 15 * minute, {"app": "a"}),  # both reach T0: clipped to start there
                Event(T0 - 5 * minute, 20 * minute, {"app": "b"}),
                Event(T0, minute, {"app": "c"}),  # starts at T0 too
                Event(T0 + 30 * minute, minute, {"app": "d"}),
                Event(T0 + 30 * minute, 2 * minute, {"app": "e"}),
                Event(T0 + 40 * minute, minute, {"app": "f"}),
            ],
        )
        cache = EventCache(store)
        spans = [("b", T0, T0 + H), ("b", T0 - H, T0 + H), ("b", T0 + 30 * minute, T0 + H)]
        same_reads(cache, store, spans)
        store.insert_events("b", [Event(T0 + 29 * minute, minute, {"app": "g"})])  # read again from here
        store.heartbeat("b", Event(T0 + 40 * minute, 30 * S, {"app": "f"}), 120)
        same_reads(cache, store, spans)
        store.insert_events("b", [Event(T0 + 40 * minute, minute, {"app": "h"})])
        same_reads(cache, store, spans)
