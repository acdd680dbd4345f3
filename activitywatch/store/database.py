"""SQLite connections through apsw: the one write connection and the per-thread readers."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import apsw

from activitywatch.core.errors import StorageError

BUSY_TIMEOUT_MS = 5000

Row = tuple[Any, ...]
Params = Sequence[Any] | dict[str, Any]


def rows(conn: apsw.Connection, sql: str, params: Params = ()) -> list[Row]:
    """All rows of a query."""
    return list(conn.execute(sql, params).fetchall())


def scalar(conn: apsw.Connection, sql: str, params: Params = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    found = conn.execute(sql, params).fetchall()
    return found[0][0] if found else None


def storage_error(path: Path, exc: apsw.Error) -> StorageError:
    """A sentence for the user describing why the database cannot be used."""
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return StorageError(f"The database {path} is locked by another program; try again, or close it.")
    if isinstance(exc, apsw.FullError):
        return StorageError(f"The disk holding {path} is full; free some space and try again.")
    if isinstance(exc, apsw.NotADBError | apsw.CorruptError):
        return StorageError(f"{path} is not a usable ActivityWatch database ({exc}).")
    if isinstance(exc, apsw.ReadOnlyError | apsw.PermissionsError):
        return StorageError(f"The database {path} cannot be written; check the folder's permissions.")
    if isinstance(exc, apsw.CantOpenError):
        return StorageError(f"The database {path} cannot be opened; check that the folder exists and is writable.")
    if isinstance(exc, apsw.IOError):
        return StorageError(f"Reading or writing {path} failed ({exc}); check the disk.")
    return StorageError(f"The database {path} failed: {exc}")


@contextlib.contextmanager
def translated_errors(path: Path) -> Iterator[None]:
    """Turn the SQLite errors a user can act on into StorageError; let bugs through."""
    try:
        yield
    except (
        apsw.BusyError,
        apsw.LockedError,
        apsw.FullError,
        apsw.NotADBError,
        apsw.CorruptError,
        apsw.ReadOnlyError,
        apsw.PermissionsError,
        apsw.CantOpenError,
        apsw.IOError,
    ) as exc:
        raise storage_error(path, exc) from exc


KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
SQLITE_HEADER = b"SQLite format 3\x00"


def check_key(key: str) -> str:
    """A database key as this program makes them: 64 hex digits (safe to put into a PRAGMA)."""
    if not KEY_PATTERN.fullmatch(key):
        raise StorageError("The database key is not 64 hexadecimal digits; it was not made by ActivityWatch.")
    return key


def is_encrypted(path: Path) -> bool:
    """Whether `path` holds a database whose header is not plain SQLite (so it needs a key)."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return False
    return len(header) > 0 and header != SQLITE_HEADER


def encrypt_file(path: Path, key: str) -> None:
    """Encrypt a plain database file in place (no other connection may be open on it)."""
    with translated_errors(path):
        conn = apsw.Connection(str(path))
        try:
            conn.execute("PRAGMA journal_mode = DELETE")  # rekeying needs a rollback journal
            conn.execute(f"PRAGMA rekey = '{check_key(key)}'")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()


def decrypt_file(path: Path, key: str) -> None:
    """Turn an encrypted database file back into a plain one, in place (no other connection open)."""
    with translated_errors(path):
        conn = apsw.Connection(str(path))
        try:
            conn.execute(f"PRAGMA key = '{check_key(key)}'")
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA rekey = ''")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()


def connect(path: Path, *, readonly: bool = False, key: str | None = None) -> apsw.Connection:
    """Open the database with the pragmas every connection needs (`key`: of an encrypted database)."""
    conn = apsw.Connection(str(path))
    if key is not None:
        conn.execute(f"PRAGMA key = '{check_key(key)}'")  # must come first; SQLite3 Multiple Ciphers
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


def configure_writer(conn: apsw.Connection) -> None:
    """WAL with synchronous=NORMAL: a committed transaction survives a crash or kill -9 of the process.

    (A power cut can lose the transactions since the last checkpoint; FULL would fsync every commit
    and cap heartbeats at the disk's fsync rate.)
    """
    # Incremental auto-vacuum lets `forget` hand freed pages back to the file system without rewriting
    # the whole file; it takes effect on a new database (older ones are converted by their first forget).
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    mode = scalar(conn, "PRAGMA journal_mode = WAL")
    if str(mode).lower() != "wal":
        raise StorageError(f"The database could not be switched to WAL mode (got {mode}).")
    conn.execute("PRAGMA synchronous = NORMAL")


class ReaderPool:
    """One read-only connection per thread, opened on first use; a thread's reader is closed once it ends."""

    def __init__(self, path: Path, key: str | None = None) -> None:
        self._path = path
        self._key = key
        self._local = threading.local()
        self._lock = threading.Lock()
        self._by_thread: dict[threading.Thread, apsw.Connection] = {}
        self._closed = False

    def get(self) -> apsw.Connection:
        """This thread's reader."""
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise StorageError("The database has been closed.")
                self._close_ended()
                conn = connect(self._path, readonly=True, key=self._key)
                self._by_thread[threading.current_thread()] = conn
            self._local.conn = conn
        return conn

    def _close_ended(self) -> None:
        # Worker threads come and go (the server's pool retires idle ones): their readers go with them.
        for thread in [t for t in self._by_thread if not t.is_alive()]:
            self._by_thread.pop(thread).close()

    def __len__(self) -> int:
        """How many readers are open."""
        return len(self._by_thread)

    def close(self) -> None:
        """Close every reader (call when no thread reads any more)."""
        with self._lock:
            self._closed = True
            for conn in self._by_thread.values():
                conn.close()
            self._by_thread.clear()
