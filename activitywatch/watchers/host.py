"""Starting and stopping the configured watchers (used by the app, with or without a GUI)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

from activitywatch.config import Settings
from activitywatch.watchers.builtin import AfkWatcher, WindowWatcher
from activitywatch.watchers.heartbeats import HeartbeatSink
from activitywatch.watchers.worker import Watcher, WatcherThread

log = logging.getLogger(__name__)


def build_watchers(settings: Settings, sink: HeartbeatSink) -> list[Watcher]:
    """The watchers the settings enable."""
    watchers: list[Watcher] = []
    if settings.afk.enabled:
        watchers.append(AfkWatcher(sink, timeout=settings.afk.timeout, poll_time=settings.afk.poll_time))
    if settings.window.enabled:
        window = settings.window
        watchers.append(
            WindowWatcher(
                sink,
                poll_time=window.poll_time,
                exclude_titles=window.exclude_titles,
                exclude_apps=window.exclude_apps,
            )
        )
    return watchers


class WatcherSet:
    """The running watchers, each on its own thread."""

    def __init__(self, watchers: list[Watcher]) -> None:
        if QCoreApplication.instance() is None:
            self._app = QCoreApplication([])  # threads and timers need the application object
        self.threads = [WatcherThread(w) for w in watchers]

    def start(self) -> None:
        """Start every watcher."""
        for thread in self.threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every watcher (in reverse order), each within `timeout` seconds."""
        for thread in reversed(self.threads):
            thread.stop(timeout)
