"""The desktop app's composition: Qt application, single instance, store, API server, watchers, then the
tray or window; stopped in reverse order with bounded waits. `--no-gui` never imports this module."""

from __future__ import annotations

import linecache
import logging
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSocketNotifier, QUrl
from PySide6.QtGui import QDesktopServices

from activitywatch.app import VERSION, open_store, start_logging, start_sync, write_export
from activitywatch.assets import resource
from activitywatch.beside import AlreadyRunning, start_server_beside
from activitywatch.config import Settings, default_config_file, default_data_dir
from activitywatch.core.errors import AwError, NotFound
from activitywatch.gui_import import TrackerImports
from activitywatch.gui_sync import TrackerSync
from activitywatch.server.runner import ApiServer
from activitywatch.store import Store
from activitywatch.sync.runner import SyncThread
from activitywatch.ui.autostart import autostart_for, launch_command
from activitywatch.ui.backend import AppInfo, Progress, WatcherStatus
from activitywatch.ui.desktop import Desktop
from activitywatch.ui.dialogs import Dialogs
from activitywatch.ui.single_instance import SingleInstance, instance_name
from activitywatch.ui.state import UiState
from activitywatch.watchers.host import RESTART_DELAY, WatcherFactory, WatcherSet, watcher_factories

log = logging.getLogger(__name__)

SECOND = 1_000_000_000
EXPORT_EVENT_MARK = b'"timestamp":"'  # once per exported event (data rarely has such a key): progress only
DEFAULT_DAY_START = (4, 0)


def day_start(now: datetime, setting: object) -> datetime:
    """The start of the current day as the dashboard counts it (the `startOfDay` setting, "HH:MM")."""
    hour, minute = DEFAULT_DAY_START
    if isinstance(setting, str) and (m := re.fullmatch(r"(\d{1,2}):(\d{2})", setting)):
        hour, minute = min(int(m[1]), 23), min(int(m[2]), 59)
    start = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return start if start <= now else start - timedelta(days=1)


class DesktopTracker(TrackerImports, TrackerSync):
    """The UI's view of the tracker (ui.backend.Tracker), over the store and the watchers."""

    def __init__(
        self,
        store: Store,
        watchers: WatcherSet | None,
        enabled: dict[str, bool],
        *,
        clock: Callable[[], int] = time.time_ns,
        host: str | None = None,
    ) -> None:
        self.store = store
        self.watcher_set = watchers
        self.enabled = enabled
        self.clock = clock
        self.host = host or socket.gethostname()
        self.pause_start: int | None = None

    def watchers(self) -> list[WatcherStatus]:
        """The built-in watchers and their states."""
        if self.watcher_set is None:
            return []
        return [
            WatcherStatus(name, self.enabled.get(name, True), s.state, s.reason, s.backend)
            for name, s in self.watcher_set.supervisors.items()
        ]

    def set_watcher_enabled(self, name: str, enabled: bool) -> None:
        """Start or stop a watcher."""
        if self.watcher_set is None or name not in self.watcher_set.supervisors:
            return
        self.enabled[name] = enabled
        supervisor = self.watcher_set.supervisors[name]
        if enabled:
            supervisor.restarts.clear()  # switched on by hand: a fresh allowance of restarts
            supervisor.start()
        else:
            supervisor.stop()

    def pause(self, start: int, end: int) -> None:
        """Pause the watchers, and drop every client's heartbeats timed in the pause."""
        self.pause_start = start
        self.store.pause_heartbeats(start, end)
        if self.watcher_set is not None:
            self.watcher_set.pause()

    def resume(self) -> None:
        """Resume the watchers; heartbeats timed from now on are kept again."""
        if self.pause_start is not None:
            self.store.pause_heartbeats(self.pause_start, self.clock())
        if self.watcher_set is not None:
            self.watcher_set.resume()

    def bucket_ids(self) -> list[str]:
        """The ids of every bucket."""
        return [info.bucket.id for info in self.store.list_buckets()]

    def export(self, bucket_ids: Sequence[str] | None, target: Path, progress: Progress) -> int:
        """The API's export document written to `target` (on the caller's thread); the buckets written."""
        ids = list(bucket_ids) if bucket_ids is not None else self.bucket_ids()
        total = sum(self.store.count_events(bucket_id) for bucket_id in ids)
        stream = self.store.open_export(bucket_ids)
        done = 0

        def count(chunk: bytes) -> None:
            nonlocal done
            done += chunk.count(EXPORT_EVENT_MARK)
            progress(min(done, total), total)

        progress(0, total)
        write_export(stream, target, count)
        return stream.bucket_count

    def forget(self, start: int, end: int) -> str:
        """Delete [start, end) from every bucket; what was deleted, as a sentence."""
        report = self.store.forget(start, end)
        return (
            f"Deleted {report.events_deleted} events and cut {report.events_trimmed} at the edges "
            f"in {len(report.buckets)} buckets."
        )

    def active_time_today(self) -> float:
        """Seconds not away from the keyboard since today's start (this machine's AFK bucket)."""
        now = self.clock()
        start = day_start(datetime.fromtimestamp(now / SECOND).astimezone(), self.store.get_setting("startOfDay"))
        try:
            events = self.store.get_events(f"aw-watcher-afk_{self.host}", round(start.timestamp() * SECOND), now)
        except NotFound:
            return 0.0
        return sum(e.duration for e in events if e.data.get("status") == "not-afk") / SECOND


