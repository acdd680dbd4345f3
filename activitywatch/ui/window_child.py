"""The dashboard window's own process (`activitywatch dashboard-window`, started by the app, never by
hand): the only process that loads QtWebEngine. It ends when its window closes, when the app says
`quit`, or when its standard input ends (the app is gone), and the web engine's processes end with it.
What it logs goes to the app, which writes it to its log file."""

from __future__ import annotations

import argparse
import contextlib
import json
import linecache
import logging
import os
import queue
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from activitywatch.qtsignals import emit

log = logging.getLogger(__name__)

POLL_MS = 50  # how soon a message from the app is acted on
# The window's memory (bench/desktop_idle.py, bench/window_sandboxed.py): one renderer at most (the
# dashboard is one page); drawing in software, Chromium's and Qt Quick's (the charts need no GPU). Qt's
# X11 and Wayland plugins would still load an OpenGL driver for a context nothing draws with (Mesa's
# llvmpipe: libLLVM and swrast_dri, ~60 MB resident), so they are told to use none (Qt then warns on
# stderr, a few lines, that it could not make an OpenGL context, and draws in software). With the
# sandbox (a normal user) the renderer is started by the sandboxed zygote; the unsandboxed one would
# only start helpers the dashboard never needs: ~50 MB less. Without the sandbox (as root) no zygote is
# needed at all: ~100 MB less. QTWEBENGINE_CHROMIUM_FLAGS and the variables below set by the user win.
MEMORY_FLAGS = ("--renderer-process-limit=1", "--disable-gpu")
SANDBOXED_FLAGS = ("--no-unsandboxed-zygote",)
UNSANDBOXED_FLAGS = ("--no-zygote",)
SOFTWARE_ONLY = {
    "QT_QUICK_BACKEND": "software",
    "QT_XCB_GL_INTEGRATION": "none",
    "QT_WAYLAND_CLIENT_BUFFER_INTEGRATION": "none",
}
# What this process sets for itself: its own programs (a browser built on Qt) must not inherit them.
ENGINE_VARIABLES = ("QTWEBENGINE_CHROMIUM_FLAGS", "QTWEBENGINE_DISABLE_SANDBOX", *SOFTWARE_ONLY)


def allow_webengine_as_root() -> None:
    """QtWebEngine's sandbox refuses to run as root; without it the dashboard window still works."""
    if (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and "--no-sandbox" not in os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    ):
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"


def chromium_flags(current: str, *, sandboxed: bool) -> str:
    """The web engine's flags: the user's (QTWEBENGINE_CHROMIUM_FLAGS) plus the memory ones not set."""
    flags = current.split()
    names = {flag.split("=")[0] for flag in flags}
    wanted = MEMORY_FLAGS + (SANDBOXED_FLAGS if sandboxed else UNSANDBOXED_FLAGS)
    return " ".join(flags + [flag for flag in wanted if flag.split("=")[0] not in names])


def sandboxed() -> bool:
    """Whether QtWebEngine will use its sandbox (QTWEBENGINE_DISABLE_SANDBOX or --no-sandbox turn it off)."""
    return (
        os.environ.get("QTWEBENGINE_DISABLE_SANDBOX", "") in ("", "0")
        and "--no-sandbox" not in os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    )


def restore_environment(saved: dict[str, str | None]) -> None:
    """Put the variables back as they were (None: unset), once Qt and the web engine have read them."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def write_message(message: dict[str, Any]) -> None:
    """One JSON line to the app."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class ToParent(logging.Handler):
    """Log records as messages to the app (one log file, written by one process)."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError, ValueError):  # the app is gone
            write_message({"log": [record.levelno, record.name, record.getMessage()]})


class ParentLink(QObject):
    """The app's messages, read on a thread (standard input is not a socket everywhere) and handed to the
    main thread by a short timer: a signal emitted from a plain thread upsets PySide's reference counts."""

    received = Signal(dict)
    ended = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        """Start reading standard input."""
        threading.Thread(target=self._read, name="parent-link", daemon=True).start()
        self._timer.start()

    def _read(self) -> None:
        for line in sys.stdin.buffer:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                self._queue.put(message)
        self._queue.put(None)

    def _on_timer_timeout(self) -> None:
        while not self._queue.empty():
            message = self._queue.get()
            if message is None:
                self._timer.stop()
                emit(self.ended)
                return
            emit(self.received, message)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The child's arguments."""
    parser = argparse.ArgumentParser(prog="activitywatch dashboard-window")
    parser.add_argument("--url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--status", default="tracking")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Show the dashboard window until it closes; the exit status."""
    args = parse(sys.argv[2:] if argv is None else argv)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(ToParent())
    users = {name: os.environ.get(name) for name in ENGINE_VARIABLES}
    allow_webengine_as_root()
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = chromium_flags(flags, sandboxed=sandboxed())
    for name, value in SOFTWARE_ONLY.items():
        os.environ.setdefault(name, value)
    from PySide6 import QtWebEngineWidgets  # noqa: F401, PLC0415 - must be loaded before the QApplication
    from PySide6.QtCore import QEvent  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication, QMenu  # noqa: PLC0415

    from activitywatch.ui import remote_menu  # noqa: PLC0415
    from activitywatch.ui.dialogs import Dialogs  # noqa: PLC0415
    from activitywatch.ui.icons import state_icon  # noqa: PLC0415
    from activitywatch.ui.state import UiState  # noqa: PLC0415
    from activitywatch.ui.window import DashboardWindow  # noqa: PLC0415

    linecache.clearcache()  # the sources PySide6's import hook read (see gui.py)
    qt = QApplication([sys.argv[0]])
    qt.setApplicationName("ActivityWatch")
    qt.setQuitOnLastWindowClosed(False)
    dialogs = Dialogs()
    menu = QMenu()
    window = DashboardWindow(
        args.url, UiState(args.data_dir), menu, state_icon(args.status), save_path=dialogs.save_path
    )
    generation = [0]

    def choose(number: int) -> None:
        write_message({"action": [generation[0], number]})

    def on_message(message: dict[str, Any]) -> None:
        if message.get("show"):
            window.open()
        if isinstance(message.get("menu"), list):
            generation[0] = int(message.get("generation", 0))
            remote_menu.rebuild(menu, message["menu"], choose)
        if isinstance(message.get("status"), str):
            window.setWindowIcon(state_icon(message["status"]))
        if message.get("quit"):
            finish()

    def finish() -> None:
        window.state.set_geometry(window.saveGeometry())
        qt.exit(0)

    link = ParentLink()
    link.received.connect(on_message)
    link.ended.connect(finish)
    window.closed.connect(lambda: qt.exit(0))  # the window saved its geometry
    # Read by then; what the window starts afterwards (the system browser for a link) gets the user's own.
    window.view.loadFinished.connect(lambda _: restore_environment(users))
    window.open()
    link.start()
    qt.exec()
    window.view.setPage(None)  # type: ignore[arg-type]
    window.page.deleteLater()
    window.deleteLater()
    qt.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qt.processEvents()
    return 0
