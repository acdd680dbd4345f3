"""One sync round: push this device's changes as new segments, then pull every other device's.

Push: the device's own manifest says how far it has written (the change sequence and sync log reached
by its last segment); the changes since are sealed into new segments (at most `SEGMENT_EVENTS` events
each), every segment written before the manifest that lists it. A kill at any moment leaves the
previous manifest, or the new one with all its segments present. A small segment (a minute's
changes) travels inside the manifest instead of in a file of its own, so a push every minute writes one
file; sixteen of them are merged into a segment file like any others.

Pull: for each other device, the segments after the one last applied (the cursor is stored with the
changes, in one transaction), in order. A device whose files fail stops at that file with a status
error; the other devices go on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from activitywatch.core.errors import AwError
from activitywatch.store import Store
from activitywatch.store.syncfeed import (
    ApplyReport,
    RemoteBatch,
    apply_remote,
    cursor,
    local_changes,
    record_settings,
    setting_stamps,
    settings_to_push,
)
from activitywatch.sync import awsync, documents
from activitywatch.sync.folder import (
    MANIFEST,
    SEGMENT_NAME,
    FolderError,
    UnknownVersion,
    device_dirs,
    read_bounded,
    seal,
    sha256,
    sync_folder,
    unseal,
    write_atomic,
)

log = logging.getLogger(__name__)

SEGMENT_EVENTS = 100_000
MERGE_FANOUT = 16  # segments of equal span merged into one
UNLISTED_GRACE_S = 3600  # a merged segment's parts are deleted after this long
INLINE_ROWS = 100  # a segment with at most this many rows (events, deletions, forgets) ...
INLINE_BYTES = 16 * 1024  # ... and this much JSON travels inside the manifest
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


@dataclass
class DeviceStatus:
    """What is known of one other device after a round."""

    device: str
    hostname: str = "?"
    last_push: int | None = None  # when it last wrote its manifest (its clock)
    last_pull: int | None = None  # when this device last applied its changes (this clock)
    segments_applied: int = 0
    segments_listed: int = 0
    events: int = 0  # events applied from it so far
    error: str | None = None
    this_device: bool = False

    @property
    def lag(self) -> int:
        """Segments listed but not applied yet."""
        return max(0, self.segments_listed - self.segments_applied)


@dataclass
class RoundReport:
    """What one round moved, and what went wrong (per device)."""

    pushed_segments: int = 0
    pushed_events: int = 0
    pulled: ApplyReport = field(default_factory=ApplyReport)
    devices: list[DeviceStatus] = field(default_factory=list)
    push_error: str | None = None

    @property
    def errors(self) -> list[str]:
        """Every error of the round, each naming the device and file."""
        found = [self.push_error] if self.push_error else []
        return found + [d.error for d in self.devices if d.error]


class Syncer:
    """Sync of one store through one folder with one key."""

    def __init__(  # noqa: PLR0917 - every part is needed, each once
        self,
        store: Store,
        folder: Path,
        key: bytes,
        device: str,
        hostname: str,
        instance: str,
        clock: Callable[[], int] = time.time_ns,
        aw_sync_folders: Sequence[Path] = (),
    ) -> None:
        self.store = store
        self.aw_sync_folders = list(aw_sync_folders)  # aw-sync (v1) folders pulled from, read-only
        self.folder = folder
        self._own = folder / device  # this device's subfolder (paths made once: a push runs every minute)
        self._own_path = self._own / MANIFEST
        self.key = key
        self.device = device
        self.hostname = hostname
        self.instance = instance
        self._clock = clock
        self._manifests: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
        self._scanned = (0, 0)  # (change sequence, sync log) looked through without finding own changes
        self._unlisted: dict[str, int] | None = None  # own segment files no manifest lists -> since (clock ns)

    def round(self) -> RoundReport:
        """Push, then pull; errors are reported, never raised (except bugs)."""
        report = RoundReport()
        try:
            self.push(report)
        except AwError as exc:
            report.push_error = exc.message
            log.warning("Sync push failed: %s", exc.message)
        try:
            self.pull(report)
        except AwError as exc:  # the folder itself cannot be read
            report.push_error = report.push_error or exc.message
        return report

    # ----------------------------------------------------------------- push

    def _read_manifest(self, path: Path, device: str, where: str) -> dict[str, Any]:
        """A device's manifest, decrypted and checked once per version of the file (by its stat)."""
        st = os.stat(path)
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        cached = self._manifests.get(device)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        doc = documents.read_manifest(
            unseal(self.key, read_bounded(path, where, MAX_MANIFEST_BYTES), where), device, where
        )
        self._manifests[device] = (stamp, doc)
        return doc

    def _own_manifest(self) -> dict[str, Any] | None:
        path = self._own_path
        try:
            doc = self._read_manifest(path, self.device, f"This device's manifest ({path})")
        except (FileNotFoundError, NotADirectoryError):
            return None
        if doc["instance"] != self.instance:
            raise FolderError(
                f"Another installation writes to {path.parent} as device {self.device} (two devices claim one "
                "device id, e.g. a copied data folder); this device stopped pushing. Run `sync leave` on one of them."
            )
        return doc

    def _new_segment(self, own: Path, n: int, changes: Any, settings: Any) -> dict[str, Any]:
        """Segment `n`'s manifest entry: inline when small, else in a file written now."""
        doc = documents.segment_doc(self.device, n, changes, settings)
        if len(doc["events"]) + len(changes.entries) <= INLINE_ROWS and len(orjson.dumps(doc)) <= INLINE_BYTES:
            return {
                "n": n,
                "first": n,
                "doc": doc,
                "events": len(doc["events"]),
                "seq": changes.seq,
                "log": changes.log,
            }
        return self._write_segment(own, n, n, changes, settings, doc)

    def _write_segment(  # noqa: PLR0917 - the range, its changes and their document
        self, own: Path, first: int, last: int, changes: Any, settings: Any, doc: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        doc = doc or documents.segment_doc(self.device, last, changes, settings, first=first)
        blob = seal(self.key, doc)
        name = documents.segment_file(first, last)
        write_atomic(own / name, blob, sync_dir=False)  # the folder is synced once, before the manifest
        return {
            "n": last,
            "first": first,
            "file": name,
            "sha256": sha256(blob),
            "size": len(blob),
            "events": len(doc["events"]),
            "seq": changes.seq,
            "log": changes.log,
        }

    def _write_manifest(self, own: Path, segments: list[dict[str, Any]], state: dict[str, Any]) -> None:
        doc = documents.manifest_doc(
            self.device, self.hostname, self.instance, self._clock(), segments=segments, state=state
        )
        path = self._own_path
        # Not synced to disk here: a power cut before the folder's next fsync leaves the previous
        # manifest, which lists only segments already there.
        st = write_atomic(path, seal(self.key, doc), sync_dir=False)
        self._manifests[self.device] = ((st.st_ino, st.st_size, st.st_mtime_ns), doc)

    def push(self, report: RoundReport) -> None:
        """Write this device's changes since its last segment, then merge small segments."""
        own = self._own
        manifest = self._own_manifest()
        if manifest is None:  # else both folders are there
            if not self.folder.is_dir():
                raise FolderError(f"The sync folder {self.folder} does not exist (not mounted, or moved?).")
            own.mkdir(exist_ok=True)
        segments: list[dict[str, Any]] = list(manifest["segments"]) if manifest else []
        state: dict[str, Any] = dict(manifest["state"]) if manifest else {}
        seq = int(segments[-1].get("seq", 0)) if segments else 0
        log_n = int(segments[-1].get("log", 0)) if segments else 0
        if self._scanned[0] >= seq and self._scanned[1] >= log_n:
            seq, log_n = self._scanned  # nothing of this device's changed in there (remote rows only)
        files = {e["file"] for e in segments if "file" in e}  # every file listed during this push
        while True:
            changes = local_changes(self.store, seq, log_n, SEGMENT_EVENTS)
            b_hash = documents.buckets_hash(changes.buckets)
            settings = settings_to_push(self.store, changes.settings, self.device, self._clock())
            if not changes.events and not changes.entries and not settings and b_hash == state.get("buckets"):
                self._scanned = (changes.seq, changes.log)
                break
            n = segments[-1]["n"] + 1 if segments else 1
            entry = self._new_segment(own, n, changes, settings)
            segments.append(entry)
            state = {"buckets": b_hash}
            if "file" in entry:
                files.add(entry["file"])
            if self._merge(own, segments, files) or "file" in entry:
                sync_folder(own)  # the new segment files are on disk before a manifest names them
            self._write_manifest(own, segments, state)
            if settings:
                sync_folder(own)  # the manifest holding them is on disk before they count as pushed
                record_settings(self.store, settings)
            report.pushed_segments += 1
            report.pushed_events += entry["events"]
            seq, log_n = changes.seq, changes.log
            if changes.complete:
                self._scanned = (seq, log_n)
                break
        listed = {e["file"] for e in segments if "file" in e}
        self._remove_unlisted(own, listed, files - listed)

    def _merge(self, own: Path, segments: list[dict[str, Any]], files: set[str]) -> bool:
        """Merge the last MERGE_FANOUT segments into one while they cover equal spans (like an LSM
        tree: a year of one-minute pushes stays a few dozen files) and stay under SEGMENT_EVENTS; whether
        any were merged (each file written is added to `files`)."""
        merged = False
        while len(segments) >= MERGE_FANOUT:
            tail = segments[-MERGE_FANOUT:]
            spans = {e["n"] - e["first"] for e in tail}
            if len(spans) != 1 or sum(e["events"] for e in tail) > SEGMENT_EVENTS:
                return merged
            before = segments[-MERGE_FANOUT - 1] if len(segments) > MERGE_FANOUT else {"seq": 0, "log": 0}
            last = tail[-1]
            changes = local_changes(
                self.store, before["seq"], before["log"], 2 * SEGMENT_EVENTS, upto=(last["seq"], last["log"])
            )
            if not changes.complete:
                return merged
            stamped = setting_stamps(self.store, changes.settings)
            entry = self._write_segment(own, tail[0]["first"], last["n"], changes, stamped)
            entry["seq"], entry["log"] = last["seq"], last["log"]
            files.add(entry["file"])
            segments[-MERGE_FANOUT:] = [entry]
            merged = True
        return merged

    def _remove_unlisted(self, own: Path, listed: set[str], dropped: set[str]) -> None:
        """Delete this device's segment files no manifest has listed for UNLISTED_GRACE_S (merged ones:
        a reader may still be reading them from the previous manifest). Which files those are is kept
        in memory (`dropped`: unlisted in this push); the folder is looked through once per process."""
        now = self._clock()
        if self._unlisted is None:
            self._unlisted = _unlisted_files(own, listed, now)
        for name in dropped:
            self._unlisted.setdefault(name, now)
        due = [name for name, since in self._unlisted.items() if now - since >= UNLISTED_GRACE_S * 10**9]
        if not due:
            return
        sync_folder(own)  # the manifest that no longer lists them is on disk before they go
        for name in due:
            del self._unlisted[name]
            if name not in listed:
                with contextlib.suppress(OSError):
                    os.unlink(own / name)

    # ----------------------------------------------------------------- pull

    def status(self) -> RoundReport:
        """Every device's state as the folder and this store tell it, changing nothing."""
        report = RoundReport()
        own = DeviceStatus(self.device, self.hostname, this_device=True)
        try:
            manifest = self._own_manifest()
            if manifest is not None:
                own.last_push = manifest["written_at"]
                own.segments_listed = own.segments_applied = _last(manifest)
                own.events = sum(int(s["events"]) for s in manifest["segments"])
        except AwError as exc:
            own.error = exc.message
        report.devices.append(own)
        try:
            self.pull(report, apply=False)
        except AwError as exc:
            report.push_error = exc.message
        return report

    def pull(self, report: RoundReport, apply: bool = True) -> None:
        """Apply every other device's new segments (`apply=False`: only read their manifests)."""
        for device in device_dirs(self.folder, self.device):
            status = DeviceStatus(device)
            report.devices.append(status)
            try:
                self._pull_device(device, status, report, apply)
            except UnknownVersion as exc:
                log.info("Skipping device %s: %s", device, exc.message)
                status.error = exc.message
            except FolderError as exc:
                log.warning("Sync pull from %s stopped: %s", device, exc.message)
                status.error = exc.message
        self._pull_aw_sync(report, apply)

    def _pull_aw_sync(self, report: RoundReport, apply: bool) -> None:
        """Pull the aw-sync (v1) files of the sync folder and of the configured aw-sync folders."""
        for device, path in awsync.find_databases([self.folder, *self.aw_sync_folders], self.device).items():
            status = DeviceStatus(device)
            report.devices.append(status)
            try:
                found = awsync.pull_file(self.store, device, path, apply, self._clock)
            except AwError as exc:
                status.error = f"aw-sync device {device}: {exc.message}"
                log.warning("Pulling the aw-sync file %s stopped: %s", path, exc.message)
                continue
            status.hostname, status.events, status.last_pull = found.hostname, found.events, found.last_pull
            status.last_push = path.stat().st_mtime_ns if path.exists() else None
            report.pulled.add(found.applied)

    def _pull_device(self, device: str, status: DeviceStatus, report: RoundReport, apply: bool = True) -> None:
        base = self.folder / device
        where = f"Device {device}: {base / MANIFEST}"
        try:
            manifest = self._read_manifest(base / MANIFEST, device, where)
        except FileNotFoundError:
            raise FolderError(f"{where} is missing (not synced yet, or deleted).") from None
        status.hostname = manifest["hostname"]
        status.last_push = manifest["written_at"]
        status.segments_listed = _last(manifest)
        text = cursor(self.store, device)
        done: dict[str, Any] = orjson.loads(text) if text else {"n": 0, "events": 0, "instance": None}
        status.segments_applied = int(done["n"])
        status.events = int(done["events"])
        status.last_pull = done.get("at")
        if done["instance"] not in (None, manifest["instance"]):
            raise FolderError(
                f"{where} was written by another installation than before (two devices claim the id {device}, "
                "or it was set up again); not pulled."
            )
        if _last(manifest) < done["n"]:
            raise FolderError(f"{where} lists fewer segments than were already applied (an old copy?); not pulled.")
        if not apply:
            return
        # Applied in order; a merged segment reaching past the cursor is applied again (idempotent).
        todo = [entry for entry in manifest["segments"] if entry["n"] > done["n"]]
        for entry, seg_where, batch in self._decoded(device, todo):
            done = {
                "n": entry["n"],
                "events": done["events"] + sum(map(len, batch.events.values())),
                "instance": manifest["instance"],
                "hostname": manifest["hostname"],
                "at": self._clock(),
            }
            try:
                applied = apply_remote(self.store, batch, orjson.dumps(done).decode(), here=self.device)
            except AwError as exc:  # e.g. a privacy filter too slow on its data: this device waits
                raise FolderError(f"{seg_where} cannot be applied: {exc.message}") from None
            report.pulled.add(applied)
            status.segments_applied, status.events, status.last_pull = done["n"], done["events"], done["at"]

    def _decoded(self, device: str, entries: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str, RemoteBatch]]:
        """Each segment of `entries` read and checked, in order; with several, each is read on a second
        thread while the one before is applied (SQLite lets go of the GIL while it writes), so a
        catch-up takes the longer of reading and writing rather than both. An error of a segment is
        raised when its turn comes: the segments before it are applied."""
        if len(entries) < 2:  # nothing to overlap
            for entry in entries:
                yield entry, *self._decode(device, entry)
            return
        with ThreadPoolExecutor(1, thread_name_prefix="sync-read") as pool:
            ahead = pool.submit(self._decode, device, entries[0])
            for i, entry in enumerate(entries):
                where, batch = ahead.result()
                if i + 1 < len(entries):
                    ahead = pool.submit(self._decode, device, entries[i + 1])
                yield entry, where, batch

    def _decode(self, device: str, entry: dict[str, Any]) -> tuple[str, RemoteBatch]:
        """A segment's changes, checked, and the words naming it in errors."""
        base = self.folder / device
        span = (entry["first"], entry["n"])
        if "doc" in entry:
            where = f"Device {device}: segment {entry['n']} in {base / MANIFEST}"
            return where, documents.read_segment(entry["doc"], device, span, where)
        where = f"Device {device}: {base / entry['file']}"
        blob = read_bounded(base / entry["file"], where)
        if sha256(blob) != entry["sha256"]:
            raise FolderError(f"{where} does not match its hash in the manifest (damaged or replaced).")
        return where, documents.read_segment(unseal(self.key, blob, where), device, span, where)


def _last(manifest: dict[str, Any]) -> int:
    """The number of the last change segment a manifest lists (0: none)."""
    return int(manifest["segments"][-1]["n"]) if manifest["segments"] else 0


def _unlisted_files(own: Path, listed: set[str], now: int) -> dict[str, int]:
    """The segment files in `own` that `listed` does not name, each with since when (by its mtime, on
    the syncer's clock)."""
    found: dict[str, int] = {}
    try:
        entries = list(os.scandir(own))
    except OSError:
        return found
    wall = time.time_ns()
    for entry in entries:
        if entry.name in listed or not SEGMENT_NAME.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            found[entry.name] = now - max(0, wall - entry.stat().st_mtime_ns)
    return found
