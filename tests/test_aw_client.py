"""The real aw-client (0.5.15, from PyPI) against our server, over loopback HTTP, checked against what was stored.

aw-client keeps a config file, a persistent request queue and a single-instance lock under the user's
folders: every test points HOME and the XDG folders into its own tmp_path before a client is built.
"""

from __future__ import annotations

import inspect
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import requests
from aw_client import ActivityWatchClient
from aw_client.client import RequestQueue
from aw_core.models import Event

from tests.conftest import DEVICE_ID, HOSTNAME, LiveServer, free_port, snapshot

JSON = {"Content-Type": "application/json"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
QUEUE_TIMEOUT = 15.0

# Every public method of ActivityWatchClient 0.5.15 and the test(s) that drive it.
COVERED = {
    "get_info": "test_get_info",
    "get_buckets": "test_create_bucket_twice_and_get_buckets",
    "create_bucket": "test_create_bucket_twice_and_get_buckets",
    "setup_bucket": "test_queued_heartbeats_are_pre_merged_and_delivered",
    "delete_bucket": "test_delete_bucket",
    "get_event": "test_insert_event_get_event_and_replace",
    "get_events": "test_get_events_limit_start_end",
    "insert_event": "test_insert_event_get_event_and_replace",
    "insert_events": "test_get_events_limit_start_end",
    "delete_event": "test_delete_event",
    "get_eventcount": "test_get_eventcount",
    "heartbeat": "test_heartbeats_merge_like_the_reference_rule",
    "export_all": "test_export_all_and_export_bucket",
    "export_bucket": "test_export_all_and_export_bucket",
    "import_bucket": "test_import_bucket_into_a_new_bucket_id",
    "get_setting": "test_settings",
    "set_setting": "test_settings",
    "connect": "test_queued_heartbeats_persist_across_client_instances",
    "disconnect": "test_queued_heartbeats_persist_across_client_instances",
    "wait_for_start": "test_wait_for_start",
    "query": "test_query_canonical_time_per_app",
}
NOT_TESTED: set[str] = set()


# ---------------------------------------------------------------------------------------------- helpers


def ns(moment: datetime) -> int:
    """An aware datetime as integer nanoseconds since the epoch (exact, no floats)."""
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def stored(live_server: LiveServer, bucket_id: str) -> list[tuple[int, int, dict[str, Any]]]:
    """The bucket's events in the store, newest first: (start ns, duration ns, data)."""
    return [(e.timestamp, e.duration, dict(e.data)) for e in live_server.store.get_events(bucket_id)]


def post_json(http: httpx.Client, path: str, body: object) -> httpx.Response:
    return http.post(path, content=orjson.dumps(body), headers=JSON)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = QUEUE_TIMEOUT) -> None:
    """Poll `condition` until it holds; used only for aw-client's asynchronous request-queue thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def aw_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG folders inside tmp_path, so aw-client's config, queue and locks stay in the test."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("AW_PROFILE", raising=False)
    return home


ClientFactory = Callable[..., ActivityWatchClient]


@pytest.fixture
def make_client(live_server: LiveServer, aw_home: Path, request: pytest.FixtureRequest) -> Iterator[ClientFactory]:
    """Builds clients for the live server; stops their queue threads and releases their locks afterwards."""
    clients: list[ActivityWatchClient] = []

    def make(name: str | None = None, **kwargs: Any) -> ActivityWatchClient:
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", live_server.port)
        client = ActivityWatchClient(name or f"aw-test-{request.node.name}-{len(clients)}", **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        release(client)
    leaked = [t.name for t in threading.enumerate() if isinstance(t, RequestQueue)]
    assert not leaked, f"aw-client queue threads still running: {leaked}"


def release(client: ActivityWatchClient) -> None:
    """Stop the client's queue thread (if it ever started) and release its single-instance lock."""
    queue = client.request_queue
    if queue.ident is not None:
        client.disconnect()
        assert not queue.is_alive(), "aw-client's request-queue thread did not stop"
    fp = getattr(client.instance, "fp", None)
    if fp is not None and not fp.closed:
        fp.close()


