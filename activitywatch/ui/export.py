"""Exporting in the background: the tracker writes the file on a worker thread while a progress dialog
shows how far it got; the result comes back as a signal on the main thread."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from activitywatch.ui.backend import Progress, Tracker
from activitywatch.ui.jobs import BackgroundJob


class ExportJob(BackgroundJob):
    """One export; `done(error, buckets)` with error "" on success."""

    def __init__(self, tracker: Tracker, bucket_ids: Sequence[str] | None, target: Path) -> None:
        super().__init__(f"Exporting to {target.name}…", "ActivityWatch export", "export")
        self.tracker = tracker
        self.bucket_ids = None if bucket_ids is None else list(bucket_ids)
        self.target = target

    @property
    def buckets(self) -> int:
        """How many buckets were written (once done)."""
        return self.result if isinstance(self.result, int) else 0

    def work(self, progress: Progress) -> int:
        """Write the export file."""
        return self.tracker.export(self.bucket_ids, self.target, progress)
