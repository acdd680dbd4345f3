"""An acknowledged write survives kill -9 of the server process."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import httpx
import orjson

from activitywatch.store import Store
from tests.conftest import ServerProcess

JSON = {"Content-Type": "application/json"}


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.wait_ready()
    acked_heartbeats: dict[int, float] = {}  # event id -> latest acknowledged duration
    acked_inserts: list[int] = []
    acked_settings: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    with httpx.Client(base_url=server.url) as c:
        body = orjson.dumps({"client": "t", "type": "t", "hostname": "h"})
        assert c.post("/api/0/buckets/hb", content=body, headers=JSON).status_code == 200
        assert c.post("/api/0/buckets/ins", content=body, headers=JSON).status_code == 200

    def heartbeats() -> None:
        with httpx.Client(base_url=server.url) as c:
            i = 0
            while not stop.is_set():
                i += 1
                hb = {"timestamp": "2024-01-01T00:00:00Z", "duration": i / 10, "data": {"n": i // 50}}
                try:
                    r = c.post("/api/0/buckets/hb/heartbeat?pulsetime=1000", content=orjson.dumps(hb), headers=JSON)
                except httpx.TransportError:
                    return  # the server died mid-request: that one was never acknowledged
                if r.status_code == 200:
                    e = r.json()
                    acked_heartbeats[e["id"]] = e["duration"]
                else:
                    errors.append(AssertionError(r.text))

    def inserts() -> None:
        with httpx.Client(base_url=server.url) as c:
            i = 0
            while not stop.is_set():
                i += 1
                ev = [{"timestamp": "2024-01-02T00:00:00Z", "duration": 1, "data": {"i": i}}]
                try:
                    r = c.post("/api/0/buckets/ins/events", content=orjson.dumps(ev), headers=JSON)
                    if r.status_code == 200:
                        acked_inserts.append(r.json()[0]["id"])
                    s = c.post(f"/api/0/settings/k{i}", content=b"1", headers=JSON)
                    if s.status_code == 201:
                        acked_settings.append(i)
                except httpx.TransportError:
                    return

    workers = [threading.Thread(target=heartbeats), threading.Thread(target=inserts)]
    for w in workers:
        w.start()
    # Kill once enough writes are acknowledged (no timing: count-based).
    while len(acked_heartbeats) < 5 or len(acked_inserts) < 200:
        if errors or not all(w.is_alive() for w in workers):
            break
        threading.Event().wait(0.01)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    assert errors == []
    assert len(acked_inserts) >= 200

    with Store(server.data_dir / "activitywatch.db") as store:
        stored_hb = {e.id: e.duration / 1e9 for e in store.get_events("hb")}
        for event_id, duration in acked_heartbeats.items():
            assert event_id in stored_hb, f"acknowledged heartbeat event {event_id} lost"
            assert stored_hb[event_id] >= duration, f"event {event_id} lost acknowledged duration"
        stored_ids = {e.id for e in store.get_events("ins")}
        assert set(acked_inserts) <= stored_ids
        settings = store.get_settings()
        assert all(f"k{i}" in settings for i in acked_settings)
