"""Sync through a plain shared folder: three devices with real stores, the CLI, the read-only API.

The folder is an ordinary directory shared by every device (what Syncthing makes of it is tested in
test_sync_syncthing.py); every device has its own database.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import httpx
import orjson
import pytest

from activitywatch.core.errors import Conflict
from activitywatch.core.models import Event
from activitywatch.server.app import create_app
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer
from activitywatch.store.syncfeed import forget_cursor, remote_buckets
from activitywatch.sync.folder import unseal
from tests.conftest import ServerProcess, cli_env, run_cli
from tests.sync_support import BASE, S, content, devices, everything

KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}


def test_three_devices_converge_and_a_late_device_catches_up(tmp_path: Path) -> None:
    with devices(tmp_path, "laptop", "desktop", "tablet") as (_, _, (a, b, c)):
        a.make_window_bucket()
        b.make_window_bucket()
        a.add_windows(a.window, 0, 100)
        b.add_windows(b.window, 0, 50, app="browser")
        for device in (a, b, c):
            assert device.round().errors == []
        # The tablet goes away; the others write and sync 40 more times (40 more segments each).
        for i in range(40):
            a.add_windows(a.window, 100 + i * 10, 10)
            b.add_windows(b.window, 50 + i * 5, 5, app="browser")
            assert a.round().errors == [] and b.round().errors == []
        report = c.round()
        assert report.errors == []
        assert report.pulled.events_changed == 400 + 200  # only what it missed
        for device in (a, b, c):
            device.round()
        for reader in (a, b, c):
            assert content(reader.store, a.window) == content(a.store, a.window)
            assert content(reader.store, b.window) == content(b.store, b.window)
        # Remote buckets keep their own ids and hostnames (the users report and host picker need them).
        assert c.store.bucket_hostnames() == {a.window: "laptop", b.window: "desktop"}
        assert remote_buckets(c.store) == {a.window: (a.id, a.window), b.window: (b.id, b.window)}
        # Nobody pulled its own data back.
        assert set(a.store.bucket_hostnames()) == {a.window, b.window}
        assert a.store.count_events(a.window) == 500


def test_a_heartbeat_extended_later_arrives_as_one_event(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.make_window_bucket()
        beat = {"app": "editor", "title": "notes"}
        a.store.heartbeat(a.window, Event(BASE, 0, beat), 60 * S)
        a.store.heartbeat(a.window, Event(BASE + 10 * S, 0, beat), 60 * S)
        a.round()
        b.round()
        assert content(b.store, a.window) == [(BASE, BASE + 10 * S, beat)]
        a.store.heartbeat(a.window, Event(BASE + 50 * S, 0, beat), 60 * S)
        a.round()
        report = b.round()
        assert report.pulled.events_changed == 1
        assert content(b.store, a.window) == [(BASE, BASE + 50 * S, beat)]


def test_edits_deletions_forget_bucket_deletion_and_categories_propagate(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b", "c") as (_, _, (a, b, c)):
        a.make_window_bucket()
        b.make_window_bucket()
        a.add_windows(a.window, 0, 60)
        b.add_windows(b.window, 0, 60)
        afk = a.make_window_bucket("aw-watcher-afk_a")
        a.add_windows(afk, 0, 3)
        for device in (a, b, c, a):
            device.round()
        # An edit, a deletion, a forget of minutes 10-20 (all buckets), a bucket deleted, categories.
        first = a.store.get_events(a.window)[-1]
        a.store.insert_events(a.window, [Event(first.timestamp, first.duration, {"app": "edited"}, first.id)])
        a.store.delete_event(a.window, a.store.get_events(a.window)[0].id or 0)
        a.store.forget(BASE + 10 * 60 * S, BASE + 20 * 60 * S)
        a.store.delete_bucket(afk)
        a.store.set_setting("classes", [{"name": ["Work"], "rule": {"type": "regex", "regex": "editor"}}])
        for device in (a, b, c, b, c):
            assert device.round().errors == []
        for reader in (b, c):
            assert content(reader.store, a.window) == content(a.store, a.window)
            assert afk not in reader.store.bucket_hostnames()
            assert reader.store.get_setting("classes") == a.store.get_setting("classes")
            # The forget reached b's own data too (and from b, c's copy of it).
            assert reader.store.count_events(b.window, BASE + 10 * 60 * S + 1, BASE + 20 * 60 * S - 1) == 0
            assert content(reader.store, b.window) == content(b.store, b.window)
        assert content(b.store, a.window)[0][2] == {"app": "edited"}
        assert len(content(c.store, a.window)) == 60 - 1 - 10


def test_concurrent_category_edits_converge(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.store.set_setting("classes", [{"name": ["A"]}])
        b.store.set_setting("classes", [{"name": ["B"]}])
        for device in (a, b, a, b, a, b):
            device.round()
        assert a.store.get_setting("classes") == b.store.get_setting("classes")
        quiet = [device.round() for device in (a, b)]
        assert all(r.pushed_segments == 0 and r.pulled.events_changed == 0 for r in quiet)


def test_applying_the_same_segments_twice_changes_nothing(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.make_window_bucket()
        a.add_windows(a.window, 0, 200)
        a.round()
        b.round()
        before = everything(b.store)
        token = b.store.change_token()
        forget_cursor(b.store, a.id)  # as if b had never seen a's segments
        report = b.round()
        assert report.pulled.events_changed == 0
        assert everything(b.store) == before
        assert b.store.change_token()[0] == token[0]  # no event was rewritten


def test_a_colliding_bucket_id_is_renamed_deterministically(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        shared_id = "aw-watcher-window_shared-name"
        a.make_window_bucket(shared_id)
        b.make_window_bucket(shared_id)
        a.add_windows(shared_id, 0, 5)
        b.add_windows(shared_id, 0, 7)
        a.round()
        b.round()
        renamed = f"{shared_id}@{a.id[:8]}"
        assert b.store.count_events(shared_id) == 7
        assert content(b.store, renamed) == content(a.store, shared_id)


def test_this_devices_privacy_filters_apply_to_what_it_pulls(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        b.store.set_setting(
            "privacy_filters", [{"bucket_prefix": "", "field": "app", "pattern": "^bank$", "action": "drop"}]
        )
        a.make_window_bucket()
        a.add_windows(a.window, 0, 3, app="bank")
        a.add_windows(a.window, 3, 2, app="editor")
        a.round()
        report = b.round()
        assert report.pulled.events_filtered == 3
        assert [data["app"] for _, _, data in content(b.store, a.window)] == ["editor", "editor"]


def test_remote_buckets_are_read_only_through_the_api(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.make_window_bucket()
        a.add_windows(a.window, 0, 3)
        a.round()
        b.round()
        options = ServerOptions(hostname="b", device_id=b.id, version="test", port=0, log_file=tmp_path / "log")
        server = ApiServer(create_app(b.store, options), "127.0.0.1", 0)
        server.start()
        try:
            before = everything(b.store)
            with httpx.Client(base_url=server.url, timeout=30) as http:
                beat = {"timestamp": "2024-05-01T12:00:00Z", "duration": 1, "data": {"app": "x"}}
                event_id = b.store.get_events(a.window)[0].id
                for method, path, body in (
                    ("POST", f"/api/0/buckets/{a.window}/heartbeat?pulsetime=5", beat),
                    ("POST", f"/api/0/buckets/{a.window}/events", [beat]),
                    ("DELETE", f"/api/0/buckets/{a.window}/events/{event_id}", None),
                    ("DELETE", f"/api/0/buckets/{a.window}", None),
                ):
                    response = http.request(method, path, json=body)
                    assert response.status_code == 409, (path, response.text)
                    assert response.json()["type"] == "Conflict"
                    assert "synced from another device" in response.json()["message"]
                assert http.get(f"/api/0/buckets/{a.window}/events").status_code == 200
            assert everything(b.store) == before
        finally:
            server.stop()
        with pytest.raises(Conflict):
            b.store.insert_events(a.window, [Event(BASE, S, {"app": "x"})])


def test_the_folder_holds_nothing_readable(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (folder, _, (a, b)):
        a.make_window_bucket()
        a.add_windows(a.window, 0, 500, app="VerySecretApp")
        a.store.set_setting("classes", [{"name": ["SecretCategory"]}])
        a.round()
        b.round()
        assert b.store.count_events(a.window) == 500
        blobs = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        for needle in (b"VerySecretApp", b"secret title", b"SecretCategory", b"aw-watcher-window", b'"app"'):
            assert needle not in blobs


# ---------------------------------------------------------------------------- command line


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's HOME with a file keyring under it (for subprocesses and this process)."""
    for name, value in {**cli_env(tmp_path), **KEYRING}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def aw(home: Path, data: str, *args: str) -> tuple[int, str, str]:
    """`activitywatch --data-dir HOME/DATA ARGS`: (exit status, stdout, stderr)."""
    result = run_cli(["--data-dir", str(home / data), *args], home, timeout=120)
    return result.returncode, result.stdout, result.stderr


