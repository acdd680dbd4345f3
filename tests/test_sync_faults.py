"""The sync folder is untrusted input: damaged, foreign or hostile files never crash a round, never
change the local store, never stop the other devices; each gets a status error naming device and file.

Each case: a good device and a "bad" device each pushed twice; the reader applied the bad device's
first segment, then the bad device's files are damaged and the good device writes more. The reader's
next round must bring the good device's news, keep the bad device's earlier data as it was, and name
the bad device and the file in its error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw
import nacl.secret
import pytest
import zstandard

from activitywatch.sync import engine
from activitywatch.sync import folder as folder_format
from activitywatch.sync.folder import MANIFEST, check_key, new_key, seal, sha256, unseal
from tests.sync_support import BASE, Device, S, content, devices


def rewrite(path: Path, key: bytes, change: Callable[[Any], Any]) -> None:
    """Open a sealed file, change its document, seal it again with the same key."""
    path.write_bytes(seal(key, change(unseal(key, path.read_bytes(), str(path)))))


def relist(base: Path, key: bytes, n: int) -> None:
    """Make the manifest's hash and size of segment `n` match the file as it now is."""
    blob = (base / f"{n:08}.seg").read_bytes()

    def change(doc: Any) -> Any:
        doc["segments"][n - 1].update(sha256=sha256(blob), size=len(blob))
        return doc

    rewrite(base / MANIFEST, key, change)


def _truncated(base: Path, key: bytes) -> str:
    seg = base / "00000002.seg"
    seg.write_bytes(seg.read_bytes()[:100])
    relist(base, key, 2)
    return "00000002.seg cannot be opened with this device's sync key"  # cut short: authentication fails


def _flipped(base: Path, key: bytes) -> str:
    seg = base / "00000002.seg"
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    return "00000002.seg does not match its hash in the manifest"


def _flipped_and_relisted(base: Path, key: bytes) -> str:
    _flipped(base, key)
    relist(base, key, 2)
    return "00000002.seg cannot be opened with this device's sync key"


def _other_key_segment(base: Path, key: bytes) -> str:
    doc = unseal(key, (base / "00000002.seg").read_bytes(), "seg")
    (base / "00000002.seg").write_bytes(seal(check_key(new_key()), doc))
    relist(base, key, 2)
    return "00000002.seg cannot be opened with this device's sync key"


def _other_key_device(base: Path, key: bytes) -> str:
    other = check_key(new_key())
    for path in base.iterdir():
        path.write_bytes(seal(other, unseal(key, path.read_bytes(), str(path))))
    return f"{MANIFEST} cannot be opened with this device's sync key"


def _missing(base: Path, key: bytes) -> str:
    (base / "00000002.seg").unlink()
    return "00000002.seg is missing"


def _outside(base: Path, key: bytes) -> str:
    (base.parent / "stolen.seg").write_bytes((base / "00000002.seg").read_bytes())

    def change(doc: Any) -> Any:
        doc["segments"][1]["file"] = "../stolen.seg"
        return doc

    rewrite(base / MANIFEST, key, change)
    return "names the file '../stolen.seg'"


