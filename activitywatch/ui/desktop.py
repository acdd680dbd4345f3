"""The desktop UI as a whole: the tray (or, without one, the dashboard window), its actions, the icon
and tooltip that show the state, and notifications."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from activitywatch.gnome_extension import ExtensionInstallError, install_extension, is_gnome_session
from activitywatch.qtsignals import emit
from activitywatch.ui import menu as menus
from activitywatch.ui.autostart import Autostart, launch_command
from activitywatch.ui.backend import AppInfo, Tracker
from activitywatch.ui.dialogs import TITLE, Dialogs
from activitywatch.ui.export import ExportJob
from activitywatch.ui.icons import state_icon
from activitywatch.ui.importing import Importer
from activitywatch.ui.pause import SECOND, PauseTimer, describe_left
from activitywatch.ui.state import UiState
from activitywatch.ui.syncing import SyncSetup
from activitywatch.ui.window_process import WindowProcess, child_arguments

log = logging.getLogger(__name__)

REFRESH_MS = 60_000  # tooltip (today's active time, time left in a pause)
NO_TRAY_NOTICE = "no-tray"


def duration_text(seconds: float) -> str:
    """'3 h 05 min', '12 min'."""
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


class Desktop(QObject):
    """Everything the user sees; built and started by the app on the main thread."""

    quit_requested = Signal()

    def __init__(
        self,
        tracker: Tracker,
        info: AppInfo,
        state: UiState,
        autostart: Autostart,
        *,
        dialogs: Dialogs | None = None,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        clock: Callable[[], int] = time.time_ns,
        tray_available: bool | None = None,
    ) -> None:
        super().__init__()
        self.tracker = tracker
        self.info = info
        self.state = state
        self.autostart = autostart
        self.dialogs = dialogs or Dialogs()
        self.open_url = open_url
        self.clock = clock
        self.pause = PauseTimer(tracker, state, clock)
        self.pause.changed.connect(self.refresh)
        self.exports: list[ExportJob] = []
        self.importer = Importer(tracker, self.dialogs, self.notify, clock)
        self.syncing = SyncSetup(tracker, self.dialogs, self.refresh)
        self.notifications: list[tuple[str, str]] = []
        # the dashboard window lives in a child process: the web engine's memory goes when it closes
        self.window = WindowProcess(
            launch_command(),
            lambda: child_arguments(self.info.server_url + "/", self.info.data_dir, self.status()),
            lambda menu: menus.populate(menu, self),
        )
        available = QSystemTrayIcon.isSystemTrayAvailable() if tray_available is None else tray_available
        self.tray: QSystemTrayIcon | None = None
        self.menu = QMenu()
        self.menu.aboutToShow.connect(lambda: menus.populate(self.menu, self))
        menus.populate(self.menu, self)
        if available:
            self.tray = QSystemTrayIcon(state_icon("tracking"), self)
            self.tray.setContextMenu(self.menu)
            self.tray.activated.connect(self._on_tray_activated)
            self.tray.messageClicked.connect(lambda: self.open_folder(self.info.log_dir))
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        """Show the tray (or the window when there is no tray), resuming a pause left running."""
        self.pause.restore()
        self.refresh()
        self._refresh_timer.start()
        if self.tray is not None:
            self.tray.show()
            log.info("The tray icon is shown")
            return
        log.info("There is no system tray: showing the dashboard window instead")
        self.open_dashboard()
        if not self.state.notice_shown(NO_TRAY_NOTICE):
            self.state.set_notice_shown(NO_TRAY_NOTICE)
            self.dialogs.inform(
                f"{TITLE}: no system tray",
                "Your desktop has no system tray (on GNOME, the AppIndicator extension adds one), so ActivityWatch "
                "shows its window instead. Closing the window keeps tracking; start ActivityWatch again to bring "
                "it back, and quit from the window's ActivityWatch menu.",
            )

    def shutdown(self, timeout: float = 5.0) -> None:
        """Hide everything; wait (bounded) for exports still writing."""
        self._refresh_timer.stop()
        for job in self.exports:
            if not job.wait(timeout):
                log.error("An export to %s did not finish within %g s", job.target, timeout)
        self.importer.wait(timeout)
        self.syncing.wait(timeout)
        if self.tray is not None:
            self.tray.hide()
        self.window.stop(timeout)  # it saves its geometry

    def quit(self) -> None:
        """Ask the app to quit."""
        emit(self.quit_requested)

    # ------------------------------------------------------------------ state shown

    def status(self) -> str:
        """ "paused", "trouble" (a watcher cannot record) or "tracking"."""
        if self.pause.paused:
            return "paused"
        if any(w.troubled for w in self.tracker.watchers()):
            return "trouble"
        return "tracking"

    def tooltip(self) -> str:
        """The tray's tooltip: the state and today's active time."""
        status = self.status()
        if status == "paused":
            end = datetime.fromtimestamp((self.pause.end or 0) / SECOND).astimezone()
            first = f"Paused — resumes in {describe_left(self.pause.seconds_left())} (at {end:%H:%M})"
        elif status == "trouble":
            troubled = [w for w in self.tracker.watchers() if w.troubled]
            first = "; ".join(menus.watcher_label(w.name, w.state, w.reason) for w in troubled)
        else:
            first = "Tracking"
        return f"ActivityWatch — {first}\nActive today: {duration_text(self.tracker.active_time_today())}"

    def refresh(self) -> None:
        """Update the icon and tooltip."""
        icon = state_icon(self.status())
        if self.tray is not None:
            self.tray.setIcon(icon)
            self.tray.setToolTip(self.tooltip())
        self.window.set_status(self.status())
        self.window.send_menu()

    def notify(self, title: str, text: str) -> None:
        """Tell the user something (a tray message, or a message box without a tray)."""
        log.info("%s: %s", title, text)
        self.notifications.append((title, text))
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)
        else:
            self.dialogs.inform(title, text)

    def watcher_gave_up(self, name: str, reason: str) -> None:
        """A watcher failed too often and was stopped: say why and where its log is."""
        label = menus.WATCHER_LABELS.get(name, name)
        self.notify(
            f"The {label} watcher stopped",
            f"It failed repeatedly: {reason}. The log in {self.info.log_dir} says more (click here to open it, "
            "or use Open log folder in the menu).",
        )
        self.refresh()

    # ------------------------------------------------------------------ actions

    def open_dashboard(self) -> None:
        """Show the dashboard window (its process is started, or told to come forward)."""
        self.window.open()

    def open_api_browser(self) -> None:
        """The API browser in the system browser."""
        self.open_url(QUrl(self.info.server_url + "/api/"))

    def open_folder(self, path: Path) -> None:
        """A folder in the file manager (created if missing)."""
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notify(TITLE, f"Cannot open {path}: {exc.strerror}.")
            return
        self.open_url(QUrl.fromLocalFile(str(path)))

    def set_watcher_enabled(self, name: str, enabled: bool) -> None:
        """Switch a watcher on or off (remembered)."""
        self.state.set_watcher_enabled(name, enabled)
        self.tracker.set_watcher_enabled(name, enabled)
        self.refresh()

    def set_autostart(self, enabled: bool) -> None:
        """Write or remove the start-at-login entry."""
        try:
            self.autostart.set_enabled(enabled)
        except OSError as exc:
            self.notify(TITLE, f"Cannot change the login entry {self.autostart.location}: {exc.strerror or exc}.")

    def export(self, bucket_ids: Sequence[str] | None) -> ExportJob | None:
        """Ask where, then export in the background with progress."""
        if bucket_ids is None:
            suggested, title = "aw-buckets-export.json", "Export all buckets"
        else:
            suggested, title = f"aw-bucket-export_{bucket_ids[0]}.json", f"Export {bucket_ids[0]}"
        target = self.dialogs.save_path(title, Path.home() / suggested)
        if target is None:
            return None
        job = ExportJob(self.tracker, bucket_ids, target)
        job.done.connect(partial(self._on_export_done, job))
        self.exports.append(job)
        job.start()
        return job

    def _on_export_done(self, job: ExportJob, error: str, buckets: object) -> None:
        if job in self.exports:
            self.exports.remove(job)
        job.dialog.deleteLater()
        if error:
            self.notify("Export failed", f"Nothing was written to {job.target}: {error}")
        else:
            self.notify("Export finished", f"{buckets} bucket{'s' if buckets != 1 else ''} written to {job.target}.")

    def sync_now(self) -> None:
        """Ask for a sync round now (the status line shows how it went the next time the menu opens)."""
        self.tracker.sync_now()

    def forget_last(self, seconds: int) -> None:
        """After confirmation, delete what was recorded in the last `seconds` from every bucket."""
        end = self.clock()
        start = end - seconds * SECOND
        first = datetime.fromtimestamp(start / SECOND).astimezone()
        last = datetime.fromtimestamp(end / SECOND).astimezone()
        span = "the last hour" if seconds == 3600 else f"the last {seconds // 60} minutes"
        question = (
            f"Everything recorded in {span} (from {first:%H:%M} to {last:%H:%M}) will be deleted from every bucket. "
            "This cannot be undone."
        )
        if not self.dialogs.confirm(f"Forget {span}?", question):
            return
        try:
            summary = self.tracker.forget(start, end)
        except Exception as exc:
            log.exception("Forgetting %s failed", span)
            self.notify("Forget failed", f"Nothing was deleted: {getattr(exc, 'message', exc)}")
            return
        self.notify("Forgotten", summary)

    @property
    def offers_gnome_extension(self) -> bool:
        """Whether the menu offers to install the GNOME Shell extension (on GNOME sessions only)."""
        return is_gnome_session()

    def install_gnome_extension(self) -> None:
        """Install and enable the GNOME Shell extension; say plainly that it runs after the next login."""
        try:
            installed = install_extension()
        except ExtensionInstallError as exc:
            self.notify("GNOME Shell extension not installed", exc.message)
            return
        self.dialogs.inform(f"{TITLE}: GNOME Shell extension", installed.sentence())

    def about(self) -> None:
        """Version, data folder, server address, and what each watcher reads (or why it cannot)."""
        info = self.info
        watchers = "".join(
            f"\n{menus.watcher_label(w.name, w.state, w.reason, w.backend)}"
            + ("" if w.backend or w.troubled else f" — {w.state}")
            for w in self.tracker.watchers()
        )
        self.dialogs.inform(
            f"About {TITLE}",
            f"ActivityWatch {info.version}{' (testing)' if info.testing else ''}\n\n"
            f"Data folder: {info.data_dir}\nDatabase: {info.database}\nServer: {info.server_url}\n"
            f"Logs: {info.log_dir}" + (f"\n\nWatchers:{watchers}" if watchers else ""),
        )

    def _on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_dashboard()
