"""Exporting in the background: the tracker writes the file on a worker thread while a progress dialog
shows how far it got; the result comes back as a signal on the main thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog

from activitywatch.qtsignals import emit
from activitywatch.ui.backend import Tracker

log = logging.getLogger(__name__)


class ExportJob(QObject):
    """One export; `done(error, buckets)` with error "" on success."""

    progressed = Signal(int, int)
    done = Signal(str, int)

    def __init__(self, tracker: Tracker, bucket_ids: Sequence[str] | None, target: Path) -> None:
        super().__init__()
        self.tracker = tracker
        self.bucket_ids = None if bucket_ids is None else list(bucket_ids)
        self.target = target
        self.error: str | None = None
        self.buckets = 0
        self.dialog = QProgressDialog(f"Exporting to {target.name}…", "", 0, 0)
        self.dialog.setWindowTitle("ActivityWatch export")
        self.dialog.setCancelButton(None)  # a half-written export is useless; it is quick
        self.dialog.setMinimumDuration(500)
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.progressed.connect(self._on_self_progressed)
        self.done.connect(self._on_self_done)
        self._thread = threading.Thread(target=self._run, name="export", daemon=True)

    def start(self) -> None:
        """Begin writing."""
        self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the worker thread (at shutdown); False if it still runs."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            buckets = self.tracker.export(self.bucket_ids, self.target, lambda d, t: emit(self.progressed, d, t))
        except Exception as exc:  # reported to the user; a bug's traceback goes to the log
            message = getattr(exc, "message", None)
            if not isinstance(message, str):
                log.exception("Export to %s failed", self.target)
                message = f"{type(exc).__name__}: {exc}"
            emit(self.done, message, 0)
            return
        emit(self.done, "", buckets)

    def _on_self_progressed(self, done: int, total: int) -> None:
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))

    def _on_self_done(self, error: str, buckets: int) -> None:
        self.error, self.buckets = error, buckets
        self.dialog.reset()
        self.dialog.hide()
