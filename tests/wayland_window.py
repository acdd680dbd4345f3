"""A tiny real Wayland client for the desktop tests: one Qt window with a chosen app id and title.

Each line read on standard input becomes the window's new title. Run it with QT_QPA_PLATFORM=wayland.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QSocketNotifier
from PySide6.QtGui import QGuiApplication, QRasterWindow


def main() -> int:
    """Show the window until standard input closes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--title", required=True)
    args = parser.parse_args()
    app = QGuiApplication(sys.argv[:1])
    app.setDesktopFileName(args.app_id)  # becomes the xdg-shell app id
    window = QRasterWindow()
    window.setTitle(args.title)
    window.resize(320, 200)
    window.show()

    def read_title() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
            return
        window.setTitle(line.strip())

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(read_title)
    print("shown", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
