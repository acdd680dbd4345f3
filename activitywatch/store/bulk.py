"""Bulk import: buckets with streams of event batches, written inside the store's one write transaction.

The store hands this module its write connection, its privacy filter and its change sequence; this module
knows nothing of where the events come from. An event equal to one already stored in its bucket (same
start, end and canonical data) is skipped, so importing the same source twice stores nothing new, and the
check runs in SQL next to the insert so it costs one index probe per event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import apsw
import orjson

from activitywatch.core.models import Bucket, Event
from activitywatch.store.database import scalar
from activitywatch.store.rows import SQL_BUCKET_INSERT, dump_json

SQL_BUCKET_FIND = "SELECT key FROM buckets WHERE id = ?"
SQL_EVENT_ADD = "INSERT INTO events (bucket_key, starttime, endtime, data, seq) VALUES (?, ?, ?, ?, ?)"
# Inserted only when no equal event is stored: earlier rows of the same import count too.
SQL_EVENT_ADD_NEW = (
    "INSERT INTO events (bucket_key, starttime, endtime, data, seq) SELECT ?1, ?2, ?3, ?4, ?5"
    " WHERE NOT EXISTS (SELECT 1 FROM events"
    " WHERE bucket_key = ?1 AND starttime = ?2 AND endtime = ?3 AND data = ?4)"
)
SQL_SETTING_ADD = "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING"

Filter = Callable[[str, Sequence[Event]], list[Event]]
Progress = Callable[[int], None]


def append_events(conn: apsw.Connection, key: int, events: Sequence[Event], seq: int) -> list[Event]:
    """Insert `events` as new rows of the bucket `key`, numbered in the change sequence after `seq`, in one
    executemany; return them with their ids (the caller holds the write lock and counts `seq` on)."""
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS  # dump_json's encoding, without a call per event
    try:
        rows = [
            (key, ev[0], ev[0] + ev[1], dumps(ev[2], option=sort).decode(), n) for n, ev in enumerate(events, seq + 1)
        ]
    except (orjson.JSONEncodeError, TypeError):
        for ev in events:
            dump_json(ev.data, "event data")  # raises, naming what is wrong
        raise
    conn.executemany(SQL_EVENT_ADD, rows)
    # Under the write lock AUTOINCREMENT hands out consecutive ids: the run's ids end at last_insert_rowid().
    first = conn.last_insert_rowid() - len(rows) + 1
    new = tuple.__new__  # Event(...) without the NamedTuple's Python-level __new__
    return [new(Event, (ev[0], ev[1], ev[2], first + i)) for i, ev in enumerate(events)]


@dataclass(frozen=True, slots=True)
class BucketImport:
    """What an import did to one bucket."""

    bucket_id: str
    created: bool
    imported: int
    skipped: int  # already stored
    filtered: int  # dropped by a privacy filter


@dataclass
class BulkWriter:
    """Writes one import through `conn` (already inside a write transaction)."""

    conn: apsw.Connection
    keep: Filter  # the store's privacy filter: the events that may be stored
    seq: int  # the last change sequence number handed out; raised for every row offered
    progress: Progress | None = None
    done: int = 0  # events read from the source so far (for progress)
    buckets: list[BucketImport] = field(default_factory=list)

    def bucket(self, bucket: Bucket) -> tuple[int, bool]:
        """The bucket's row key, creating the bucket if it does not exist; and whether it was created."""
        found = scalar(self.conn, SQL_BUCKET_FIND, (bucket.id,))
        if found is not None:
            return int(found), False
        data = dump_json(bucket.data, f"bucket '{bucket.id}' data")
        row = (bucket.id, bucket.name, bucket.type, bucket.client, bucket.hostname, bucket.created, data)
        self.conn.execute(SQL_BUCKET_INSERT, row)
        return int(self.conn.last_insert_rowid()), True

    def events(self, bucket_id: str, key: int, created: bool, batches: Iterable[Sequence[Event]]) -> int:
        """Store the bucket's events, batch by batch; return the longest duration stored.

        Into a bucket created by this import, events arriving in start order can only repeat events of
        the same start, which are remembered here, so they are inserted without asking SQL; from the
        first event out of order on (and always into an existing bucket) SQL checks every row.
        """
        imported = skipped = filtered = longest = 0
        conn = self.conn
        ordered = created
        group_start: int | None = None
        group: set[tuple[int, str]] = set()  # (end, data) of the events starting at group_start
        for batch in batches:
            kept = self.keep(bucket_id, batch)
            filtered += len(batch) - len(kept)
            seq = self.seq
            plain: list[tuple[int, int, int, str, int]] = []
            checked: list[tuple[int, int, int, str, int]] = []
            for ev in kept:
                start = ev.timestamp
                end = start + ev.duration
                data = dump_json(ev.data, "event data")
                if ordered:
                    if start != group_start:
                        if group_start is not None and start < group_start:
                            ordered = False
                        group_start, group = start, set()
                    if ordered:
                        if (end, data) in group:
                            skipped += 1
                            continue
                        group.add((end, data))
                seq += 1
                (plain if ordered else checked).append((key, start, end, data, seq))
                longest = max(longest, end - start)
            self.seq = seq
            if plain:
                conn.executemany(SQL_EVENT_ADD, plain)
                imported += len(plain)
            if checked:
                before = conn.total_changes()
                conn.executemany(SQL_EVENT_ADD_NEW, checked)
                added = conn.total_changes() - before
                imported += added
                skipped += len(checked) - added
            self.done += len(batch)
            if self.progress is not None:
                self.progress(self.done)
        self.buckets.append(BucketImport(bucket_id, created, imported, skipped, filtered))
        return longest

    def settings(self, settings: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """Add the settings not set here yet; return (added keys, keys kept as they were)."""
        added: list[str] = []
        kept: list[str] = []
        for key, value in settings.items():
            self.conn.execute(SQL_SETTING_ADD, (key, dump_json(value, f"setting '{key}'")))
            (added if self.conn.changes() else kept).append(key)
        return added, kept
