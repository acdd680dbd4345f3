"""Opening another program's SQLite file without ever writing to it.

A file with a write-ahead log, its shared-memory file or a rollback journal beside it is open in another
program (or was left by a crash): its last transactions may live in that side file, which a read-only
connection cannot replay. Then the file and its side files are copied to a temporary folder and the copy
is opened; the copy is retried while the other program changes the files. A file without side files is
opened read-only (`mode=ro`); a WAL-mode one also `immutable=1`, as nobody has it open (the last
connection to close removes the side files), since a read-only connection would otherwise create the
side files beside it.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import apsw

from activitywatch.core.models import Bucket
from activitywatch.importers.source import Batches, BucketSummary, Source, SourceError

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")
WAL_MODE = 2  # file format version bytes 18 and 19 of the header: 1 rollback journal, 2 WAL
BUSY_TIMEOUT_MS = 3000
COPY_ATTEMPTS = 5


def is_sqlite(path: Path) -> bool:
    """Whether the file starts with SQLite's header."""
    with open(path, "rb") as f:
        return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def _is_wal(path: Path) -> bool:
    with open(path, "rb") as f:
        header = f.read(20)
    return len(header) == 20 and header[18] == WAL_MODE


def _stamp(paths: list[Path]) -> list[tuple[int, int]]:
    stamps = []
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            stamps.append((-1, -1))
        else:
            stamps.append((st.st_size, st.st_mtime_ns))
    return stamps


def _copy(path: Path, sides: list[Path], folder: Path) -> Path:
    """Copy the database and its side files while nothing changes them (else try again)."""
    files = [path, *sides]
    for _ in range(COPY_ATTEMPTS):
        before = _stamp(files)
        for src in files:
            if src.name.endswith("-shm"):
                continue  # rebuilt from the log by whoever opens the copy
            with contextlib.suppress(FileNotFoundError):  # a log checkpointed away meanwhile
                shutil.copyfile(src, folder / src.name)
        if _stamp(files) == before:
            return folder / path.name
    raise SourceError(f"{path} kept changing while it was copied; quit the program writing it and try again.")


def sqlite_error(path: Path, exc: apsw.Error) -> SourceError:
    """One sentence for the user about a source file SQLite could not read."""
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return SourceError(f"{path} is locked by the program writing it; quit that program and try again.")
    if isinstance(exc, apsw.NotADBError | apsw.CorruptError):
        return SourceError(f"{path} is damaged (truncated or corrupt) and cannot be imported: {exc}.")
    if isinstance(exc, apsw.CantOpenError | apsw.PermissionsError | apsw.IOError):
        return SourceError(f"{path} cannot be read: {exc}.")
    return SourceError(f"{path} cannot be read as a database: {exc}.")


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn SQLite's errors while reading `path` into a SourceError naming it."""
    try:
        yield
    except apsw.Error as exc:
        raise sqlite_error(path, exc) from None


class ReadOnlyDatabase:
    """A read-only connection to `path` (or to a temporary copy of it, see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        sides = [p for p in (Path(f"{path}{suffix}") for suffix in SIDE_FILES) if p.exists()]
        with reading(path):
            if sides:
                self._tmp = tempfile.TemporaryDirectory(prefix="aw-import-")
                copy = _copy(path, sides, Path(self._tmp.name))
                log.info("%s is in use (%s beside it): reading a copy", path, sides[0].name)
                self.conn = apsw.Connection(str(copy))  # the copy replays its log: writable, but ours
            else:
                uri = path.absolute().as_uri() + "?mode=ro"
                if _is_wal(path):
                    uri += "&immutable=1"
                self.conn = apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
            self.conn.set_busy_timeout(BUSY_TIMEOUT_MS)
            self.conn.execute("PRAGMA query_only = ON")

    @property
    def copied(self) -> bool:
        """Whether a temporary copy is read instead of the file."""
        return self._tmp is not None

    def tables(self) -> dict[str, set[str]]:
        """Every table with its column names."""
        with reading(self.path):
            names = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
            return {
                name: {str(c[1]) for c in self.conn.execute("SELECT * FROM pragma_table_info(?)", (name,))}
                for name in names
            }

    def close(self) -> None:
        """Close the connection and remove the copy."""
        self.conn.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class DatabaseSource(Source):
    """A source read from a database: buckets found by their row key, events read bucket by bucket."""

    def __init__(self, db: ReadOnlyDatabase, kind: str) -> None:
        super().__init__(kind, db.path, [])
        self._db = db
        self._keys: dict[str, int] = {}

    def add(self, summary: BucketSummary, key: int) -> None:
        """Offer a bucket of the file (stored under row `key`)."""
        self.summaries.append(summary)
        self._keys[summary.bucket.id] = key

    def buckets(self) -> Iterator[tuple[Bucket, Batches]]:
        """Each bucket with its events in batches."""
        for summary in self.summaries:
            yield summary.bucket, self.events(summary.bucket.id, self._keys[summary.bucket.id])

    def events(self, bucket_id: str, key: int) -> Batches:
        """The events of the bucket stored under row `key`, in batches."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the file (and remove a temporary copy)."""
        self._db.close()
