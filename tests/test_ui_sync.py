"""The tray's Sync menu driven as a user would (pytest-qt, offscreen) over the real app: status line,
Set up… (first device, joining with the right key, a bad key), Sync now, with real folders and the file
keyring; and the box that shows a new key with its Copy button."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from activitywatch import keys
from activitywatch.gui import GuiApp
from activitywatch.ui.dialogs import Dialogs, KeyBox
from tests.sync_support import first_computer
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


def set_up(qtbot: QtBot, harness: Harness, app: GuiApp) -> tuple[str, str]:
    """Choose Sync ▸ Set up… (the folder and key already scripted) and wait for what the user is told."""
    told = len(harness.dialogs.told)
    submenu(tray_menu(app), "Sync")["Set up…"].trigger()
    # It returned at once: the setup (keyring included) runs on a worker thread, and its result can only
    # come back through the event loop, which has not run since.
    assert app.desktop is not None and len(app.desktop.syncing.jobs) == 1
    assert len(harness.dialogs.told) == told
    qtbot.waitUntil(lambda: len(harness.dialogs.told) > told, timeout=WAIT)
    return harness.dialogs.told[-1]


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
    title, text = set_up(qtbot, harness, app)
    assert title == "Sync was not set up" and "key" in text
    assert status_line(menu) == "Sync: not set up"

    # Empty key: this is the first computer; the new key is shown once, and the app starts syncing.
    harness.dialogs.typed = ""
    title, text = set_up(qtbot, harness, app)
    assert title == "Sync is set up" and str(folder) in text and text.endswith("(shown only now; keep it safe):")
    [key] = harness.dialogs.keys
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert keys.stored_sync_key(harness.data_dir) == key  # in the (file) keyring, under the test's HOME
    assert (harness.home / "data" / "python_keyring").is_dir()
    assert json.loads((harness.data_dir / "sync.json").read_text())["folder"] == str(folder)
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
    assert set_up(qtbot, harness, app)[0] == "Sync is set up"
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("Synced at "), timeout=WAIT)
    folder.rename(tmp_path / "gone")  # the shared folder is unmounted
    assert app.tracker is not None
    app.tracker.sync_now()
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("⚠ Sync at "), timeout=WAIT)
    assert status_line(tray_menu(app)).startswith("⚠ Sync at ") and "The sync folder" in status_line(tray_menu(app))
    tooltip = submenu(tray_menu(app), "Sync")[status_line(tray_menu(app))].toolTip()
    assert tooltip.startswith(f"The sync folder {folder} does not exist")  # the whole sentence


def test_join_from_the_tray_with_the_right_key(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    """The first computer (a real store and syncer) pushed; this one joins from the tray and pulls it."""
    folder = tmp_path / "Sync"
    key, laptop, window = first_computer(tmp_path, folder, 30)

    app = harness.start()
    harness.dialogs.folder, harness.dialogs.typed = folder, f"  {key.upper()}\n"  # as pasted
    assert set_up(qtbot, harness, app) == (
        "Sync",
        f"This computer now syncs through {folder}; the key opened 1 other device(s)' files.",
    )
    assert harness.dialogs.keys == []  # a key is shown only on the first computer
    assert keys.stored_sync_key(harness.data_dir) == key
    assert json.loads((harness.data_dir / "sync.json").read_text())["folder"] == str(folder)
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("Synced at "), timeout=WAIT)
    assert status_line(tray_menu(app)).endswith(" with 1 other device")
    assert app.store is not None
    assert len(app.store.get_events(window)) == 30  # the laptop's events are here
    own = [p.name for p in folder.iterdir() if p.is_dir() and p.name != laptop]
    assert len(own) == 1 and (folder / own[0] / "manifest").is_file()  # and this computer pushed its own


def test_the_key_box_copies_the_key(qtbot: QtBot) -> None:
    dialogs = Dialogs()
    dialogs.show_key("Sync is set up", "Enter this key on your other computer:", "ab" * 32)
    [box] = [w for w in QApplication.topLevelWidgets() if isinstance(w, KeyBox) and w.isVisible()]
    qtbot.addWidget(box)
    assert box.field.text() == "ab" * 32 and box.field.isReadOnly()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(box.copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "ab" * 32
    assert box.isVisible() and box.copy.text() == "Copied"  # copying does not close the box
    box.accept()
    assert not box.isVisible()
