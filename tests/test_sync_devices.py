"""GET /api/0/sync/devices over real HTTP: three devices set up with the app's own init/join over a plain folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from activitywatch import app
from activitywatch.config import Settings, load_settings
from activitywatch.core.models import Bucket, Event
from tests.browser import Browser, chromium
from tests.conftest import cli_env

KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
S = 1_000_000_000
BASE = 1_714_521_600 * S  # 2024-05-01T00:00:00Z


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's HOME with a file keyring under it."""
    for name, value in {**cli_env(tmp_path), **KEYRING}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _write(settings: Settings, hostname: str, first_minute: int, count: int) -> None:
    store = app.open_store(settings)
    try:
        bucket = f"aw-watcher-window_{hostname}"
        store.create_bucket(Bucket(id=bucket, type="currentwindow", client="w", hostname=hostname, created=BASE))
        store.insert_events(
            bucket, [Event(BASE + (first_minute + i) * 60 * S, 60 * S, {"app": "editor"}) for i in range(count)]
        )
    finally:
        store.close()


@contextmanager
def _served(settings: Settings) -> Iterator[httpx.Client]:
    """The app's own server (as `activitywatch` builds it) over this device's store, on a free port."""
    store = app.open_store(settings)
    server = app.build_server(settings, store)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            yield http
    finally:
        server.stop()
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module."""
    with chromium("http://127.0.0.1:1") as b:
        yield b
        assert b.foreign_requests() == []


def _three_devices(home: Path) -> tuple[Path, list[Settings]]:
    """Devices one, two and three set up with init/join over `home/Sync`, synced once; a fourth is damaged."""
    folder = home / "Sync"
    one, two, three = (load_settings(data_dir=home / name, testing=True, port=0) for name in ("one", "two", "three"))
    key = app.sync_init(one, folder)
    app.sync_join(two, folder, key)
    app.sync_join(three, folder, key)
    _write(one, "one", 0, 10)  # 00:00-00:10
    _write(three, "three", 60, 5)  # 01:00-01:05
    assert not app.sync_round(one).errors
    assert not app.sync_round(three).errors
    assert not app.sync_round(two).errors
    broken_dir = folder / "ffffffff-0000-0000-0000-000000000000"
    broken_dir.mkdir()
    (broken_dir / "manifest").write_bytes(b"not a sealed manifest")  # damaged, or another key's
    return folder, [one, two, three]


def test_every_device_with_last_seen_data_range_and_errors(home: Path) -> None:
    folder, (one, two, three) = _three_devices(home)
    ids = {name: app.device_id(s.data_dir) for name, s in (("one", one), ("two", two), ("three", three))}
    with _served(two) as http:
        reply = http.get("/api/0/sync/devices")
    assert reply.status_code == 200, reply.text
    doc = reply.json()
    assert doc["enabled"] is True and doc["folder"] == str(folder)
    rows = {d["device_id"]: d for d in doc["devices"]}
    assert rows[ids["two"]]["this_device"] is True and rows[ids["two"]]["buckets"] == 0
    assert rows[ids["two"]]["first_event"] is None and rows[ids["two"]]["error"] is None
    first = rows[ids["one"]]
    assert first["this_device"] is False and first["error"] is None
    assert (first["first_event"], first["last_event"]) == ("2024-05-01T00:00:00Z", "2024-05-01T00:10:00Z")
    assert first["events_synced"] == 10 and first["buckets"] == 1 and first["segments_behind"] == 0
    assert first["last_push"] is not None and first["last_pull"] is not None
    assert first["last_seen"] == max(first["last_push"], first["last_pull"])
    third = rows[ids["three"]]
    assert (third["first_event"], third["last_event"]) == ("2024-05-01T01:00:00Z", "2024-05-01T01:05:00Z")
    assert third["events_synced"] == 5
    broken = rows["ffffffff-0000-0000-0000-000000000000"]
    assert broken["error"].startswith("Device ffffffff-0000-0000-0000-000000000000: ")
    assert broken["error"] in doc["errors"] and broken["last_seen"] is None
    assert len(rows) == 4


def test_sync_off_lists_only_this_device(home: Path) -> None:
    alone = load_settings(data_dir=home / "alone", testing=True, port=0)
    _write(alone, "alone", 0, 3)
    with _served(alone) as http:
        doc = http.get("/api/0/sync/devices").json()
    assert doc["enabled"] is False and doc["folder"] is None
    [row] = doc["devices"]
    assert row["this_device"] is True and row["device_id"] == app.device_id(alone.data_dir)
    assert (row["first_event"], row["last_event"]) == ("2024-05-01T00:00:00Z", "2024-05-01T00:03:00Z")


def test_the_devices_view_lists_every_device_and_its_error(home: Path, browser: Browser) -> None:
    _folder, (one, two, _three) = _three_devices(home)
    with _served(two) as http:
        browser.base_url = str(http.base_url).rstrip("/")
        browser.open("/devices")
        rows = browser.driver.find_elements("css selector", "#device-table tbody tr")
        assert len(rows) == 4
        first = browser.find(f'tr[data-device="{app.device_id(one.data_dir)}"]').text
        assert "2024-05-01 02:00:00 \u2013 2024-05-01 02:10:00" in first and "never" not in first  # Berlin time
        broken = browser.find('tr[data-device="ffffffff-0000-0000-0000-000000000000"] .device-error').text
        assert broken.startswith("Device ffffffff-0000-0000-0000-000000000000: ")
        assert "1 with errors" in browser.text(".view-header")
        assert not browser.driver.find_elements("css selector", "#sync-off")
        assert "null" not in browser.text("#view") and "undefined" not in browser.text("#view")
        browser.screenshot("devices")
    alone = load_settings(data_dir=home / "alone", testing=True, port=0)
    with _served(alone) as http:
        browser.base_url = str(http.base_url).rstrip("/")
        browser.open("/devices")
        assert "Sync is off; set it up with activitywatch sync init" in browser.text("#sync-off")
        assert len(browser.driver.find_elements("css selector", "#device-table tbody tr")) == 1
        assert "(this device)" in browser.text("#device-table")
    assert browser.console_errors() == []
