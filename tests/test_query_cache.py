"""The query result cache never serves stale data: every kind of write, then the same query again.

The cache sits in QueryApi; these tests drive QueryApi over a real store (and once over HTTP) and
compare each answer with the query run afresh, without any cache, on the same store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activitywatch.core.models import Bucket, Event
from activitywatch.query import function_table, parse_timeperiod, run_query
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.options import ServerOptions
from activitywatch.server.query_api import QueryApi, StoreBuckets, to_wire
from activitywatch.store import Store
from tests.conftest import LiveServer

S = 1_000_000_000
H = 3600 * S
T0 = 1_714_521_600 * S  # 2024-05-01T00:00:00Z
DAYS = [f"2024-05-0{d}T00:00:00Z/2024-05-0{d + 1}T00:00:00Z" for d in (1, 2, 3)]
QUERY = """
    w = query_bucket(find_bucket("win"));
    a = filter_keyvals(query_bucket(find_bucket("afk")), "status", ["not-afk"]);
    w = filter_period_intersect(w, a);
    return {"apps": sort_by_duration(merge_events_by_keys(w, ["app"])), "n": query_bucket_eventcount("win"),
            "names": query_bucket_names()};
"""


def make_api(store: Store) -> QueryApi:
    return QueryApi(StoreCalls(store), ServerOptions(hostname="h", device_id="d", version="v"), function_table())


def fresh(store: Store, query: str = QUERY, periods: list[str] = DAYS) -> list[Any]:
    """The answer computed without any cache."""
    results = run_query(query, [parse_timeperiod(p) for p in periods], StoreBuckets(store), function_table())
    return json.loads(json.dumps(to_wire(results)))


def cached(api: QueryApi, query: str = QUERY, periods: list[str] = DAYS) -> list[Any]:
    return json.loads(api._run(query, [parse_timeperiod(p) for p in periods], ""))


def seed(store: Store) -> None:
    store.create_bucket(
        Bucket("win", "currentwindow", "w", "h", 0),
        [
            Event(T0 + H, H, {"app": "code"}),
            Event(T0 + 2 * H, H, {"app": "web"}),
            Event(T0 + 26 * H, H, {"app": "code"}),
        ],
    )
    store.create_bucket(Bucket("afk", "afkstatus", "a", "h", 0), [Event(T0, 48 * H, {"status": "not-afk"})])


@pytest.fixture
def api_store(tmp_path: Path) -> Any:
    with Store(tmp_path / "db.sqlite") as store:
        seed(store)
        yield make_api(store), store


def test_repeated_queries_are_served_from_the_cache(api_store: Any) -> None:
    api, store = api_store
    first = cached(api)
    assert first == fresh(store)
    misses = api.cache.misses
    assert cached(api) == first
    assert api.cache.misses == misses and api.cache.hits == 3


WRITES = {
    "insert into day 2": lambda s: s.insert_events("win", [Event(T0 + 30 * H, H, {"app": "mail"})]),
    "heartbeat extends into day 3": lambda s: s.heartbeat("win", Event(T0 + 47 * H, 2 * H, {"app": "code"}), 3600 * H),
    "heartbeat new event": lambda s: s.heartbeat("win", Event(T0 + 5 * H, S, {"app": "term"}), S),
    "delete event": lambda s: s.delete_event("win", s.get_events("win", limit=1)[0].id),
    "replace event moves it": lambda s: s.insert_events(
        "win", [s.get_events("win", limit=1)[0].replace(timestamp=T0 + 60 * H)]
    ),
    "replace event changes data": lambda s: s.insert_events(
        "win", [s.get_events("win", limit=1)[0].replace(data={"app": "changed"})]
    ),
    "afk event added": lambda s: s.insert_events("afk", [Event(T0 + 49 * H, H, {"status": "not-afk"})]),
    "delete bucket": lambda s: (
        s.delete_bucket("afk")
        or s.create_bucket(Bucket("afk", "afkstatus", "a", "h", 0), [Event(T0, H, {"status": "not-afk"})])
    ),
    "new bucket found first": lambda s: (
        s.create_bucket(Bucket("afj", "afkstatus", "a", "h", 0), [Event(T0, 72 * H, {"status": "not-afk"})])
        and s.create_bucket(Bucket("afk-0", "afkstatus", "a", "h", 0))
    ),
    "new bucket listed": lambda s: s.create_bucket(Bucket("zzz", "x", "x", "h", 0)),
    "import": lambda s: s.import_buckets(
        [(Bucket("win", "currentwindow", "w", "h", 0), [Event(T0 + 50 * H, H, {"app": "imported"})])]
    ),
    "forget an hour": lambda s: s.forget(T0 + 26 * H + H // 2, T0 + 27 * H),
    "update bucket": lambda s: s.update_bucket(Bucket("win", "currentwindow", "w", "other-host", 0)),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_kind_of_write_is_seen(api_store: Any, write: str) -> None:
    api, store = api_store
    before = cached(api)
    WRITES[write](store)
    after = cached(api)
    assert after == fresh(store)
    if write not in ("update bucket", "afk event added"):  # these two change no answer of QUERY
        assert after != before


def test_a_write_elsewhere_keeps_other_periods_cached(api_store: Any) -> None:
    api, store = api_store
    cached(api)
    hits = api.cache.hits
    store.insert_events("win", [Event(T0 + 30 * H, H, {"app": "mail"})])  # day 2 only
    assert cached(api) == fresh(store)
    assert api.cache.hits == hits + 2  # days 1 and 3 were still valid


def test_a_write_by_another_process_is_seen(api_store: Any, tmp_path: Path) -> None:
    api, store = api_store
    cached(api)
    with Store(tmp_path / "db.sqlite") as other:  # another connection, as the CLI or a second process
        other.insert_events("win", [Event(T0 + 3 * H, H, {"app": "elsewhere"})])
        other.delete_event("win", other.get_events("win", limit=1)[0].id)
    assert cached(api) == fresh(store)


def test_heartbeats_over_http_are_seen(live_server: LiveServer, http: httpx.Client) -> None:
    seed(live_server.store)
    body = {"query": QUERY.strip().splitlines(), "timeperiods": DAYS}
    first = http.post("/api/0/query/", json=body).json()
    beat = {"timestamp": "2024-05-02T05:00:00Z", "duration": 60, "data": {"app": "code"}}
    assert http.post("/api/0/buckets/win/heartbeat?pulsetime=120", json=beat).status_code == 200
    second = http.post("/api/0/query/", json=body).json()
    assert second != first and second == fresh(live_server.store)
    beat["timestamp"] = "2024-05-02T05:01:30Z"  # merges into the last one
    assert http.post("/api/0/buckets/win/heartbeat?pulsetime=120", json=beat).status_code == 200
    third = http.post("/api/0/query/", json=body).json()
    assert third != second and third == fresh(live_server.store)


operations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "heartbeat", "delete", "replace", "query"]),
        st.integers(0, 71),  # hour
        st.sampled_from(["code", "web", "mail"]),
    ),
    max_size=25,
)


@given(operations)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_writes_between_queries(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, str]]
) -> None:
    with Store(tmp_path_factory.mktemp("c") / "db.sqlite") as store:
        seed(store)
        api = make_api(store)
        cached(api)
        for op, hour, app in ops:
            if op == "insert":
                store.insert_events("win", [Event(T0 + hour * H, H // 2, {"app": app})])
            elif op == "heartbeat":
                store.heartbeat("win", Event(T0 + hour * H, S, {"app": app}), 2 * H)
            elif op == "delete" and (last := store.get_events("win", limit=1)):
                store.delete_event("win", last[0].id)
            elif op == "replace" and (last := store.get_events("win", limit=1)):
                store.insert_events("win", [last[0].replace(timestamp=T0 + hour * H)])
            else:
                assert cached(api) == fresh(store)
        assert cached(api) == fresh(store)


# ------------------------------------------------------------------- sharing across the periods of one request


def test_periods_of_a_request_share_data_and_categories(store: Store) -> None:
    """One request's periods share parsed data and categorize results (per rule set), and answer as
    if each period were asked alone."""
    seed(store)
    query = """
        w = query_bucket("win");
        work = categorize(w, [[["Work"], {"type": "regex", "regex": "code"}]]);
        other = categorize(w, [[["Web"], {"type": "regex", "regex": "web|code"}]]);
        tagged = tag(w, [["dev", {"type": "regex", "regex": "code"}]]);
        return {"work": work, "other": other, "tagged": tagged};
    """
    together = fresh(store, query, DAYS)
    alone = [fresh(store, query, [period])[0] for period in DAYS]
    assert together == alone
    categories = [(e["data"]["app"], e["data"]["$category"]) for day in together for e in day["work"]]
    assert sorted(categories) == [("code", ["Work"]), ("code", ["Work"]), ("web", ["Uncategorized"])]
    assert all(e["data"]["$category"] == ["Web"] for day in together for e in day["other"])  # not the first rules'
    assert sorted(e["data"]["$tags"] for day in together for e in day["tagged"]) == [[], ["dev"], ["dev"]]


def test_shared_parsing_gives_one_data_object_per_text(store: Store) -> None:
    seed(store)
    parsed: dict[str, Any] = {}
    day1 = store.get_events("win", T0, T0 + 24 * H, parsed=parsed)
    day2 = store.get_events("win", T0 + 24 * H, T0 + 48 * H, parsed=parsed)
    code1 = next(e for e in day1 if e.data["app"] == "code")
    assert day2[0].data == {"app": "code"} and day2[0].data is code1.data
    assert store.get_events("win", T0 + 24 * H, T0 + 48 * H)[0].data is not code1.data  # without: a new one


def test_categorize_memo_reuses_results_for_the_same_data() -> None:
    from activitywatch import transforms as t
    from activitywatch.transforms.regexes import UNLIMITED

    data = {"app": "code"}
    rules = [[["Work"], {"type": "regex", "regex": "code"}]]
    memo: dict[int, Any] = {}
    first = t.categorize([Event(T0, S, data)], rules, UNLIMITED, memo)
    second = t.categorize([Event(T0 + H, S, data), Event(T0 + 2 * H, S, {"app": "x"})], rules, UNLIMITED, memo)
    assert second[0].data is first[0].data and second[0].data == {"app": "code", "$category": ["Work"]}
    assert second[1].data["$category"] == ["Uncategorized"] and len(memo) == 2
    assert data == {"app": "code"}  # the input is not changed
