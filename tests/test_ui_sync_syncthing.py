"""The tray's Sync ▸ Set up with Syncthing… driven as a user would (pytest-qt, offscreen) over the real app,
against one real Syncthing on loopback (started once for the module) found in its usual place."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from activitywatch import keys
from activitywatch.gui import GuiApp
from activitywatch.sync import syncthing
from tests.conftest import free_port
from tests.sync_support import first_computer
from tests.syncthing import Syncthing
from tests.test_ui_sync import status_line
from tests.ui_support import Harness, harness, submenu, tray_menu

__all__ = ["harness"]  # the fixture

WAIT = 30_000
KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
ENTRY = "Set up with Syncthing…"
NAME = "'ActivityWatch sync' (folder ID activitywatch-sync)"


@pytest.fixture(scope="module")
def st(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Syncthing]:
    instance = Syncthing(tmp_path_factory.mktemp("syncthing"), "tray")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def found(st: Syncthing, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Syncthing:
    """The module's Syncthing without the ActivityWatch folder, where the app looks for it (the harness's
    ~/.config/syncthing is its home), and the file keyring."""
    for name, value in KEYRING.items():
        monkeypatch.setenv(name, value)
    if any(f["id"] == syncthing.FOLDER_ID for f in st.get("/rest/config/folders")):
        st.http.delete(f"/rest/config/folders/{syncthing.FOLDER_ID}").raise_for_status()
    (harness.home / "config").mkdir()
    (harness.home / "config" / "syncthing").symlink_to(st.home, target_is_directory=True)
    return st


def our_folders(st: Syncthing) -> list[dict[str, Any]]:
    return [f for f in st.get("/rest/config/folders") if f["id"] == syncthing.FOLDER_ID]


def set_up(qtbot: QtBot, harness: Harness, app: GuiApp) -> tuple[str, str]:
    """Choose Set up with Syncthing… and wait for what the user is told at the end."""
    told = len(harness.dialogs.told)
    submenu(tray_menu(app), "Sync")[ENTRY].trigger()  # returns at once: Syncthing is asked on a worker thread
    qtbot.waitUntil(lambda: len(harness.dialogs.told) > told, timeout=WAIT)
    return harness.dialogs.told[-1]


def test_first_computer(qtbot: QtBot, harness: Harness, found: Syncthing, tmp_path: Path) -> None:
    app = harness.start()
    assert list(submenu(tray_menu(app), "Sync")) == ["Sync: not set up", "Sync now", "Set up…", ENTRY]
    folder = tmp_path / "ActivityWatch Sync"
    folder.mkdir()
    harness.dialogs.choices, harness.dialogs.folder = [0], folder  # "This is the first computer"
    title, text = set_up(qtbot, harness, app)

    [(_, question, choices)] = harness.dialogs.offered
    assert question.startswith(
        f"Syncthing runs on this computer (device {found.device_id[:7]}, http://127.0.0.1:{found.gui_port})."
    )
    assert choices == ("This is the first computer", "Join with the key from another computer")
    assert title == "Sync is set up"
    assert text == (
        f"This computer now syncs through {folder}. Syncthing now syncs it as {NAME}.\n\n"
        f"Next: in Syncthing, share the folder {NAME} with your other computer; there, choose Sync ▸ Set up with "
        "Syncthing… (or run `sync join`) and enter this key (shown only now; keep it safe):"
    )
    [key] = harness.dialogs.keys
    assert re.fullmatch(r"[0-9a-f]{64}", key) and keys.stored_sync_key(harness.data_dir) == key
    assert json.loads((harness.data_dir / "sync.json").read_text())["folder"] == str(folder)
    [entry] = our_folders(found)  # in Syncthing's own configuration, through its REST API
    assert (entry["path"], entry["label"], entry["type"]) == (str(folder), "ActivityWatch sync", "sendreceive")
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("Synced at "), timeout=WAIT)
    own = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(own) == 1 and (own[0] / "manifest").is_file()  # the first push
    assert list(submenu(tray_menu(app), "Sync"))[1:] == ["Sync now", "Set up…"]  # set up: no second offer


def test_joining_with_the_key(qtbot: QtBot, harness: Harness, found: Syncthing, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    key, _, window = first_computer(tmp_path, folder, 12)
    app = harness.start()

    harness.dialogs.choices, harness.dialogs.folder, harness.dialogs.typed = [1], folder, ""
    assert set_up(qtbot, harness, app) == (
        "Sync was not set up",
        "No key was entered: enter the sync key shown on your first computer.",
    )
    assert our_folders(found) == [] and not (harness.data_dir / "sync.json").exists()

    harness.dialogs.choices, harness.dialogs.typed = [1], key
    assert set_up(qtbot, harness, app) == (
        "Sync",
        f"This computer now syncs through {folder}; the key opened 1 other device(s)' files. Syncthing now syncs it "
        f"as {NAME}.\n\nNext: in Syncthing, share the folder {NAME} with your other computer (or accept it when "
        "offered); its data arrives with the next rounds.",
    )
    assert harness.dialogs.keys == [] and keys.stored_sync_key(harness.data_dir) == key
    assert [f["path"] for f in our_folders(found)] == [str(folder)]
    qtbot.waitUntil(lambda: status_line(tray_menu(app)).startswith("Synced at "), timeout=WAIT)
    assert app.store is not None and len(app.store.get_events(window)) == 12


def test_problems_are_one_sentence(qtbot: QtBot, harness: Harness, found: Syncthing, tmp_path: Path) -> None:
    app = harness.start()
    folder = tmp_path / "Sync"
    folder.mkdir()
    harness.dialogs.folder = folder

    # Closing the question sets nothing up.
    harness.dialogs.choices = [None]
    submenu(tray_menu(app), "Sync")[ENTRY].trigger()
    qtbot.waitUntil(lambda: len(harness.dialogs.offered) == 1, timeout=WAIT)
    assert harness.dialogs.told == [] and not (harness.data_dir / "sync.json").exists()

    # Syncthing not running, or another API key: said in one sentence, before anything is set up.
    link = harness.home / "config" / "syncthing"
    link.unlink()
    link.mkdir()
    text = (found.home / "config.xml").read_text()
    (link / "config.xml").write_text(re.sub(r"<apikey>[^<]*<", "<apikey>nope<", text))
    title, told = set_up(qtbot, harness, app)
    assert (title, told) == (
        "Sync was not set up",
        f"Syncthing at http://127.0.0.1:{found.gui_port} refused the API key from {link / 'config.xml'}; is that "
        "the running Syncthing's configuration?",
    )
    port = free_port()
    (link / "config.xml").write_text(text.replace(f":{found.gui_port}</address>", f":{port}</address>"))
    title, told = set_up(qtbot, harness, app)
    assert title == "Sync was not set up"
    assert told.startswith(
        f"Syncthing is not running, or not at http://127.0.0.1:{port} as {link / 'config.xml'} says ("
    )
    assert told.endswith("); start it and try again.")
    assert len(harness.dialogs.offered) == 1 and not (harness.data_dir / "sync.json").exists()

    # Syncthing's folder is elsewhere: sync is set up all the same, the key is shown, and what to do is said.
    (link / "config.xml").write_text(text)
    syncthing.add_folder(syncthing.connect(link), tmp_path / "elsewhere")
    harness.dialogs.choices = [0]
    title, told = set_up(qtbot, harness, app)
    assert title == "Sync is set up" and len(harness.dialogs.keys) == 1
    assert told.startswith(
        f"This computer now syncs through {folder}. It was not added to Syncthing: Syncthing already has the folder "
        f"'ActivityWatch sync' (activitywatch-sync) at {tmp_path / 'elsewhere'}"
    )
    assert "Add it in Syncthing yourself and share it with your other computer; there" in told
