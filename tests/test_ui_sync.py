"""The tray's Sync menu driven as a user would (pytest-qt, offscreen) over the real app: status line,
Set up… (first device and a bad key), Sync now, with real folders and the file keyring."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from tests.ui_support import Harness, harness, submenu, tray_menu

__all__ = ["harness"]  # the fixture

WAIT = 20_000
KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}


@pytest.fixture(autouse=True)
def file_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyrings.alt's file keyring (under the harness's HOME) instead of the desktop's."""
    for name, value in KEYRING.items():
        monkeypatch.setenv(name, value)


def status_line(menu: QMenu) -> str:
    """The first entry of the Sync submenu: how sync goes."""
    return next(iter(submenu(menu, "Sync")))


def test_set_up_from_the_tray_then_sync_now(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    app = harness.start()
    menu = tray_menu(app)
    entries = submenu(menu, "Sync")
    assert list(entries) == ["Sync: not set up", "Sync now", "Set up…"]
    assert [a.isEnabled() for a in entries.values()] == [False, False, True]

    # Cancelling the folder choice changes nothing.
    harness.dialogs.folder = None
    entries["Set up…"].trigger()
    assert harness.dialogs.told == [] and not (harness.data_dir / "sync.json").exists()

    # A key that is not a key: one sentence, and sync stays unset.
    folder = tmp_path / "Sync"
    folder.mkdir()
    harness.dialogs.folder, harness.dialogs.typed = folder, "not a key"
    submenu(menu, "Sync")["Set up…"].trigger()
    title, text = harness.dialogs.told[-1]
    assert title == "Sync was not set up" and "key" in text
    assert status_line(menu) == "Sync: not set up"

    # Empty key: this is the first computer; the new key is shown once, and the app starts syncing.
    harness.dialogs.typed = ""
    submenu(menu, "Sync")["Set up…"].trigger()
    title, text = harness.dialogs.told[-1]
    assert title == "Sync" and str(folder) in text
    assert re.search(r"\n\n[0-9a-f]{64}$", text)
    assert app.tracker is not None and app.tracker.sync_thread is not None
    qtbot.waitUntil(lambda: status_line(menu).startswith("Synced at "), timeout=WAIT)
    entries = submenu(menu, "Sync")
    assert next(iter(entries)).endswith("with 0 other devices")
    assert [a.isEnabled() for a in entries.values()] == [False, True, False]
    own = [p for p in folder.iterdir() if p.is_dir()]
    assert len(own) == 1 and (own[0] / "manifest").is_file()  # the first push happened

    # Sync now runs another round (the thread's last round changes).
    first = app.tracker.sync_thread.last
    entries["Sync now"].trigger()
    qtbot.waitUntil(lambda: app.tracker is not None and app.tracker.sync_thread.last is not first, timeout=WAIT)  # type: ignore[union-attr]

    # A restarted app finds sync set up and syncs at once.
    harness.stop(app)
    again = harness.start()
    qtbot.waitUntil(lambda: status_line(tray_menu(again)).startswith("Synced at "), timeout=WAIT)
    harness.stop(again)

    # Switched off in the config: set up, but this run does not sync, so Sync now is greyed out.
    config = tmp_path / "config.toml"
    config.write_text("[sync]\nenabled = false\n")
    off = harness.start(config_file=config)
    entries = submenu(tray_menu(off), "Sync")
    assert next(iter(entries)) == "Sync: switched off"
    assert [a.isEnabled() for a in entries.values()] == [False, False, False]


def test_a_broken_folder_shows_on_the_status_line(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    app = harness.start()
    harness.dialogs.folder, harness.dialogs.typed = folder, ""
    submenu(tray_menu(app), "Sync")["Set up…"].trigger()
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("Synced at "), timeout=WAIT)
    folder.rename(tmp_path / "gone")  # the shared folder is unmounted
    assert app.tracker is not None
    app.tracker.sync_now()
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("⚠ Sync at "), timeout=WAIT)
    assert status_line(tray_menu(app)).startswith("⚠ Sync at ") and "The sync folder" in status_line(tray_menu(app))
    tooltip = submenu(tray_menu(app), "Sync")[status_line(tray_menu(app))].toolTip()
    assert tooltip.startswith(f"The sync folder {folder} does not exist")  # the whole sentence