def client_port(client: ActivityWatchClient) -> int:
    return int(client.server_address.rsplit(":", 1)[1])


def aw_event(moment: datetime, duration: float | timedelta = 0, **data: Any) -> Event:
    return Event(timestamp=moment, duration=duration, data=data)


# ---------------------------------------------------------------------------------------------- the client itself


def test_every_public_method_is_covered() -> None:
    public = {
        name for name, member in inspect.getmembers(ActivityWatchClient, inspect.isfunction) if not name.startswith("_")
    }
    assert public == set(COVERED) | NOT_TESTED
    assert set(COVERED.values()) <= {name for name in globals() if name.startswith("test_")}


def test_client_keeps_its_files_under_the_test_folders(make_client: ClientFactory, aw_home: Path) -> None:
    client = make_client("aw-test-files")
    queue_file = aw_home / "data" / "activitywatch" / "aw-client" / "queued" / "aw-test-files.v1.persistqueue"
    lock_file = (
        aw_home / "cache" / "activitywatch" / "client_locks" / f"aw-test-files-at-127.0.0.1-on-{client_port(client)}"
    )
    config_file = aw_home / "config" / "activitywatch" / "aw-client" / "aw-client.toml"
    assert queue_file.exists()
    assert lock_file.exists()
    assert config_file.exists()


def test_client_reads_host_and_port_from_its_config_file(
    live_server: LiveServer, aw_home: Path, make_client: ClientFactory
) -> None:
    config_dir = aw_home / "config" / "activitywatch" / "aw-client"
    config_dir.mkdir(parents=True)
    (config_dir / "aw-client.toml").write_text(
        f'[server]\nhostname = "127.0.0.1"\nport = "{live_server.port}"\n\n[client]\ncommit_interval = 3\n\n'
        f'[server-testing]\nhostname = "localhost"\nport = "{live_server.port}"\n'
    )
    client = make_client("aw-test-config", host=None, port=None)
    assert client.server_address == live_server.url
    assert client.commit_interval == 3
    assert client.get_info()["device_id"] == DEVICE_ID
    testing = make_client("aw-test-config-testing", host=None, port=None, testing=True)
    assert testing.server_address == f"http://localhost:{live_server.port}"
    assert testing.commit_interval == 5  # [client-testing] default
    assert testing.get_info()["hostname"] == HOSTNAME


def test_get_info(make_client: ClientFactory, http: httpx.Client) -> None:
    info = make_client().get_info()
    assert info == {"hostname": HOSTNAME, "version": "v0.0.0-test", "testing": False, "device_id": DEVICE_ID}
    assert info == http.get("/api/0/info").json()


def test_wait_for_start(make_client: ClientFactory) -> None:
    started = time.monotonic()
    assert make_client().wait_for_start(timeout=5) is None
    assert time.monotonic() - started < 1.0
    nobody = make_client("aw-test-nobody", port=free_port())
    with pytest.raises(Exception, match="did not start in time"):
        nobody.wait_for_start(timeout=1)


# ---------------------------------------------------------------------------------------------- buckets


def test_create_bucket_twice_and_get_buckets(
    make_client: ClientFactory, live_server: LiveServer, http: httpx.Client
) -> None:
    client = make_client("aw-watcher-test")
    assert client.create_bucket("aw-watcher-test_h", "currentwindow") is None
    bucket = live_server.store.get_bucket("aw-watcher-test_h").bucket
    assert (bucket.client, bucket.type, bucket.hostname) == ("aw-watcher-test", "currentwindow", socket.gethostname())
    before = snapshot(live_server.store)
    # The same request again: the server answers 304, which aw-client must not raise on.
    assert client.create_bucket("aw-watcher-test_h", "currentwindow") is None
    assert snapshot(live_server.store) == before
    body = {"client": "aw-watcher-test", "hostname": socket.gethostname(), "type": "currentwindow"}
    assert post_json(http, "/api/0/buckets/aw-watcher-test_h", body).status_code == 304
    client.create_bucket("other", "afkstatus")
    buckets = client.get_buckets()
    assert set(buckets) == {"aw-watcher-test_h", "other"}
    assert buckets == http.get("/api/0/buckets/").json()
    assert buckets["other"]["type"] == "afkstatus"
    assert buckets["other"]["client"] == "aw-watcher-test"


