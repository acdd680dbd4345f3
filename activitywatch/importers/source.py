"""What every importer hands out: buckets with streams of event batches, settings, and a summary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.core.wire import check_data

BATCH_EVENTS = 5000
BATCH_BYTES = 16 << 20  # a batch is cut early when its data text gets this big (one huge event is fine)

Batches = Iterator[list[Event]]


class SourceError(InvalidInput):
    """The file cannot be imported: one sentence that names it."""


@dataclass(frozen=True, slots=True)
class BucketSummary:
    """A bucket of the source, with how many events it holds and their span (ns; None when empty)."""

    bucket: Bucket
    events: int
    start: int | None
    end: int | None


@dataclass
class Source:
    """An opened file to import from (close it when done; it may hold a temporary copy)."""

    kind: str  # what the file is, for people: "an aw-server-rust database (schema 5)"
    path: Path
    summaries: list[BucketSummary]
    settings: dict[str, Any] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)  # per bucket: rows that could not be read
    unreadable_buckets: list[str] = field(default_factory=list)  # buckets left out, with the reason

    @property
    def event_count(self) -> int:
        """Events in the source (as counted before reading them)."""
        return sum(s.events for s in self.summaries)

    @property
    def span(self) -> tuple[int | None, int | None]:
        """The first start and last end of the source's events."""
        starts = [s.start for s in self.summaries if s.start is not None]
        ends = [s.end for s in self.summaries if s.end is not None]
        return (min(starts) if starts else None, max(ends) if ends else None)

    def buckets(self) -> Iterator[tuple[Bucket, Batches]]:
        """Each bucket with its events in batches; read them in order (each stream before the next bucket)."""
        raise NotImplementedError

    def skip(self, bucket_id: str) -> None:
        """Count one row of the bucket that could not be read."""
        self.unreadable[bucket_id] = self.unreadable.get(bucket_id, 0) + 1

    def close(self) -> None:
        """Release the file (and remove a temporary copy)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def text(value: Any) -> Any:
    """A text column read as bytes, decoded (bad UTF-8 becomes U+FFFD); other values as they are."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def blobs(*columns: str) -> str:
    """SQL selecting text columns as bytes (apsw cannot hand out text that is not UTF-8)."""
    return ", ".join(f"CAST({c} AS BLOB)" for c in columns)


def parse_data(raw: object) -> dict[str, Any] | None:
    """Event data from a column: a JSON object (text with bad UTF-8 gets U+FFFD), or None when unusable."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not isinstance(raw, bytes):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:  # invalid UTF-8 inside otherwise good JSON: keep the event, mark the bad bytes
            value = orjson.loads(raw.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:
            return None
    if type(value) is not dict:
        return None
    for item in value.values():  # the usual data (app, title, url...) is flat text: nothing to check
        if type(item) is not str:
            break
    else:
        return value
    try:
        return check_data(value)
    except InvalidInput:
        return None


class Batcher:
    """Cuts a stream of events into batches of at most BATCH_EVENTS events or about BATCH_BYTES of data."""

    def __init__(self) -> None:
        self.batch: list[Event] = []
        self.size = 0

    def add(self, event: Event, size: int) -> list[Event] | None:
        """Add an event (`size`: its data's length); return a full batch to hand on, if one is full."""
        self.batch.append(event)
        self.size += size
        if len(self.batch) >= BATCH_EVENTS or self.size >= BATCH_BYTES:
            full, self.batch, self.size = self.batch, [], 0
            return full
        return None

    def rest(self) -> list[Event] | None:
        """The last, partial batch (None when empty)."""
        full, self.batch, self.size = self.batch, [], 0
        return full or None
