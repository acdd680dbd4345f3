"""Running the configured watchers: each under a supervisor that starts, pauses, toggles and restarts it.

A watcher that fails is restarted with a fresh one (new probes) after `restart_delay` seconds, at
most `max_restarts` times within `restart_window` seconds (3 in 10 minutes, as aw-qt does); after
that it stays stopped and `gave_up` says why, for the app to tell the user.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from activitywatch.config import Settings
from activitywatch.qtsignals import emit
from activitywatch.watchers.backends import choose_idle_probe
from activitywatch.watchers.builtin import AfkWatcher, WindowWatcher
from activitywatch.watchers.heartbeats import HeartbeatSink
from activitywatch.watchers.media import MediaProbe, open_media_probe
from activitywatch.watchers.wlroots import IDLE_RESOLUTION
from activitywatch.watchers.worker import Watcher, WatcherThread

log = logging.getLogger(__name__)

MAX_RESTARTS = 3
RESTART_WINDOW = 600.0
RESTART_DELAY = 5.0
TROUBLED_STATES = ("failed", "unavailable", "trouble")

WatcherFactory = Callable[[], Watcher]


def watcher_factories(settings: Settings, sink: HeartbeatSink) -> dict[str, WatcherFactory]:
    """A factory per watcher the settings enable, keyed by the watcher's name ("afk", "window")."""
    factories: dict[str, WatcherFactory] = {}
    if settings.afk.enabled:
        afk = settings.afk

        def media() -> MediaProbe:
            return open_media_probe(afk.media_players)

        factories["afk"] = lambda: AfkWatcher(
            sink,
            timeout=afk.timeout,
            poll_time=afk.poll_time,
            probe_factory=lambda: choose_idle_probe(resolution=min(IDLE_RESOLUTION, afk.timeout / 2)),
            media_factory=media if afk.media_counts_as_active else None,
        )
    if settings.window.enabled:
        window = settings.window
        factories["window"] = lambda: WindowWatcher(
            sink,
            poll_time=window.poll_time,
            exclude_titles=window.exclude_titles,
            exclude_apps=window.exclude_apps,
        )
    return factories


