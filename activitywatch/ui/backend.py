"""What the UI needs from the running tracker: a small protocol the app implements, and facts to show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

Progress = Callable[[int, int], None]  # (done, total) events


@dataclass(frozen=True)
class WatcherStatus:
    """One built-in watcher as the menu shows it."""

    name: str  # "afk", "window"
    enabled: bool  # switched on by the user
    state: str  # running, paused, starting, restarting, trouble, unavailable, failed, stopped
    reason: str = ""
    backend: str = ""  # the desktop backend it reads (e.g. "wlr-foreign-toplevel-management"), once chosen

    @property
    def troubled(self) -> bool:
        """Whether the user should look at it (it cannot record as asked)."""
        return self.enabled and self.state in ("trouble", "unavailable", "failed", "restarting")


@dataclass(frozen=True)
class AppInfo:
    """Facts about this run, for the About box and the folder entries."""

    version: str
    server_url: str
    data_dir: Path
    config_dir: Path
    log_dir: Path
    database: Path
    testing: bool = False


@dataclass(frozen=True)
class FoundData:
    """ActivityWatch data found on this computer (one database)."""

    label: str  # e.g. "aw-server-rust (testing)"
    path: Path
    events: int
    start: int | None  # ns since the epoch
    end: int | None


@dataclass(frozen=True)
class SyncState:
    """Sync as the menu shows it: whether it is set up, and one line saying how it goes."""

    configured: bool
    line: str
    detail: str = ""  # the whole of what went wrong (the line is cut short), shown as its tooltip
    running: bool = False  # this run syncs (Sync now can do something)
    syncthing: bool = False  # not set up, and a local Syncthing's configuration was found: offer to use it


@dataclass(frozen=True)
class SyncSetupResult:
    """How setting sync up went: a sentence for the user, and the new key of a first device (shown once)."""

    ok: bool  # sync is set up (a folder Syncthing could not take is said in `message`)
    message: str
    key: str = ""


class Tracker(Protocol):
    """The running tracker, as the UI may use it (called on the main thread, except `export`)."""

    def watchers(self) -> list[WatcherStatus]:
        """The built-in watchers and their states."""
        ...

    def set_watcher_enabled(self, name: str, enabled: bool) -> None:
        """Switch a watcher on or off."""
        ...

    def pause(self, start: int, end: int) -> None:
        """Stop recording from `start` until `end` (ns since the epoch) or until `resume`."""
        ...

    def resume(self) -> None:
        """Record again."""
        ...

    def bucket_ids(self) -> list[str]:
        """The ids of every bucket."""
        ...

    def export(self, bucket_ids: Sequence[str] | None, target: Path, progress: Progress) -> int:
        """Write the export document of these buckets (all when None) to `target`; the buckets written.

        Called on a worker thread; `progress` is called from it.
        """
        ...

    def forget(self, start: int, end: int) -> str:
        """Delete what was recorded in [start, end) from every bucket; a sentence saying what went."""
        ...

    def active_time_today(self) -> float:
        """Seconds not away from the keyboard since the start of today."""
        ...

    def find_activitywatch(self) -> list[FoundData]:
        """The ActivityWatch databases in this computer's usual places."""
        ...

    def import_files(self, paths: Sequence[Path], progress: Progress) -> str:
        """Import these files (exports or ActivityWatch databases); a sentence saying what was stored.

        Called on a worker thread; `progress` is called from it.
        """
        ...

    def sync_state(self) -> SyncState:
        """Whether sync is set up, and how its last round went."""
        ...

    def sync_now(self) -> None:
        """Ask for a sync round now (returns at once)."""
        ...

    def sync_setup(self, folder: Path, key: str, with_syncthing: bool = False) -> SyncSetupResult:
        """Set sync up through `folder` (`key` empty: as the first device) and start syncing; with
        `with_syncthing`, also add `folder` to the local Syncthing (then called on a worker thread)."""
        ...

    def find_syncthing(self) -> str:
        """A sentence naming the running local Syncthing, or an error (with `message`) saying why there is
        none to use. Called on a worker thread."""
        ...