def test_cli_init_join_now_status_leave(home: Path) -> None:
    folder = home / "Sync"
    status, out, err = aw(home, "one", "sync", "init", "--folder", str(folder))
    assert status == 0, err
    key = out.strip().splitlines()[-1]
    assert len(key) == 64
    # The first device writes something and pushes.
    status, out, err = aw(home, "one", "import", str(_export_file(home)))
    assert status == 0, err
    status, out, err = aw(home, "one", "sync", "now")
    assert status == 0, err
    assert "Pushed 3 events" in out
    # A wrong key is one sentence and a non-zero exit; nothing is set up.
    status, out, err = aw(home, "two", "sync", "join", "--folder", str(folder), "--key", "ab" * 32)
    assert status == 1
    assert (
        err.strip() == f"Error: This key does not open the sync files in {folder}; check the key shown by `sync init`."
    )
    assert not (home / "two" / "sync.json").exists()
    status, out, err = aw(home, "two", "sync", "join", "--folder", str(folder), "--key", key)
    assert status == 0, err
    status, out, err = aw(home, "two", "sync", "now")
    assert status == 0, err
    assert "applied 3 new or changed events" in out and "new buckets: aw-watcher-window_cli" in out
    status, out, err = aw(home, "two", "sync", "status")
    assert status == 0, err
    one = (home / "one" / "device_id").read_text().strip()
    assert f"{socket.gethostname()} ({one}): last push " in out and "3 events, 0 segments behind" in out
    assert "this device): last push " in out and ", 0 events pushed" in out
    status, out, err = aw(home, "two", "sync", "leave")
    assert status == 0, err
    status, out, err = aw(home, "two", "sync", "now")
    assert status == 1 and "Sync is not set up on this device" in err


