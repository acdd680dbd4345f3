"""Every device this store knows of, for the dashboard's Devices view: last seen, data range, errors."""

from __future__ import annotations

from typing import Any

from activitywatch.config import Settings
from activitywatch.core.errors import AwError
from activitywatch.core.timestamps import format_timestamp
from activitywatch.store import Store
from activitywatch.store.syncfeed import remote_buckets
from activitywatch.sync import setup as sync_setup
from activitywatch.sync.engine import DeviceStatus, Syncer


def _iso(ns: int | None) -> str | None:
    return None if ns is None else format_timestamp(ns)


def _ranges(store: Store, this_device: str) -> dict[str, tuple[int | None, int | None, int]]:
    """Per device: the first and last event time over its buckets, and how many buckets it has here."""
    owner = {local: device for local, (device, _origin) in remote_buckets(store).items()}
    found: dict[str, tuple[int | None, int | None, int]] = {}
    for info in store.list_buckets():
        device = owner.get(info.bucket.id, this_device)
        first, last, count = found.get(device, (None, None, 0))
        if info.start is not None:
            first = info.start if first is None else min(first, info.start)
        if info.end is not None:
            last = info.end if last is None else max(last, info.end)
        found[device] = (first, last, count + 1)
    return found


def _row(status: DeviceStatus, ranges: dict[str, tuple[int | None, int | None, int]]) -> dict[str, Any]:
    first, last, buckets = ranges.get(status.device, (None, None, 0))
    seen = max((t for t in (status.last_push, status.last_pull) if t is not None), default=None)
    return {
        "device_id": status.device,
        "hostname": status.hostname,
        "this_device": status.this_device,
        "last_push": _iso(status.last_push),
        "last_pull": _iso(status.last_pull),
        "last_seen": _iso(seen),
        "first_event": _iso(first),
        "last_event": _iso(last),
        "buckets": buckets,
        "events_synced": status.events,
        "segments_behind": status.lag,
        "error": status.error,
    }


def devices_report(settings: Settings, store: Store, device: str, hostname: str) -> dict[str, Any]:
    """`{"enabled", "folder", "errors", "devices": [...]}`, changing nothing (read-only: no push, no pull)."""
    ranges = _ranges(store, device)
    if not settings.sync.enabled or not sync_setup.configured(settings):
        own = DeviceStatus(device, hostname, this_device=True)
        return {"enabled": False, "folder": None, "errors": [], "devices": [_row(own, ranges)]}
    problem = "Sync is not set up on this device."
    try:
        syncer = sync_setup.make_syncer(settings, store, device, hostname)
    except AwError as exc:  # e.g. the key is not in the keyring: say so on this device's row
        syncer, problem = None, exc.message
    if syncer is None:
        own = DeviceStatus(device, hostname, this_device=True, error=problem)
        return {"enabled": True, "folder": None, "errors": [problem], "devices": [_row(own, ranges)]}
    return devices_table(store, syncer, ranges)


def devices_table(
    store: Store, syncer: Syncer, ranges: dict[str, tuple[int | None, int | None, int]] | None = None
) -> dict[str, Any]:
    """The report of a set-up device: every device the folder and this store know of."""
    if ranges is None:
        ranges = _ranges(store, syncer.device)
    report = syncer.status()
    return {
        "enabled": True,
        "folder": str(syncer.folder),
        "errors": report.errors,
        "devices": [_row(d, ranges) for d in report.devices],
    }