def test_delete_bucket(make_client: ClientFactory, live_server: LiveServer, http: httpx.Client) -> None:
    client = make_client()
    for bucket_id in ("forced", "plain"):
        client.create_bucket(bucket_id, "currentwindow")
        client.insert_event(bucket_id, aw_event(T0, 1, app="x"))
    client.delete_bucket("forced", force=True)
    client.delete_bucket("plain")  # without ?force=1, as aw-server-rust allows
    assert [b.bucket.id for b in live_server.store.list_buckets()] == []
    assert http.get("/api/0/buckets/forced").status_code == 404
    with pytest.raises(requests.HTTPError) as err:
        client.delete_bucket("forced", force=True)
    assert err.value.response.status_code == 404


# ---------------------------------------------------------------------------------------------- events


def test_insert_event_get_event_and_replace(
    make_client: ClientFactory, live_server: LiveServer, http: httpx.Client
) -> None:
    client = make_client()
    client.create_bucket("b", "currentwindow")
    moment = datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)
    data = {"app": "Firefox", "title": "ünïcödé ✓", "nested": {"n": [1, 2.5, None, True]}}
    assert client.insert_event("b", aw_event(moment, 1.5, **data)) is None
    assert stored(live_server, "b") == [(ns(moment), 1_500_000_000, data)]
    [listed] = client.get_events("b")
    assert isinstance(listed.id, int)
    assert listed.timestamp == moment
    assert listed.duration == timedelta(seconds=1.5)
    assert listed.data == data
    fetched = client.get_event("b", listed.id)
    assert fetched is not None
    assert fetched == listed
    assert fetched.id == listed.id
    assert http.get(f"/api/0/buckets/b/events/{listed.id}").json() == {
        "id": listed.id,
        "timestamp": "2024-05-01T12:30:15.250Z",
        "duration": 1.5,
        "data": data,
    }
    # An event sent back with its id replaces the stored one (how the web UI edits events).
    fetched.data = {"app": "Firefox", "title": "edited"}
    fetched.duration = timedelta(seconds=3)
    client.insert_event("b", fetched)
    assert stored(live_server, "b") == [(ns(moment), 3_000_000_000, {"app": "Firefox", "title": "edited"})]
    assert client.get_event("b", listed.id) == fetched


def test_get_event_that_does_not_exist(make_client: ClientFactory) -> None:
    client = make_client()
    client.create_bucket("b", "currentwindow")
    # aw-client 0.5.15 means to return None on 404 but tests `if e.response and ...`, and a 404 Response is
    # falsy, so the HTTPError escapes. What matters here: our server answers 404.
    with pytest.raises(requests.HTTPError) as err:
        client.get_event("b", 12345)
    assert err.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as err:
        client.get_event("no-such-bucket", 1)
    assert err.value.response.status_code == 404


