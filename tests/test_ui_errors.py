"""Known problems at start are one sentence with the remedy, in a dialog and on stderr; uncaught
exceptions of any thread are logged with their traceback."""

from __future__ import annotations

import logging
import sys
import threading

import apsw
import pytest
from pytestqt.qtbot import QtBot

from activitywatch.gui import GuiApp, install_exception_hooks
from activitywatch.store import Store
from tests.ui_support import Harness, harness

__all__ = ["harness"]


def start_fails(harness: Harness, capsys: pytest.CaptureFixture[str], **changes: object) -> str:
    app = GuiApp(harness.settings(**changes), dialogs=harness.dialogs, tray_available=True)
    assert app.start() == 1
    app.stop()
    (message,) = harness.dialogs.errors
    assert f"Error: {message}" in capsys.readouterr().err
    return message


def test_an_unwritable_data_folder(qtbot: QtBot, harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    harness.data_dir.parent.mkdir(parents=True, exist_ok=True)
    harness.data_dir.write_text("a file where the folder should be")
    message = start_fails(harness, capsys)
    assert message.startswith(f"Cannot use the data folder {harness.data_dir}") and "--data-dir" in message


def test_a_database_from_a_newer_version(qtbot: QtBot, harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    harness.data_dir.mkdir(parents=True)
    Store(harness.data_dir / "activitywatch.db").close()
    conn = apsw.Connection(str(harness.data_dir / "activitywatch.db"))
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    message = start_fails(harness, capsys)
    assert "newer" in message
    assert (harness.data_dir / "activitywatch.db").exists()  # untouched


def test_uncaught_exceptions_are_logged_with_their_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_exception_hooks()

    def broken() -> None:
        raise ValueError("a bug in a thread")

    with caplog.at_level(logging.CRITICAL):
        thread = threading.Thread(target=broken, name="worker-x")
        thread.start()
        thread.join()
        try:
            raise KeyError("a bug on the main thread")
        except KeyError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    text = caplog.text
    assert "Uncaught exception in thread worker-x" in text and "ValueError: a bug in a thread" in text
    assert "Traceback" in text and "KeyError: 'a bug on the main thread'" in text
