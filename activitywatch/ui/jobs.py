"""Long work in the background (exports, imports): a worker thread does it while a progress dialog shows how
far it got; the result comes back as a signal on the main thread."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog

from activitywatch.qtsignals import emit
from activitywatch.ui.backend import Progress

log = logging.getLogger(__name__)


class BackgroundJob(QObject):
    """One piece of work; `done(error, result)` on the main thread, error "" on success, once `error` and
    `result` are set and the dialog is gone."""

    progressed = Signal(int, int)
    completed = Signal(str, object)  # from the worker thread
    done = Signal(str, object)

    def __init__(self, label: str, title: str, name: str) -> None:
        super().__init__()
        self.error: str | None = None
        self.result: object = None
        self.dialog = QProgressDialog(label, "", 0, 0)
        self.dialog.setWindowTitle(title)
        self.dialog.setCancelButton(None)  # half-done work is useless (an import is one transaction)
        self.dialog.setMinimumDuration(500)
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.progressed.connect(self._on_self_progressed)
        self.completed.connect(self._on_self_completed)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def work(self, progress: Progress) -> object:
        """The work itself, on the worker thread (`progress(done, total)` may be called from it)."""
        raise NotImplementedError

    def start(self) -> None:
        """Begin the work."""
        self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the worker thread (at shutdown); False if it still runs."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self.work(lambda d, t: emit(self.progressed, d, t))
        except Exception as exc:  # reported to the user; a bug's traceback goes to the log
            message = getattr(exc, "message", None)
            if not isinstance(message, str):
                log.exception("%s failed", self._thread.name)
                message = f"{type(exc).__name__}: {exc}"
            emit(self.completed, message, None)
            return
        emit(self.completed, "", result)

    def _on_self_progressed(self, done: int, total: int) -> None:
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))

    def _on_self_completed(self, error: str, result: object) -> None:
        self.error, self.result = error, result
        self.dialog.reset()
        self.dialog.hide()
        emit(self.done, error, result)
