"""Importing in the background: ActivityWatch's databases or a chosen file, with a progress window.

The offer at first start, Import ▸ From ActivityWatch… and Import ▸ From a file… all end in an
`ImportJob` (a background job with a progress dialog, ui/jobs.py); its result is told to the user.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from activitywatch.qtsignals import emit
from activitywatch.ui.backend import FoundData, Progress, Tracker
from activitywatch.ui.dialogs import Dialogs
from activitywatch.ui.jobs import BackgroundJob

log = logging.getLogger(__name__)

SECOND = 1_000_000_000
FILE_KINDS = "ActivityWatch exports and databases (*.json *.db *.sqlite);;All files (*)"


def count_text(events: int) -> str:
    """'1.2 million events', '12,345 events', '1 event'."""
    if events >= 1_000_000:
        return f"{events / 1_000_000:.1f} million events"
    return f"{events:,} event{'s' if events != 1 else ''}"


def span_text(start: int | None, end: int | None, now: int) -> str:
    """'from March 2021 to today', 'from March 2021 to June 2024'."""
    if start is None or end is None:
        return ""
    first = datetime.fromtimestamp(start / SECOND).astimezone()
    last = datetime.fromtimestamp(end / SECOND).astimezone()
    today = datetime.fromtimestamp(now / SECOND).astimezone()
    until = "today" if last.date() >= today.date() else f"{last:%B %Y}"
    return f"from {first:%B %Y} to {until}"


def offer_text(found: Sequence[FoundData], now: int) -> str:
    """'Found ActivityWatch data from March 2021 to today (1.2 million events). Import it?'"""
    starts = [f.start for f in found if f.start is not None]
    ends = [f.end for f in found if f.end is not None]
    span = span_text(min(starts, default=None), max(ends, default=None), now)
    events = sum(f.events for f in found)
    return f"Found ActivityWatch data {span + ' ' if span else ''}({count_text(events)}). Import it?"


class ImportJob(BackgroundJob):
    """One import; `done(error, summary)` with error "" on success."""

    def __init__(self, tracker: Tracker, paths: Sequence[Path]) -> None:
        what = paths[0].name if len(paths) == 1 else f"{len(paths)} databases"
        super().__init__(f"Importing {what}…", "ActivityWatch import", "import")
        self.tracker = tracker
        self.paths = list(paths)

    @property
    def summary(self) -> str:
        """What was stored, as a sentence (once done)."""
        return self.result if isinstance(self.result, str) else ""

    def work(self, progress: Progress) -> str:
        """Import the files."""
        return self.tracker.import_files(self.paths, progress)


class Importer(QObject):
    """The import actions of the tray and the first start; `notify(title, text)` tells the result."""

    discovered = Signal(object)  # the FoundData list, from the thread that looked at the first start

    def __init__(
        self,
        tracker: Tracker,
        dialogs: Dialogs,
        notify: Callable[[str, str], None],
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        super().__init__()
        self.tracker = tracker
        self.dialogs = dialogs
        self.notify = notify
        self.clock = clock
        self.jobs: list[ImportJob] = []
        self._looking: threading.Thread | None = None
        self.discovered.connect(self._on_self_discovered)

    def offer_first_start(self) -> None:
        """On a new database: look for ActivityWatch data in the background (counting a big database
        takes a moment), then offer what was found."""
        self._looking = threading.Thread(target=self._look, name="find-activitywatch", daemon=True)
        self._looking.start()

    def _look(self) -> None:
        try:
            found = self.tracker.find_activitywatch()
        except Exception:  # a bug: the app works without the offer
            log.exception("Looking for ActivityWatch data failed")
            found = []
        emit(self.discovered, found)

    def _on_self_discovered(self, found: list[FoundData]) -> None:
        self.offer(found)

    def offer(self, found: Sequence[FoundData]) -> ImportJob | None:
        """Offer to import the ActivityWatch data found (none: no question)."""
        found = [f for f in found if f.events]
        if not found:
            return None
        log.info("First start: offering to import %s", ", ".join(str(f.path) for f in found))
        if not self.dialogs.ask("Bring your ActivityWatch history", offer_text(found, self.clock()), "Import"):
            return None
        return self.run([f.path for f in found])

    def from_activitywatch(self) -> ImportJob | None:
        """Import ▸ From ActivityWatch…: what was found, and after confirmation, import it all."""
        found = [f for f in self.tracker.find_activitywatch() if f.events]
        if not found:
            self.notify("Import", "No ActivityWatch data was found in this computer's usual places.")
            return None
        places = "\n".join(f"• {f.label}: {f.path} ({count_text(f.events)})" for f in found)
        if not self.dialogs.ask(
            "Import from ActivityWatch", f"{offer_text(found, self.clock())}\n\n{places}", "Import"
        ):
            return None
        return self.run([f.path for f in found])

    def from_file(self) -> ImportJob | None:
        """Import ▸ From a file…: an export or a database the user picks."""
        path = self.dialogs.open_path("Import an ActivityWatch export or database", FILE_KINDS)
        return None if path is None else self.run([path])

    def run(self, paths: Sequence[Path]) -> ImportJob:
        """Import in the background; the result is told when done."""
        job = ImportJob(self.tracker, paths)
        job.done.connect(partial(self._on_job_done, job))
        self.jobs.append(job)
        job.start()
        return job

    def wait(self, timeout: float) -> None:
        """At shutdown: wait (bounded) for imports still running."""
        if self._looking is not None:
            self._looking.join(timeout)
        for job in self.jobs:
            if not job.wait(timeout):
                log.error("An import of %s did not finish within %g s", job.paths, timeout)

    def _on_job_done(self, job: ImportJob, error: str, summary: object) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        job.dialog.deleteLater()
        if error:
            self.notify("Import failed", f"Nothing was imported: {error}")
        else:
            self.notify("Import finished", job.summary)
