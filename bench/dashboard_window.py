"""The desktop app's dashboard window (QtWebEngine) from the tray's "Open Dashboard" to its first paint.

Run by bench/dashboard.py in a fresh process per measurement (`python -m bench.dashboard_window URL`),
as the app starts its window process on the tray's click: it builds the app's own DashboardWindow and
opens it, then reads, from inside the page, when the browser engine first painted content and when the
view was drawn. Prints one JSON line of wall-clock times (milliseconds since the epoch): Python and Qt
imported, the window shown, first paint, view drawn; the caller subtracts the moment it started this.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

# As root, QtWebEngine's sandbox would end the process; the flag must be set before it starts.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMenu

from activitywatch.ui.state import UiState
from activitywatch.ui.window import DashboardWindow

TIMEOUT_MS = 120_000
# Wall-clock milliseconds of the first contentful paint and of the drawn view, once the view is drawn, as
# JSON text ("" before: PySide's runJavaScript callback must never receive a null, which it frees twice).
PROBE = """(() => {
  const view = document.getElementById('view');
  if (!view || !['ready', 'error'].includes(view.dataset.state) || window.awReadyAt === undefined) return '';
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return JSON.stringify({ state: view.dataset.state, paint: paint ? performance.timeOrigin + paint.startTime : null,
           ready: performance.timeOrigin + window.awReadyAt });
})()"""


def measure(url: str) -> dict[str, float | None]:
    """Open the window at `url` as the window process does; when it was imported, shown, painted, drawn."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    _app = QApplication.instance() or QApplication(sys.argv[:1])  # kept alive while the window runs
    with tempfile.TemporaryDirectory(prefix="aw-bench-window-") as tmp:
        imported = time.time() * 1000
        window = DashboardWindow(url, UiState(Path(tmp)), QMenu(), QIcon())
        window.open()
        shown = time.time() * 1000
        answers: list[str] = []

        def poll() -> None:
            if any(answers) or timer.elapsed() > TIMEOUT_MS:
                loop.quit()
            else:
                window.page.runJavaScript(PROBE, 0, answers.append)

        timer = QElapsedTimer()
        timer.start()
        ticker = QTimer()
        ticker.timeout.connect(poll)
        ticker.start(20)
        loop = QEventLoop()
        loop.exec()
        ticker.stop()
        answer = next((a for a in answers if a), "")
        result = json.loads(answer) if answer else None
    if result is None or result["state"] != "ready":
        raise SystemExit(f"The dashboard window did not draw its view: {result}")
    paint = result["paint"]
    return {
        "imported": imported,
        "window": shown,
        "first_paint": None if paint is None else float(paint),
        "drawn": float(result["ready"] or 0),
    }


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])), flush=True)
    # Skip the teardown: QtWebEngine, torn down right after a page, can crash on the way out (the figures
    # are printed; the parent process reads them).
    os._exit(0)
