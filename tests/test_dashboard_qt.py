"""The dashboard in QtWebEngine, the engine of the desktop app's dashboard window (offscreen)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# As root, QtWebEngine's sandbox would end the process; the flag must be set before it starts.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView  # before any QApplication exists
from pytestqt.qtbot import QtBot

from tests import seed
from tests.conftest import LiveServer, start_server

pytestmark = pytest.mark.slow


class RecordingPage(QWebEnginePage):
    """A page that keeps what the dashboard writes to its console."""

    def __init__(self, parent: Any) -> None:
        super().__init__(parent)
        self.console: list[tuple[Any, str, str]] = []

    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:
        """Record the message."""
        self.console.append((level, message, source))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    api, store, options = start_server(tmp_path)
    seed.seed_day(store)
    try:
        yield LiveServer(api.url, api.port, store, options, tmp_path)
    finally:
        api.stop()
        store.close()


def run_js(qtbot: QtBot, page: QWebEnginePage, script: str) -> Any:
    """The value of `script` in the page."""
    box: list[Any] = []
    page.runJavaScript(script, 0, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def wait_drawn(qtbot: QtBot, page: QWebEnginePage) -> str:
    """Ask the page for its view's state until it is drawn (or failed)."""
    latest: list[Any] = [""]

    def drawn() -> bool:
        if latest[-1] in ("ready", "error"):
            return True
        page.runJavaScript(
            "document.getElementById('view') ? document.getElementById('view').dataset.state : ''", 0, latest.append
        )
        return False

    qtbot.waitUntil(drawn, timeout=60_000)
    return str(latest[-1])


def test_the_activity_view_draws_in_qtwebengine(qtbot: QtBot, server: LiveServer) -> None:
    view = QWebEngineView()
    page = RecordingPage(view)  # the view owns it
    view.setPage(page)
    view.resize(1400, 1200)
    try:
        view.load(QUrl(f"{server.url}/#/activity/{seed.HOST}/day/{seed.DAY}"))
        assert wait_drawn(qtbot, page) == "ready"
        assert run_js(qtbot, page, "document.getElementById('stat-active').textContent") == "4h 30m"
        assert run_js(qtbot, page, "document.querySelectorAll('[_echarts_instance_]').length") == 8
        assert page.console == []
    finally:
        view.close()
        with qtbot.waitSignal(page.destroyed, timeout=10_000):
            view.deleteLater()
