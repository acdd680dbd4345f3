"""Privacy: filters applied before anything is stored (every ingest path), and forgetting a time range."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aw_core.models import Event as AwEvent

from activitywatch.core.errors import InvalidInput, NotFound
from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.store.database import scalar
from tests.conftest import LiveServer, run_cli, snapshot
from tests.test_aw_client import T0, ClientFactory, aw_home, make_client, wait_until  # noqa: F401 - fixtures

S = 1_000_000_000
BASE = 1_714_521_600 * S  # 2024-05-01T00:00:00Z
JSON = {"Content-Type": "application/json"}
PRIVATE = {"title": "secret tab", "url": "https://example.org", "incognito": True}
PUBLIC = {"title": "news", "url": "https://news.example", "incognito": False}


def wire(offset_s: float, data: dict[str, Any], duration: float = 1) -> dict[str, Any]:
    ts = f"2024-05-01T00:00:{offset_s:06.3f}Z"
    return {"timestamp": ts, "duration": duration, "data": data}


def titles(store: Store, bucket_id: str) -> list[Any]:
    return [e.data.get("title") for e in reversed(store.get_events(bucket_id))]


@pytest.fixture
def web(live_server: LiveServer, http: httpx.Client) -> str:
    r = http.post(
        "/api/0/buckets/aw-watcher-web-firefox_h",
        json={"client": "aw-watcher-web", "type": "web.tab.current", "hostname": "h"},
    )
    assert r.status_code == 200
    return "aw-watcher-web-firefox_h"


# ---------------------------------------------------------------------------- incognito, by default


def test_private_heartbeats_are_dropped_by_default(live_server: LiveServer, http: httpx.Client, web: str) -> None:
    first = http.post(f"/api/0/buckets/{web}/heartbeat?pulsetime=10", json=wire(0, PUBLIC)).json()
    r = http.post(f"/api/0/buckets/{web}/heartbeat?pulsetime=10", json=wire(2, PRIVATE))
    assert r.status_code == 200
    assert r.json() == first  # answered with the last stored event, as a merge would be
    assert titles(live_server.store, web) == ["news"]
    assert "secret" not in json.dumps(live_server.store.get_events(web), default=str)


def test_private_events_are_dropped_on_insert_create_and_import(
    live_server: LiveServer, http: httpx.Client, web: str
) -> None:
    r = http.post(f"/api/0/buckets/{web}/events", json=[wire(0, PUBLIC), wire(5, PRIVATE), wire(9, PUBLIC)])
    assert r.status_code == 200 and [e["data"]["title"] for e in r.json()] == ["news", "news"]
    r = http.post(
        "/api/0/buckets/fresh",
        json={"client": "c", "type": "t", "hostname": "h", "events": [wire(1, PRIVATE), wire(3, PUBLIC)]},
    )
    assert r.status_code == 200 and titles(live_server.store, "fresh") == ["news"]
    doc = {"buckets": {"imported": {"id": "imported", "client": "c", "type": "t", "hostname": "h",
                                    "events": [wire(1, PRIVATE), wire(2, PUBLIC), wire(3, PRIVATE)]}}}  # fmt: skip
    r = http.post("/api/0/import", json=doc)
    assert r.status_code == 200, r.text
    assert (r.json()["events_imported"], r.json()["events_filtered"]) == (1, 2)
    assert titles(live_server.store, "imported") == ["news"]


def test_the_command_line_import_filters_too(tmp_path: Path) -> None:
    doc = {
        "buckets": {
            "b": {"id": "b", "client": "c", "type": "t", "hostname": "h", "events": [wire(1, PRIVATE), wire(2, PUBLIC)]}
        }
    }
    (tmp_path / "in.json").write_text(json.dumps(doc))
    result = run_cli(["--data-dir", str(tmp_path / "d"), "import", str(tmp_path / "in.json")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 dropped by privacy filters" in result.stderr
    with Store(tmp_path / "d" / "activitywatch.db") as store:
        assert titles(store, "b") == ["news"]


def test_queued_aw_client_heartbeats_are_filtered(make_client: ClientFactory, live_server: LiveServer) -> None:  # noqa: F811
    client = make_client("aw-watcher-web-queued")
    client.setup_bucket("queued_web", "web.tab.current")
    for second, data in ((0, PUBLIC), (20, PRIVATE), (40, PUBLIC | {"title": "later"})):
        client.heartbeat(
            "queued_web", AwEvent(timestamp=T0 + timedelta(seconds=second), data=dict(data)), pulsetime=1, queued=True
        )
    with client:
        wait_until(lambda: titles_or_none(live_server.store) == ["news"], "the public heartbeats to arrive")
    assert titles(live_server.store, "queued_web") == ["news"]


def titles_or_none(store: Store) -> list[Any] | None:
    try:
        return titles(store, "queued_web")
    except NotFound:
        return None


# ---------------------------------------------------------------------------- rules the user sets


def set_rules(http: httpx.Client, rules: Any) -> httpx.Response:
    return http.post("/api/0/settings/privacy_filters", json=rules)


def test_drop_and_redact_rules_by_bucket_and_field(live_server: LiveServer, http: httpx.Client, web: str) -> None:
    rules = [
        {"bucket_prefix": "aw-watcher-web", "field": "url", "pattern": "bank\\.example", "action": "drop"},
        {"bucket_prefix": "aw-watcher-window", "field": "title", "pattern": "(?i)diagnosis", "action": "redact",
         "replacement": "private"},
        {"field": "meta.account", "pattern": ".", "action": "redact"},
        {"enabled": False, "field": "title", "pattern": "news", "action": "drop"},
    ]  # fmt: skip
    assert set_rules(http, rules).status_code == 201
    http.post("/api/0/buckets/aw-watcher-window_h", json={"client": "w", "type": "currentwindow", "hostname": "h"})
    web_events = [
        wire(0, {"title": "a", "url": "https://bank.example/login"}),
        wire(2, {"title": "news", "url": "https://news.example"}),
    ]
    http.post(f"/api/0/buckets/{web}/events", json=web_events)
    window = "aw-watcher-window_h"
    http.post(f"/api/0/buckets/{window}/events", json=[wire(0, {"app": "x", "title": "My Diagnosis.pdf"}),
                                                       wire(2, {"app": "x", "title": "bank.example"}),
                                                       wire(4, {"app": "y", "meta": {"account": "me@x"}})])  # fmt: skip
    assert titles(live_server.store, web) == ["news"]  # dropped by url; the disabled rule did nothing
    stored = [e.data for e in reversed(live_server.store.get_events(window))]
    assert stored == [
        {"app": "x", "title": "private"},  # redacted title
        {"app": "x", "title": "bank.example"},  # the url rule is for web buckets only
        {"app": "y", "meta": {"account": "redacted"}},  # a dotted path, default replacement
    ]
    # the incognito default is replaced by the user's list: no rule about it now
    http.post(f"/api/0/buckets/{web}/events", json=[wire(8, PRIVATE)])
    assert titles(live_server.store, web) == ["news", "secret tab"]


def test_preview_counts_what_rules_would_have_done(live_server: LiveServer, http: httpx.Client, web: str) -> None:
    window = "aw-watcher-window_h"
    http.post(f"/api/0/buckets/{window}", json={"client": "w", "type": "currentwindow", "hostname": "h"})
    web_events = [
        wire(0, {"title": "a", "url": "https://bank.example/x"}),
        wire(2, {"title": "b", "url": "https://news.example"}),
        wire(4, {"title": "c", "url": "https://bank.example/y"}),
    ]
    http.post(f"/api/0/buckets/{web}/events", json=web_events)
    window_events = [wire(0, {"app": "x", "title": "Diagnosis.pdf"}), wire(2, {"app": "x", "title": "notes"})]
    http.post(f"/api/0/buckets/{window}/events", json=window_events)
    before = snapshot(live_server.store)
    rules = [
        {"bucket_prefix": "aw-watcher-web", "field": "url", "pattern": "bank", "action": "drop"},
        {"field": "title", "pattern": "(?i)diagnosis", "action": "redact"},
        {"field": "title", "pattern": ".", "action": "drop", "enabled": False},
    ]
    day = {"start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"}
    r = http.post("/api/0/privacy/preview", json={"filters": rules, **day})
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["checked"], result["dropped"], result["redacted"], result["truncated"]) == (5, 2, 1, False)
    samples = {(s["bucket"], s["action"], s["field"], s["value"]) for s in result["samples"]}
    assert samples == {
        (web, "drop", "url", "https://bank.example/x"),
        (web, "drop", "url", "https://bank.example/y"),
        (window, "redact", "title", "Diagnosis.pdf"),
    }
    assert all(s["timestamp"].startswith("2024-05-01T00:00:0") for s in result["samples"])
    # the default range is the last 24 hours: these events are older
    assert http.post("/api/0/privacy/preview", json={"filters": rules}).json()["checked"] == 0
    assert snapshot(live_server.store) == before  # a preview changes nothing
    assert http.get("/api/0/settings/privacy_filters").json() is None


def test_rules_apply_to_the_built_in_watchers_path(store: Store) -> None:
    """The watchers write through Store.heartbeat: the same filters apply there."""
    store.set_setting(
        "privacy_filters", [{"bucket_prefix": "aw-watcher-window", "field": "app", "pattern": "^keepassxc$"}]
    )
    store.create_bucket(Bucket("aw-watcher-window_h", "currentwindow", "aw-watcher-window", "h", 0))
    kept = store.heartbeat("aw-watcher-window_h", Event(BASE, 0, {"app": "editor", "title": "a"}), S)
    answer = store.heartbeat("aw-watcher-window_h", Event(BASE + S, 0, {"app": "keepassxc", "title": "vault"}), S)
    assert answer == kept
    assert [e.data["app"] for e in store.get_events("aw-watcher-window_h")] == ["editor"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"field": "title"}, "must be a list"),
        ([{"pattern": "x"}], r"privacy_filters\[0\]\.field"),
        ([{"field": "title", "pattern": "("}], r"privacy_filters\[0\]\.pattern"),
        ([{"field": "title", "pattern": "x", "action": "hide"}], "drop.*redact"),
        ([{"field": "a..b", "pattern": "x"}], "dotted path"),
        ([{"field": "t", "pattern": "x", "enabled": "yes"}], "enabled"),
        ([{"field": "t", "pattern": "x", "colour": "red"}], "unknown keys"),
        (["title"], "must be an object"),
    ],
)
def test_bad_rules_are_refused_and_change_nothing(
    live_server: LiveServer, http: httpx.Client, rules: Any, message: str
) -> None:
    before = snapshot(live_server.store)
    r = set_rules(http, rules)
    assert r.status_code == 422, r.text
    assert re.search(message, r.json()["message"]), r.json()
    assert snapshot(live_server.store) == before


def test_a_backtracking_filter_refuses_the_write_instead_of_hanging(store: Store) -> None:
    store.set_setting("privacy_filters", [{"field": "title", "pattern": "^(a|aa)+$"}])
    store.create_bucket(Bucket("b", "t", "c", "h", 0))
    with pytest.raises(InvalidInput, match="privacy filter took too long"):
        store.insert_events("b", [Event(BASE, S, {"title": "a" * 5000 + "b"})])
    assert store.get_events("b") == []


# ---------------------------------------------------------------------------- forget


def seed_timeline(store: Store) -> None:
    store.create_bucket(
        Bucket("w", "currentwindow", "c", "h", 0),
        [Event(BASE + i * 10 * S, 10 * S, {"app": f"a{i}"}) for i in range(10)],  # 0..100 s, back to back
    )
    store.create_bucket(Bucket("long", "afkstatus", "c", "h", 0), [Event(BASE, 100 * S, {"status": "not-afk"})])


def spans(store: Store, bucket_id: str) -> list[tuple[float, float, str]]:
    return [((e.timestamp - BASE) / S, e.end / S - BASE / S, next(iter(e.data.values())))
            for e in reversed(store.get_events(bucket_id))]  # fmt: skip


def test_forget_over_the_api_trims_edges_and_keeps_neighbours(live_server: LiveServer, http: httpx.Client) -> None:
    store = live_server.store
    seed_timeline(store)
    r = http.post("/api/0/forget", json={"start": "2024-05-01T00:00:25Z", "end": "2024-05-01T00:00:45Z"})
    assert r.status_code == 200, r.text
    assert r.json() == {"events_deleted": 1, "events_trimmed": 3, "buckets": ["long", "w"]}
    assert spans(store, "w") == [
        (0, 10, "a0"), (10, 20, "a1"), (20, 25, "a2"), (45, 50, "a4"), (50, 60, "a5"), (60, 70, "a6"),
        (70, 80, "a7"), (80, 90, "a8"), (90, 100, "a9"),
    ]  # fmt: skip
    assert spans(store, "long") == [(0, 25, "not-afk"), (45, 100, "not-afk")]  # split around the range


def test_forget_only_chosen_buckets_and_errors(live_server: LiveServer, http: httpx.Client) -> None:
    store = live_server.store
    seed_timeline(store)
    r = http.post(
        "/api/0/forget", json={"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T00:01:00Z", "buckets": ["w"]}
    )
    assert r.json()["events_deleted"] == 6 and spans(store, "long") == [(0, 100, "not-afk")]
    before = snapshot(store)
    for body, status, words in [
        ({"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T00:01:00Z", "buckets": ["nope"]}, 404, "nope"),
        ({"start": "2024-05-01T00:01:00Z", "end": "2024-05-01T00:00:00Z"}, 422, "after its start"),
        ({"start": "2024-05-01T00:01:00Z"}, 422, "end"),
        ({"start": "yesterday", "end": "2024-05-01T00:00:00Z"}, 422, "RFC 3339"),
        ({"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T00:01:00Z", "buckets": "w"}, 422, "list"),
        ({"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T00:01:00Z", "extra": 1}, 422, "Unknown"),
        ([], 422, "body must be"),
    ]:
        r = http.post("/api/0/forget", json=body)
        assert r.status_code == status and words in r.json()["message"], (body, r.text)
    assert http.post("/api/0/forget", content=b"{", headers=JSON).status_code == 400
    assert snapshot(store) == before


def test_forget_reclaims_space_and_queries_see_it(store: Store, tmp_path: Path) -> None:
    big = "x" * 2000
    store.create_bucket(
        Bucket("w", "t", "c", "h", 0), [Event(BASE + i * S, S, {"t": big, "i": i}) for i in range(3000)]
    )
    pages = scalar(store._writer, "PRAGMA page_count")
    report = store.forget(BASE, BASE + 3000 * S)
    assert report.events_deleted == 3000
    assert scalar(store._writer, "PRAGMA freelist_count") == 0
    assert scalar(store._writer, "PRAGMA page_count") < pages / 10  # the file shrank
    assert store.get_events("w") == []


def test_forget_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with Store(tmp_path / "d" / "activitywatch.db") as store:
        seed_timeline(store)
    result = run_cli(["--data-dir", str(tmp_path / "d"), "forget", "--start", "2024-05-01T00:00:00Z",
                      "--end", "2024-05-01T00:00:30Z", "--bucket", "w"], tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Forgot 3 events" in result.stderr
    with Store(tmp_path / "d" / "activitywatch.db") as store:
        assert spans(store, "w")[0] == (30, 40, "a3")
    bad = run_cli(["--data-dir", str(tmp_path / "d"), "forget", "--start", "x", "--end", "y"], tmp_path)
    assert bad.returncode != 0 and "RFC 3339" in bad.stderr
