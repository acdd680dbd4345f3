"""The sync folder's layout as a push leaves it: small segments inside the manifest, version 1 folders
still read, merged-away files deleted after their grace period (also after a restart)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from activitywatch.sync import documents, engine
from activitywatch.sync import folder as folder_format
from activitywatch.sync.folder import MAGIC, MANIFEST, unseal
from tests.sync_support import Device, S, content, devices

MINUTE = 60 * S


def manifest_of(folder: Path, device: Device, key: bytes) -> Any:
    """A device's manifest document as it is in the folder."""
    return unseal(key, (folder / device.id / MANIFEST).read_bytes(), "manifest")


def segment_files(folder: Path, device: Device) -> list[str]:
    """The segment files in a device's subfolder."""
    return sorted(p.name for p in (folder / device.id).iterdir() if p.suffix == ".seg")


def test_a_push_every_minute_writes_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real_write = engine.write_atomic

    def traced(path: Path, data: bytes, sync_dir: bool = True) -> os.stat_result:
        written.append(path.name)
        return real_write(path, data, sync_dir)

    def synced(folder: Path) -> None:
        written.append("fsync of the folder")
        real_sync(folder)

    real_sync = engine.sync_folder
    monkeypatch.setattr(engine, "write_atomic", traced)
    monkeypatch.setattr(engine, "sync_folder", synced)
    with devices(tmp_path, "a", "b") as (folder, key, (a, b)):
        a.make_window_bucket()
        for minute in range(20):
            a.add_windows(a.window, minute * 3, 3)
            written.clear()
            assert a.round().errors == []
            merging = minute == 15  # the 16th small segment: the sixteen become one file
            # The merged file's name is on disk before a manifest names it.
            merged = ["00000001-00000016.seg", "fsync of the folder", MANIFEST]
            assert written == (merged if merging else [MANIFEST])
            if minute == 9:
                assert b.round().errors == []  # b stops halfway through what becomes a merged segment
        manifest = manifest_of(folder, a, key)
        assert (folder / a.id / MANIFEST).read_bytes()[len(MAGIC)] == folder_format.VERSION == 2
        assert [(s["first"], s["n"], "doc" in s) for s in manifest["segments"]] == [(1, 16, False)] + [
            (n, n, True) for n in range(17, 21)
        ]
        assert segment_files(folder, a) == ["00000001-00000016.seg"]
        assert b.round().errors == []
        assert content(b.store, a.window) == content(a.store, a.window)
        assert b.store.count_events(a.window) == 60
        written.clear()
        assert a.round().pushed_segments == 0  # nothing new: nothing written
        assert written == []


def test_a_big_push_still_goes_into_segment_files(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (folder, key, (a, b)):
        a.make_window_bucket()
        a.add_windows(a.window, 0, engine.INLINE_ROWS + 1)
        assert a.round().errors == []
        assert segment_files(folder, a) == ["00000001.seg"]
        assert "doc" not in manifest_of(folder, a, key)["segments"][0]
        b.round()
        assert content(b.store, a.window) == content(a.store, a.window)


def test_a_version_1_folder_is_read_and_its_device_goes_on_in_version_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with devices(tmp_path, "a", "b") as (folder, key, (a, b)):
        a.make_window_bucket()
        with monkeypatch.context() as old:  # what the previous version wrote: version 1, every segment a file
            old.setattr(folder_format, "VERSION", 1)
            old.setattr(documents, "VERSION", 1)
            old.setattr(engine, "INLINE_ROWS", -1)
            for minute in range(3):
                a.add_windows(a.window, minute * 3, 3)
                a.round()
        assert {p.read_bytes()[len(MAGIC)] for p in (folder / a.id).iterdir()} == {1}
        assert b.round().errors == []
        assert b.store.count_events(a.window) == 9
        for minute in range(3, 20):  # the same device after the update: its version 1 manifest goes on
            a.add_windows(a.window, minute * 3, 3)
            assert a.round().errors == []
        manifest = manifest_of(folder, a, key)
        assert [(s["first"], s["n"]) for s in manifest["segments"]][:2] == [(1, 16), (17, 17)]
        assert b.round().errors == []
        assert content(b.store, a.window) == content(a.store, a.window)


def test_merged_away_files_go_after_the_grace_period_also_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "INLINE_ROWS", -1)  # every segment a file, so that merging leaves files behind
    now = [1_800_000_000 * S]
    with devices(tmp_path, "b") as (folder, key, (b,)):
        a = Device(tmp_path, "a", folder, key)
        a.syncer._clock = lambda: now[0]
        a.make_window_bucket()
        for minute in range(16):
            a.add_windows(a.window, minute, 1)
            a.round()
            now[0] += MINUTE
        merged = "00000001-00000016.seg"
        assert segment_files(folder, a) == sorted([merged] + [f"{n:08}.seg" for n in range(1, 17)])
        b.round()  # a reader that had read the old manifest could still be reading the parts
        now[0] += 58 * MINUTE  # 59 minutes after the merge
        a.add_windows(a.window, 100, 1)
        a.round()
        assert len(segment_files(folder, a)) == 18  # not yet: 59 minutes
        now[0] += 2 * MINUTE
        a.add_windows(a.window, 101, 1)
        a.round()
        assert segment_files(folder, a) == [merged, "00000017.seg", "00000018.seg"]

        # Files left unlisted by another process (a merge, then the app quit) are found after a restart.
        for minute in range(14):
            a.add_windows(a.window, 200 + minute, 1)
            a.round()
        assert merged in segment_files(folder, a) and "00000017-00000032.seg" in segment_files(folder, a)
        a.close()
        a = Device(tmp_path, "a", folder, key, device_id=a.id)
        try:
            a.syncer._clock = lambda: now[0]
            a.add_windows(a.window, 300, 1)
            a.round()
            assert len(segment_files(folder, a)) > 3  # the parts are fresh
            now[0] += 61 * MINUTE
            a.add_windows(a.window, 301, 1)
            a.round()
            assert segment_files(folder, a) == [merged, "00000017-00000032.seg", "00000033.seg", "00000034.seg"]
            assert b.round().errors == []
            assert content(b.store, a.window) == content(a.store, a.window)
        finally:
            a.close()


def test_a_damaged_segment_among_many_stops_the_catch_up_right_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "INLINE_ROWS", -1)  # five segment files, read one ahead of the one applied
    with devices(tmp_path, "a", "b") as (folder, _, (a, b)):
        a.make_window_bucket()
        for minute in range(5):
            a.add_windows(a.window, minute * 10, 10)
            a.round()
        third = folder / a.id / "00000003.seg"
        blob = bytearray(third.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        third.write_bytes(bytes(blob))
        report = b.round()
        assert [d.error for d in report.devices] == [
            f"Device {a.id}: {third} does not match its hash in the manifest (damaged or replaced)."
        ]
        assert b.store.count_events(a.window) == 20  # segments 1 and 2, nothing after the damaged one
        assert report.devices[0].segments_applied == 2
