"""Devices for sync tests: a real store in its own folder with a real syncer over a shared folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.sync.engine import RoundReport, Syncer
from activitywatch.sync.folder import check_key, new_key

S = 1_000_000_000
BASE = 1_714_521_600 * S  # 2024-05-01T00:00:00Z


class Device:
    """One computer: its store and its syncer (own device id and hostname)."""

    def __init__(self, root: Path, name: str, folder: Path, key: bytes, device_id: str | None = None) -> None:
        self.name = name
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.dir / "activitywatch.db")
        self.id = device_id or str(uuid.uuid4())
        self.syncer = Syncer(self.store, folder, key, self.id, name, instance=f"instance-{name}")

    @property
    def window(self) -> str:
        """This device's window bucket id."""
        return f"aw-watcher-window_{self.name}"

    def make_window_bucket(self, bucket_id: str | None = None) -> str:
        """Create a window bucket (hostname = device name)."""
        bucket_id = bucket_id or self.window
        self.store.create_bucket(
            Bucket(id=bucket_id, type="currentwindow", client="aw-watcher-window", hostname=self.name, created=BASE)
        )
        return bucket_id

    def add_windows(self, bucket_id: str, first: int, count: int, app: str = "editor") -> None:
        """`count` one-minute window events from minute `first` on."""
        self.store.insert_events(
            bucket_id,
            [
                Event(
                    BASE + (first + i) * 60 * S, 60 * S, {"app": app, "title": f"{self.name} secret title {first + i}"}
                )
                for i in range(count)
            ],
        )

    def round(self) -> RoundReport:
        """One sync round."""
        return self.syncer.round()

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def first_computer(root: Path, folder: Path, minutes: int) -> tuple[str, str, str]:
    """A first computer "laptop" that set sync up through `folder` and pushed `minutes` window events:
    (its sync key, its device id, its window bucket)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = new_key()
    laptop = Device(root / "first-computer", "laptop", folder, check_key(key))
    try:
        laptop.add_windows(laptop.make_window_bucket(), 0, minutes)
        assert laptop.round().pushed_events == minutes
    finally:
        laptop.close()
    return key, laptop.id, laptop.window


def content(store: Store, bucket_id: str) -> list[tuple[int, int, Any]]:
    """A bucket's events as (start, end, data), oldest first (ids differ between devices)."""
    return sorted((e.timestamp, e.timestamp + e.duration, e.data) for e in store.get_events(bucket_id))


def everything(store: Store) -> dict[str, Any]:
    """Every bucket with its metadata and events, and the settings (to prove nothing changed)."""
    return {
        "buckets": {
            info.bucket.id: (info.bucket.hostname, info.bucket.type, content(store, info.bucket.id))
            for info in store.list_buckets()
        },
        "settings": store.get_settings(),
    }


@contextmanager
def devices(root: Path, *names: str) -> Iterator[tuple[Path, bytes, list[Device]]]:
    """Devices sharing one plain folder and one new key, closed afterwards."""
    folder = root / "shared"
    folder.mkdir(parents=True, exist_ok=True)
    key = check_key(new_key())
    made = [Device(root, name, folder, key) for name in names]
    try:
        yield folder, key, made
    finally:
        for device in made:
            device.close()
