"""The tray menu (also the dashboard window's menu), rebuilt from the tracker's state each time it opens."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from activitywatch.ui.pause import describe_left

if TYPE_CHECKING:
    from activitywatch.ui.desktop import Desktop

WATCHER_LABELS = {"afk": "AFK (away from keyboard)", "window": "Window (active application)"}
PAUSES = (("15 minutes", 15 * 60), ("1 hour", 60 * 60))
FORGETS = (("The last 15 minutes…", 15 * 60), ("The last hour…", 60 * 60))


def watcher_label(name: str, state: str, reason: str, backend: str = "") -> str:
    """The watcher's menu entry: its name, and what is wrong if anything (else the backend it reads)."""
    label = WATCHER_LABELS.get(name, name)
    if state in ("trouble", "unavailable", "failed", "restarting"):
        label += f" — {state}: {reason}" if reason else f" — {state}"
    elif backend:
        label += f" — via {backend}"
    return label


def populate(menu: QMenu, desktop: Desktop) -> None:
    """Fill `menu` (emptied first) with every action."""
    menu.clear()
    info = desktop.info
    if info.testing:
        menu.addAction("Running in testing mode").setEnabled(False)
    if desktop.pause.paused:
        menu.addAction(f"Paused — {describe_left(desktop.pause.seconds_left())} left").setEnabled(False)
    for watcher in desktop.tracker.watchers():
        if watcher.troubled:
            menu.addAction(f"⚠ {watcher_label(watcher.name, watcher.state, watcher.reason)}").setEnabled(False)
    menu.addAction("Open Dashboard", desktop.open_dashboard)
    menu.addSeparator()

    watchers = menu.addMenu("Watchers")
    for watcher in desktop.tracker.watchers():
        action = watchers.addAction(watcher_label(watcher.name, watcher.state, watcher.reason, watcher.backend))
        action.setCheckable(True)
        action.setChecked(watcher.enabled)
        action.toggled.connect(partial(desktop.set_watcher_enabled, watcher.name))
    if watchers.isEmpty():
        watchers.addAction("None (switched off in the config file)").setEnabled(False)

    pause = menu.addMenu("Pause tracking")
    for label, seconds in PAUSES:
        pause.addAction(label, partial(desktop.pause.pause_for, seconds))
    pause.addAction("Until tomorrow", desktop.pause.pause_until_tomorrow)
    pause.addSeparator()
    resume = pause.addAction("Resume", desktop.pause.resume)
    resume.setEnabled(desktop.pause.paused)

    export = menu.addMenu("Export")
    export.addAction("All buckets…", partial(desktop.export, None))
    bucket_ids = desktop.tracker.bucket_ids()
    if bucket_ids:
        export.addSeparator()
    for bucket_id in bucket_ids:
        export.addAction(f"{bucket_id}…", partial(desktop.export, [bucket_id]))

    imports = menu.addMenu("Import")
    imports.addAction("From ActivityWatch…", desktop.importer.from_activitywatch)
    imports.addAction("From a file…", desktop.importer.from_file)

    sync = menu.addMenu("Sync")
    state = desktop.tracker.sync_state()
    line = sync.addAction(state.line)
    line.setEnabled(False)
    if state.detail:
        line.setToolTip(state.detail)
        sync.setToolTipsVisible(True)
    sync.addAction("Sync now", desktop.sync_now).setEnabled(state.running)
    sync.addAction("Set up…", desktop.syncing.with_folder).setEnabled(not state.configured)
    if state.syncthing:
        sync.addAction("Set up with Syncthing…", desktop.syncing.with_syncthing)

    forget = menu.addMenu("Forget")
    for label, seconds in FORGETS:
        forget.addAction(label, partial(desktop.forget_last, seconds))
    menu.addSeparator()

    menu.addAction("Open API browser", desktop.open_api_browser)
    menu.addAction("Open data folder", lambda: desktop.open_folder(info.data_dir))
    menu.addAction("Open config folder", lambda: desktop.open_folder(info.config_dir))
    menu.addAction("Open log folder", lambda: desktop.open_folder(info.log_dir))
    login = menu.addAction("Start at login")
    login.setCheckable(True)
    login.setChecked(desktop.autostart.enabled())
    login.toggled.connect(desktop.set_autostart)
    if desktop.offers_gnome_extension:
        menu.addAction("Install GNOME Shell extension…", desktop.install_gnome_extension)
    menu.addAction("About ActivityWatch", desktop.about)
    menu.addSeparator()
    menu.addAction("Quit ActivityWatch", desktop.quit)
