"""The /api/0 endpoints over real HTTP on loopback: shapes and status codes of the reference servers."""

from __future__ import annotations

import threading

import httpx
import orjson

from activitywatch.core.models import Event
from tests.conftest import DEVICE_ID, HOSTNAME, LiveServer

JSON = {"Content-Type": "application/json"}
S = 1_000_000_000


def post(http: httpx.Client, path: str, body: object, **kw: object) -> httpx.Response:
    return http.post(path, content=orjson.dumps(body), headers=JSON, **kw)  # type: ignore[arg-type]


def make_bucket(http: httpx.Client, bucket_id: str = "b1", **fields: object) -> None:
    body = {"client": "test", "type": "currentwindow", "hostname": "h", **fields}
    assert post(http, f"/api/0/buckets/{bucket_id}", body).status_code == 200


def event(ts: str, duration: float = 0, **data: object) -> dict[str, object]:
    return {"timestamp": ts, "duration": duration, "data": data}


def test_info(http: httpx.Client) -> None:
    r = http.get("/api/0/info")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"hostname": HOSTNAME, "version": "v0.0.0-test", "testing": False, "device_id": DEVICE_ID}


def test_bucket_create_get_list_update_delete(http: httpx.Client) -> None:
    body = {"client": "aw-watcher-window", "type": "currentwindow", "hostname": "h", "data": {"k": 1}}
    r = post(http, "/api/0/buckets/b1", body)
    assert (r.status_code, r.content) == (200, b"")
    r = post(http, "/api/0/buckets/b1", body)
    assert (r.status_code, r.content) == (304, b"")
    expected = {
        "id": "b1",
        "name": None,
        "type": "currentwindow",
        "client": "aw-watcher-window",
        "hostname": "h",
        "data": {"k": 1},
        "metadata": {"start": None, "end": None},
        "last_updated": None,
    }
    got = http.get("/api/0/buckets/b1").json()
    assert {k: v for k, v in got.items() if k != "created"} == expected
    assert got["created"].endswith("Z")
    for path in ("/api/0/buckets/", "/api/0/buckets"):
        listed = http.get(path)
        assert listed.status_code == 200
        assert listed.json() == {"b1": got}
    r = http.put("/api/0/buckets/b1", content=orjson.dumps({**body, "type": "other", "data": {}}), headers=JSON)
    assert r.status_code == 200 and r.json()["type"] == "other" and r.json()["data"] == {}
    r = http.delete("/api/0/buckets/b1", params={"force": "1"})
    assert (r.status_code, r.content) == (200, b"")
    r = http.get("/api/0/buckets/b1")
    assert r.status_code == 404
    assert r.json() == {"message": "The requested bucket 'b1' does not exist", "type": "NotFound"}


def test_local_hostname_is_replaced_and_device_id_added(http: httpx.Client) -> None:
    post(http, "/api/0/buckets/mine", {"client": "c", "type": "t", "hostname": "!local", "data": {"x": 1}})
    b = http.get("/api/0/buckets/mine").json()
    assert b["hostname"] == HOSTNAME
    assert b["data"] == {"x": 1, "device_id": DEVICE_ID}


def test_bucket_created_with_events(http: httpx.Client) -> None:
    body = {"client": "c", "type": "t", "hostname": "h", "events": [event("2024-01-01T00:00:00Z", 5, app="x")]}
    assert post(http, "/api/0/buckets/b1", body).status_code == 200
    [e] = http.get("/api/0/buckets/b1/events").json()
    assert e["data"] == {"app": "x"} and e["duration"] == 5.0