def _huge(base: Path, key: bytes) -> str:
    with open(base / "00000002.seg", "r+b") as f:
        f.truncate(folder_format.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    return "00000002.seg is missing or larger than 128 MiB"


def _bomb(base: Path, key: bytes) -> str:
    chunk = bytes(1 << 20)
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    packed = b"".join(compressor.compress(chunk) for _ in range((folder_format.MAX_PLAIN_BYTES >> 20) + 8))
    packed += compressor.flush()
    blob = folder_format.MAGIC + bytes([folder_format.VERSION]) + bytes(nacl.secret.SecretBox(key).encrypt(packed))
    (base / "00000002.seg").write_bytes(blob)
    relist(base, key, 2)
    return "larger than 512 MiB unpacked"


def _hostile(change: Callable[[Any], Any], expected: str) -> Callable[[Path, bytes], str]:
    def damage(base: Path, key: bytes) -> str:
        rewrite(base / "00000002.seg", key, change)
        relist(base, key, 2)
        return expected

    return damage


def _raw(plain: bytes, expected: str) -> Callable[[Path, bytes], str]:
    """A segment holding `plain` (not necessarily JSON), sealed and listed correctly."""

    def damage(base: Path, key: bytes) -> str:
        packed = zstandard.ZstdCompressor().compress(plain)
        blob = folder_format.MAGIC + bytes([folder_format.VERSION]) + bytes(nacl.secret.SecretBox(key).encrypt(packed))
        (base / "00000002.seg").write_bytes(blob)
        relist(base, key, 2)
        return expected

    return damage


def _set(doc: Any, **values: Any) -> Any:
    doc.update(values)
    return doc


def _event_row(doc: Any, row: list[Any]) -> Any:
    doc["events"][0] = row
    return doc


def _unknown_version(base: Path, key: bytes) -> str:
    seg = base / "00000002.seg"
    data = bytearray(seg.read_bytes())
    data[len(folder_format.MAGIC)] = 3
    seg.write_bytes(bytes(data))
    relist(base, key, 2)
    return "00000002.seg has format version 3"


def _backwards(base: Path, key: bytes) -> str:
    def change(doc: Any) -> Any:
        doc["segments"] = []
        return doc

    rewrite(base / MANIFEST, key, change)
    return "lists fewer segments than were already applied"


def _garbage_manifest(base: Path, key: bytes) -> str:
    (base / MANIFEST).write_bytes(b"\x00" * 1000)
    return f"{MANIFEST} is not a sync file"


CASES: dict[str, Callable[[Path, bytes], str]] = {
    "truncated segment": _truncated,
    "corrupted segment": _flipped,
    "corrupted segment, hash fixed": _flipped_and_relisted,
    "segment under another key": _other_key_segment,
    "device under another key": _other_key_device,
    "missing segment": _missing,
    "path outside the folder": _outside,
    "huge segment": _huge,
    "decompression bomb": _bomb,
    "unknown version": _unknown_version,
    "manifest going backwards": _backwards,
    "garbage manifest": _garbage_manifest,
    "not an object": _hostile(lambda doc: [1, 2, 3], "is not a valid sync document"),
    "deep nesting": _raw(b'{"v": 1, "events": ' + b"[" * 5000 + b"]" * 5000 + b"}", "holds no valid document"),
    "huge integer": _raw(b'{"v": 1, "n": ' + b"9" * 400 + b"}", "holds no valid document"),
    "not JSON": _raw(b"\xff\xfe{not json", "holds no valid document"),
    "wrong types": _hostile(lambda doc: _event_row(doc, [0, "1", 0, 0, {}]), "is not a valid sync document"),
    "negative duration": _hostile(lambda doc: _event_row(doc, [0, 1, BASE, -5, {}]), "is not an integer"),
    "bucket out of range": _hostile(lambda doc: _event_row(doc, [7, 1, BASE, 5, {}]), "is not an integer"),
    "data not an object": _hostile(lambda doc: _event_row(doc, [0, 1, BASE, 5, "x"]), "is not an object"),
    "timestamp out of range": _hostile(lambda doc: _event_row(doc, [0, 1, 2**64 - 1, 5, {}]), "is not an integer"),
    "claims another segment": _hostile(lambda doc: _set(doc, n=1), "claims to be segment 2-1"),
    "claims another device": _hostile(lambda doc: _set(doc, device="someone-else"), "claims to be segment"),
    "missing field": _hostile(lambda doc: {k: v for k, v in doc.items() if k != "buckets"}, "'buckets'"),
    "forget of the wrong shape": _hostile(lambda doc: _set(doc, forget_log=[[1, BASE]]), "not enough values"),
    "forget numbered 0": _hostile(lambda doc: _set(doc, forget_log=[[0, BASE, BASE + 1, [], []]]), "is not an integer"),
    "forget naming a number": _hostile(
        lambda doc: _set(doc, forget_log=[[1, BASE, BASE + 1, [], [[1, 2]]]]), "is not a short text"
    ),
    "acks not an object": _hostile(lambda doc: _set(doc, acks=[1]), "is not an object"),
}


def integrity(device: Device) -> str:
    """SQLite's own check of the reader's database file."""
    conn = apsw.Connection(str(device.store.path))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchall()[0][0])
    finally:
        conn.close()


