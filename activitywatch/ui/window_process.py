"""The dashboard window's process, seen from the app: started on demand, told to come forward, fed the
menu and state icon, and gone when the window closes, so the app never holds the web engine's memory.

The two talk in JSON lines: the app writes `{"show"}`, `{"menu", "generation"}`, `{"status"}` and
`{"quit"}` to the child's standard input; the child writes `{"action": [generation, id]}` to its standard
output when a menu entry is chosen. The child also exits when its standard input ends (the app died)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from activitywatch.qtsignals import emit
from activitywatch.ui import remote_menu

log = logging.getLogger(__name__)

SUBCOMMAND = "dashboard-window"


def child_arguments(url: str, data_dir: Path, status: str) -> list[str]:
    """The arguments after the app's own command that start the window's process."""
    return [SUBCOMMAND, "--url", url, "--data-dir", str(data_dir), "--status", status]


class WindowProcess(QObject):
    """The dashboard window in a child process; `closed` when that process has ended."""

    closed = Signal()

    def __init__(
        self,
        command: Sequence[str],
        arguments: Callable[[], list[str]],
        fill_menu: Callable[[QMenu], None],
    ) -> None:
        """`command` starts this app (launch_command()), `arguments` gives the child's arguments when it
        starts, `fill_menu` fills the window's menu (called again each time it is sent)."""
        super().__init__()
        self.command = list(command)
        self.arguments = arguments
        self.fill_menu = fill_menu
        self.menu = QMenu()
        self.generation = 0
        self._actions: list[QAction] = []
        self._items: list[remote_menu.Item] = []  # as last sent
        self._buffer = b""
        self.process: QProcess | None = None

    def running(self) -> bool:
        """Whether the window's process is there (starting or running)."""
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return int(self.process.processId()) if self.process is not None and self.running() else None

    def open(self) -> None:
        """Start the window's process, or bring its window forward when it runs."""
        if self.running():
            self._send({"show": True})
            return
        process = QProcess(self)
        process.setProgram(self.command[0])
        process.setArguments([*self.command[1:], *self.arguments()])
        # its messages (Qt's, Chromium's) go where the app's go; only standard output is read
        process.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedErrorChannel)
        process.readyReadStandardOutput.connect(self._on_process_ready_read)
        process.finished.connect(self._on_process_finished)
        process.errorOccurred.connect(self._on_process_error)
        self.process = process
        self._buffer = b""
        self._items = []  # a new process has no menu yet
        log.info("Starting the dashboard window: %s", " ".join([process.program(), *process.arguments()]))
        process.start()
        self.send_menu()

    def send_menu(self) -> None:
        """Send the menu as it is now when it changed (a new generation: entries chosen in older ones are
        ignored)."""
        if not self.running():
            return
        self.fill_menu(self.menu)
        items, self._actions = remote_menu.snapshot(self.menu)
        if items == self._items:
            return  # the same entries in the same places: the window's numbers still hold
        self._items = items
        self.generation += 1
        self._send({"menu": items, "generation": self.generation})

    def set_status(self, status: str) -> None:
        """The state the window's icon shows."""
        if self.running():
            self._send({"status": status})

    def stop(self, timeout: float) -> None:
        """Close the window and wait (bounded) for its process to end; killed if it does not."""
        process = self.process
        if process is None:
            return
        if process.state() != QProcess.ProcessState.NotRunning:
            self._send({"quit": True})
            process.closeWriteChannel()
            if not process.waitForFinished(round(timeout * 1000)):
                log.error("The dashboard window's process did not end within %g s; killing it", timeout)
                process.kill()
                process.waitForFinished(round(timeout * 1000))
        self._forget(process)

    def _send(self, message: dict[str, object]) -> None:
        if self.process is not None:
            self.process.write(json.dumps(message).encode() + b"\n")

    def _forget(self, process: QProcess) -> None:
        if self.process is process:
            self.process = None
            self._actions = []
        process.deleteLater()

    def _on_process_ready_read(self) -> None:
        if self.process is None:
            return
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line)
                if "log" in message:
                    level, name, text = message["log"]
                    logging.getLogger(str(name)).log(int(level), "%s", text)
                    continue
                generation, number = message["action"]
            except (ValueError, KeyError, TypeError):
                continue  # not ours (a library writing to standard output)
            self.choose(generation, number)

    def choose(self, generation: int, number: int) -> None:
        """The window's menu entry `number` of menu `generation` was chosen: trigger the app's own."""
        if generation == self.generation and 0 <= number < len(self._actions):
            self._actions[number].trigger()
        # then the menu as it is now: what the entry changed shows, or (from an older menu) nothing ran
        self.send_menu()

    def _on_process_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        process = self.sender()
        log.info("The dashboard window's process ended (status %s)", code)
        if isinstance(process, QProcess):
            self._forget(process)
        emit(self.closed)

    def _on_process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            log.error("The dashboard window could not start: %s", self.process.errorString())
            self._forget(self.process)
            emit(self.closed)
