"""Pulling from ActivityWatch's own aw-sync (v1) folders: read-only, like another device's data.

aw-sync writes a full aw-server-rust datastore per device, `test.db`, in one of two layouts (which
upstream's walkers each see only one of, aw-server-rust#682): `{folder}/{device_id}/test.db` (the
daemon) and `{folder}/{hostname}/{device_id}/test.db` (`aw-sync sync`, Android). Both are read; with
several files for one device id the largest wins (as upstream's PR #710 does). Files whose path holds
this device's id are skipped (aw-sync run against this app pushes there), and so are buckets whose id
holds `-synced-from-` (copies aw-sync pulled from elsewhere: re-pulling them duplicated data,
aw-server-rust#647).

Each file is read through the aw-server-rust importer, which copies it with its `-wal` first when
another program has it open and never writes to it. An event keeps the file's row id as its origin id,
so pulling again updates rather than duplicates (an event aw-sync extended by a heartbeat is updated in
place). A file unchanged since its last pull (size and mtime of it and its log) is not read again.
Events deleted from a `test.db` stay here: aw-sync v1 records no deletions.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from activitywatch.core.models import Event
from activitywatch.importers.awrust import open_aw_server_rust
from activitywatch.store import Store
from activitywatch.store.syncfeed import ApplyReport, RemoteBatch, apply_remote, cursor

log = logging.getLogger(__name__)

DB_NAME = "test.db"
SYNCED_MARK = "-synced-from-"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size + (Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0)
    except OSError:
        return -1


def find_databases(folders: list[Path], own: str) -> dict[str, Path]:
    """The aw-sync `test.db` of each other device in `folders` (both layouts; the largest per device id)."""
    found: dict[str, Path] = {}
    for folder in folders:
        _scan(folder, own, found)
    return found


def _scan(folder: Path, own: str, found: dict[str, Path]) -> None:
    try:
        tops = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for top in tops:
        if top.name.startswith(".") or not top.is_dir():
            continue
        paths = [Path(top.path) / DB_NAME]
        try:
            paths += sorted(
                Path(sub.path) / DB_NAME
                for sub in os.scandir(top.path)
                if sub.is_dir() and not sub.name.startswith(".")
            )
        except OSError:
            continue
        for path in paths:
            if own in str(path) or not path.is_file():
                continue
            device = path.parent.name
            if device not in found or _size(path) > _size(found[device]):
                found[device] = path


def _stamp(path: Path) -> list[list[int]]:
    stamps = []
    for p in (path, Path(f"{path}-wal")):
        try:
            st = p.stat()
            stamps.append([st.st_size, st.st_mtime_ns])
        except FileNotFoundError:
            stamps.append([-1, -1])
    return stamps


@dataclass
class FilePull:
    """What is known of one aw-sync device after looking at its file."""

    hostname: str = "?"
    events: int = 0  # events read from its file at the last pull
    last_pull: int | None = None
    applied: ApplyReport = field(default_factory=ApplyReport)


def pull_file(
    store: Store, device: str, path: Path, apply: bool = True, clock: Callable[[], int] = time.time_ns
) -> FilePull:
    """Apply an aw-sync device's `test.db` here (`apply=False`: only say what is known of it); raises
    AwError naming the file when it cannot be read."""
    text = cursor(store, device)
    done: dict[str, Any] = orjson.loads(text) if text else {}
    result = FilePull(str(done.get("hostname", "?")), int(done.get("events", 0)), done.get("at"))
    stamp = _stamp(path)
    if not apply or (done.get("stamp") == stamp and done.get("file") == str(path)):
        return result
    source = open_aw_server_rust(path)
    try:
        buckets = [s.bucket for s in source.summaries if SYNCED_MARK not in s.bucket.id]
        hosts = Counter(b.hostname for b in buckets if b.hostname and b.hostname != "unknown")
        hostname = hosts.most_common(1)[0][0] if hosts else "?"
        old = text or "{}"
        result.applied.add(apply_remote(store, RemoteBatch(device, buckets=buckets), old))
        read = 0
        for bucket, batches in source.buckets_with_ids():
            if SYNCED_MARK in bucket.id:
                continue
            for batch in batches:  # one transaction per batch: a big file does not hold the writer long
                events = [Event(ev.timestamp, ev.duration, dict(ev.data), int(ev.id or 0)) for ev in batch]
                result.applied.add(apply_remote(store, RemoteBatch(device, events={bucket.id: events}), old))
                read += len(events)
    finally:
        source.close()
    now = clock()
    done = {"file": str(path), "stamp": stamp, "events": read, "hostname": hostname, "at": now, "aw_sync": 1}
    apply_remote(store, RemoteBatch(device), orjson.dumps(done).decode())
    result.hostname, result.events, result.last_pull = hostname, read, now
    return result
