"""Pulling from ActivityWatch's own aw-sync (v1) folders: `test.db` files built from aw-server-rust's
schema (as at master 59eaae3) in both of aw-sync's layouts, read through the real importer and store."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import apsw
import pytest

from activitywatch.store.syncfeed import remote_buckets
from bench.awdb import add_bucket, add_events, create_rust_db
from tests.conftest import cli_env, run_cli
from tests.sync_support import BASE, S, content, devices, everything
from tests.test_importers import fingerprint
from tests.test_sync import KEYRING, aw

Rows = list[tuple[int, int, dict[str, Any]]]


def windows(host: str, first: int, count: int) -> Rows:
    """`count` one-minute window events from minute `first` on."""
    return [
        (BASE + (first + i) * 60 * S, BASE + (first + i + 1) * 60 * S, {"app": "code", "title": f"{host} {first + i}"})
        for i in range(count)
    ]


def aw_sync_db(path: Path, host: str, version: int = 5, *, wal: bool = False, keep_open: bool = False) -> Any:
    """A `test.db` as aw-sync writes it: the device's own buckets, plus a copy it pulled from elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = create_rust_db(path, version, wal=wal)
    with conn:
        row = add_bucket(
            conn, f"aw-watcher-window_{host}", type_="currentwindow", hostname=host, created_ns=BASE, data={}
        )
        add_events(conn, row, windows(host, 0, 5))
        row = add_bucket(conn, f"aw-watcher-afk_{host}", type_="afkstatus", hostname=host, created_ns=BASE, data={})
        add_events(conn, row, [(BASE, BASE + 300 * S, {"status": "not-afk"})])
        row = add_bucket(
            conn,
            "aw-watcher-window_other-synced-from-other",
            type_="currentwindow",
            hostname="other",
            created_ns=BASE,
            data={},
        )
        add_events(conn, row, windows("other", 0, 2))
    if keep_open:
        return conn
    conn.close()
    return None


def test_both_layouts_pull_once_skipping_copies_and_this_device(tmp_path: Path) -> None:
    """The daemon's layout in the sync folder, `aw-sync sync`'s in a configured aw-sync folder: both
    devices' buckets appear as remote buckets; pulling again adds nothing; growth arrives once."""
    with devices(tmp_path, "me") as (folder, _key, (me,)):
        work, home_pc = str(uuid.uuid4()), str(uuid.uuid4())
        aw_folder = tmp_path / "aw-sync"
        aw_sync_db(folder / work / "test.db", "worklaptop")  # {sync_dir}/{device_id}/test.db
        aw_sync_db(aw_folder / "homepc" / home_pc / "test.db", "homepc", version=4)  # {sync_dir}/{host}/{id}/test.db
        aw_sync_db(folder / me.id / "test.db", "me")  # aw-sync run against this app: its own data
        aw_sync_db(aw_folder / "me" / me.id / "test.db", "me")
        # Not aw-sync's files: Syncthing's hidden folders, a conflict copy, and a smaller stale copy of a
        # device's file in the other layout (the largest file of a device id wins, as upstream's #710).
        aw_sync_db(folder / ".stversions" / str(uuid.uuid4()) / "test.db", "old")
        aw_sync_db(folder / work / "test.sync-conflict-20261204-120000-ABCDEFG.db", "conflict")
        stale = folder / home_pc / "test.db"  # read before the aw-sync folder
        stale.parent.mkdir(parents=True)
        conn = create_rust_db(stale, 5)
        conn.execute("PRAGMA page_size = 512; VACUUM")  # no events: smaller than the real file
        conn.close()
        me.syncer.aw_sync_folders = [aw_folder]

        report = me.round()
        assert report.errors == []
        assert sorted(report.pulled.buckets_created) == sorted(
            f"aw-watcher-{kind}_{host}" for kind in ("window", "afk") for host in ("worklaptop", "homepc")
        )
        assert report.pulled.events_changed == 2 * 6
        assert content(me.store, "aw-watcher-window_homepc") == windows("homepc", 0, 5)
        assert me.store.get_bucket("aw-watcher-window_worklaptop").bucket.hostname == "worklaptop"
        assert remote_buckets(me.store)["aw-watcher-afk_homepc"] == (home_pc, "aw-watcher-afk_homepc")
        assert {d.device: (d.hostname, d.events) for d in report.devices} == {
            work: ("worklaptop", 6),
            home_pc: ("homepc", 6),
        }

        before = everything(me.store)
        again = me.round()
        assert again.pulled.events_changed == 0 and again.errors == []
        assert everything(me.store) == before

        # aw-sync pushes again: a heartbeat extends its newest event in place, one event is appended.
        conn = apsw.Connection(str(folder / work / "test.db"))
        with conn:
            conn.execute(
                "UPDATE events SET endtime = endtime + ? WHERE id = (SELECT max(id) FROM events WHERE bucketrow = 1)",
                (30 * S,),
            )
            add_events(conn, 1, windows("worklaptop", 10, 1))
        conn.close()
        grown = me.round()
        assert grown.pulled.events_changed == 2 and grown.errors == []
        expected = windows("worklaptop", 0, 5) + windows("worklaptop", 10, 1)
        expected[4] = (expected[4][0], expected[4][1] + 30 * S, expected[4][2])
        assert content(me.store, "aw-watcher-window_worklaptop") == expected
        assert content(me.store, "aw-watcher-window_homepc") == windows("homepc", 0, 5)


