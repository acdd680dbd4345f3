"""The running app's sync: a round every interval on its own thread, and a last one when it quits."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from activitywatch.sync.engine import RoundReport, Syncer

log = logging.getLogger(__name__)


class SyncThread:
    """Runs `syncer.round()` every `interval` seconds on a daemon thread (never on the server's or
    the UI's thread); `stop()` runs one last round, bounded by its timeout."""

    def __init__(self, syncer: Syncer, interval: float, on_round: Callable[[RoundReport], None] | None = None) -> None:
        self.syncer = syncer
        self.interval = interval
        self.last: RoundReport | None = None
        self.last_at: float | None = None  # when the last round ended (time.time())
        self._on_round = on_round
        self._stop = threading.Event()
        self._now = threading.Event()
        self._lock = threading.Lock()  # one round at a time (the timer's, sync_now's, the last one)
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)

    def start(self) -> None:
        """Start the timer (the first round runs at once)."""
        self._thread.start()

    def sync_now(self) -> None:
        """Ask for a round now (returns at once)."""
        self._now.set()

    def _round(self) -> None:
        with self._lock:
            try:
                report = self.syncer.round()
            except Exception:  # a bug must not end the app's syncing for good
                log.exception("Sync round failed")
                return
            self.last, self.last_at = report, time.time()
            if report.pushed_segments or report.pulled.events_changed or report.pulled.events_deleted:
                log.info(
                    "Sync: pushed %d events, applied %d changes and %d deletions",
                    report.pushed_events,
                    report.pulled.events_changed,
                    report.pulled.events_deleted,
                )
            for error in report.errors:
                log.warning("Sync: %s", error)
        if self._on_round is not None:
            self._on_round(report)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._round()
            self._now.wait(self.interval)
            self._now.clear()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the timer and push what is left (waits at most `timeout` seconds)."""
        self._stop.set()
        self._now.set()
        self._thread.join(timeout)
        if self._lock.acquire(timeout=timeout):
            try:
                report = self.syncer.round()
                self.last = report
            except Exception:
                log.exception("The last sync round failed")
            finally:
                self._lock.release()
