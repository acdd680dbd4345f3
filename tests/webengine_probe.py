"""Loads a page in a QWebEngineView, runs JavaScript in it and waits until it is painted; prints the result.

Frozen with build.spec's Qt settings by test_binary.py, to show the pruned bundle still renders pages.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView  # before the QApplication, as the app does
from PySide6.QtWidgets import QApplication

PAGE = "<html><head><title>probe</title></head><body style='background:#123456'><h1>ActivityWatch</h1></body></html>"
COLOUR = "#123456"


def main() -> int:
    """Exit 0 once the page ran its script and shows its background colour; 1 after 60 s."""
    app = QApplication(sys.argv)
    view = QWebEngineView()
    view.resize(320, 240)
    found: dict[str, object] = {}

    def painted() -> None:
        colour = view.grab().toImage().pixelColor(160, 200).name()
        if colour == COLOUR:
            print(f"RESULT script={found['script']} colour={colour}", flush=True)
            app.exit(0)
        else:
            QTimer.singleShot(50, painted)

    def script_ran(result: object) -> None:
        found["script"] = result
        painted()

    view.loadFinished.connect(lambda ok: view.page().runJavaScript("document.title + ':' + 6 * 7", 0, script_ran))
    QTimer.singleShot(60_000, lambda: (print(f"TIMEOUT {found}", flush=True), app.exit(1)))
    view.setHtml(PAGE)
    view.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