def test_get_events_limit_start_end(make_client: ClientFactory, live_server: LiveServer) -> None:
    client = make_client()
    client.create_bucket("b", "currentwindow")
    events = [aw_event(T0 + timedelta(seconds=10 * i), 10, n=i) for i in range(5)]
    assert client.insert_events("b", events) is None
    assert stored(live_server, "b") == [(ns(T0) + 10 * i * 10**9, 10 * 10**9, {"n": i}) for i in reversed(range(5))]

    everything = client.get_events("b")
    assert [e.data["n"] for e in everything] == [4, 3, 2, 1, 0]  # newest first
    assert [e.timestamp for e in everything] == [T0 + timedelta(seconds=10 * i) for i in reversed(range(5))]
    assert all(e.duration == timedelta(seconds=10) for e in everything)
    assert [e.data["n"] for e in client.get_events("b", limit=2)] == [4, 3]
    assert client.get_events("b", limit=0) == []

    # A window in another time zone with microseconds: events overlapping it, clipped to it, exactly.
    ist = timezone(timedelta(hours=5, minutes=30))
    start = (T0 + timedelta(seconds=12, microseconds=345678)).astimezone(ist)
    end = (T0 + timedelta(seconds=31, microseconds=1)).astimezone(ist)
    window = client.get_events("b", start=start, end=end)
    assert [e.data["n"] for e in window] == [3, 2, 1]
    assert [e.duration for e in window] == [
        timedelta(seconds=1, microseconds=1),
        timedelta(seconds=10),
        timedelta(seconds=7, microseconds=654322),
    ]
    # aw_core cuts timestamps it parses to milliseconds; the server sent the clipped start to the microsecond.
    assert window[2].timestamp == T0 + timedelta(seconds=12, microseconds=345000)
    raw = httpx.get(
        f"{live_server.url}/api/0/buckets/b/events", params={"start": start.isoformat(), "end": end.isoformat()}
    ).json()
    assert raw[2]["timestamp"] == "2024-05-01T10:00:12.345678Z"
    assert [e.data["n"] for e in client.get_events("b", limit=1, start=start, end=end)] == [3]
    # Naive datetimes are sent without an offset, which the server reads as UTC.
    naive = client.get_events("b", start=(T0 + timedelta(seconds=41)).replace(tzinfo=None))
    assert [(e.data["n"], e.duration) for e in naive] == [(4, timedelta(seconds=9))]


def test_microsecond_timestamps_round_trip(
    make_client: ClientFactory, live_server: LiveServer, http: httpx.Client
) -> None:
    client = make_client()
    client.create_bucket("b", "currentwindow")
    # What aw-client sends (it cuts timestamps to ms itself; durations keep microseconds) comes back equal.
    sent = aw_event(datetime(2024, 5, 1, 12, 0, 0, 999000, tzinfo=UTC), timedelta(microseconds=1_234_567), k=1)
    client.insert_event("b", sent)
    [back] = client.get_events("b")
    assert back == sent
    assert stored(live_server, "b") == [(ns(sent.timestamp), 1_234_567_000, {"k": 1})]
    # Microseconds (and nanoseconds) stored through HTTP are kept by the server and sent back exactly.
    raw = [
        {"timestamp": "2024-05-01T13:00:00.123456Z", "duration": 0.000001, "data": {"k": 2}},
        {"timestamp": "2024-05-01T14:00:00.987654321Z", "duration": 2.5, "data": {"k": 3}},
    ]
    assert post_json(http, "/api/0/buckets/b/events", raw).status_code == 200
    assert [e[:2] for e in stored(live_server, "b")[:2]] == [
        (ns(datetime(2024, 5, 1, 14, 0, 0, tzinfo=UTC)) + 987_654_321, 2_500_000_000),
        (ns(datetime(2024, 5, 1, 13, 0, 0, 123456, tzinfo=UTC)), 1000),
    ]
    wire = http.get("/api/0/buckets/b/events", params={"limit": 2}).json()
    assert [e["timestamp"] for e in wire] == ["2024-05-01T14:00:00.987654321Z", "2024-05-01T13:00:00.123456Z"]
    # aw-client parses both forms (iso8601 keeps microseconds, aw_core then cuts to milliseconds).
    newest, micro = client.get_events("b", limit=2)
    assert newest.timestamp == datetime(2024, 5, 1, 14, 0, 0, 987000, tzinfo=UTC)
    assert newest.duration == timedelta(seconds=2.5)
    assert micro.timestamp == datetime(2024, 5, 1, 13, 0, 0, 123000, tzinfo=UTC)
    assert micro.duration == timedelta(microseconds=1)
    assert micro.timestamp.utcoffset() == timedelta(0)