class WatcherSupervisor(QObject):
    """One watcher (create and use it on the main thread): its state, pause, on/off and restarts.

    States: "stopped" (switched off or not started), "starting", "running", "paused", "trouble"
    (writes fail; data kept), "unavailable" (cannot work on this machine), "restarting", "failed"
    (gave up after too many failures). `reason` says why for the last three; `backend` names the
    desktop backend the running watcher chose ("" until it has chosen).
    """

    state_changed = Signal(str, str)  # state, reason
    gave_up = Signal(str)  # reason

    def __init__(
        self,
        name: str,
        factory: WatcherFactory,
        *,
        max_restarts: int = MAX_RESTARTS,
        restart_window: float = RESTART_WINDOW,
        restart_delay: float = RESTART_DELAY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.name = name
        self.factory = factory
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.restart_delay = restart_delay
        self.monotonic = monotonic
        self.state = "stopped"
        self.reason = ""
        self.backend = ""
        self.paused = False
        self.restarts: deque[float] = deque()
        self.worker: WatcherThread | None = None
        self._restart_timer = QTimer(self)
        self._restart_timer.setSingleShot(True)
        self._restart_timer.timeout.connect(self._on_restart_timer_timeout)

    @property
    def active(self) -> bool:
        """Whether it is switched on (running, paused, restarting or in trouble)."""
        return self.state not in ("stopped", "failed")

    def start(self) -> None:
        """Start a fresh watcher on its own thread (paused if tracking is paused)."""
        if self.worker is not None:
            return
        watcher = self.factory()
        self.backend = ""
        watcher.start_paused = self.paused
        watcher.running.connect(self._on_watcher_running)
        watcher.backend_chosen.connect(self._on_watcher_backend_chosen)
        watcher.paused.connect(self._on_watcher_paused)
        watcher.unavailable.connect(self._on_watcher_unavailable)
        watcher.failed.connect(self._on_watcher_failed)
        watcher.trouble.connect(self._on_watcher_trouble)
        self.worker = WatcherThread(watcher)
        self._set("starting", "")
        self.worker.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop it (what is pending is written); False if its thread did not end within `timeout`."""
        self._restart_timer.stop()
        stopped = self._end_thread(timeout)
        self._set("stopped", "")
        return stopped

    def pause(self) -> None:
        """Stop sampling until `resume`."""
        self.paused = True
        if self.worker is not None:
            self.worker.pause()

    def resume(self) -> None:
        """Sample again (nothing between the pause and now is reported)."""
        self.paused = False
        if self.worker is not None:
            self.worker.resume()

    def _end_thread(self, timeout: float) -> bool:
        thread, self.worker = self.worker, None
        if thread is None:
            return True
        return thread.stop(timeout)

    def _from_current(self) -> bool:
        """Whether the signal being handled comes from the current watcher (not one stopped before)."""
        return self.worker is not None and self.sender() is self.worker.watcher

    def _set(self, state: str, reason: str) -> None:
        if (state, reason) != (self.state, self.reason):
            self.state, self.reason = state, reason
            emit(self.state_changed, state, reason)

    # ------------------------------------------------------------------ slots (main thread)

    @Slot()
    def _on_watcher_running(self) -> None:
        if not self._from_current():
            return
        self._set("running", "")

    @Slot(str)
    def _on_watcher_backend_chosen(self, backend: str) -> None:
        if not self._from_current():
            return
        self.backend = backend

    @Slot()
    def _on_watcher_paused(self) -> None:
        if not self._from_current():
            return
        self._set("paused", "")

    @Slot(str)
    def _on_watcher_unavailable(self, reason: str) -> None:
        if not self._from_current():
            return
        self._set("unavailable", reason)

    @Slot(str)
    def _on_watcher_trouble(self, reason: str) -> None:
        if not self._from_current():
            return
        self._set("trouble", reason)

    @Slot(str)
    def _on_watcher_failed(self, reason: str) -> None:
        if not self._from_current():
            return
        now = self.monotonic()
        while self.restarts and now - self.restarts[0] > self.restart_window:
            self.restarts.popleft()
        self._end_thread(5.0)
        if len(self.restarts) >= self.max_restarts:
            log.error(
                "The %s watcher failed %d times within %g minutes; not restarting it (%s)",
                self.name,
                len(self.restarts) + 1,
                self.restart_window / 60,
                reason,
            )
            self._set("failed", reason)
            emit(self.gave_up, reason)
            return
        self.restarts.append(now)
        log.warning(
            "The %s watcher failed (%s); restarting it in %g s (restart %d of %d)",
            self.name,
            reason,
            self.restart_delay,
            len(self.restarts),
            self.max_restarts,
        )
        self._set("restarting", reason)
        self._restart_timer.start(max(0, round(self.restart_delay * 1000)))

    @Slot()
    def _on_restart_timer_timeout(self) -> None:
        if self.state == "restarting":
            self.start()


class WatcherSet:
    """The configured watchers, each under its supervisor (used from the main thread)."""

    def __init__(self, factories: dict[str, WatcherFactory], *, restart_delay: float = RESTART_DELAY) -> None:
        if QCoreApplication.instance() is None:
            self._app = QCoreApplication([])  # threads and timers need the application object
        self.supervisors = {
            name: WatcherSupervisor(name, factory, restart_delay=restart_delay) for name, factory in factories.items()
        }

    def process_events(self) -> None:
        """Handle what the watchers reported (for a main thread that runs no Qt event loop: --no-gui)."""
        QCoreApplication.processEvents()

    def describe(self) -> dict[str, dict[str, str]]:
        """Each watcher's state, the desktop backend it uses and the reason of a problem (any thread may ask)."""
        return {
            name: {"state": s.state, "backend": s.backend, "reason": s.reason} for name, s in self.supervisors.items()
        }

    def start(self, names: Iterable[str] | None = None) -> None:
        """Start these watchers (all when None)."""
        wanted = set(self.supervisors) if names is None else set(names)
        for name, supervisor in self.supervisors.items():
            if name in wanted:
                supervisor.start()

    def pause(self) -> None:
        """Pause every watcher."""
        for supervisor in self.supervisors.values():
            supervisor.pause()

    def resume(self) -> None:
        """Resume every watcher."""
        for supervisor in self.supervisors.values():
            supervisor.resume()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every watcher (in reverse order), each within `timeout` seconds."""
        for supervisor in reversed(list(self.supervisors.values())):
            supervisor.stop(timeout)
