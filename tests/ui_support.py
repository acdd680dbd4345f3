"""Shared by the UI tests: the real desktop app (store, server, UI) on a temporary data folder, dialogs
that answer as scripted instead of blocking, watchers with stand-in probes, and menu helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from activitywatch.config import Settings, load_settings
from activitywatch.gui import GuiApp
from activitywatch.qtsignals import emit
from activitywatch.ui.dialogs import Dialogs
from activitywatch.watchers.backends import Choice
from activitywatch.watchers.builtin import AfkWatcher, WindowWatcher
from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow
from tests.watcher_support import IdleStandIn

HOST = "uihost"


class ScriptedDialogs(Dialogs):
    """Answers with what the test set; remembers what the user would have been told."""

    def __init__(self) -> None:
        super().__init__()
        self.save_to: Path | None = None
        self.agree = True
        self.asked: list[tuple[str, str]] = []
        self.told: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.open_from: Path | None = None
        # answers to choose(): an index, or a function called with the text that returns one (None: closed)
        self.choices: list[int | Callable[[str], int | None] | None] = []
        self.offered: list[tuple[str, str, tuple[str, ...]]] = []
        self.folder: Path | None = None  # folder_path's answer
        self.typed: str | None = None  # text's answer
        self.keys: list[str] = []  # the secrets show_key showed (its text goes to `told`)

    def ask(self, title: str, text: str, yes: str) -> bool:
        self.asked.append((title, text))
        return self.agree

    def choose(self, title: str, text: str, choices: Sequence[str], warning: bool = True) -> int | None:
        self.offered.append((title, text, tuple(choices)))
        answer = self.choices.pop(0) if self.choices else None
        return answer(text) if callable(answer) else answer

    def open_path(self, title: str, kinds: str) -> Path | None:
        self.asked.append((title, kinds))
        return self.open_from

    def save_path(self, title: str, suggested: Path) -> Path | None:
        self.asked.append((title, str(suggested)))
        return self.save_to

    def confirm(self, title: str, text: str) -> bool:
        self.asked.append((title, text))
        return self.agree

    def folder_path(self, title: str) -> Path | None:
        self.asked.append((title, ""))
        return self.folder

    def text(self, title: str, label: str) -> str | None:
        self.asked.append((title, label))
        return self.typed

    def inform(self, title: str, text: str, parent: QWidget | None = None) -> None:
        self.told.append((title, text))

    def show_key(self, title: str, text: str, key: str) -> None:
        self.told.append((title, text))
        self.keys.append(key)

    def error(self, text: str) -> None:
        self.errors.append(text)


class WindowProbe:
    def __init__(self) -> None:
        self.failure: Exception | None = None

    def active(self) -> ActiveWindow | None:
        if self.failure is not None:
            raise self.failure
        return ActiveWindow("editor", "notes.txt")

    def close(self) -> None:
        pass


class Probes:
    """The stand-in probes of one app's watchers (the X11 ones are tested on a real X server)."""

    def __init__(self) -> None:
        self.window = WindowProbe()
        self.idle = IdleStandIn()
        self.window_backend = ""  # set: the window probe comes as this backend's choice
        self.idle_unavailable = ""  # set: the idle probe cannot work here, for this reason

    def _window(self) -> WindowProbe | Choice[WindowProbe]:
        return Choice(self.window, self.window_backend) if self.window_backend else self.window

    def _idle(self) -> IdleStandIn:
        if self.idle_unavailable:
            raise ProbeUnavailable(self.idle_unavailable)
        return self.idle

    def factories(self, app: GuiApp) -> dict[str, Any]:
        def afk() -> AfkWatcher:
            assert app.store is not None
            return AfkWatcher(app.store, timeout=60, poll_time=0.05, probe_factory=self._idle, host=HOST)

        def window() -> WindowWatcher:
            assert app.store is not None
            return WindowWatcher(app.store, poll_time=0.05, probe_factory=self._window, host=HOST)

        return {"afk": afk, "window": window}


class Harness:
    """Starts and stops GuiApps on one data folder, as a user would launch the app again."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.data_dir = home / "aw-data"
        self.dialogs = ScriptedDialogs()
        self.opened: list[str] = []
        self.probes = Probes()
        self.apps: list[GuiApp] = []

    def settings(self, **changes: Any) -> Settings:
        return load_settings(**{"data_dir": self.data_dir, "config_file": None, "port": 0, **changes})

    def start(self, *, tray: bool = True, restart_delay: float = 0, **changes: Any) -> GuiApp:
        app = GuiApp(
            self.settings(**changes),
            dialogs=self.dialogs,
            tray_available=tray,
            restart_delay=restart_delay,
            open_url=lambda url: self.opened.append(QUrl(url).toString()),
        )
        app.factories = self.probes.factories(app)
        self.apps.append(app)
        assert app.start() is None
        return app

    def stop(self, app: GuiApp) -> None:
        app.stop()
        self.apps.remove(app)


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """Every default folder (autostart, config, home) under tmp_path: the real home is never touched."""
    home = tmp_path / "home"
    home.mkdir()
    for name, sub in (
        ("HOME", ""),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(name, str(home / sub) if sub else str(home))
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)  # the menu is the same on any desktop (GNOME adds one)
    h = Harness(home)
    yield h
    for app in list(h.apps):
        h.stop(app)
    flush_deletions()


def flush_deletions() -> None:
    """Delete now what was deleted later (web pages must go before the QApplication)."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def actions(menu: QMenu) -> dict[str, QAction]:
    """The menu's entries by text (rebuilt as when the user opens it)."""
    emit(menu.aboutToShow)
    return {a.text(): a for a in menu.actions() if not a.isSeparator()}


def submenu(menu: QMenu, title: str) -> dict[str, QAction]:
    """A submenu's entries by text."""
    sub = actions(menu)[title].menu()
    assert isinstance(sub, QMenu)
    return actions(sub)


def tray_menu(app: GuiApp) -> QMenu:
    """The tray's context menu."""
    assert app.desktop is not None and app.desktop.tray is not None
    menu = app.desktop.tray.contextMenu()
    assert menu is not None
    return menu