def test_delete_event(make_client: ClientFactory, live_server: LiveServer, http: httpx.Client) -> None:
    client = make_client()
    client.create_bucket("b", "currentwindow")
    client.insert_events("b", [aw_event(T0, 1, n=1), aw_event(T0 + timedelta(seconds=5), 1, n=2)])
    first, second = sorted(live_server.store.get_events("b"), key=lambda e: e.timestamp)
    assert first.id is not None
    assert client.delete_event("b", first.id) is None
    assert [e.id for e in live_server.store.get_events("b")] == [second.id]
    assert http.get(f"/api/0/buckets/b/events/{first.id}").status_code == 404
    client.delete_event("b", first.id)  # deleting it again is harmless
    assert [e.id for e in live_server.store.get_events("b")] == [second.id]
    with pytest.raises(requests.HTTPError) as err:
        client.delete_event("no-such-bucket", 1)
    assert err.value.response.status_code == 404


def test_get_eventcount(make_client: ClientFactory, live_server: LiveServer) -> None:
    client = make_client()
    client.create_bucket("b", "currentwindow")
    assert client.get_eventcount("b") == 0
    client.insert_events("b", [aw_event(T0 + timedelta(seconds=10 * i), 5, n=i) for i in range(6)])
    assert client.get_eventcount("b") == 6 == live_server.store.count_events("b")
    start = T0 + timedelta(seconds=12)
    end = (T0 + timedelta(seconds=31)).astimezone(timezone(timedelta(hours=-7)))
    # Events [0, 5], [10, 15], ..., [50, 55] s; overlapping [12 s, 31 s]: those starting at 10, 20 and 30 s.
    assert client.get_eventcount("b", start=start, end=end) == 3
    assert client.get_eventcount("b", start=start, end=end) == live_server.store.count_events("b", ns(start), ns(end))
    assert client.get_eventcount("b", start=T0 + timedelta(seconds=55)) == 1
    assert client.get_eventcount("b", start=T0 + timedelta(seconds=56)) == 0
    assert client.get_eventcount("b", end=T0) == 1


def test_query_canonical_time_per_app(make_client: ClientFactory, live_server: LiveServer) -> None:
    """aw-client's query(): the docs' canonical query, two timeperiods (one in another zone), and its cache flag."""
    client = make_client()
    client.create_bucket("win", "currentwindow")
    client.create_bucket("afk", "afkstatus")
    apps = ["Editor", "Browser", "Editor", "Terminal", "Editor"]
    client.insert_events("win", [aw_event(T0 + timedelta(minutes=i), 60, app=a) for i, a in enumerate(apps)])
    client.insert_events(
        "afk",
        [
            aw_event(T0, 150, status="not-afk"),
            aw_event(T0 + timedelta(seconds=150), 90, status="afk"),
            aw_event(T0 + timedelta(seconds=240), 60, status="not-afk"),
        ],
    )
    query = "\n".join(
        [
            'afk = query_bucket("afk");',
            'win = query_bucket("win");',
            'not_afk = filter_keyvals(afk, "status", ["not-afk"]);',
            "win = filter_period_intersect(win, not_afk);",
            'RETURN = sort_by_duration(merge_events_by_keys(win, ["app"]));',
        ]
    )
    later = timezone(timedelta(hours=5, minutes=30))
    periods = [(T0, T0 + timedelta(hours=1)), ((T0 + timedelta(minutes=4)).astimezone(later), T0 + timedelta(hours=1))]
    first, second = client.query(query, periods, name="per-app", cache=True)
    # not-afk [0, 150] and [240, 300] s: Editor 60 + 30 + 60, Browser 60, Terminal [180, 240] none.
    assert [(e["data"]["app"], e["duration"]) for e in first] == [("Editor", 150.0), ("Browser", 60.0)]
    assert [(e["data"]["app"], e["duration"]) for e in second] == [("Editor", 60.0)]


