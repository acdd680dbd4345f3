"""The desktop tracker's sync side: the tray's status line, Sync now, and setting sync up from the tray."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from activitywatch import app
from activitywatch.config import Settings
from activitywatch.core.errors import AwError
from activitywatch.store import Store
from activitywatch.sync import setup as sync_setup
from activitywatch.sync import syncthing
from activitywatch.sync.runner import SyncThread
from activitywatch.ui.backend import SyncSetupResult, SyncState

log = logging.getLogger(__name__)

MAX_LINE = 90  # a menu entry, not a report: `sync status` has the rest


class TrackerSync:
    """Tracker methods (ui.backend.Tracker) for sync; mixed into the desktop tracker, which has `store`."""

    store: Store
    settings: Settings | None = None  # None: the app runs without settings (tests of other parts)
    sync_thread: SyncThread | None = None

    def sync_state(self) -> SyncState:
        """Whether sync is set up, and one line on its last round."""
        if self.settings is None or not sync_setup.configured(self.settings):
            return SyncState(False, "Sync: not set up", syncthing=syncthing.find_config() is not None)
        thread = self.sync_thread
        if thread is None:
            return SyncState(True, "Sync: off (see the log)" if self.settings.sync.enabled else "Sync: switched off")
        report, at = thread.last, thread.last_at
        if report is None or at is None:
            return SyncState(True, "Sync: first round under way…", running=True)
        when = time.strftime("%H:%M", time.localtime(at))
        errors = report.errors
        if errors:
            line = f"⚠ Sync at {when}: {errors[0]}"
            short = line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
            return SyncState(True, short, "\n".join(errors), running=True)
        others = sum(1 for d in report.devices if not d.this_device)
        return SyncState(True, f"Synced at {when} with {others} other device{'s' if others != 1 else ''}", running=True)

    def sync_now(self) -> None:
        """Ask the sync thread for a round now."""
        if self.sync_thread is not None:
            self.sync_thread.sync_now()

    def find_syncthing(self) -> str:
        """Which local Syncthing answers (worker thread); SyncthingError says why none does."""
        local = syncthing.connect()
        return f"Syncthing runs on this computer (device {local.device_id[:7]}, {local.url})."

    def sync_setup(self, folder: Path, key: str, with_syncthing: bool = False) -> SyncSetupResult:
        """`sync init` (empty key) or `sync join` from the tray (with Syncthing: like `--syncthing`), then
        start syncing."""
        if self.settings is None:
            return SyncSetupResult(False, "Sync cannot be set up in this run.")
        key = key.strip()
        try:
            local = syncthing.connect() if with_syncthing else None  # before anything is set up
            if key:
                if local is not None:
                    sync_setup.make_folder(folder)  # the other devices' files arrive once Syncthing shares it
                opened = app.sync_join(self.settings, folder, key)
                done = f"This computer now syncs through {folder}; the key opened {opened} other device(s)' files."
            else:
                new_key = app.sync_init(self.settings, folder)
                done = f"This computer now syncs through {folder}."
        except AwError as exc:
            return SyncSetupResult(False, exc.message)
        if self.sync_thread is None:
            self.sync_thread = app.start_sync(self.settings, self.store)
        keep = "(shown only now; keep it safe):"
        if local is None:
            if key:
                return SyncSetupResult(True, done)
            there = f"Share that folder with your other computers and set sync up there with this key {keep}"
            return SyncSetupResult(True, f"{done} {there}", new_key)
        did, step = _add_to_syncthing(local, folder)
        text = f"{done} {did}\n\n{step}"
        if key:
            return SyncSetupResult(True, f"{text} (or accept it when offered); its data arrives with the next rounds.")
        there = f"; there, choose Sync ▸ Set up with Syncthing… (or run `sync join`) and enter this key {keep}"
        return SyncSetupResult(True, text + there, new_key)


def _add_to_syncthing(local: syncthing.Syncthing, folder: Path) -> tuple[str, str]:
    """Add `folder` to Syncthing; what happened, and the user's next step (sync itself is set up already)."""
    try:
        result = syncthing.add_folder(local, folder)
    except syncthing.SyncthingError as exc:
        return (
            f"It was not added to Syncthing: {exc.message}",
            "Add it in Syncthing yourself and share it with your other computer",
        )
    name = f"'{result.label}'" + (f" (folder ID {result.folder_id})" if result.label != result.folder_id else "")
    did = f"Syncthing now syncs it as {name}." if result.added else f"Syncthing already syncs it in its folder {name}."
    return did, f"Next: in Syncthing, share the folder {name} with your other computer"