def test_cli_sync_now_reports_a_damaged_device_and_exits_non_zero(home: Path) -> None:
    folder = home / "Sync"
    status, out, err = aw(home, "one", "sync", "init", "--folder", str(folder))
    assert status == 0, err
    aw(home, "one", "import", str(_export_file(home)))
    assert aw(home, "one", "sync", "now")[0] == 0
    device = (home / "one" / "device_id").read_text().strip()
    assert aw(home, "two", "sync", "join", "--folder", str(folder), "--key", out.strip().splitlines()[-1])[0] == 0
    manifest = folder / device / "manifest"  # the three events travel inside it (a small segment)
    manifest.write_bytes(manifest.read_bytes()[:-10])
    status, out, err = aw(home, "two", "sync", "now")
    assert status == 1
    assert f"Error: Device {device}: {manifest} cannot be opened with this device's sync key" in err


def _export_file(home: Path) -> Path:
    path = home / "export.json"
    events = [
        {"timestamp": f"2024-05-01T10:0{i}:00Z", "duration": 60, "data": {"app": "term", "title": f"t{i}"}}
        for i in range(3)
    ]
    doc = {
        "buckets": {
            "aw-watcher-window_cli": {
                "id": "aw-watcher-window_cli",
                "type": "currentwindow",
                "client": "aw-watcher-window",
                "hostname": "clihost",
                "created": "2024-05-01T00:00:00Z",
                "events": events,
            }
        }
    }
    path.write_bytes(orjson.dumps(doc))
    return path