# ---------------------------------------------------------------------------------------------- heartbeats


def test_heartbeats_merge_like_the_reference_rule(make_client: ClientFactory, live_server: LiveServer) -> None:
    """Non-queued heartbeats: each one goes straight to the server, which merges or inserts it."""
    client = make_client()
    client.create_bucket("hb", "currentwindow")
    a, b = {"app": "Editor"}, {"app": "Browser"}
    s = 10**9

    def beat(offset: float, data: dict[str, Any], duration: float = 0, pulsetime: float = 10) -> None:
        moment = T0 + timedelta(seconds=offset)
        assert client.heartbeat("hb", Event(timestamp=moment, duration=duration, data=dict(data)), pulsetime) is None

    beat(0, a)
    assert stored(live_server, "hb") == [(ns(T0), 0, a)]
    beat(5, a)  # same data, within pulsetime: merged, the event now lasts until the heartbeat
    assert stored(live_server, "hb") == [(ns(T0), 5 * s, a)]
    beat(15, a)  # exactly last end + pulsetime: still merged (the window is inclusive)
    assert stored(live_server, "hb") == [(ns(T0), 15 * s, a)]
    beat(3, a, duration=2)  # inside the event and ending before its end: merged, nothing changes
    assert stored(live_server, "hb") == [(ns(T0), 15 * s, a)]
    beat(25.001, a)  # 10.001 s after the end with pulsetime 10: a new event
    assert stored(live_server, "hb") == [(ns(T0) + 25_001_000_000, 0, a), (ns(T0), 15 * s, a)]
    beat(26, b, pulsetime=60)  # other data: a new event
    beat(20, b, pulsetime=60)  # older than the last event: inserted, never merged
    beat(26.5, b, duration=2, pulsetime=60)  # merges into the newest event (the one with the latest start)
    beat(28.5, b, pulsetime=0)  # pulsetime 0: merges only at or before the end (here exactly at the end)
    assert stored(live_server, "hb") == [
        (ns(T0) + 26 * s, 2_500_000_000, b),
        (ns(T0) + 25_001_000_000, 0, a),
        (ns(T0) + 20 * s, 0, b),
        (ns(T0), 15 * s, a),
    ]
    beat(28.6, b, pulsetime=0.05)
    assert stored(live_server, "hb")[0] == (ns(T0) + 28_600_000_000, 0, b)
    # What aw-client reads back matches the store.
    assert [(e.timestamp, e.duration, e.data) for e in client.get_events("hb", limit=2)] == [
        (T0 + timedelta(seconds=28.6), timedelta(0), b),
        (T0 + timedelta(seconds=26), timedelta(seconds=2.5), b),
    ]


