"""Folds the write-ahead log into the database file in a background thread, off the write path.

SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1,000 pages: that commit
waits while the log and the database file reach the disk (two fsyncs, 20 to 60 ms on the development
machine), so one new-event heartbeat in ~250 paid for them all: about half of a heartbeat's average
time. Here the writer's WAL hook only notes the log's size and wakes a thread that checkpoints through
its own connection (PASSIVE: it never waits for the writer or a reader).

The log starts over only when a checkpoint has copied all of it, and while writes keep coming a
background checkpoint always ends a few frames behind. So when the log has grown to `restart_pages`
the thread copies the rest holding the store's write lock (writes wait for those few pages and the
two fsyncs, on a worker thread of the server, not on its event loop); at one or a few heartbeats a
second the unlocked pass finishes between two writes and the lock is never needed.

Durability is unchanged: a transaction is acknowledged once its commit is in the WAL, as before (WAL,
synchronous=NORMAL); the checkpoint only copies committed pages, with the same fsyncs as SQLite's own.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import apsw

from activitywatch.store.database import connect, storage_error

log = logging.getLogger(__name__)

WAL_PAGES = 1000  # SQLite's own autocheckpoint threshold
RESTART_FACTOR = 4  # the log may grow to this many times WAL_PAGES before writes wait for it to start over
STOP_TIMEOUT = 5.0
LOCK_POLL = 0.5  # how often a thread waiting for the write lock looks whether it should stop
SQLITE_OK = 0


class Checkpointer:
    """Checkpoints the database at `path` whenever the writer's WAL has grown by `pages` pages."""

    def __init__(
        self,
        path: Path,
        write_lock: Any,
        key: str | None = None,
        pages: int = WAL_PAGES,
        restart_pages: int | None = None,
    ) -> None:
        self._path = path
        self._write_lock = write_lock  # the store's: held, no write commits
        self._key = key
        self._pages = pages
        self._restart_pages = restart_pages if restart_pages is not None else pages * RESTART_FACTOR
        self._wake = threading.Condition()
        self._due = False
        self._mark = 0  # the log's size when the thread was last woken
        self._logged = 0  # its size after the last commit
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.runs = 0  # checkpoints done (tests and benchmarks read them)
        self.locked_runs = 0  # of which with the write lock held

    def attach(self, writer: apsw.Connection) -> None:
        """Take over the checkpoints of `writer` (its automatic ones stop)."""
        writer.set_wal_hook(self._on_commit)  # replaces SQLite's autocheckpoint hook

    def _on_commit(self, _conn: apsw.Connection, _db: str, pages: int) -> int:
        # Called by SQLite in the committing thread, right after the commit: stay short.
        self._logged = pages
        if pages < self._mark:  # the log started over
            self._mark = 0
        if pages - self._mark >= self._pages:
            # Counted from the last wake-up, so a log that could not start over yet is not
            # checkpointed again on every commit.
            self._mark = pages
            with self._wake:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
                    self._thread.start()
                self._due = True
                self._wake.notify()
        return SQLITE_OK

    def _run(self) -> None:
        conn: apsw.Connection | None = None
        try:
            while self._wait():
                if conn is None:
                    conn = connect(self._path, key=self._key)
                    # A connection learns that the file is in WAL mode on its first read; until then
                    # a checkpoint through it does nothing.
                    conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
                copied = self._checkpoint(conn, locked=False)
                if copied < self._logged and self._logged >= self._restart_pages:  # commits came meanwhile
                    self._checkpoint(conn, locked=True)
        except Exception:  # a bug, or the file gone: SQLite still checkpoints when the last connection closes
            log.exception("The WAL checkpoint thread stopped")
        finally:
            if conn is not None:
                conn.close()

    def _wait(self) -> bool:
        """Wait until a checkpoint is due: True, or the thread should end: False."""
        with self._wake:
            while not self._due and not self._stopping:
                self._wake.wait()
            self._due = False
            return not self._stopping

    def _checkpoint(self, conn: apsw.Connection, locked: bool) -> int:
        """One PASSIVE checkpoint, with the store's write lock held if `locked`: how much of the log
        is now in the database file (0 if the checkpoint did not run)."""
        if locked:
            while not self._write_lock.acquire(timeout=LOCK_POLL):
                if self._stopping:
                    return 0
        try:
            _, copied = conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_PASSIVE)
        except apsw.BusyError:  # another checkpoint (the command line's, Store.checkpoint) runs: next time
            return 0
        except apsw.Error as exc:  # a full disk and the like: the WAL keeps the data; try again later
            log.warning("Could not checkpoint %s: %s", self._path, storage_error(self._path, exc).message)
            return 0
        finally:
            if locked:
                self._write_lock.release()
        self.runs += 1
        self.locked_runs += locked
        return int(copied)

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """End the thread (a checkpoint under way finishes first); False if it did not end in time.

        Call it without holding the write lock.
        """
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.warning("The WAL checkpoint thread did not stop within %.0f s", timeout)
            return False
        return True