def test_events_insert_get_count_delete(http: httpx.Client) -> None:
    make_bucket(http)
    r = post(
        http,
        "/api/0/buckets/b1/events",
        [event("2024-01-01T00:00:00Z", 10, i=0), event("2024-01-01T01:00:00+01:00", 5, i=1)],
    )
    assert r.status_code == 200
    inserted = r.json()
    assert [e["id"] for e in inserted] == [1, 2]
    assert inserted[1]["timestamp"] == "2024-01-01T00:00:00Z"  # offsets normalised to UTC
    r = post(http, "/api/0/buckets/b1/events", event("2024-01-01T00:00:20Z", 1, i=2))  # a single object
    assert [e["id"] for e in r.json()] == [3]
    events = http.get("/api/0/buckets/b1/events").json()
    assert [e["data"]["i"] for e in events] == [2, 1, 0]  # newest first (same start: the later id first)
    assert [e["data"]["i"] for e in http.get("/api/0/buckets/b1/events", params={"limit": 1}).json()] == [2]
    assert len(http.get("/api/0/buckets/b1/events", params={"limit": -1}).json()) == 3
    clipped = http.get(
        "/api/0/buckets/b1/events", params={"start": "2024-01-01T00:00:02Z", "end": "2024-01-01T00:00:04Z"}
    ).json()
    assert [(e["data"]["i"], e["timestamp"], e["duration"]) for e in clipped] == [
        (1, "2024-01-01T00:00:02Z", 2.0),
        (0, "2024-01-01T00:00:02Z", 2.0),
    ]
    assert http.get("/api/0/buckets/b1/events/count").json() == 3
    assert http.get("/api/0/buckets/b1/events/count", params={"start": "2024-01-01T00:00:15Z"}).json() == 1
    assert http.get("/api/0/buckets/b1/events/3").json() == {
        "id": 3,
        "timestamp": "2024-01-01T00:00:20Z",
        "duration": 1.0,
        "data": {"i": 2},
    }
    assert http.delete("/api/0/buckets/b1/events/3").json() == {"success": True}
    assert http.delete("/api/0/buckets/b1/events/3").json() == {"success": False}
    r = http.get("/api/0/buckets/b1/events/3")
    assert r.status_code == 404 and "no event 3" in r.json()["message"]


def test_posting_an_event_with_its_id_edits_it(http: httpx.Client) -> None:
    make_bucket(http)
    [e] = post(http, "/api/0/buckets/b1/events", [event("2024-01-01T00:00:00Z", 10, title="old")]).json()
    r = post(http, "/api/0/buckets/b1/events", [{**event("2024-01-01T00:00:01Z", 3, title="new"), "id": e["id"]}])
    assert r.json()[0]["id"] == e["id"]
    assert http.get("/api/0/buckets/b1/events").json() == [
        {"id": e["id"], "timestamp": "2024-01-01T00:00:01Z", "duration": 3.0, "data": {"title": "new"}}
    ]
    make_bucket(http, "b2")
    r = post(http, "/api/0/buckets/b2/events", [{**event("2024-01-01T00:00:01Z"), "id": e["id"]}])
    assert r.status_code == 200 and r.json()[0]["id"] != e["id"]  # another bucket's id: stored as new
    assert len(http.get("/api/0/buckets/b1/events").json()) == 1


def test_heartbeats(http: httpx.Client) -> None:
    make_bucket(http)
    url = "/api/0/buckets/b1/heartbeat"
    first = post(http, url, event("2024-01-01T00:00:00Z", 0, app="a"), params={"pulsetime": 2}).json()
    assert first == {"id": 1, "timestamp": "2024-01-01T00:00:00Z", "duration": 0.0, "data": {"app": "a"}}
    merged = post(http, url, event("2024-01-01T00:00:01.5Z", 0, app="a"), params={"pulsetime": 2}).json()
    assert merged == {"id": 1, "timestamp": "2024-01-01T00:00:00Z", "duration": 1.5, "data": {"app": "a"}}
    new = post(http, url, event("2024-01-01T00:00:02Z", 0, app="b"), params={"pulsetime": "2.0"}).json()
    assert new["id"] == 2
    r = post(http, url, event("2024-01-01T00:00:03Z", 0, app="b"))
    assert r.status_code == 400
    assert r.json() == {"message": "Missing required parameter pulsetime", "type": "BadRequest"}
    assert http.get("/api/0/buckets/b1/events/count").json() == 2


