"""aw-server-rust's datastore (`sqlite.db`, schema versions 1 to 5; aw-sync's `test.db` files too).

Buckets are rows of `buckets` (the bucket id is the `name` column), events rows of `events` with start
and end in integer nanoseconds UTC and JSON data, settings rows `settings.<key>` of `key_value` (schema 4
and later). Rows that cannot be read (wrong types, data that is not a JSON object) are skipped and
counted; a damaged file stops the import with one sentence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import MAX_NS
from activitywatch.core.wire import bucket_from_wire, check_setting_key, check_value
from activitywatch.importers.source import (
    BATCH_BYTES,
    BATCH_EVENTS,
    Batches,
    BucketSummary,
    SourceError,
    blobs,
    parse_data,
    text,
)
from activitywatch.importers.sqlitefile import DatabaseSource, ReadOnlyDatabase, reading

log = logging.getLogger(__name__)

BUCKET_COLUMNS = {"id", "name", "type", "client", "hostname", "created"}
EVENT_COLUMNS = {"bucketrow", "starttime", "endtime", "data"}
SQL_SPANS = "SELECT bucketrow, count(*), min(starttime), CAST(max(endtime) AS BLOB) FROM events GROUP BY bucketrow"
# Text columns are read as bytes (decoded here: a bad byte must not stop the import); a time that is not
# an integer is read as NULL and the row left out.
SQL_EVENTS = (
    "SELECT iif(typeof(starttime) = 'integer', starttime, NULL), iif(typeof(endtime) = 'integer', endtime, NULL),"
    " CAST(data AS BLOB) FROM events WHERE bucketrow = ? ORDER BY starttime"
)
SQL_EVENTS_IDS = SQL_EVENTS.replace("SELECT ", "SELECT id, ", 1)
SQL_SETTINGS = "SELECT CAST(substr(key, 10) AS BLOB), CAST(value AS BLOB) FROM key_value WHERE key LIKE 'settings.%'"


def matches(tables: dict[str, set[str]]) -> bool:
    """Whether a database's tables are aw-server-rust's."""
    return tables.get("buckets", set()) >= BUCKET_COLUMNS and tables.get("events", set()) >= EVENT_COLUMNS


def read_settings(db: ReadOnlyDatabase, tables: dict[str, set[str]]) -> dict[str, Any]:
    """The `settings.<key>` rows of `key_value`, keys without the prefix (unreadable ones skipped)."""
    if not {"key", "value"} <= tables.get("key_value", set()):
        return {}
    settings: dict[str, Any] = {}
    with reading(db.path):
        for key, raw in db.conn.execute(SQL_SETTINGS):
            try:
                name = text(key)
                settings[check_setting_key(name)] = check_value(orjson.loads(raw), f"setting '{name}'")
            except (InvalidInput, orjson.JSONDecodeError, TypeError) as exc:
                log.warning("Skipping the setting %r of %s: %s", key, db.path, exc)
    return settings


class AwServerRustSource(DatabaseSource):
    """An aw-server-rust database opened for import."""

    def __init__(self, db: ReadOnlyDatabase, tables: dict[str, set[str]]) -> None:
        path = db.path
        with reading(path):
            version: Any = db.conn.execute("PRAGMA user_version").fetchall()[0][0]
            data_column = "CAST(data AS BLOB)" if "data" in tables["buckets"] else "NULL"
            rows: list[tuple[Any, ...]] = db.conn.execute(
                f"SELECT id, {blobs('name', 'type', 'client', 'hostname', 'created')}, {data_column} FROM buckets"
            ).fetchall()
            spans = {r[0]: r[1:] for r in db.conn.execute(SQL_SPANS)}
        super().__init__(db, f"an aw-server-rust database (schema {int(version)})")
        now = time.time_ns()
        for key, *texts, data in rows:
            name, type_, client, hostname, created = map(text, texts)
            raw = {"type": type_, "client": client, "hostname": hostname, "created": created}
            parsed = parse_data(data) if data is not None else {}
            if parsed is not None:  # schema 2's data column may hold anything: then the bucket has none
                raw["data"] = parsed
            try:
                bucket = bucket_from_wire(raw, name, now, f"bucket '{name}'")
            except InvalidInput as exc:
                self.unreadable_buckets.append(exc.message)
                continue
            count, start, end = spans.get(key, (0, None, None))
            last = int(end) if isinstance(end, bytes) and end.isdigit() else None  # CAST(int AS BLOB): its digits
            self.add(BucketSummary(bucket, count, start if isinstance(start, int) else None, last), key)
        self.settings = read_settings(db, tables)

    def events(self, bucket_id: str, key: int) -> Batches:
        """The bucket's events in batches (unreadable rows skipped and counted)."""
        return self._events(bucket_id, key, with_ids=False)

    def events_with_ids(self, bucket_id: str, key: int) -> Batches:
        """The bucket's events in batches, each with its row id (what sync keeps as its origin id)."""
        return self._events(bucket_id, key, with_ids=True)

    def _events(self, bucket_id: str, key: int, with_ids: bool) -> Batches:
        # The hot loop of a big import: batches are cut here rather than through Batcher (a call per event).
        batch: list[Event] = []
        size = 0
        with reading(self.path):
            for row in self._db.conn.execute(SQL_EVENTS_IDS if with_ids else SQL_EVENTS, (key,)):
                event_id, start, end, raw = row if with_ids else (None, *row)
                if type(start) is not int or type(end) is not int or not start <= end <= MAX_NS:
                    self.skip(bucket_id)
                    continue
                data = parse_data(raw)
                if data is None:
                    self.skip(bucket_id)
                    continue
                batch.append(Event(start, end - start, data, event_id))
                size += len(raw)
                if len(batch) >= BATCH_EVENTS or size >= BATCH_BYTES:
                    yield batch
                    batch, size = [], 0
        if batch:
            yield batch

    def buckets_with_ids(self) -> Iterator[tuple[Bucket, Batches]]:
        """Each bucket with its events in batches, the events carrying their row ids."""
        for summary in self.summaries:
            yield summary.bucket, self.events_with_ids(summary.bucket.id, self._keys[summary.bucket.id])


def open_aw_server_rust(path: Path) -> AwServerRustSource:
    """Open an aw-server-rust database (or an aw-sync v1 `test.db`): buckets, event batches and settings."""
    db = ReadOnlyDatabase(path)
    try:
        tables = db.tables()
        if not matches(tables):
            raise SourceError(f"{path} is not an aw-server-rust database.")
        return AwServerRustSource(db, tables)
    except BaseException:
        db.close()
        raise
