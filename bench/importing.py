"""The import workload: `activitywatch import sqlite.db` of an aw-server-rust database, timed as a whole command.

The database (schema 5, with settings) is built once per run from aw-server-rust's published schema
(bench/awdb.py); each run imports it into a fresh data folder and records the wall time of the whole
command (start-up, reading, privacy filters, writing, settings), its CPU time (which a machine shared
with other jobs disturbs less than the wall time) and its peak RSS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.awdb import add_bucket, add_events, create_rust_db, set_settings, synthetic_events
from bench.servers import ours_executable

START_NS = 1_600_000_000 * 10**9
SETTINGS = {
    "classes": [{"name": ["Work", "Programming"], "rule": {"type": "regex", "regex": "code|vim"}}],
    "startOfDay": "04:00",
    "startOfWeek": "Monday",
}


class ImportBenchError(Exception):
    """The import command failed or stored the wrong number of events."""


@dataclass(frozen=True)
class ImportRun:
    """One import: wall seconds, events per second, CPU seconds (user + system), peak RSS in MB."""

    seconds: float
    rate: float
    cpu_seconds: float
    peak_mb: float


def build_source(folder: Path, events: int) -> Path:
    """An aw-server-rust database with `events` window events (90%) and AFK events (10%), and settings."""
    path = folder / "sqlite.db"
    conn = create_rust_db(path, 5)
    with conn:
        afk_count = events // 10
        row = add_bucket(
            conn, "aw-watcher-window_bench", type_="currentwindow", hostname="bench", created_ns=START_NS, data={}
        )
        add_events(conn, row, synthetic_events(events - afk_count, START_NS))
        row = add_bucket(
            conn, "aw-watcher-afk_bench", type_="afkstatus", hostname="bench", created_ns=START_NS, data={}
        )
        step = 50 * 10**9
        add_events(
            conn,
            row,
            (
                (START_NS + i * step, START_NS + (i + 1) * step, {"status": "afk" if i % 4 == 0 else "not-afk"})
                for i in range(afk_count)
            ),
        )
        set_settings(conn, SETTINGS)
    conn.close()
    return path


def run_once(source: Path, events: int) -> ImportRun:
    """Import `source` into a fresh data folder with the `activitywatch` command."""
    data_dir = Path(tempfile.mkdtemp(prefix="aw-bench-import-"))
    try:
        argv = [str(ours_executable()), "--data-dir", str(data_dir), "import", str(source)]
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        err = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise ImportBenchError(f"the import failed: {err.decode(errors='replace').strip()}")
        if f"Imported {events} events".encode() not in err:
            raise ImportBenchError(f"the import did not store {events:,} events: {err.decode(errors='replace')}")
        return ImportRun(seconds, events / seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(events: int, repeat: int) -> list[ImportRun]:
    """Build the source once, then import it `repeat` times."""
    folder = Path(tempfile.mkdtemp(prefix="aw-bench-import-src-"))
    try:
        source = build_source(folder, events)
        return [run_once(source, events) for _ in range(repeat)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