def _inline(change: Callable[[Any], Any], expected: str) -> Callable[[Path, bytes], str]:
    """Segment 2 carried inside the manifest, its document changed (and sealed again with the key)."""

    def damage(base: Path, key: bytes) -> str:
        def changed(doc: Any) -> Any:
            assert "doc" in doc["segments"][1] and "file" not in doc["segments"][1]
            doc["segments"][1]["doc"] = change(doc["segments"][1]["doc"])
            return doc

        rewrite(base / MANIFEST, key, changed)
        return expected

    return damage


# Small segments travel inside the manifest: the same hostile documents there.
INLINE_CASES: dict[str, Callable[[Path, bytes], str]] = {
    "inline: not an object": _inline(lambda doc: [1, 2, 3], f"{MANIFEST} is not a valid sync document"),
    "inline: wrong types": _inline(lambda doc: _event_row(doc, [0, "1", 0, 0, {}]), "segment 2 in"),
    "inline: negative duration": _inline(lambda doc: _event_row(doc, [0, 1, BASE, -5, {}]), "is not an integer"),
    "inline: bucket out of range": _inline(lambda doc: _event_row(doc, [7, 1, BASE, 5, {}]), "is not an integer"),
    "inline: data not an object": _inline(lambda doc: _event_row(doc, [0, 1, BASE, 5, "x"]), "is not an object"),
    "inline: claims another segment": _inline(lambda doc: _set(doc, n=1), "claims to be segment 2-1"),
    "inline: claims another device": _inline(lambda doc: _set(doc, device="x"), "claims to be segment"),
    "inline: missing field": _inline(lambda doc: {k: v for k, v in doc.items() if k != "buckets"}, "'buckets'"),
}


