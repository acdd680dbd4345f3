"""Decoded events of recently queried buckets, in columns, kept current by the change sequence.

A query the server has not seen before (a new dashboard view, another period) reads whole buckets; SQLite
and JSON decoding are most of its time. This cache keeps, per bucket, every event from some time on as
four arrays (start, end, id, index of the shared data object), about 32 bytes an event, read in one SQL
statement (store/columnread.py), and answers range reads with a bisection, as `Columns` that queries
work on without building events (transforms/columns.py). Before each read it asks the store what
changed since it last looked: events inserted or changed after its sequence number are read again from
their start on (or from their end less the longest duration, in case a start moved later); anything
the change sequence cannot show (deletes, moves, buckets changed: a new generation), or too many
changes, drops everything. So it never answers with events the store no longer holds; the result cache
above it keeps its own guarantees, as it records what the query read.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from itertools import compress, repeat
from operator import le
from typing import Any, Protocol

from activitywatch.core.allocation import collector_paused
from activitywatch.core.models import Event
from activitywatch.store.columnread import EventColumns
from activitywatch.store.rows import load_json
from activitywatch.transforms.columns import Columns

MAX_EVENTS = 1_000_000  # about 32 MB of columns plus the distinct data objects


class EventSource(Protocol):
    """What the cache asks of the store."""

    def change_token(self) -> tuple[int, int]:
        """(highest change sequence number, generation)."""
        ...

    def changes_since(self, seq: int, limit: int = 10_000) -> tuple[int, list[tuple[str, int, int]] | None]:
        """The generation now, and the spans of events inserted or extended after `seq` (None: too many)."""
        ...

    def event_columns_from(self, bucket_id: str, start: int, widen: bool) -> tuple[int, int, EventColumns]:
        """(from, longest duration, columns of the events starting at `from` or later in (start, id) order)."""
        ...


class _Columns:
    """Every event of one bucket that starts at `lo` or later, ordered by (start, id)."""

    def __init__(self, lo: int, longest: int) -> None:
        self.lo = lo
        self.longest = longest  # the store's bound on any event's duration in the bucket
        self.dirty_from: int | None = None  # events starting here or later must be read again
        self.starts = array("q")
        self.ends = array("q")
        self.ids = array("q")
        self.refs = array("l")
        self.datas: list[Any] = []
        self.by_text: dict[bytes, int] = {}
        self.ties: list[int] = []  # positions i > 0 whose start equals the one before (in_time_order's)

    def __len__(self) -> int:
        return len(self.starts)

    def extend(self, columns: EventColumns) -> None:
        """Append events in (start, id) order that start after every kept event."""
        by_text, datas = self.by_text, self.datas
        texts = columns.texts
        with collector_paused():
            for text in set(texts):  # each distinct text once
                if text not in by_text:
                    by_text[text] = len(datas)
                    datas.append(load_json(text))
        self.ids.extend(columns.ids)
        kept = len(self.starts)
        if kept and columns.starts and self.starts[-1] == columns.starts[0]:
            self.ties.append(kept)
        self.ties.extend(map(kept.__add__, columns.ties))
        self.starts.extend(columns.starts)
        self.ends.extend(columns.ends)
        self.refs.fromlist(list(map(by_text.__getitem__, texts)))  # a list first: faster than extend

    def truncate(self, start: int) -> None:
        """Forget the events starting at `start` or later."""
        cut = bisect_left(self.starts, start)
        for column in (self.starts, self.ends, self.ids, self.refs):
            del column[cut:]
        del self.ties[bisect_left(self.ties, cut) :]

    def columns(self, start: int, end: int) -> Columns:
        """Events overlapping [start, end], clipped to it, newest first (as Store.get_events)."""
        starts, ends, ids, refs = self.starts, self.ends, self.ids, self.refs
        first = bisect_left(starts, start - self.longest)  # may overlap `start`: clipped one by one
        inner = bisect_left(starts, start)  # from here on, whole events...
        inner_end = max(inner, bisect_right(starts, end - self.longest))  # ...up to here (they end by `end`)
        last = bisect_right(starts, end)
        # Events starting before `start` that reach it, clipped to start there.
        reaching = list(map(le, repeat(start), ends[first:inner]))
        head = sum(reaching)
        out_starts = array("q", repeat(start, head))
        out_starts += starts[inner:last]
        out_ends = array("q", map(min, compress(ends[first:inner], reaching), repeat(end)))
        out_ends += ends[inner:inner_end]
        out_ends.extend(map(min, ends[inner_end:last], repeat(end)))
        out_ids = array("q", compress(ids[first:inner], reaching))
        out_ids += ids[inner:last]
        out_refs = array(refs.typecode, compress(refs[first:inner], reaching))
        out_refs += refs[inner:last]
        # Equal starts: the clipped events (all at `start`), the first inner event if it starts there
        # too, and those among the inner events.
        ties = list(range(1, head))
        if head and last > inner and starts[inner] == start:
            ties.append(head)
        kept = self.ties
        ties.extend(map((head - inner).__add__, kept[bisect_right(kept, inner) : bisect_left(kept, last)]))
        return Columns(out_starts, out_ends, out_ids, out_refs, self.datas, newest_first=True, ties=ties)


class EventCache:
    """Range reads of buckets served from columns kept current with the store (thread-safe)."""

    def __init__(self, store: EventSource, max_events: int = MAX_EVENTS) -> None:
        self.store = store
        self.max_events = max_events
        self._buckets: OrderedDict[str, _Columns] = OrderedDict()
        self._seq = -1
        self._generation = -1
        self._lock = threading.Lock()

    def _catch_up(self) -> None:
        """Mark what changed since the last look; drop everything on a change the sequence cannot show."""
        seq, generation = self.store.change_token()
        if generation != self._generation:
            self._buckets.clear()
        elif seq != self._seq and self._buckets:
            now, changes = self.store.changes_since(self._seq)
            if now != generation or changes is None:
                self._buckets.clear()
            else:
                for bucket_id, start, end in changes:
                    columns = self._buckets.get(bucket_id)
                    if columns is None:
                        continue
                    # An event whose start was moved later in place (a sync's forget trims so) was kept
                    # under its old start, which is no earlier than its end less the longest duration.
                    since = min(start, end - columns.longest)
                    if columns.dirty_from is None or since < columns.dirty_from:
                        columns.dirty_from = since
        self._seq, self._generation = seq, generation

    def events(self, bucket_id: str, start: int, end: int) -> list[Event]:
        """Events of a bucket overlapping [start, end], clipped to it, newest first (NotFound if none)."""
        return self.columns(bucket_id, start, end).events()

    def columns(self, bucket_id: str, start: int, end: int) -> Columns:
        """`events` as columns (NotFound if there is no such bucket)."""
        with self._lock:
            self._catch_up()
            columns = self._buckets.get(bucket_id)
            if columns is not None and columns.dirty_from is not None:
                reread_from = max(columns.dirty_from, columns.lo)
                _, columns.longest, read = self.store.event_columns_from(bucket_id, reread_from, widen=False)
                columns.truncate(reread_from)
                columns.extend(read)
                columns.dirty_from = None
            if columns is None or start - columns.longest < columns.lo:
                lo, longest, read = self.store.event_columns_from(bucket_id, start, widen=True)
                columns = _Columns(lo, longest)
                columns.extend(read)
                self._buckets.pop(bucket_id, None)
                if len(columns) <= self.max_events:
                    self._buckets[bucket_id] = columns
                    self._evict()
            else:
                self._buckets.move_to_end(bucket_id)
            return columns.columns(start, end)

    def _evict(self) -> None:
        total = sum(len(columns) for columns in self._buckets.values())
        while total > self.max_events and len(self._buckets) > 1:
            _, evicted = self._buckets.popitem(last=False)
            total -= len(evicted)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._buckets.clear()