def test_queued_heartbeats_are_pre_merged_and_delivered(make_client: ClientFactory, live_server: LiveServer) -> None:
    """heartbeat(queued=True): aw-client merges locally and queues a request only when the merged event
    reaches commit_interval (10 s by default) or the data changes; its queue thread then sends them."""
    client = make_client("aw-watcher-queued")
    assert client.commit_interval == 10
    client.setup_bucket("queued_h", "afkstatus")  # = create_bucket(queued=True): created once connected
    assert [b.bucket.id for b in live_server.store.list_buckets()] == []
    active, idle = {"status": "not-afk"}, {"status": "afk"}

    def beat(offset: int, data: dict[str, Any]) -> None:
        event = Event(timestamp=T0 + timedelta(seconds=offset), data=dict(data))
        assert client.heartbeat("queued_h", event, pulsetime=5, queued=True) is None

    for second in range(13):  # 0..12 s: at 10 s the pre-merged event reaches 10 s and is queued
        beat(second, active)
    beat(13, idle)  # data changes: the pending active event (10..12 s) is queued
    beat(14, idle)
    beat(15, active)  # data changes: the pending idle event (13..14 s) is queued; 15 s stays pending
    assert client.request_queue._persistqueue.qsize() == 3
    assert [b.bucket.id for b in live_server.store.list_buckets()] == []

    with client:  # connect(): the queue thread creates the bucket and sends the queued heartbeats
        expected = [
            (ns(T0) + 13 * 10**9, 1 * 10**9, idle),
            (ns(T0), 12 * 10**9, active),  # 0..10 s, then 10..12 s merged into it by the server
        ]

        def delivered() -> bool:
            buckets = [b.bucket.id for b in live_server.store.list_buckets()]
            return buckets == ["queued_h"] and live_server.store.count_events("queued_h") == 2

        wait_until(delivered, "the queued heartbeats to arrive")
        wait_until(lambda: client.request_queue._persistqueue.qsize() == 0, "the queue to drain")
        assert stored(live_server, "queued_h") == expected
    bucket = live_server.store.get_bucket("queued_h").bucket
    assert (bucket.client, bucket.type, bucket.hostname) == ("aw-watcher-queued", "afkstatus", socket.gethostname())
    # The last heartbeat is only pending in memory; nothing else was queued or sent.
    assert client.request_queue._persistqueue.qsize() == 0
    assert stored(live_server, "queued_h") == expected


def test_queued_heartbeats_persist_across_client_instances(
    make_client: ClientFactory, live_server: LiveServer, http: httpx.Client
) -> None:
    """Heartbeats queued by a client that never connected are sent by the next client of the same name;
    the registered bucket already exists, so the thread's create gets a 304 and must carry on."""
    body = {"client": "aw-watcher-persist", "hostname": socket.gethostname(), "type": "currentwindow"}
    assert post_json(http, "/api/0/buckets/persist_h", body).status_code == 200
    first = make_client("aw-watcher-persist")
    events = [({"app": "a"}, 0), ({"app": "a"}, 3), ({"app": "b"}, 4), ({"app": "c"}, 6)]
    for data, offset in events:
        first.heartbeat("persist_h", Event(timestamp=T0 + timedelta(seconds=offset), data=data), 5, queued=True)
    assert first.request_queue._persistqueue.qsize() == 2  # a (0..3 s), b (4 s); c stays pending
    release(first)  # never connected: the requests stay on disk only

    second = make_client("aw-watcher-persist")
    second.create_bucket("persist_h", "currentwindow", queued=True)
    second.connect()
    assert second.request_queue.is_alive()
    wait_until(lambda: live_server.store.count_events("persist_h") == 2, "the persisted heartbeats to arrive")
    second.disconnect()
    assert second.request_queue._persistqueue.qsize() == 0
    assert stored(live_server, "persist_h") == [
        (ns(T0) + 4 * 10**9, 0, {"app": "b"}),
        (ns(T0), 3 * 10**9, {"app": "a"}),
    ]


# ---------------------------------------------------------------------------------------------- export and import


def fill(client: ActivityWatchClient) -> None:
    client.create_bucket("window", "currentwindow")
    client.create_bucket("afk", "afkstatus")
    client.insert_events("window", [aw_event(T0 + timedelta(seconds=i), 0.5, app=f"app{i}") for i in range(3)])
    client.insert_event("afk", aw_event(T0, 60, status="not-afk"))