def install_exception_hooks() -> None:
    """Log uncaught exceptions of every thread (Qt slots included) with their traceback."""

    def main_hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.critical("Uncaught exception:\n%s", "".join(traceback.format_exception(kind, exc, tb)))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        details = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        log.critical("Uncaught exception in thread %s:\n%s", name, details)

    sys.excepthook = main_hook
    threading.excepthook = thread_hook


def app_info(settings: Settings, server: ApiServer) -> AppInfo:
    """What the About box and the folder entries show."""
    config_file = settings.config_file or default_config_file()
    return AppInfo(
        version=VERSION,
        server_url=server.url,
        data_dir=settings.data_dir,
        config_dir=config_file.parent,
        log_dir=settings.log_dir,
        database=settings.database_path,
        testing=settings.testing,
    )


def autostart_arguments(settings: Settings) -> list[str]:
    """The options a login start needs to find the same data (a chosen data folder or config)."""
    extra: list[str] = []
    if settings.data_dir != default_data_dir():
        extra += ["--data-dir", str(settings.data_dir)]
    if settings.config_file is not None and settings.config_file != default_config_file():
        extra += ["--config", str(settings.config_file)]
    if settings.testing:
        extra.append("--testing")
    return extra


def _ignore(*_: object) -> None:
    """A signal handler that only wakes the event loop (the wake-up fd does the work)."""