def test_the_config_names_the_folder_and_interval(home: Path) -> None:
    config = home / "config.toml"
    config.write_text(f'[sync]\nfolder = "{home / "elsewhere"}"\ninterval = 5\nenabled = true\n')
    from activitywatch.config import load_settings

    settings = load_settings(data_dir=home / "d", config_file=config)
    assert settings.sync.folder == home / "elsewhere" and settings.sync.interval == 5
    config.write_text('[sync]\nfolder = "relative/path"\n')
    result = run_cli(["--data-dir", str(home / "d"), "--config", str(config), "sync", "status"], home)
    assert result.returncode == 1
    assert "[sync] folder must be an absolute path" in result.stderr
    assert os.path.isdir(home)  # nothing else to see: the sentence is the answer


def test_small_segments_are_merged_and_a_reader_halfway_through_ends_right(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (folder, key, (a, b)):
        a.make_window_bucket()
        for minute in range(40):
            a.add_windows(a.window, minute * 2, 2)
            if minute == 20:  # edits and deletions of events in earlier segments
                old = a.store.get_events(a.window)
                a.store.insert_events(a.window, [Event(old[-5].timestamp, S, {"app": "edited"}, old[-5].id)])
                a.store.delete_event(a.window, old[-7].id or 0)
            a.round()
            if minute in (7, 25):
                b.round()  # b stops in the middle of what becomes a merged segment
        report = b.round()
        assert report.errors == []
        assert content(b.store, a.window) == content(a.store, a.window)
        manifest = unseal(key, (folder / a.id / "manifest").read_bytes(), "manifest")
        assert [(s["first"], s["n"]) for s in manifest["segments"]][:2] == [(1, 16), (17, 32)]
        assert len(manifest["segments"]) == 2 + (40 - 32)  # one segment per round


def test_the_running_app_pushes_when_it_quits(home: Path) -> None:
    folder = home / "Sync"
    status, out, err = aw(home, "aw-data", "sync", "init", "--folder", str(folder))
    assert status == 0, err
    key = out.strip().splitlines()[-1]
    config = home / "config.toml"
    config.write_text("[sync]\ninterval = 3600\n")  # only the first round and the one at quit
    proc = ServerProcess(home, "--config", str(config), env=KEYRING)
    try:
        proc.wait_ready()
        device = (home / "aw-data" / "device_id").read_text().strip()
        deadline = time.monotonic() + 60
        while not (folder / device / "manifest").exists():  # the first round is done: the next is at quit
            assert time.monotonic() < deadline, proc.output
            time.sleep(0.05)
        with httpx.Client(base_url=proc.url, timeout=30) as http:
            http.post("/api/0/buckets/b", json={"client": "c", "type": "currentwindow", "hostname": "quitter"})
            beat = {"timestamp": "2024-05-01T10:00:00Z", "duration": 5, "data": {"app": "last words"}}
            assert http.post("/api/0/buckets/b/heartbeat?pulsetime=1", json=beat).status_code == 200
    finally:
        code, output = proc.stop()
    assert code == 0, output
    status, out, err = aw(home, "other", "sync", "join", "--folder", str(folder), "--key", key)
    assert status == 0, err
    status, out, err = aw(home, "other", "sync", "now")
    assert status == 0, err
    assert "applied 1 new or changed events" in out and "new buckets: b" in out
