"""Export: a consistent snapshot of buckets streamed as an ActivityWatch export document.

The document is `{"buckets": {id: {bucket fields..., "events": [...]}}}`, interchangeable with the
reference servers' exports. It is produced in chunks so exporting years of data needs little memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import apsw
import orjson

from activitywatch.core.errors import NotFound
from activitywatch.core.wire import bucket_export_header, event_to_wire
from activitywatch.store.database import connect, translated_errors
from activitywatch.store.rows import SQL_BUCKET_ROW, bucket_from_row, event_from_row

log = logging.getLogger(__name__)

SQL_EXPORT_EVENTS = "SELECT id, starttime, endtime, data FROM events WHERE bucket_key = ? ORDER BY starttime, id"
CHUNK_EVENTS = 5000


class ExportStream:
    """An export in progress: its own read connection holds one snapshot until closed.

    Opening it checks that every requested bucket exists (NotFound otherwise); iterating yields the
    JSON document in chunks of bytes and closes it at the end.
    """

    def __init__(self, path: Path, bucket_ids: Sequence[str] | None = None, key: str | None = None) -> None:
        self._path = path
        with translated_errors(path):
            self._conn: apsw.Connection | None = connect(path, readonly=True, key=key)
            try:
                self._conn.execute("BEGIN")
                rows = self._conn.execute(SQL_BUCKET_ROW + " ORDER BY id").fetchall()
            except BaseException:
                self.close()
                raise
        by_id = {row[1]: row for row in rows}
        if bucket_ids is not None:
            missing = [b for b in bucket_ids if b not in by_id]
            if missing:
                self.close()
                raise NotFound(f"The requested bucket '{missing[0]}' does not exist")
            rows = [by_id[b] for b in bucket_ids]
        self._rows = rows
        self.bucket_count = len(rows)

    def close(self) -> None:
        """End the snapshot and close the connection (safe to call twice)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except apsw.Error:  # a client hung up while a chunk was being read in another thread
                log.debug("Export connection closed while in use", exc_info=True)

    def __iter__(self) -> Iterator[bytes]:
        """The document, chunk by chunk."""
        try:
            with translated_errors(self._path):
                yield from self._chunks()
        finally:
            self.close()

    def _chunks(self) -> Iterator[bytes]:
        assert self._conn is not None
        yield b'{"buckets":{'
        for n, row in enumerate(self._rows):
            bucket = bucket_from_row(row)
            header = orjson.dumps(bucket_export_header(bucket))
            yield (b"," if n else b"") + orjson.dumps(bucket.id) + b":" + header[:-1] + b',"events":['
            batch: list[bytes] = []
            first = True
            for ev_row in self._conn.execute(SQL_EXPORT_EVENTS, (row[0],)):
                batch.append(orjson.dumps(event_to_wire(event_from_row(ev_row))))
                if len(batch) >= CHUNK_EVENTS:
                    yield (b"" if first else b",") + b",".join(batch)
                    first = False
                    batch = []
            if batch:
                yield (b"" if first else b",") + b",".join(batch)
            yield b"]}"
        yield b"}}"