@pytest.mark.parametrize("case", list(CASES) + list(INLINE_CASES))
def test_a_damaged_device_is_reported_and_blocks_nobody(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case in CASES:
        monkeypatch.setattr(engine, "INLINE_ROWS", -1)  # every segment in a file of its own
    damage = CASES.get(case) or INLINE_CASES[case]
    with devices(tmp_path, "good", "bad", "reader") as (folder, key, (good, bad, reader)):
        for device in (good, bad, reader):
            device.make_window_bucket()
        good.add_windows(good.window, 0, 5)
        bad.add_windows(bad.window, 0, 5)
        good.round()
        bad.round()
        reader.add_windows(reader.window, 0, 3)
        assert reader.round().errors == []
        bad.add_windows(bad.window, 5, 5)
        bad.round()  # segment 2, about to be damaged
        good.add_windows(good.window, 5, 5)
        good.round()
        own_before = content(reader.store, reader.window)
        bad_before = content(reader.store, bad.window)

        expected = damage(folder / bad.id, key)
        report = reader.round()

        errors = [d.error for d in report.devices if d.device == bad.id]
        assert errors[0] is not None and f"Device {bad.id}" in errors[0], report.errors
        assert expected in errors[0]
        assert [d.error for d in report.devices if d.device == good.id] == [None]
        assert content(reader.store, good.window) == content(good.store, good.window)  # others not blocked
        assert content(reader.store, bad.window) == bad_before  # nothing of the damaged segment applied
        assert content(reader.store, reader.window) == own_before
        assert integrity(reader) == "ok"
        again = reader.round()  # the error stays until the device's files are right; no crash
        assert any(d.error for d in again.devices if d.device == bad.id)


def test_clock_skew_changes_no_order_and_settings_still_converge(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.syncer._clock = lambda: BASE + 3650 * 86400 * S  # ten years ahead
        a.make_window_bucket()
        a.add_windows(a.window, 60 * 24 * 3650, 3)  # events in "the future" are data like any other
        a.store.set_setting("classes", [{"name": ["from the future"]}])
        a.round()
        b.store.set_setting("classes", [{"name": ["from now"]}])
        for device in (b, a, b, a):
            assert device.round().errors == []
        assert content(b.store, a.window) == content(a.store, a.window)
        assert a.store.get_setting("classes") == b.store.get_setting("classes")


def test_two_devices_claiming_one_device_id(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "reader") as (folder, key, (a, reader)):
        a.make_window_bucket()
        a.add_windows(a.window, 0, 5)
        a.round()
        reader.round()
        twin = Device(tmp_path, "twin", folder, key, device_id=a.id)  # a copied data folder, say
        try:
            twin.make_window_bucket()
            twin.add_windows(twin.window, 0, 5)
            manifest = (folder / a.id / MANIFEST).read_bytes()
            report = twin.round()
            assert report.push_error is not None and "two devices claim one device id" in report.push_error
            assert (folder / a.id / MANIFEST).read_bytes() == manifest  # the twin wrote nothing
            # A manifest from the other installation arriving at a reader (e.g. the twin won a conflict).
            rewrite(folder / a.id / MANIFEST, key, lambda doc: {**doc, "instance": "instance-twin"})
            status = reader.round().devices[0]
            assert status.error is not None and "two devices claim the id" in status.error
            assert a.id in status.error
        finally:
            twin.close()


def test_conflict_copies_temp_files_and_strangers_are_ignored(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "reader") as (folder, _, (a, reader)):
        a.make_window_bucket()
        a.add_windows(a.window, 0, 5)
        a.round()
        base = folder / a.id
        (base / f"{MANIFEST}.sync-conflict-20261204-110439-PBVGZQU").write_bytes(b"junk")
        (base / ".syncthing.00000002.seg.tmp").write_bytes(b"half a file")
        (base / "00000009.seg").write_bytes(b"not listed")
        (folder / "notes").mkdir()
        (folder / "notes" / MANIFEST).write_bytes(b"junk")
        (folder / ".stfolder").mkdir()
        (folder / "11111111-2222-3333-4444-555555555555").mkdir()  # no manifest yet: still arriving
        report = reader.round()
        assert report.errors == []
        assert [d.device for d in report.devices] == [a.id]
        assert content(reader.store, a.window) == content(a.store, a.window)


KILLED_PUSH = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from activitywatch.sync import engine
    from tests.sync_support import Device

    engine.SEGMENT_EVENTS = 500
    root, folder, key, device_id = Path(sys.argv[1]), Path(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]
    device = Device(root, "pusher", folder, key, device_id=device_id)
    written = engine.write_atomic

    def traced(path, data, **options):
        st = written(path, data, **options)
        print(path.name, flush=True)
        return st

    engine.write_atomic = traced
    device.round()
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("after_writes", [1, 6, 11])
def test_kill_9_during_a_push_leaves_a_folder_every_reader_accepts(tmp_path: Path, after_writes: int) -> None:
    with devices(tmp_path, "reader") as (folder, key, (reader,)):
        pusher = Device(tmp_path, "pusher", folder, key)
        pusher.make_window_bucket()
        pusher.add_windows(pusher.window, 0, 20_000)
        pusher.close()
        script = tmp_path / "push.py"
        script.write_text(KILLED_PUSH)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), str(folder), key.hex(), pusher.id],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        for _ in range(after_writes):  # each line: one file renamed into place
            assert proc.stdout.readline().strip() != "done"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        report = reader.round()
        assert report.errors == []
        manifest = folder / pusher.id / MANIFEST
        listed = unseal(key, manifest.read_bytes(), "manifest")["segments"] if manifest.exists() else []
        assert bool(listed) == (after_writes > 1)  # the first write is a segment: no manifest lists it yet
        if listed:
            assert reader.store.count_events(pusher.window) == sum(s["events"] for s in listed)
        # The pusher starts again and finishes; the reader then has everything, once.
        again = Device(tmp_path, "pusher", folder, key, device_id=pusher.id)
        try:
            assert again.round().errors == []
            assert reader.round().errors == []
            assert content(reader.store, again.window) == content(again.store, again.window)
        finally:
            again.close()
