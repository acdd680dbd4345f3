"""One sync round: push this device's changes as new segments, then pull every other device's.

Push: the device's own manifest says how far it has written (the change sequence and sync log reached
by its last segment); the changes since are sealed into new segments (at most `SEGMENT_EVENTS` events
each), every segment written before the manifest that lists it. A kill at any moment leaves the
previous manifest, or the new one with all its segments present.

Pull: for each other device, the segments after the one last applied (the cursor is stored with the
changes, in one transaction), in order. A device whose files fail stops at that file with a status
error; the other devices go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from activitywatch.core.errors import AwError
from activitywatch.store import Store
from activitywatch.store.syncfeed import (
    ApplyReport,
    apply_remote,
    cursor,
    local_changes,
    record_settings,
    settings_to_push,
)
from activitywatch.sync import documents
from activitywatch.sync.folder import (
    MANIFEST,
    FolderError,
    UnknownVersion,
    device_dirs,
    read_bounded,
    seal,
    sha256,
    unseal,
    write_atomic,
)

log = logging.getLogger(__name__)

SEGMENT_EVENTS = 100_000
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
    ) -> None:
        self.store = store
        self.folder = folder
        self.key = key
        self.device = device
        self.hostname = hostname
        self.instance = instance
        self._clock = clock

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

    def _own_manifest(self) -> dict[str, Any] | None:
        path = self.folder / self.device / MANIFEST
        if not path.exists():
            return None
        where = f"This device's manifest ({path})"
        doc = documents.read_manifest(
            unseal(self.key, read_bounded(path, where, MAX_MANIFEST_BYTES), where), self.device, where
        )
        if doc["instance"] != self.instance:
            raise FolderError(
                f"Another installation writes to {path.parent} as device {self.device} (two devices claim one "
                "device id, e.g. a copied data folder); this device stopped pushing. Run `sync leave` on one of them."
            )
        return doc

    def push(self, report: RoundReport) -> None:
        """Write this device's changes since its last segment."""
        own = self.folder / self.device
        if not self.folder.is_dir():
            raise FolderError(f"The sync folder {self.folder} does not exist (not mounted, or moved?).")
        own.mkdir(exist_ok=True)
        manifest = self._own_manifest()
        segments: list[dict[str, Any]] = list(manifest["segments"]) if manifest else []
        state: dict[str, Any] = dict(manifest["state"]) if manifest else {}
        seq = int(segments[-1].get("seq", 0)) if segments else 0
        log_n = int(segments[-1].get("log", 0)) if segments else 0
        while True:
            changes = local_changes(self.store, seq, log_n, SEGMENT_EVENTS)
            b_hash = documents.buckets_hash(changes.buckets)
            settings = settings_to_push(self.store, changes.settings, self.device, self._clock())
            if not changes.events and not changes.entries and not settings and b_hash == state.get("buckets"):
                return
            n = len(segments) + 1
            doc = documents.segment_doc(self.device, n, changes, settings)
            blob = seal(self.key, doc)
            name = f"{n:08}.seg"
            write_atomic(own / name, blob)
            segments.append(
                {
                    "n": n,
                    "file": name,
                    "sha256": sha256(blob),
                    "size": len(blob),
                    "events": len(doc["events"]),
                    "seq": changes.seq,
                    "log": changes.log,
                }
            )
            state = {"buckets": b_hash}
            write_atomic(
                own / MANIFEST,
                seal(
                    self.key,
                    documents.manifest_doc(
                        self.device, self.hostname, self.instance, self._clock(), segments=segments, state=state
                    ),
                ),
            )
            if settings:
                record_settings(self.store, settings)
            report.pushed_segments += 1
            report.pushed_events += len(doc["events"])
            seq, log_n = changes.seq, changes.log
            if changes.complete:
                return

    # ----------------------------------------------------------------- pull

    def status(self) -> RoundReport:
        """Every device's state as the folder and this store tell it, changing nothing."""
        report = RoundReport()
        own = DeviceStatus(self.device, self.hostname, this_device=True)
        try:
            manifest = self._own_manifest()
            if manifest is not None:
                own.last_push = manifest["written_at"]
                own.segments_listed = own.segments_applied = len(manifest["segments"])
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

    def _pull_device(self, device: str, status: DeviceStatus, report: RoundReport, apply: bool = True) -> None:
        base = self.folder / device
        where = f"Device {device}: {base / MANIFEST}"
        manifest = documents.read_manifest(
            unseal(self.key, read_bounded(base / MANIFEST, where, MAX_MANIFEST_BYTES), where), device, where
        )
        status.hostname = manifest["hostname"]
        status.last_push = manifest["written_at"]
        status.segments_listed = len(manifest["segments"])
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
        if len(manifest["segments"]) < done["n"]:
            raise FolderError(f"{where} lists fewer segments than were already applied (an old copy?); not pulled.")
        if not apply:
            return
        for entry in manifest["segments"][done["n"] :]:
            seg_where = f"Device {device}: {base / entry['file']}"
            blob = read_bounded(base / entry["file"], seg_where)
            if sha256(blob) != entry["sha256"]:
                raise FolderError(f"{seg_where} does not match its hash in the manifest (damaged or replaced).")
            batch = documents.read_segment(unseal(self.key, blob, seg_where), device, entry["n"], seg_where)
            done = {
                "n": entry["n"],
                "events": done["events"] + len(batch.events),
                "instance": manifest["instance"],
                "hostname": manifest["hostname"],
                "at": self._clock(),
            }
            try:
                applied = apply_remote(self.store, batch, orjson.dumps(done).decode())
            except AwError as exc:  # e.g. a privacy filter too slow on its data: this device waits
                raise FolderError(f"{seg_where} cannot be applied: {exc.message}") from None
            report.pulled.add(applied)
            status.segments_applied, status.events, status.last_pull = done["n"], done["events"], done["at"]