def install_quit_signals(quit_app: Callable[[], None]) -> object:
    """SIGINT and SIGTERM quit the Qt event loop cleanly (through a wake-up socket the loop watches)."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _ignore)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def on_wake() -> None:
        try:
            data = reader.recv(64)
        except BlockingIOError:
            return
        if any(b in (signal.SIGINT, signal.SIGTERM) for b in data):
            log.info("Quitting on a signal")
            quit_app()

    notifier.activated.connect(on_wake)
    return (notifier, reader, writer)  # kept alive by the caller


class GuiApp:
    """The running desktop app: `start` builds everything in order, `stop` takes it down in reverse."""

    def __init__(
        self,
        settings: Settings,
        *,
        dialogs: Dialogs | None = None,
        tray_available: bool | None = None,
        factories: dict[str, WatcherFactory] | None = None,
        restart_delay: float = RESTART_DELAY,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        """`factories` replaces the configured watchers (tests give them stand-in probes)."""
        self.settings = settings
        self.dialogs = dialogs or Dialogs()
        self.tray_available = tray_available
        self.factories = factories
        self.restart_delay = restart_delay
        self.open_url = open_url
        self.instance: SingleInstance | None = None
        self.store: Store | None = None
        self.server: ApiServer | None = None
        self.watchers: WatcherSet | None = None
        self.tracker: DesktopTracker | None = None
        self.desktop: Desktop | None = None
        self.sync: SyncThread | None = None

    def watcher_info(self) -> dict[str, dict[str, str]]:
        """Each built-in watcher's state, desktop backend and reason (for /api/0/info)."""
        return self.watchers.describe() if self.watchers is not None else {}

    def fail(self, message: str, status: int = 1) -> int:
        """A known problem at start: one line on stderr, one dialog; the exit status."""
        print(f"Error: {message}" if status else message, file=sys.stderr)
        log.error("%s", message)
        self.dialogs.error(message)
        return status

    def start(self) -> int | None:
        """Build and start everything; an exit status when the app must not run (None: it runs)."""
        settings = self.settings
        try:
            start_logging(settings, to_file=True)
        except AwError as exc:
            return self.fail(exc.message)
        self.instance = SingleInstance(instance_name(settings.database_path))
        if not self.instance.listen():
            log.info("ActivityWatch already runs for %s; it shows its window", settings.data_dir)
            print("ActivityWatch is already running; its window was brought up.", file=sys.stderr)
            return 0
        fresh = not settings.database_path.exists()
        state = UiState(settings.data_dir)
        try:
            self.store = open_store(settings)
            self.server = start_server_beside(
                settings, self.store, self.dialogs, state, self.watcher_info if settings.watchers else None
            )
        except AwError as exc:
            self.stop()
            return self.fail(exc.message, 0 if isinstance(exc, AlreadyRunning) else 1)
        enabled: dict[str, bool] = {}
        if settings.watchers:
            factories = self.factories if self.factories is not None else watcher_factories(settings, self.store)
            enabled = {name: state.watcher_enabled(name) for name in factories}
            self.watchers = WatcherSet(factories, restart_delay=self.restart_delay)
        self.tracker = DesktopTracker(self.store, self.watchers, enabled)
        self.tracker.settings = settings
        info = app_info(settings, self.server)
        command = launch_command(autostart_arguments(settings))
        self.desktop = Desktop(
            self.tracker,
            info,
            state,
            autostart_for(command, icon=resource("icons", "activitywatch-256.png")),
            dialogs=self.dialogs,
            open_url=self.open_url,
            tray_available=self.tray_available,
        )
        self.instance.activated.connect(self.desktop.open_dashboard)
        if self.watchers is not None:
            for name, supervisor in self.watchers.supervisors.items():
                supervisor.state_changed.connect(self.desktop.refresh)
                supervisor.gave_up.connect(partial(self.desktop.watcher_gave_up, name))
        self.desktop.start()  # pauses first if a pause was left running, so watchers start paused
        if fresh:
            self.desktop.importer.offer_first_start()
        if self.watchers is not None:
            self.watchers.start(name for name, on in enabled.items() if on)
        self.sync = self.tracker.sync_thread = start_sync(settings, self.store)
        log.info("ActivityWatch %s%s", VERSION, " (testing)" if settings.testing else "")
        log.info("Data folder: %s; dashboard: %s/", settings.data_dir, self.server.url)
        # PySide6's import hook (for `from __feature__ import`) read the source of every module imported
        # after it, and linecache kept it all: ~7 MB of text. A traceback reads its few files again.
        linecache.clearcache()
        return None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop in reverse order (UI, watchers, server, store), each wait bounded."""
        if self.desktop is not None:
            self.desktop.shutdown(timeout)
            self.desktop = None
        if self.watchers is not None:
            self.watchers.stop(timeout)
            self.watchers = None
        if self.tracker is not None and self.tracker.sync_thread is not None:
            self.sync = self.tracker.sync_thread  # started from the tray's Set up… after the start
        if self.sync is not None:
            self.sync.stop(2 * timeout)  # after the watchers: their last events go out too
            self.sync = None
        if self.server is not None:
            self.server.stop(timeout)
            self.server = None
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.instance is not None:
            self.instance.close()
            self.instance = None


def show_start_error(message: str, dialogs: Dialogs | None = None) -> None:
    """A problem found before the app could start (a bad config file): the sentence in a dialog."""
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415 - Qt widgets only for the desktop app

    qt = QApplication.instance() or QApplication([sys.argv[0]])
    assert qt is not None
    (dialogs or Dialogs()).error(message)


def run_gui(settings: Settings) -> int:
    """The desktop app until Quit, SIGTERM or SIGINT; the exit status."""
    # no QtWebEngine here: the dashboard window is a process of its own (ui.window_child)
    from PySide6.QtCore import QEvent  # noqa: PLC0415
    from PySide6.QtGui import QIcon  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    qt = QApplication.instance() or QApplication([sys.argv[0], *sys.argv[1:2]])
    assert isinstance(qt, QApplication)
    qt.setApplicationName("ActivityWatch")
    qt.setQuitOnLastWindowClosed(False)
    qt.setWindowIcon(QIcon(str(resource("icons", "activitywatch.svg"))))
    app = GuiApp(settings)
    install_exception_hooks()
    try:
        status = app.start()
        if status is not None:
            return status
        desktop = app.desktop
        assert desktop is not None

        def quit_app() -> None:
            # exit(), not quit(): Qt 6's quit() first asks every window to close (dialogs may refuse)
            qt.exit(0)

        desktop.quit_requested.connect(quit_app)
        keep = install_quit_signals(quit_app)
        qt.exec()
        del keep
        log.info("Shutting down")
        return 0
    finally:
        app.stop()
        # windows and pages deleted by the UI go now, while the QApplication still exists
        qt.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qt.processEvents()
