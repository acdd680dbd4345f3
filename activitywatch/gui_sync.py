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
from activitywatch.sync.runner import SyncThread
from activitywatch.ui.backend import SyncState

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
            return SyncState(False, "Sync: not set up")
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

    def sync_setup(self, folder: Path, key: str) -> tuple[bool, str]:
        """`sync init` (empty key) or `sync join` from the tray, then start syncing."""
        if self.settings is None:
            return False, "Sync cannot be set up in this run."
        try:
            if key.strip():
                opened = app.sync_join(self.settings, folder, key.strip())
                message = f"This computer now syncs through {folder}; the key opened {opened} other device(s)' files."
            else:
                new_key = app.sync_init(self.settings, folder)
                message = (
                    f"This computer now syncs through {folder}. Share that folder with your other computers and "
                    f"set sync up there with this key (shown only now; keep it safe):\n\n{new_key}"
                )
        except AwError as exc:
            return False, exc.message
        if self.sync_thread is None:
            self.sync_thread = app.start_sync(self.settings, self.store)
        return True, message