def test_heartbeats_from_concurrent_clients_and_a_direct_writer(live_server: LiveServer) -> None:
    """Four HTTP clients and a watcher-like thread writing through the store at once: nothing lost."""
    buckets = [f"hb{i}" for i in range(4)]
    with httpx.Client(base_url=live_server.url) as setup:
        for b in [*buckets, "direct"]:
            make_bucket(setup, b)
    errors: list[BaseException] = []
    n = 150

    def client(bucket_id: str) -> None:
        try:
            with httpx.Client(base_url=live_server.url) as c:
                for i in range(n):
                    hb = event(f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z", 0, i=i % 2)
                    r = post(c, f"/api/0/buckets/{bucket_id}/heartbeat", hb, params={"pulsetime": 10})
                    assert r.status_code == 200
        except BaseException as exc:
            errors.append(exc)

    def direct() -> None:
        for i in range(n):
            live_server.store.heartbeat("direct", Event(i * S, 0, {"i": i % 2}), 10 * S)

    threads = [threading.Thread(target=client, args=(b,)) for b in buckets] + [threading.Thread(target=direct)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for b in [*buckets, "direct"]:
        assert live_server.store.count_events(b) == n  # data alternates: every heartbeat is a new event


def test_export_and_import(http: httpx.Client) -> None:
    make_bucket(http, "b1")
    post(http, "/api/0/buckets/b1/events", [event("2024-01-01T00:00:00Z", 1, a=1)])
    r = http.get("/api/0/export")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == "attachment; filename=aw-buckets-export.json"
    doc = r.json()
    assert list(doc["buckets"]) == ["b1"] and doc["buckets"]["b1"]["events"][0]["data"] == {"a": 1}
    r = http.get("/api/0/buckets/b1/export")
    assert r.headers["content-disposition"] == "attachment; filename=aw-bucket-export_b1.json"
    assert r.json() == doc
    # Import under a new id as JSON, then the same file again as a multipart upload (the web UI's way).
    doc["buckets"]["b2"] = {**doc["buckets"].pop("b1"), "id": "b2"}
    r = post(http, "/api/0/import", doc)
    assert r.status_code == 200
    assert r.json() == {
        "buckets_created": ["b2"],
        "buckets_merged": [],
        "events_imported": 1,
        "events_skipped": 0,
        "events_filtered": 0,
    }
    files = {"buckets.json": ("aw-buckets-export.json", orjson.dumps(doc), "application/json")}
    r = http.post("/api/0/import", files=files)
    assert r.status_code == 200
    assert r.json() == {
        "buckets_created": [],
        "buckets_merged": ["b2"],
        "events_imported": 0,
        "events_skipped": 1,
        "events_filtered": 0,
    }
    r = http.post("/api/0/import", files={"anything": ("x.json", orjson.dumps(doc), "application/octet-stream")})
    assert r.status_code == 200 and r.json()["events_skipped"] == 1
    assert http.get("/api/0/buckets/b2/events/count").json() == 1


def test_export_filename_of_an_unusual_bucket_id(http: httpx.Client) -> None:
    make_bucket(http, "wéird id;x")
    r = http.get("/api/0/buckets/wéird id;x/export")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        'attachment; filename="aw-bucket-export_w_ird_id_x.json"; '
        "filename*=UTF-8''aw-bucket-export_w%C3%A9ird%20id%3Bx.json"
    )


def test_settings(http: httpx.Client) -> None:
    assert http.get("/api/0/settings").json() == {}
    assert http.get("/api/0/settings/theme").json() is None
    r = post(http, "/api/0/settings/theme", "dark")
    assert (r.status_code, r.content) == (201, b"")
    post(http, "/api/0/settings/startOfDay", "04:00")
    post(http, "/api/0/settings/useColorFallback", False)
    assert http.get("/api/0/settings").json() == {"startOfDay": "04:00", "theme": "dark", "useColorFallback": False}
    assert http.get("/api/0/settings/useColorFallback").json() is False
    assert http.delete("/api/0/settings/theme").status_code == 200
    assert http.get("/api/0/settings/theme").json() is None


def test_log(http: httpx.Client, live_server: LiveServer) -> None:
    live_server.options.log_file.write_text("line 1\nline 2\n")  # type: ignore[union-attr]
    assert http.get("/api/0/log").json() == ["line 1", "line 2"]


def test_unknown_route_and_method(http: httpx.Client) -> None:
    r = http.get("/api/0/nope")
    assert r.status_code == 404 and r.json()["type"] == "NotFound"
    r = http.patch("/api/0/buckets/b1")
    assert r.status_code == 405 and r.json() == {
        "message": "Method PATCH is not allowed on /api/0/buckets/b1",
        "type": "MethodNotAllowed",
    }


def test_openapi_document_and_api_browser(http: httpx.Client) -> None:
    doc = http.get("/api/openapi.json").json()
    assert doc["openapi"] == "3.0.3"
    assert {"/api/0/info", "/api/0/buckets/{bucket_id}/heartbeat", "/api/0/import"} <= set(doc["paths"])
    page = http.get("/api/")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert http.get("/api/static/swagger-ui-bundle.js").status_code == 200
    assert http.get("/api", follow_redirects=False).headers["location"] == "/api/"
