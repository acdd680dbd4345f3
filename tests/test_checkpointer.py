"""The WAL checkpoint thread: commits never checkpoint inline, the log still starts over, close cleans up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.store.checkpointer import Checkpointer
from activitywatch.store.database import configure_writer, connect
from tests.xserver import wait_for

ROW = "x" * 3000  # most of a page: a commit writes about two frames


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[apsw.Connection]:
    """A WAL database with one table, through a writer set up as the store's."""
    conn = connect(tmp_path / "db.sqlite")
    configure_writer(conn)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    yield conn
    conn.close()


def commit_rows(conn: apsw.Connection, lock: threading.RLock, count: int) -> None:
    """`count` single-row transactions, each under the write lock as the store does them."""
    for _ in range(count):
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", (ROW,))
            conn.execute("COMMIT")


def log_frames(path: Path) -> int:
    """How many frames the WAL holds now (read through a connection of its own)."""
    other = connect(path)
    try:
        other.execute("SELECT count(*) FROM sqlite_schema").fetchall()
        frames, _ = other.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_PASSIVE)
        return int(frames)
    finally:
        other.close()


def test_commits_no_longer_checkpoint_inline(tmp_path: Path, writer: apsw.Connection) -> None:
    lock = threading.RLock()
    checkpointer = Checkpointer(tmp_path / "db.sqlite", lock, pages=10**9)
    checkpointer.attach(writer)
    commit_rows(writer, lock, 700)  # ~1,400 frames: SQLite alone would have checkpointed at 1,000
    frames = log_frames(tmp_path / "db.sqlite")
    assert frames > 1200
    assert checkpointer.runs == 0
    assert checkpointer.stop()


def test_a_background_checkpoint_lets_the_log_start_over(tmp_path: Path, writer: apsw.Connection) -> None:
    lock = threading.RLock()
    checkpointer = Checkpointer(tmp_path / "db.sqlite", lock, pages=50)
    checkpointer.attach(writer)
    commit_rows(writer, lock, 30)  # past 50 frames: the thread wakes
    wait_for(lambda: checkpointer.runs >= 1, "the background checkpoint")
    commit_rows(writer, lock, 1)  # the log was copied in full: this commit starts it over
    assert log_frames(tmp_path / "db.sqlite") <= 4
    assert writer.execute("SELECT count(*) FROM t").fetchall()[0][0] == 31
    assert checkpointer.stop()


def test_continuous_writes_get_a_locked_pass_that_bounds_the_log(tmp_path: Path, writer: apsw.Connection) -> None:
    lock = threading.RLock()
    checkpointer = Checkpointer(tmp_path / "db.sqlite", lock, pages=20, restart_pages=60)
    checkpointer.attach(writer)
    done = threading.Event()
    written = [0]

    def keep_writing() -> None:
        while not done.is_set():
            commit_rows(writer, lock, 1)
            written[0] += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        wait_for(lambda: checkpointer.locked_runs >= 1 and written[0] > 200, "a checkpoint under the write lock")
    finally:
        done.set()
        thread.join()
    assert writer.execute("SELECT count(*) FROM t").fetchall()[0][0] == written[0]
    assert checkpointer.stop()


def test_a_store_stops_its_checkpoint_thread_and_removes_the_log_on_close(tmp_path: Path) -> None:
    path = tmp_path / "activitywatch.db"
    store = Store(path)
    store.create_bucket(Bucket(id="b", type="t", client="c", hostname="h", created=0, data={}))
    start = 1_700_000_000 * 10**9
    for i in range(400):  # new events: past 1,000 frames, so the thread starts
        store.heartbeat("b", Event(timestamp=start + i * 10**9, duration=0, data={"title": f"t{i}"}), 10**9)
    wait_for(lambda: any(t.name == "wal-checkpoint" for t in threading.enumerate()), "the checkpoint thread")
    store.close()
    assert not any(t.name == "wal-checkpoint" for t in threading.enumerate())
    assert not Path(f"{path}-wal").exists()
    with Store(path) as again:
        assert again.count_events("b") == 400


def test_an_encrypted_store_is_checkpointed_through_its_key(tmp_path: Path) -> None:
    path = tmp_path / "activitywatch.db"
    key = "5a" * 32
    with Store(path, key=key) as store:
        store.create_bucket(Bucket(id="b", type="t", client="c", hostname="h", created=0, data={}))
        start = 1_700_000_000 * 10**9
        for i in range(400):  # past 1,000 frames
            store.heartbeat("b", Event(timestamp=start + i * 10**9, duration=0, data={"title": f"t{i}"}), 10**9)
        checkpointer = store._checkpointer
        wait_for(lambda: checkpointer.runs >= 1, "a checkpoint of the encrypted file")
    assert not path.read_bytes().startswith(b"SQLite format 3")
    with Store(path, key=key) as again:
        assert again.count_events("b") == 400
