"""ActivityWatch export documents (`{"buckets": {id: {..., "events": [...]}}}`), read through core.wire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from activitywatch.core import jsontext
from activitywatch.core.models import Bucket, Event
from activitywatch.core.wire import import_from_wire
from activitywatch.importers.source import BATCH_EVENTS, Batches, BucketSummary, Source, SourceError


def _batches(events: list[Event]) -> Batches:
    for i in range(0, len(events), BATCH_EVENTS):
        yield events[i : i + BATCH_EVENTS]


class ExportSource(Source):
    """An export document, checked whole when opened (so a bad one stores nothing)."""

    def __init__(self, path: Path, content: bytes, label: str | None = None) -> None:
        doc = jsontext.loads(content, label or str(path))
        self._items = import_from_wire(doc, time.time_ns())
        summaries = [
            BucketSummary(
                bucket,
                len(events),
                min((e.timestamp for e in events), default=None),
                max((e.end for e in events), default=None),
            )
            for bucket, events in self._items
        ]
        super().__init__("an ActivityWatch export", path, summaries)

    def buckets(self) -> Iterator[tuple[Bucket, Batches]]:
        """Each bucket with its events in batches."""
        for bucket, events in self._items:
            yield bucket, _batches(events)


def open_export(path: Path) -> ExportSource:
    """Read an export file."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror}.") from None
    return ExportSource(path, content)
