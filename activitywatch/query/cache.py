"""Results of earlier queries, kept while the events they read are unchanged.

Dashboards send the same queries again and again, over periods that are mostly in the past. An entry
holds the encoded result of one (query, timeperiod, name) with what it read: which buckets over which
spans, and the store's change token (highest change sequence number, generation) taken before the
reading began. It is served again only if the generation is the same (no event deleted or moved, no
bucket added, changed or removed since) and no event inserted or extended since overlaps a span it
read. Anything else is recomputed, so the cache can be wrong only in being unused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from activitywatch.core.models import Event
from activitywatch.query.functions import BucketSource, ColumnSource
from activitywatch.transforms.columns import Columns

MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRY_BYTES = 4 * 1024 * 1024

CacheKey = tuple[str, str, str]  # (query source, timeperiod text, name)
Span = tuple[str, int, int]  # (bucket id, start, end) in nanoseconds


class ChangeLog(Protocol):
    """What the cache asks of the store."""

    def change_token(self) -> tuple[int, int]:
        """(highest change sequence number, generation), before reading."""
        ...

    def changes_since(self, seq: int, limit: int = 10_000) -> tuple[int, list[Span] | None]:
        """The generation now, and the spans of events inserted or extended after `seq` (None: too many)."""
        ...


@dataclass(frozen=True)
class Entry:
    """One cached result."""

    seq: int
    generation: int
    reads: tuple[Span, ...]
    value: bytes


class RecordingSource:
    """A BucketSource that notes which bucket spans a query read."""

    def __init__(self, inner: BucketSource) -> None:
        self.inner = inner
        self.reads: list[Span] = []

    def bucket_hostnames(self) -> Mapping[str, str]:
        """Every bucket id with its hostname (changes to these bump the generation)."""
        return self.inner.bucket_hostnames()

    def events(self, bucket_id: str, start: int, end: int) -> list[Event]:
        """Events of a bucket in [start, end], noting the span."""
        self.reads.append((bucket_id, start, end))
        return self.inner.events(bucket_id, start, end)

    def event_columns(self, bucket_id: str, start: int, end: int) -> Columns | None:
        """Events of a bucket in [start, end] as columns if the inner source has them, noting the span."""
        if not isinstance(self.inner, ColumnSource):
            return None
        columns = self.inner.event_columns(bucket_id, start, end)
        if columns is not None:
            self.reads.append((bucket_id, start, end))
        return columns

    def event_count(self, bucket_id: str, start: int, end: int) -> int:
        """How many events overlap [start, end], noting the span."""
        self.reads.append((bucket_id, start, end))
        return self.inner.event_count(bucket_id, start, end)


def _untouched(entry: Entry, generation: int, changes: Sequence[Span]) -> bool:
    if entry.generation != generation:
        return False
    for bucket_id, start, end in changes:
        for read_bucket, read_start, read_end in entry.reads:
            if bucket_id == read_bucket and start <= read_end and end >= read_start:
                return False
    return True


class ResultCache:
    """A size-bounded LRU of encoded query results (thread-safe)."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[CacheKey, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def valid(self, keys: Sequence[CacheKey], log: ChangeLog) -> dict[CacheKey, bytes]:
        """The still-valid cached results among `keys` (stale ones are dropped)."""
        with self._lock:
            found = {key: self._entries[key] for key in keys if key in self._entries}
        if not found:
            self.misses += len(keys)
            return {}
        generation, changes = log.changes_since(min(entry.seq for entry in found.values()))
        good: dict[CacheKey, bytes] = {}
        with self._lock:
            for key, entry in found.items():
                if changes is not None and _untouched(entry, generation, changes):
                    good[key] = entry.value
                    if key in self._entries:
                        self._entries.move_to_end(key)
                elif self._entries.get(key) is entry:
                    self._bytes -= len(entry.value)
                    del self._entries[key]
        self.hits += len(good)
        self.misses += len(keys) - len(good)
        return good

    def put(self, key: CacheKey, entry: Entry) -> None:
        """Keep a result (unless it is too big), evicting the least recently used beyond the bound."""
        size = len(entry.value)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.value)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.value)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
