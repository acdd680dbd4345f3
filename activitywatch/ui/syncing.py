"""Setting sync up from the tray: Sync ▸ Set up… (a folder already kept in sync, then the key) and
Sync ▸ Set up with Syncthing… (Syncthing is checked, and the folder added to it). The setup itself (the
keyring, which may ask to be unlocked, the folder, Syncthing) runs on a worker thread, so the menu and
the app never wait on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from activitywatch.ui.backend import Progress, SyncSetupResult, Tracker
from activitywatch.ui.dialogs import Dialogs
from activitywatch.ui.jobs import BackgroundJob

FIRST, JOIN = 0, 1
CHOICES = ("This is the first computer", "Join with the key from another computer")
KEY_LABEL = "The sync key shown when sync was set up on your first computer."


class FindSyncthing(BackgroundJob):
    """Ask the local Syncthing whether it runs; `done(error, sentence)`."""

    def __init__(self, tracker: Tracker) -> None:
        super().__init__("Looking for Syncthing…", "Sync", "find-syncthing")
        self.tracker = tracker

    def work(self, progress: Progress) -> str:
        """Ask Syncthing's REST API."""
        return self.tracker.find_syncthing()


class SetUp(BackgroundJob):
    """Set sync up through a folder already kept in sync; `done(error, SyncSetupResult)`."""

    def __init__(self, tracker: Tracker, folder: Path, key: str) -> None:
        super().__init__("Setting up sync…", "Sync", "sync-setup")
        self.tracker, self.folder, self.key = tracker, folder, key

    def work(self, progress: Progress) -> SyncSetupResult:
        """Check the key against the folder's files, keep it in the keyring, start syncing."""
        return self.tracker.sync_setup(self.folder, self.key)


class SetUpWithSyncthing(BackgroundJob):
    """Set sync up and add its folder to Syncthing; `done(error, SyncSetupResult)`."""

    def __init__(self, tracker: Tracker, folder: Path, key: str) -> None:
        super().__init__("Setting up sync and adding the folder to Syncthing…", "Sync", "sync-setup")
        self.tracker, self.folder, self.key = tracker, folder, key

    def work(self, progress: Progress) -> SyncSetupResult:
        """Set up, then call Syncthing's REST API."""
        return self.tracker.sync_setup(self.folder, self.key, with_syncthing=True)


class SyncSetup(QObject):
    """The tray's two ways to set sync up; `refresh()` redraws the tray once sync runs."""

    def __init__(self, tracker: Tracker, dialogs: Dialogs, refresh: Callable[[], None]) -> None:
        super().__init__()
        self.tracker = tracker
        self.dialogs = dialogs
        self.refresh = refresh
        self.jobs: list[BackgroundJob] = []

    def with_folder(self) -> BackgroundJob | None:
        """Set up…: the shared folder, then the key of the first computer (empty: this is the first);
        the setup runs in the background (None: the user cancelled)."""
        folder = self.dialogs.folder_path("The folder you keep in sync between your computers (e.g. with Syncthing)")
        if folder is None:
            return None
        key = self.dialogs.text(
            "Sync key", f"{KEY_LABEL}\nLeave it empty if this is the first computer: a new key is made and shown."
        )
        if key is None:
            return None
        return self._start(SetUp(self.tracker, folder, key), self._on_set_up)

    def with_syncthing(self) -> BackgroundJob:
        """Set up with Syncthing…: check that Syncthing answers, then ask (see `_on_found`)."""
        return self._start(FindSyncthing(self.tracker), self._on_found)

    def _on_found(self, error: str, sentence: object) -> None:
        if error:
            self.dialogs.inform("Sync was not set up", error)
            return
        question = f"{sentence}\n\nIs this the first computer you set ActivityWatch sync up on?"
        choice = self.dialogs.choose("Set up sync with Syncthing", question, CHOICES, warning=False)
        if choice is None:
            return
        folder = self.dialogs.folder_path(
            "A new, empty folder for ActivityWatch's sync files (it is added to Syncthing)"
            if choice == FIRST
            else "A new, empty folder where the other computer's sync files arrive (it is added to Syncthing)"
        )
        if folder is None:
            return
        key = ""
        if choice == JOIN:
            typed = self.dialogs.text("Sync key", KEY_LABEL)
            if typed is None:
                return
            if not typed.strip():
                self.dialogs.inform(
                    "Sync was not set up", "No key was entered: enter the sync key shown on your first computer."
                )
                return
            key = typed
        self._start(SetUpWithSyncthing(self.tracker, folder, key), self._on_set_up)

    def _on_set_up(self, error: str, result: object) -> None:
        if error:
            self.dialogs.inform("Sync was not set up", error)
        elif isinstance(result, SyncSetupResult):
            self._show(result)

    def _show(self, result: SyncSetupResult) -> None:
        if result.key:
            self.dialogs.show_key("Sync is set up", result.message, result.key)
        else:
            self.dialogs.inform("Sync" if result.ok else "Sync was not set up", result.message)
        self.refresh()

    def _start(self, job: BackgroundJob, then: Callable[[str, object], None]) -> BackgroundJob:
        def finished(error: str, result: object) -> None:
            if job in self.jobs:
                self.jobs.remove(job)
            job.dialog.deleteLater()
            then(error, result)

        job.done.connect(finished)
        self.jobs.append(job)
        job.start()
        return job

    def wait(self, timeout: float) -> None:
        """At shutdown: let a setup under way finish (bounded), so a sync it starts is stopped with the app."""
        for job in list(self.jobs):
            job.wait(timeout)
