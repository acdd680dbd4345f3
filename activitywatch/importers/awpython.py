"""aw-server (python)'s peewee datastore (`peewee-sqlite.v2.db`) and its `settings.json`.

Buckets are rows of `bucketmodel`, events rows of `eventmodel` with an RFC 3339-like text timestamp
(`2024-01-02 03:04:05.678000+00:00`), a duration in float seconds and JSON data. Bucket creation times
written without an offset (the server's local time) are read as UTC, as everywhere else. The settings
are not in the database but in `settings.json` in aw-server's config folder.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Event
from activitywatch.core.timestamps import MAX_NS, NS_PER_SECOND, parse_timestamp
from activitywatch.core.wire import bucket_from_wire, check_setting_key, check_value
from activitywatch.importers.source import Batcher, Batches, BucketSummary, blobs, parse_data, text
from activitywatch.importers.sqlitefile import DatabaseSource, ReadOnlyDatabase, reading

log = logging.getLogger(__name__)

BUCKET_COLUMNS = {"key", "id", "type", "client", "hostname", "created"}
EVENT_COLUMNS = {"bucket_id", "timestamp", "duration", "datastr"}
SQL_SPANS = (
    "SELECT bucket_id, count(*), CAST(min(timestamp) AS BLOB), CAST(max(timestamp) AS BLOB)"
    " FROM eventmodel GROUP BY bucket_id"
)
# Text columns are read as bytes (decoded here: a bad byte must not stop the import).
SQL_EVENTS = (
    "SELECT CAST(timestamp AS BLOB), iif(typeof(duration) IN ('integer', 'real'), duration, CAST(duration AS BLOB)),"
    " CAST(datastr AS BLOB) FROM eventmodel WHERE bucket_id = ? ORDER BY timestamp"
)


def matches(tables: dict[str, set[str]]) -> bool:
    """Whether a database's tables are aw-server (python)'s peewee ones."""
    return tables.get("bucketmodel", set()) >= BUCKET_COLUMNS and tables.get("eventmodel", set()) >= EVENT_COLUMNS


def _time(value: object) -> int | None:
    if isinstance(value, bytes):
        value = text(value)
    try:
        return parse_timestamp(value)
    except InvalidInput:
        return None


def _duration(value: object) -> int | None:
    if isinstance(value, bytes):
        value = text(value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if type(value) is not int and type(value) is not float:
        return None
    ns = round(value * NS_PER_SECOND) if math.isfinite(value) else -1
    return ns if ns >= 0 else None


def read_settings_file(path: Path) -> dict[str, Any]:
    """aw-server's settings.json (a JSON object); unreadable keys or files are skipped with a warning."""
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        log.warning("Skipping the settings in %s: %s", path, exc)
        return {}
    if not isinstance(value, dict):
        log.warning("Skipping the settings in %s: not a JSON object", path)
        return {}
    settings: dict[str, Any] = {}
    for key, item in value.items():
        try:
            settings[check_setting_key(key)] = check_value(item, f"setting '{key}'")
        except InvalidInput as exc:
            log.warning("Skipping the setting %r of %s: %s", key, path, exc.message)
    return settings


class AwServerPythonSource(DatabaseSource):
    """An aw-server (python) database opened for import."""

    def __init__(self, db: ReadOnlyDatabase, tables: dict[str, set[str]], settings_file: Path | None) -> None:
        path = db.path
        with reading(path):
            data_column = "CAST(datastr AS BLOB)" if "datastr" in tables["bucketmodel"] else "NULL"
            name_column = "CAST(name AS BLOB)" if "name" in tables["bucketmodel"] else "NULL"
            rows: list[tuple[Any, ...]] = db.conn.execute(
                f"SELECT key, {blobs('id')}, {name_column}, {blobs('type', 'client', 'hostname', 'created')},"
                f" {data_column} FROM bucketmodel"
            ).fetchall()
            spans = {r[0]: r[1:] for r in db.conn.execute(SQL_SPANS)}
        super().__init__(db, "an aw-server (python) database")
        now = time.time_ns()
        for key, *texts, data in rows:
            bucket_id, name, type_, client, hostname, created = map(text, texts)
            raw: dict[str, Any] = {"type": type_, "client": client, "hostname": hostname, "created": created}
            if isinstance(name, str):
                raw["name"] = name
            parsed = parse_data(data) if data is not None else {}
            if parsed is not None:
                raw["data"] = parsed
            try:
                bucket = bucket_from_wire(raw, bucket_id, now, f"bucket '{bucket_id}'")
            except InvalidInput as exc:
                self.unreadable_buckets.append(exc.message)
                continue
            count, first, last = spans.get(key, (0, None, None))
            self.add(BucketSummary(bucket, count, _time(first), _time(last)), key)
        if settings_file is not None:
            self.settings = read_settings_file(settings_file)

    def events(self, bucket_id: str, key: int) -> Batches:
        """The bucket's events in batches (unreadable rows skipped and counted)."""
        batcher = Batcher()
        with reading(self.path):
            for stamp, seconds, raw in self._db.conn.execute(SQL_EVENTS, (key,)):
                start = _time(stamp)
                duration = _duration(seconds)
                data = parse_data(raw)
                if start is None or duration is None or data is None or start + duration > MAX_NS:
                    self.skip(bucket_id)
                    continue
                full = batcher.add(Event(start, duration, data), len(raw))
                if full is not None:
                    yield full
        rest = batcher.rest()
        if rest is not None:
            yield rest
