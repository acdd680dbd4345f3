"""What a watcher sends: heartbeats into a bucket, through a small protocol the store satisfies."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Protocol

from activitywatch.core.models import Bucket, Event

SECOND = 1_000_000_000


@dataclass(frozen=True)
class Heartbeat:
    """An event to merge into a bucket's last event when it continues it within `pulsetime` ns."""

    event: Event
    pulsetime: int


class HeartbeatSink(Protocol):
    """Where heartbeats go (the store: no HTTP in between)."""

    def create_bucket(self, bucket: Bucket, events: tuple[Event, ...] = ()) -> bool:
        """Create a bucket unless it exists."""
        ...

    def heartbeat(self, bucket_id: str, heartbeat: Event, pulsetime: int) -> Event:
        """Merge or insert one heartbeat (committed when this returns)."""
        ...


def hostname() -> str:
    """This machine's name, as the reference watchers use in their bucket ids."""
    return socket.gethostname()


def watcher_bucket(client: str, kind: str, now: int, host: str | None = None) -> Bucket:
    """`<client>_<hostname>`, the bucket of a reference watcher (e.g. aw-watcher-afk_myhost)."""
    host = host or hostname()
    return Bucket(id=f"{client}_{host}", type=kind, client=client, hostname=host, created=now)
