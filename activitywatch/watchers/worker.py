"""The Qt side of a watcher: a worker QObject on its own QThread, polling with a QTimer.

The worker's timer is created in its start slot (so it lives in the worker's thread), samples go
through the watcher's rules into an Outbox, and the state is reported by signals: `running`,
`paused`, `unavailable(reason)` (this machine cannot provide what the watcher needs), `failed(error)`
(the watcher broke) and `trouble(reason)` (writes fail; data kept and retried). `WatcherThread` owns
the thread and stops it with a bounded wait.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from activitywatch.core.models import Bucket
from activitywatch.qtsignals import emit
from activitywatch.watchers.backends import Choice
from activitywatch.watchers.heartbeats import Heartbeat, HeartbeatSink
from activitywatch.watchers.outbox import Outbox
from activitywatch.watchers.probes import ProbeUnavailable

log = logging.getLogger(__name__)

NsClock = Callable[[], int]
P = TypeVar("P")


class Watcher(QObject):
    """A poll loop: `open` the probes, `sample` every `poll_time` seconds, `close` at the end."""

    running = Signal()
    backend_chosen = Signal(str)  # the desktop backend the probes use, for the user
    paused = Signal()
    unavailable = Signal(str)
    failed = Signal(str)
    trouble = Signal(str)

    name = "watcher"

    def __init__(
        self,
        poll_time: float,
        sink: HeartbeatSink,
        clock: NsClock = time.time_ns,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.poll_time = poll_time
        self.clock = clock
        self.outbox = Outbox(sink, monotonic)
        self.state = "stopped"
        self.start_paused = False  # set before the thread starts: open and create buckets, but do not sample
        self._timer: QTimer | None = None

    # ------------------------------------------------------------------ for subclasses

    def open(self) -> list[Bucket]:
        """Open the probes (ProbeUnavailable when they cannot work here); the buckets written to."""
        raise NotImplementedError

    def sample(self, now: int) -> list[tuple[str, Heartbeat]]:
        """Look once; the heartbeats to write."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the probes."""

    def _chosen(self, opened: P | Choice[P]) -> P:
        """The probe of a backend choice (announcing the backend), or a probe given as it is."""
        if isinstance(opened, Choice):
            emit(self.backend_chosen, opened.backend)
            return opened.probe
        return opened

    def after_pause(self, now: int) -> None:
        """Sampling resumes at `now` after a pause: nothing in between was observed (subclasses forget it)."""

    # ------------------------------------------------------------------ slots (run in the worker's thread)

    @Slot()
    def start(self) -> None:
        """Open the probes, create the buckets and start polling."""
        try:
            buckets = self.open()
        except ProbeUnavailable as exc:
            self._set("unavailable")
            log.warning("The %s watcher cannot run here: %s", self.name, exc)
            emit(self.unavailable, str(exc))
            return
        except Exception as exc:  # a probe that breaks in an unforeseen way
            self._fail(exc)
            return
        for bucket in buckets:
            self.outbox.create(bucket)
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(self.poll_time * 1000)))
        self._timer.timeout.connect(self.poll)
        if self.start_paused:
            self._set("paused")
            emit(self.paused)
            return
        self._timer.start()
        self._set("running")
        emit(self.running)
        self.poll()

    @Slot()
    def pause(self) -> None:
        """Stop sampling (what is pending is still written)."""
        if self.state == "running" and self._timer is not None:
            self._timer.stop()
            self.outbox.flush(force=True)
            self._set("paused")
            emit(self.paused)

    @Slot()
    def resume(self) -> None:
        """Sample again."""
        if self.state == "paused" and self._timer is not None:
            self.after_pause(self.clock())
            self._timer.start()
            self._set("running")
            emit(self.running)
            self.poll()

    @Slot()
    def stop(self) -> None:
        """Stop polling, write what is pending, release the probes and end the thread."""
        if self._timer is not None:
            self._timer.stop()
        if not self.outbox.flush(force=True):
            log.error("The %s watcher stops with %d heartbeats it could not write", self.name, len(self.outbox.pending))
        try:
            self.close()
        except Exception:
            log.exception("Closing the %s watcher failed", self.name)
        self._set("stopped")
        thread = self.thread()
        if thread is not QThread.currentThread() or thread is None:
            return
        thread.quit()

    @Slot()
    def poll(self) -> None:
        """One sample, then write what is pending."""
        if self.state != "running":
            return
        try:
            for bucket_id, beat in self.sample(self.clock()):
                self.outbox.add(bucket_id, beat)
        except Exception as exc:
            self._fail(exc)
            return
        had_problem = self.outbox.problem is not None
        if not self.outbox.flush() and self.outbox.problem is not None and not had_problem:
            emit(self.trouble, self.outbox.problem)
        elif had_problem and self.outbox.problem is None:
            emit(self.running)

    def _fail(self, exc: Exception) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._set("failed")
        log.error("The %s watcher failed:\n%s", self.name, "".join(traceback.format_exception(exc)))
        emit(self.failed, f"{type(exc).__name__}: {exc}")

    def _set(self, state: str) -> None:
        if state != self.state:
            log.info("The %s watcher is %s", self.name, state)
        self.state = state


class WatcherThread:
    """A watcher on its own QThread (create and control it from one thread, e.g. the main thread)."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.thread = QThread()
        self.thread.setObjectName(f"watcher-{watcher.name}")
        watcher.moveToThread(self.thread)
        self.thread.started.connect(watcher.start)

    def start(self) -> None:
        """Start the thread (the watcher starts in it)."""
        self.thread.start()

    def pause(self) -> None:
        """Pause sampling."""
        QMetaObject.invokeMethod(self.watcher, "pause", Qt.ConnectionType.QueuedConnection)

    def resume(self) -> None:
        """Resume sampling."""
        QMetaObject.invokeMethod(self.watcher, "resume", Qt.ConnectionType.QueuedConnection)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the watcher and its thread; False if it did not end within `timeout` seconds."""
        if not self.thread.isRunning():
            return True
        QMetaObject.invokeMethod(self.watcher, "stop", Qt.ConnectionType.QueuedConnection)
        if self.thread.wait(round(timeout * 1000)):
            return True
        log.error("The %s watcher did not stop within %g s", self.watcher.name, timeout)
        self.thread.quit()
        return bool(self.thread.wait(1000))
