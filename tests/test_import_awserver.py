"""Importing a real aw-server (python, 0.12.0 from PyPI) database, and finding ActivityWatch's databases.

The server is the benchmark's peer (bench/servers.py installs it into bench/.peer-venv once): started with
its folders in a temporary HOME, filled through the real aw-client, stopped, then imported by the CLI.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import apsw
import pytest
from aw_client import ActivityWatchClient
from aw_core.models import Event

from activitywatch.store import Store
from bench import servers
from bench.awdb import add_bucket, add_events, create_rust_db, set_settings
from tests.conftest import run_cli
from tests.test_aw_client import release

# The first test also sets up bench/.peer-venv when `make test` has not (a pip install from PyPI).
pytestmark = pytest.mark.timeout(600)
T0 = datetime(2021, 3, 14, 9, 0, 0, 123000, tzinfo=UTC)
SETTINGS = {"startOfDay": "05:00", "classes": [{"name": ["Work"], "rule": {"type": "regex", "regex": "code"}}]}


@dataclass
class AwServerData:
    """The folders a stopped aw-server left, and what it answered about its buckets and events."""

    home: Path  # its XDG folders are home/data, home/config, ...
    db: Path
    buckets: dict[str, dict[str, Any]]
    events: dict[str, set[tuple[int, int, str]]]  # bucket id -> (start ns, duration ns, data JSON)


def ns(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


def as_tuple(event: Event) -> tuple[int, int, str]:
    return ns(event.timestamp), round(event.duration.total_seconds() * 1e9), json.dumps(event.data, sort_keys=True)


@pytest.fixture(scope="module")
def aw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwServerData]:
    """aw-server 0.12.0 run once: buckets and events written through aw-client, then stopped."""
    home = tmp_path_factory.mktemp("aw-client-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            mp.setenv(var, str(home / var.lower()))
        mp.delenv("AW_PROFILE", raising=False)
        servers.ensure_peer_venv()
        server = servers.start_peer()
        try:
            client = ActivityWatchClient("aw-test-import", testing=True, host="127.0.0.1", port=server.port)
            window, afk = "aw-watcher-window_laptop", "aw-watcher-afk_laptop"
            client.create_bucket(window, "currentwindow")
            client.create_bucket(afk, "afkstatus")
            plus2 = timezone(timedelta(hours=2))
            events = [
                Event(
                    timestamp=T0 + timedelta(seconds=7 * i, microseconds=(i % 3) * 1000),
                    duration=timedelta(seconds=i % 5, milliseconds=100 * (i % 4)),  # 0.1 s is no binary fraction
                    data={"app": ["code", "firefox", "Terminal"][i % 3], "title": f"Fenêtre {i} — ünïcode ✓"},
                )
                for i in range(400)
            ]
            events.append(Event(timestamp=datetime(2023, 1, 1, 12, 0, tzinfo=plus2), duration=60, data={"app": "x"}))
            client.insert_events(window, events)
            for i in range(20):  # heartbeats merge into longer events, as the AFK watcher's do
                status = "afk" if (i // 5) % 2 else "not-afk"
                hb = Event(timestamp=T0 + timedelta(seconds=10 * i), duration=0, data={"status": status})
                client.heartbeat(afk, hb, pulsetime=15)
            buckets = client.get_buckets()
            stored = {b: {as_tuple(e) for e in client.get_events(b, limit=-1)} for b in (window, afk)}
            release(client)
        finally:
            servers.stop(server, keep_files=True)
    assert server.workdir is not None
    db = server.workdir / "data" / "activitywatch" / "aw-server" / "peewee-sqlite-testing.v2.db"
    try:
        yield AwServerData(server.workdir, db, buckets, stored)
    finally:
        shutil.rmtree(server.workdir, ignore_errors=True)


def test_every_bucket_and_event_of_a_real_aw_server_is_imported_once(aw_server: AwServerData, tmp_path: Path) -> None:
    assert aw_server.db.is_file()
    data_dir = tmp_path / "ours"
    result = run_cli(["--data-dir", str(data_dir), "import", str(aw_server.db)], tmp_path)
    assert result.returncode == 0, result.stderr
    total = sum(len(evs) for evs in aw_server.events.values())
    assert "Importing an aw-server (python) database" in result.stderr
    assert f"Imported {total} events into 2 buckets (2 created, 0 merged); skipped 0 already stored." in result.stderr
    assert "aw-watcher-window_laptop: 401 imported, 0 already stored, 0 filtered" in result.stderr
    with Store(data_dir / "activitywatch.db") as store:
        for bucket_id, expected in aw_server.events.items():
            bucket = store.get_bucket(bucket_id).bucket
            theirs = aw_server.buckets[bucket_id]
            assert (bucket.type, bucket.client, bucket.hostname) == (
                theirs["type"],
                theirs["client"],
                theirs["hostname"],
            )
            ours = {
                (e.timestamp, e.duration, json.dumps(dict(e.data), sort_keys=True))
                for e in store.get_events(bucket_id, limit=-1)
            }
            assert ours == expected
        assert sorted(b.bucket.id for b in store.list_buckets()) == sorted(aw_server.buckets)

    again = run_cli(["--data-dir", str(data_dir), "import", str(aw_server.db)], tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"Imported 0 events into 2 buckets (0 created, 2 merged); skipped {total} already stored." in again.stderr


def test_import_activitywatch_finds_both_servers_and_imports_them_all(aw_server: AwServerData, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(aw_server.home / "data", home / "data")
    config = home / "config" / "activitywatch" / "aw-server"
    config.mkdir(parents=True)
    # aw-server 0.12.0 has no settings endpoint yet; later versions keep them in this file
    (config / "settings-testing.json").write_text(json.dumps(SETTINGS, indent=4))
    rust_dir = home / "data" / "activitywatch" / "aw-server-rust"
    rust_dir.mkdir(parents=True)
    conn = create_rust_db(rust_dir / "sqlite.db", 5)
    with conn:
        row = add_bucket(
            conn, "aw-watcher-window_desktop", type_="currentwindow", hostname="desktop", created_ns=0, data={}
        )
        add_events(conn, row, [(ns(T0), ns(T0) + 10**9, {"app": "code"}), (ns(T0) + 10**10, ns(T0) + 2 * 10**10, {})])
        set_settings(conn, {"theme": "dark"})
    conn.close()
    (rust_dir / "sqlite-testing.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)  # damaged
    data_dir = tmp_path / "ours"

    listing = run_cli(["--data-dir", str(data_dir), "import", "--activitywatch"], home)
    assert listing.returncode == 0, listing.stderr
    python_total = sum(len(evs) for evs in aw_server.events.values())
    assert "aw-server-rust: " in listing.stdout and "2 events in 1 buckets, 2021-03-14 to 2021-03-14" in listing.stdout
    assert "aw-server (testing): " in listing.stdout
    assert "aw-server-rust (testing): " in listing.stdout and "cannot be imported: " in listing.stdout
    assert f"{python_total} events in 2 buckets, 2021-03-14 to 2023-01-01, with settings" in listing.stdout
    assert "--yes" in listing.stderr
    assert not (data_dir / "activitywatch.db").exists()  # listing imports nothing

    done = run_cli(["--data-dir", str(data_dir), "import", "--activitywatch", "--yes"], home)
    assert done.returncode == 0, done.stderr
    with Store(data_dir / "activitywatch.db") as store:
        assert store.row_counts()["events"] == python_total + 2
        assert store.get_setting("theme") == "dark" and store.get_setting("startOfDay") == "05:00"


def legacy_import(python_db: Path, rust_db: Path) -> int:
    """What aw-server-rust does with the python database when it first starts (aw-datastore's
    legacy_import.rs): same bucket ids, `T` for the first space of the timestamp, durations truncated to
    whole nanoseconds, data as it was. Returns the events copied."""
    folder = rust_db.parent / "python-copy"
    folder.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{python_db}{suffix}", folder / f"p.db{suffix}")
    source = apsw.Connection(str(folder / "p.db"))
    conn = create_rust_db(rust_db, 5)
    copied = 0
    with conn:
        for key, bucket_id, type_, hostname in source.execute("SELECT key, id, type, hostname FROM bucketmodel"):
            row = add_bucket(conn, bucket_id, type_=type_, hostname=hostname, created_ns=0, data={})
            events = []
            for stamp, seconds, data in source.execute(
                "SELECT timestamp, duration, datastr FROM eventmodel WHERE bucket_id = ?", (key,)
            ):
                start = ns(datetime.fromisoformat(stamp.replace(" ", "T", 1)))
                events.append((start, start + int(seconds * 1e9), data))
            add_events(conn, row, events)
            copied += len(events)
    conn.close()
    source.close()
    return copied


def test_a_python_database_aw_server_rust_already_imported_is_left_out(aw_server: AwServerData, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(aw_server.home / "data", home / "data")
    python_db = home / "data" / "activitywatch" / "aw-server" / "peewee-sqlite-testing.v2.db"
    rust_dir = home / "data" / "activitywatch" / "aw-server-rust"
    rust_dir.mkdir(parents=True)
    copied = legacy_import(python_db, rust_dir / "sqlite.db")
    data_dir = tmp_path / "ours"
    done = run_cli(["--data-dir", str(data_dir), "import", "--activitywatch", "--yes"], home)
    assert done.returncode == 0, done.stderr
    assert "already in aw-server-rust's database (it imported this one itself): left out" in done.stdout
    with Store(data_dir / "activitywatch.db") as store:
        assert store.row_counts()["events"] == copied == sum(len(evs) for evs in aw_server.events.values())

    # why: imported one by one, the two copies disagree by a nanosecond on many durations
    both = tmp_path / "both"
    for path in (python_db, rust_dir / "sqlite.db"):
        assert run_cli(["--data-dir", str(both), "import", str(path)], home).returncode == 0
    with Store(both / "activitywatch.db") as store:
        assert store.row_counts()["events"] > copied