def test_a_file_being_written_is_read_from_a_copy_and_never_changed(tmp_path: Path) -> None:
    """aw-sync (WAL since aw-server-rust PR #616) has the file open with commits in its -wal and a
    transaction under way: the committed events arrive, the files are byte for byte as they were."""
    with devices(tmp_path, "me") as (folder, _key, (me,)):
        work = str(uuid.uuid4())
        path = folder / "worklaptop" / work / "test.db"
        conn = aw_sync_db(path, "worklaptop", wal=True, keep_open=True)
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        with conn:
            add_events(conn, 1, windows("worklaptop", 20, 3))
        conn.execute("BEGIN IMMEDIATE")
        add_events(conn, 1, windows("worklaptop", 40, 1))  # not committed
        try:
            assert Path(f"{path}-wal").stat().st_size > 0
            before = fingerprint(path)
            report = me.round()
            assert fingerprint(path) == before
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        assert report.errors == []
        assert content(me.store, "aw-watcher-window_worklaptop") == windows("worklaptop", 0, 5) + windows(
            "worklaptop", 20, 3
        )


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_file_is_a_status_error_naming_it_and_the_others_go_on(tmp_path: Path, damage: str) -> None:
    with devices(tmp_path, "me", "peer") as (folder, _key, (me, peer)):
        peer.make_window_bucket()
        peer.add_windows(peer.window, 0, 3)
        peer.round()
        good, bad = str(uuid.uuid4()), str(uuid.uuid4())
        aw_sync_db(folder / good / "test.db", "homepc")
        bad_path = folder / "worklaptop" / bad / "test.db"
        aw_sync_db(bad_path, "worklaptop")
        data = bad_path.read_bytes()
        bad_path.write_bytes(
            data[: len(data) // 3] if damage == "truncated" else data[:100] + b"\xff" * (len(data) - 100)
        )
        report = me.round()
        errors = {d.device: d.error for d in report.devices if d.error}
        assert list(errors) == [bad]
        assert str(bad_path) in errors[bad] and errors[bad].startswith(f"aw-sync device {bad}: ")
        assert content(me.store, "aw-watcher-window_homepc") == windows("homepc", 0, 5)
        assert len(content(me.store, peer.window)) == 3  # the encrypted devices are not held up either
        assert "aw-watcher-window_worklaptop" not in {info.bucket.id for info in me.store.list_buckets()}


def test_the_config_names_an_aw_sync_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`[sync] aw_sync_folder` in the config: `sync now` pulls from it and says which buckets came."""
    for name, value in {**cli_env(tmp_path), **KEYRING}.items():
        monkeypatch.setenv(name, value)
    home = tmp_path
    folder, aw_folder = home / "Sync", home / "aw-sync"
    device = str(uuid.uuid4())
    aw_sync_db(aw_folder / "worklaptop" / device / "test.db", "worklaptop")
    config = home / "config.toml"
    config.write_text(f'[sync]\naw_sync_folder = "{aw_folder}"\n')
    status, _out, err = aw(home, "one", "--config", str(config), "sync", "init", "--folder", str(folder))
    assert status == 0, err
    result = run_cli(["--data-dir", str(home / "one"), "--config", str(config), "sync", "now"], home, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "applied 6 new or changed events" in result.stdout
    assert "aw-watcher-window_worklaptop" in result.stdout and "synced-from" not in result.stdout
    result = run_cli(["--data-dir", str(home / "one"), "--config", str(config), "sync", "status"], home, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"worklaptop ({device}): last push " in result.stdout and "6 events" in result.stdout
