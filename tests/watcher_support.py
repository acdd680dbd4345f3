"""Shared by the watcher tests: starting watchers on their threads, reading what they wrote."""

from __future__ import annotations

from typing import Any

from activitywatch.core.errors import NotFound
from activitywatch.core.models import Event
from activitywatch.store import Store
from activitywatch.watchers.worker import WatcherThread


def events_of(store: Store, bucket_id: str) -> list[Event]:
    """The bucket's events ([] until the watcher has created it)."""
    try:
        return store.get_events(bucket_id)
    except NotFound:
        return []


def start(threads: list[WatcherThread], watcher: Any) -> WatcherThread:
    """Start `watcher` on its own thread (stopped by the `watcher_threads` fixture)."""
    t = WatcherThread(watcher)
    threads.append(t)
    t.start()
    return t


class IdleStandIn:
    """An idle probe whose answer (seconds idle, screen locked) the test sets in `value`."""

    def __init__(self) -> None:
        self.value = (0.0, False)

    def idle(self) -> tuple[float, bool]:
        return self.value

    def close(self) -> None:
        pass
