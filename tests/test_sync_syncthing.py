"""Two app instances (separate data folders) syncing through two real Syncthing instances on loopback.

Started once for the module: Syncthing A and B (offline, free ports) share a folder; app A ran
`sync init` on its copy, app B `sync join` with the printed key on its copy; both apps run with
`[sync] interval = 1`. Everything goes through the apps' HTTP API, as a user's clients would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess, cli_env
from tests.syncthing import Syncthing

KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
WINDOW = "aw-watcher-window_laptop"
AFK = "aw-watcher-afk_laptop"
DAY = {"from": "2024-05-01", "to": "2024-05-01", "tz": "UTC"}


@dataclass
class Pair:
    """App A and app B, each with its HTTP client, and the two copies of the shared folder."""

    a: httpx.Client
    b: httpx.Client
    folder_a: Path
    folder_b: Path


def aw(home: Path, *args: str) -> str:
    """Run the command line for the app whose HOME is `home`; its stdout (it must succeed)."""
    result = subprocess.run(
        [sys.executable, "-m", "activitywatch", "--data-dir", str(home / "aw-data"), *args],
        env={**cli_env(home), **KEYRING},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_until(probe: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    """Poll `probe` until it returns something truthy (the sync path has several timers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("syncthing-pair")
    homes = {name: root / name for name in ("A", "B")}
    folders = {name: home / "Sync" for name, home in homes.items()}
    for folder in folders.values():
        folder.mkdir(parents=True)
    key = aw(homes["A"], "sync", "init", "--folder", str(folders["A"])).strip().splitlines()[-1]
    aw(homes["B"], "sync", "join", "--folder", str(folders["B"]), "--key", key)
    started: list[Any] = []
    try:
        st_a, st_b = Syncthing(root, "A"), Syncthing(root, "B")
        started += [st_a, st_b]
        st_a.share(folders["A"], st_b)
        st_b.share(folders["B"], st_a)
        st_a.wait_for(lambda: st_a.connected(st_b))
        apps = {}
        for name, home in homes.items():
            config = home / "config.toml"
            config.write_text("[sync]\ninterval = 1\n")
            app = ServerProcess(home, "--config", str(config), env=KEYRING)
            started.append(app)
            app.wait_ready()
            apps[name] = app
        with (
            httpx.Client(base_url=apps["A"].url, timeout=30) as a,
            httpx.Client(base_url=apps["B"].url, timeout=30) as b,
        ):
            yield Pair(a, b, folders["A"], folders["B"])
    finally:
        for thing in reversed(started):
            thing.stop()


def beat(http: httpx.Client, bucket: str, at: str, data: dict[str, Any]) -> None:
    response = http.post(
        f"/api/0/buckets/{bucket}/heartbeat",
        params={"pulsetime": 900},
        json={"timestamp": at, "duration": 0, "data": data},
    )
    assert response.status_code == 200, response.text


def events(http: httpx.Client, bucket: str) -> list[dict[str, Any]]:
    response = http.get(f"/api/0/buckets/{bucket}/events")
    return list(response.json()) if response.status_code == 200 else []


WINDOW_DATA = {"app": "EditorAppXyz", "title": "secret-title-of-laptop"}


def test_events_and_heartbeats_made_on_a_show_on_b(pair: Pair) -> None:
    for bucket, kind in ((WINDOW, "currentwindow"), (AFK, "afkstatus")):
        response = pair.a.post(f"/api/0/buckets/{bucket}", json={"client": "test", "type": kind, "hostname": "laptop"})
        assert response.status_code in (200, 304)
    for minute in range(0, 31, 10):
        at = f"2024-05-01T09:{minute:02}:00Z"
        beat(pair.a, WINDOW, at, WINDOW_DATA)
        beat(pair.a, AFK, at, {"status": "not-afk"})
    wait_until(lambda: [e for e in events(pair.b, WINDOW) if e["duration"] == 1800], "the window event on B")
    assert [(e["timestamp"][:19], e["duration"], e["data"]) for e in events(pair.b, WINDOW)] == [
        ("2024-05-01T09:00:00", 1800, WINDOW_DATA)
    ]
    hosts = {b["id"]: b["hostname"] for b in pair.b.get("/api/0/buckets/").json().values()}
    assert hosts[WINDOW] == "laptop" and hosts[AFK] == "laptop"

    # A heartbeat extended later arrives as the same event, longer.
    beat(pair.a, WINDOW, "2024-05-01T09:40:00Z", WINDOW_DATA)
    beat(pair.a, AFK, "2024-05-01T09:40:00Z", {"status": "not-afk"})
    wait_until(lambda: [e for e in events(pair.b, WINDOW) if e["duration"] == 2400], "the extended event on B")
    assert len(events(pair.b, WINDOW)) == 1

    # B's queries and reports include A's data.
    query = {
        "query": [f'RETURN = query_bucket("{WINDOW}");'],
        "timeperiods": ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"],
    }
    result = pair.b.post("/api/0/query/", json=query).json()
    assert [e["data"]["app"] for e in result[0]] == ["EditorAppXyz"]
    computers = pair.b.get("/api/0/reports/workinghours/computers", params=DAY).json()["activity"]
    assert [row["computer"] for row in computers] == ["laptop"]
    users = pair.b.get("/api/0/reports/workinghours/users", params=DAY).json()["activity"]
    assert len(users) == 1 and users[0]["totalTime"] == computers[0]["totalTime"] > 0

    # A's buckets are read-only on B.
    response = pair.b.post(f"/api/0/buckets/{WINDOW}/heartbeat", params={"pulsetime": 1}, json={
        "timestamp": "2024-05-01T10:00:00Z", "duration": 0, "data": {}
    })  # fmt: skip
    assert response.status_code == 409 and response.json()["type"] == "Conflict"


def test_forget_and_bucket_deletion_on_a_remove_the_data_on_b(pair: Pair) -> None:
    wait_until(lambda: events(pair.b, WINDOW), "A's data on B")
    response = pair.a.post("/api/0/forget", json={"start": "2024-05-01T08:00:00Z", "end": "2024-05-01T09:20:00Z"})
    assert response.status_code == 200, response.text
    wait_until(
        lambda: [e["timestamp"][:19] for e in events(pair.b, WINDOW)] == ["2024-05-01T09:20:00"], "the forget on B"
    )
    assert pair.a.delete(f"/api/0/buckets/{AFK}").status_code == 200
    wait_until(lambda: AFK not in pair.b.get("/api/0/buckets/").json(), "the bucket deletion on B")
    assert WINDOW in pair.b.get("/api/0/buckets/").json()


def test_nothing_readable_is_in_the_folder(pair: Pair) -> None:
    wait_until(lambda: events(pair.b, WINDOW), "A's data on B")
    files = [p for folder in (pair.folder_a, pair.folder_b) for p in folder.rglob("*") if p.is_file()]
    assert any(p.name == "manifest" for p in files)
    blob = b"".join(p.read_bytes() for p in files)
    for needle in (b"EditorAppXyz", b"secret-title", b"laptop", b"aw-watcher", b"not-afk"):
        assert needle not in blob
