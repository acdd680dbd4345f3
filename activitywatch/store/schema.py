"""The database schema and its numbered migrations (`PRAGMA user_version`).

Each migration runs in its own transaction. Before migrating a database that already holds data, the
file is copied aside (`<name>.v<N>.bak`) with SQLite's online backup. A database written by a newer
version is refused with a sentence the user can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import apsw

from activitywatch.core.errors import StorageError
from activitywatch.store.database import check_key, scalar

log = logging.getLogger(__name__)

Migration = Callable[[apsw.Connection], None]

SCHEMA_V1 = """
CREATE TABLE buckets (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT,
    type TEXT NOT NULL,
    client TEXT NOT NULL,
    hostname TEXT NOT NULL,
    created INTEGER NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    -- Longest event ever stored in the bucket (ns): bounds time-range scans on the start index.
    max_duration INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket_key INTEGER NOT NULL REFERENCES buckets(key) ON DELETE CASCADE,
    starttime INTEGER NOT NULL,
    endtime INTEGER NOT NULL,
    data TEXT NOT NULL,
    -- Change sequence: raised on every insert and update; cursors and sync read it.
    seq INTEGER NOT NULL
);
-- Not (bucket_key, starttime, endtime): a heartbeat that extends an event would rewrite that index entry
-- on every merge; range reads bound starttime with the bucket's max_duration and check endtime on the row.
CREATE INDEX events_by_bucket_time ON events(bucket_key, starttime);
CREATE INDEX events_by_seq ON events(seq);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
"""


# Self-contained (only ADD COLUMN and new objects): it can take another number at a merge.
SCHEMA_SYNC = """
-- The id an event has on the device it came from (NULL for this device's own events).
ALTER TABLE events ADD COLUMN origin_id INTEGER;
CREATE UNIQUE INDEX events_by_origin ON events(bucket_key, origin_id) WHERE origin_id IS NOT NULL;
-- Buckets written by another device (read-only here): which device, and the bucket's id there.
CREATE TABLE sync_buckets (
    bucket_key INTEGER PRIMARY KEY REFERENCES buckets(key) ON DELETE CASCADE,
    device TEXT NOT NULL,
    origin_bucket TEXT NOT NULL,
    UNIQUE (device, origin_bucket)
);
-- What the change sequence cannot show, in order: deleted events and buckets of this device, forgets.
CREATE TABLE sync_log (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'bucket', 'forget')),
    bucket TEXT,
    event_id INTEGER,
    start INTEGER,
    end INTEGER,
    buckets TEXT
);
-- How far each other device's changes have been applied (opaque to the store; written with them).
CREATE TABLE sync_cursors (
    device TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- An event deleted from a bucket of this device (not with its bucket: the bucket's entry covers those).
CREATE TRIGGER sync_event_deleted AFTER DELETE ON events
WHEN EXISTS (SELECT 1 FROM buckets WHERE key = OLD.bucket_key)
    AND NOT EXISTS (SELECT 1 FROM sync_buckets WHERE bucket_key = OLD.bucket_key)
BEGIN
    INSERT INTO sync_log (kind, bucket, event_id)
    VALUES ('event', (SELECT id FROM buckets WHERE key = OLD.bucket_key), OLD.id);
END;
-- BEFORE: the bucket's sync_buckets row (if remote) is still there to tell.
CREATE TRIGGER sync_bucket_deleted BEFORE DELETE ON buckets
WHEN NOT EXISTS (SELECT 1 FROM sync_buckets WHERE bucket_key = OLD.key)
BEGIN
    INSERT INTO sync_log (kind, bucket) VALUES ('bucket', OLD.id);
END;
"""


def _v1_initial(conn: apsw.Connection) -> None:
    conn.execute(SCHEMA_V1)


def _v2_tokens(conn: apsw.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE tokens (
            name TEXT PRIMARY KEY,
            -- SHA-256 of the token: the token itself is shown once and never stored.
            hash BLOB NOT NULL UNIQUE,
            scope TEXT NOT NULL CHECK (scope IN ('read', 'append', 'admin')),
            bucket_prefix TEXT NOT NULL DEFAULT '',
            created INTEGER NOT NULL
        ) WITHOUT ROWID;
        """
    )


def _v3_report_ids(conn: apsw.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE report_ids (
            -- The reports' stable ids (store/report_ids.py): one counter per kind, never reused.
            kind TEXT NOT NULL CHECK (kind IN ('computer', 'user', 'application', 'website')),
            name TEXT NOT NULL,
            id INTEGER NOT NULL,
            PRIMARY KEY (kind, name),
            UNIQUE (kind, id)
        ) WITHOUT ROWID;
        """
    )


def _v4_sync(conn: apsw.Connection) -> None:
    """Sync: where remote events came from, and a log of what the change sequence cannot show (deletions)."""
    conn.execute(SCHEMA_SYNC)


MIGRATIONS: Sequence[Migration] = (_v1_initial, _v2_tokens, _v3_report_ids, _v4_sync)


def user_version(conn: apsw.Connection) -> int:
    """The schema version recorded in the file."""
    return int(scalar(conn, "PRAGMA user_version"))


def _has_tables(conn: apsw.Connection) -> bool:
    return bool(scalar(conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"))


def backup_path(db_path: Path, version: int) -> Path:
    """Where the copy taken before migrating from `version` goes."""
    return db_path.with_name(f"{db_path.name}.v{version}.bak")


def _backup(conn: apsw.Connection, target: Path, key: str | None) -> None:
    dest = apsw.Connection(str(target))
    if key is not None:  # an encrypted database's backup is encrypted with the same key
        dest.execute(f"PRAGMA key = '{check_key(key)}'")
    try:
        with dest.backup("main", conn, "main") as b:
            while not b.done:
                b.step(-1)
    finally:
        dest.close()


def migrate(
    conn: apsw.Connection, db_path: Path, migrations: Sequence[Migration] = MIGRATIONS, key: str | None = None
) -> int:
    """Bring the schema up to date; return the version it had before."""
    latest = len(migrations)
    current = user_version(conn)
    if current > latest:
        raise StorageError(
            f"The database {db_path} was written by a newer version of ActivityWatch "
            f"(schema {current}; this version knows up to {latest}). "
            "Update ActivityWatch, or start with another --data-dir."
        )
    if current == latest:
        return current
    if current > 0 or _has_tables(conn):
        target = backup_path(db_path, current)
        log.info("Backing up %s to %s before migrating schema %d -> %d", db_path, target, current, latest)
        _backup(conn, target, key)
    for version in range(current + 1, latest + 1):
        log.info("Migrating %s to schema %d", db_path, version)
        with conn:
            migrations[version - 1](conn)
            conn.execute(f"PRAGMA user_version = {version:d}")
    return current
