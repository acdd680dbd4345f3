"""aw-server-rust databases of every schema version (1 to 5), built from its published schema.

The server cannot be built here, so the benchmark and the tests make its files from the DDL of its
migrations (aw-datastore `datastore.rs`): tables of schema 1, `buckets.data` added in 2, renamed to
`data_deprecated` and added again in 3, `key_value` in 4, the composite events index in 5.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import apsw
import orjson

MIGRATIONS = {
    1: """
        CREATE TABLE buckets (
            id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL, type TEXT NOT NULL,
            client TEXT NOT NULL, hostname TEXT NOT NULL, created TEXT NOT NULL);
        CREATE INDEX bucket_id_index ON buckets(id);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, bucketrow INTEGER NOT NULL, starttime INTEGER NOT NULL,
            endtime INTEGER NOT NULL, data TEXT NOT NULL, FOREIGN KEY (bucketrow) REFERENCES buckets(id));
        CREATE INDEX events_bucketrow_index ON events(bucketrow);
        CREATE INDEX events_starttime_index ON events(starttime);
        CREATE INDEX events_endtime_index ON events(endtime);
    """,
    2: "ALTER TABLE buckets ADD COLUMN data TEXT DEFAULT '{}';",
    3: """
        ALTER TABLE buckets RENAME COLUMN data TO data_deprecated;
        ALTER TABLE buckets ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
    """,
    4: "CREATE TABLE key_value (key TEXT PRIMARY KEY, value TEXT, last_modified NUMBER NOT NULL);",
    5: """
        DROP INDEX events_bucketrow_index;
        DROP INDEX events_starttime_index;
        DROP INDEX events_endtime_index;
        CREATE INDEX events_bucketrow_starttime_endtime_index ON events(bucketrow, starttime DESC, endtime);
    """,
}

EventRow = tuple[int, int, Any]  # start ns, end ns, data (a JSON-able value, or raw text/bytes as stored)


def rust_created(ns: int) -> str:
    """A time as aw-server-rust writes `buckets.created`: `YYYY-MM-DD HH:MM:SS.fffffffff+00:00`."""
    seconds, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{frac:09d}+00:00"


def create_rust_db(path: Path, version: int = 5, *, wal: bool = False) -> apsw.Connection:
    """An empty aw-server-rust database at `version` (open: the caller fills and closes it)."""
    conn = apsw.Connection(str(path))
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    with conn:
        for step in range(1, version + 1):
            conn.execute(MIGRATIONS[step])
        conn.execute(f"PRAGMA user_version = {version:d}")
    return conn


def add_bucket(
    conn: apsw.Connection,
    bucket_id: str,
    *,
    type_: str,
    hostname: str,
    created_ns: int,
    data: Mapping[str, Any],
) -> int:
    """Insert a bucket as aw-server-rust does; return its row id."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(buckets)")}
    if "data" in columns:
        conn.execute(
            "INSERT INTO buckets (name, type, client, hostname, created, data) VALUES (?, ?, ?, ?, ?, ?)",
            (bucket_id, type_, "aw-test", hostname, rust_created(created_ns), orjson.dumps(data).decode()),
        )
    else:
        conn.execute(
            "INSERT INTO buckets (name, type, client, hostname, created) VALUES (?, ?, ?, ?, ?)",
            (bucket_id, type_, "aw-test", hostname, rust_created(created_ns)),
        )
    return int(conn.last_insert_rowid())


def add_events(conn: apsw.Connection, row: int, events: Iterable[EventRow]) -> None:
    """Insert events (data values are serialised as serde_json does: compact; text and bytes as given)."""
    conn.executemany(
        "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (?, ?, ?, ?)",
        (
            (row, start, end, data if isinstance(data, str | bytes) else orjson.dumps(data).decode())
            for start, end, data in events
        ),
    )


def set_settings(conn: apsw.Connection, settings: Mapping[str, Any]) -> None:
    """Store settings as aw-server-rust's settings endpoint does (`settings.<key>`, JSON text)."""
    conn.executemany(
        "INSERT OR REPLACE INTO key_value (key, value, last_modified) VALUES (?, ?, ?)",
        ((f"settings.{k}", orjson.dumps(v).decode(), int(time.time())) for k, v in settings.items()),
    )


def synthetic_events(count: int, start_ns: int, seed: int = 0) -> Iterable[EventRow]:
    """`count` window-like events, 5 s each, back to back (cheap to make, realistic in size)."""
    apps = ["firefox", "code", "terminal", "slack", "thunderbird", "evince"]
    step = 5_000_000_000
    for i in range(count):
        start = start_ns + i * step
        app = apps[(i + seed) % len(apps)]
        yield start, start + step - 1_000_000, {"app": app, "title": f"{app} window {i % 997}"}