def test_export_all_and_export_bucket(make_client: ClientFactory, live_server: LiveServer, http: httpx.Client) -> None:
    client = make_client()
    fill(client)
    everything = client.export_all()
    assert everything == http.get("/api/0/export").json()
    assert set(everything) == {"buckets"}
    assert set(everything["buckets"]) == {"window", "afk"}
    window = everything["buckets"]["window"]
    assert (window["id"], window["type"], window["client"]) == ("window", "currentwindow", client.client_name)
    assert window["hostname"] == socket.gethostname()
    exported = [Event(**e) for e in window["events"]]
    assert [(ns(e.timestamp), e.duration, e.data) for e in exported] == [
        (ns(T0) + i * 10**9, timedelta(seconds=0.5), {"app": f"app{i}"}) for i in range(3)
    ]
    assert [e.id for e in exported] == [e.id for e in reversed(live_server.store.get_events("window"))]
    one = client.export_bucket("afk")
    assert one == {"buckets": {"afk": everything["buckets"]["afk"]}}
    assert one == http.get("/api/0/buckets/afk/export").json()
    with pytest.raises(requests.HTTPError) as err:
        client.export_bucket("no-such-bucket")
    assert err.value.response.status_code == 404


def test_import_bucket_into_a_new_bucket_id(make_client: ClientFactory, live_server: LiveServer) -> None:
    client = make_client()
    fill(client)
    bucket = client.export_bucket("window")["buckets"]["window"]
    bucket["id"] = "window-copy"
    assert client.import_bucket(bucket) is None
    copy = live_server.store.get_bucket("window-copy").bucket
    original = live_server.store.get_bucket("window").bucket
    assert (copy.type, copy.client, copy.hostname, copy.created) == (
        original.type,
        original.client,
        original.hostname,
        original.created,
    )
    assert stored(live_server, "window-copy") == stored(live_server, "window")
    copied_ids = {e.id for e in live_server.store.get_events("window-copy")}
    assert copied_ids.isdisjoint(e.id for e in live_server.store.get_events("window"))
    assert len(stored(live_server, "window")) == 3


def test_import_bucket_into_an_existing_bucket_merges_without_duplicates(
    make_client: ClientFactory, live_server: LiveServer
) -> None:
    client = make_client()
    fill(client)
    bucket = client.export_bucket("window")["buckets"]["window"]
    before = stored(live_server, "window")
    client.import_bucket(bucket)  # the same events again: nothing new
    assert stored(live_server, "window") == before
    extra = aw_event(T0 + timedelta(seconds=100), 2, app="new")
    bucket["events"].append(extra.to_json_dict())
    bucket["events"].append(aw_event(T0 + timedelta(seconds=1), 0.5, app="app1 (other data)").to_json_dict())
    client.import_bucket(bucket)
    # Newest first; the two events starting at 1 s end together too, so the newer id comes first.
    assert stored(live_server, "window") == [
        (ns(T0) + 100 * 10**9, 2 * 10**9, {"app": "new"}),
        before[0],
        (ns(T0) + 10**9, 500_000_000, {"app": "app1 (other data)"}),
        *before[1:],
    ]
    after = snapshot(live_server.store)
    client.import_bucket(bucket)  # and once more: still no duplicates
    assert snapshot(live_server.store) == after
    assert live_server.store.count_events("window") == 5
    assert len(stored(live_server, "afk")) == 1


# ---------------------------------------------------------------------------------------------- settings


def test_settings(make_client: ClientFactory, live_server: LiveServer, http: httpx.Client) -> None:
    client = make_client()
    values: dict[str, Any] = {
        "startPage": "/activity",
        "classes": [{"name": ["Work"], "rule": {"type": "regex", "regex": "Editor"}}],
        "durationDefault": 14400,
        "landingpage": {"nested": {"deep": [1, 2.5, None]}},
        "useColorFallback": False,  # a falsy value is stored (aw-server-rust), not deleted (aw-server python)
        "emptyText": "",
    }
    for key, value in values.items():
        assert client.set_setting(key, value) is None
    for key, value in values.items():
        assert client.get_setting(key) == value
    assert client.get_setting() == values
    assert live_server.store.get_settings() == values
    assert http.get("/api/0/settings").json() == values
    assert client.get_setting("never-set") is None
    client.set_setting("startPage", "/timeline")
    assert client.get_setting("startPage") == "/timeline"
