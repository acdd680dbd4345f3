"""The tray's "Install GNOME Shell extension…" entry, over the real app, with gsettings writing to a real
dconf on a private session bus (no shell runs: its version comes from `gnome-shell --version`)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from activitywatch.gnome_extension import EXTENSION_UUID, extension_dir
from tests.desktop_session import Desktop, new_desktop
from tests.ui_support import Harness, actions, harness, tray_menu

__all__ = ["harness"]  # the fixture

ENTRY = "Install GNOME Shell extension…"


@pytest.fixture
def session_bus(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """A private session bus whose dconf writes under the harness's home."""
    desktop = new_desktop(harness.home.parent / "desktop")
    try:
        for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "DBUS_SESSION_BUS_ADDRESS"):
            monkeypatch.setenv(name, desktop.env[name])
        yield desktop
    finally:
        desktop.stop()


def test_the_entry_is_offered_on_gnome_only(qtbot: QtBot, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    app = harness.start()
    assert ENTRY not in actions(tray_menu(app))
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")
    assert ENTRY in actions(tray_menu(app))


def test_the_entry_installs_enables_and_says_to_log_in_again(
    qtbot: QtBot, harness: Harness, session_bus: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    app = harness.start()
    actions(tray_menu(app))[ENTRY].trigger()
    assert len(harness.dialogs.told) == 1, app.desktop.notifications if app.desktop else None
    title, text = harness.dialogs.told[0]
    assert title == "ActivityWatch: GNOME Shell extension"
    assert text.endswith("Log out and log in again: GNOME Shell on Wayland loads new extensions only when you log in.")
    metadata = json.loads((extension_dir(Path(session_bus.env["XDG_DATA_HOME"])) / "metadata.json").read_text())
    assert metadata["uuid"] == EXTENSION_UUID
    enabled = subprocess.run(
        ["gsettings", "get", "org.gnome.shell", "enabled-extensions"],
        env=session_bus.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert enabled.strip() == f"['{EXTENSION_UUID}']"


def test_a_failure_is_told_in_one_sentence(
    qtbot: QtBot, harness: Harness, session_bus: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    data_home = Path(session_bus.env["XDG_DATA_HOME"])
    data_home.mkdir(parents=True)
    (data_home / "gnome-shell").write_text("a file where the folder should be")
    app = harness.start()
    actions(tray_menu(app))[ENTRY].trigger()
    assert app.desktop is not None and harness.dialogs.told == []
    ((title, text),) = [n for n in app.desktop.notifications if n[0].startswith("GNOME")]
    assert title == "GNOME Shell extension not installed"
    assert text.startswith(f"Could not write the extension to {extension_dir(data_home)}: ")


def test_switched_off_user_extensions_are_told(
    qtbot: QtBot, harness: Harness, session_bus: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    subprocess.run(
        ["gsettings", "set", "org.gnome.shell", "disable-user-extensions", "true"], env=session_bus.env, check=True
    )
    app = harness.start()
    actions(tray_menu(app))[ENTRY].trigger()
    ((_, text),) = harness.dialogs.told
    assert "All user extensions are switched off on this computer" in text
    assert text.endswith("only when you log in.")
