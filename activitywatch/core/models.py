"""The data model: events in buckets, with times in integer nanoseconds UTC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

JsonObject = Mapping[str, Any]


class Event(NamedTuple):
    """Something that happened from `timestamp` for `duration` (both nanoseconds), described by `data`.

    An immutable record like the other models, but a NamedTuple rather than a frozen dataclass: queries
    build hundreds of thousands of events, and a NamedTuple is made in less than half the time (measured
    430 ns against 900 ns). Treat `data` as read-only too.
    """

    timestamp: int
    duration: int
    data: JsonObject
    id: int | None = None

    @property
    def end(self) -> int:
        """Nanosecond timestamp at which the event ends."""
        return self.timestamp + self.duration

    def replace(self, **changes: Any) -> Event:
        """A copy with some fields changed."""
        return self._replace(**changes)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A named stream of events from one client on one host (e.g. `aw-watcher-window_myhost`)."""

    id: str
    type: str
    client: str
    hostname: str
    created: int
    data: JsonObject = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True, slots=True)
class BucketInfo:
    """A bucket with the time span its events cover (`None` when it has no events)."""

    bucket: Bucket
    start: int | None
    end: int | None
