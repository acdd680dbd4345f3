"""The dashboard window (pytest-qt, offscreen, real QtWebEngine): its own process, started when there is
no tray or from the tray, loading the real local server and gone with its web engine processes when it
closes while tracking goes on; its menu is the app's; other sites sent to the system browser, a clear
page when the server is down, its geometry remembered, downloads saved where the user says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from activitywatch.gui import GuiApp
from activitywatch.ui import remote_menu
from activitywatch.ui.state import UiState
from activitywatch.ui.window import DashboardWindow
from activitywatch.ui.window_child import ENGINE_VARIABLES, chromium_flags, restore_environment
from activitywatch.ui.window_process import SUBCOMMAND
from tests.conftest import LiveServer, cli_env, free_port
from tests.processes import alive, process_tree
from tests.sway import as_nobody
from tests.ui_support import Harness, actions, flush_deletions, harness
from tests.xserver import wait_for

__all__ = ["harness"]

WAIT = 30_000


def wait_for_text(qtbot: QtBot, window: DashboardWindow, needle: str) -> str:
    """The page's visible text once it contains `needle` (asked again on every poll)."""
    seen: list[str] = []

    def shown() -> bool:
        window.page.toPlainText(seen.append)
        return any(needle in text for text in seen)

    qtbot.waitUntil(shown, timeout=WAIT)
    return next(text for text in seen if needle in text)


@pytest.fixture
def windows() -> Iterator[list[DashboardWindow]]:
    """Windows a test made; web views must go before the QApplication does."""
    made: list[DashboardWindow] = []
    yield made
    for w in made:
        w.view.setPage(None)  # type: ignore[arg-type]
        w.page.deleteLater()
        w.deleteLater()
    flush_deletions()


def logged(app: GuiApp) -> str:
    """The app's log file so far (the window's process logs through the app)."""
    path = app.settings.log_file
    return path.read_text(errors="replace") if path.exists() else ""


def window_processes(app: GuiApp) -> list[int]:
    """The dashboard window's process and its web engine helpers."""
    assert app.desktop is not None
    pid = app.desktop.window.pid()
    return process_tree(pid) if pid is not None else []


def test_without_a_tray_the_window_opens_once_told(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start(tray=False, watchers=False)
    assert app.desktop is not None and app.server is not None and app.desktop.tray is None
    window = app.desktop.window
    assert window.running()  # its own process: this one never loads the web engine
    qtbot.waitUntil(lambda: f"The dashboard loaded: {app.server.url}/" in logged(app), timeout=WAIT)  # type: ignore[union-attr]
    notices = [t for t, _ in harness.dialogs.told if t == "ActivityWatch: no system tray"]
    assert len(notices) == 1

    pid = window.pid()
    app.desktop.open_dashboard()  # as a second launch would: the same process brings its window forward
    assert window.pid() == pid
    started = window_processes(app)
    assert len(started) >= 2  # the window's process and the web engine's

    with qtbot.waitSignal(window.closed, timeout=WAIT):
        window.stop(30)  # what Quit does
    qtbot.waitUntil(lambda: not alive(started), timeout=WAIT)  # no web engine process is left behind
    assert not window.running()
    assert httpx.get(app.server.url + "/api/0/info").status_code == 200  # tracking (the server) goes on
    app.desktop.open_dashboard()
    assert window.running() and window.pid() != pid
    harness.stop(app)
    assert not window.running()

    again = harness.start(tray=False, watchers=False)  # the notice is said once only
    assert again.desktop is not None and again.desktop.window.running()
    assert len([t for t, _ in harness.dialogs.told if t == "ActivityWatch: no system tray"]) == 1


def test_the_windows_menu_is_the_apps(qtbot: QtBot, harness: Harness) -> None:
    """The menu sent to the window's process, rebuilt there, triggers the app's own entries."""
    app = harness.start(tray=False, watchers=False)
    assert app.desktop is not None
    window = app.desktop.window

    def in_window() -> dict[str, QAction]:
        """The menu as the window's process has it now (rebuilt from what was sent)."""
        items, _ = remote_menu.snapshot(window.menu)
        copy = QMenu(app.desktop.menu)
        remote_menu.rebuild(copy, items, lambda n: window.choose(window.generation, n))
        return {a.text(): a for a in copy.actions() if not a.isSeparator()}

    entries = in_window()
    assert list(entries) == [a.text() for a in window.menu.actions() if not a.isSeparator()]
    assert "Paused" not in " ".join(entries)
    pause = {a.text(): a for a in entries["Pause tracking"].menu().actions()}  # type: ignore[union-attr]
    old = window.generation
    pause["15 minutes"].trigger()
    assert app.desktop.pause.paused
    assert window.generation == old + 1  # the menu changed (it says so) and was sent again
    entries = in_window()
    assert any(text.startswith("Paused") for text in entries)
    quits: list[bool] = []
    app.desktop.quit_requested.connect(lambda: quits.append(True))
    window.choose(old, next(i for i, a in enumerate(window._actions) if a.text() == "Quit ActivityWatch"))
    assert not quits and window.generation == old + 1  # an entry of the older menu is ignored
    entries["Quit ActivityWatch"].trigger()
    assert quits == [True]


def test_open_dashboard_from_the_tray(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start(watchers=False)
    assert app.desktop is not None and not app.desktop.window.running()
    actions(app.desktop.tray.contextMenu())["Open Dashboard"].trigger()  # type: ignore[union-attr, arg-type]
    assert app.desktop.window.running()
    qtbot.waitUntil(lambda: "The dashboard loaded" in logged(app), timeout=WAIT)


def test_an_unreachable_server_gets_a_clear_page(qtbot: QtBot, tmp_path: Path, windows: list[DashboardWindow]) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    window = DashboardWindow(url, UiState(tmp_path), QMenu(), state_icon_for_tests(), lambda u: None)
    windows.append(window)
    window.open()
    qtbot.waitUntil(lambda: window.unreachable, timeout=WAIT)
    text = wait_for_text(qtbot, window, "not reachable")
    assert "The ActivityWatch server is not reachable" in text and url in text and "Try again" in text


def state_icon_for_tests() -> object:
    from activitywatch.ui.icons import state_icon

    return state_icon("tracking")


def test_links_to_other_sites_open_in_the_system_browser(
    qtbot: QtBot, harness: Harness, windows: list[DashboardWindow]
) -> None:
    app = harness.start(watchers=False)
    assert app.server is not None
    window = DashboardWindow(
        app.server.url + "/",
        UiState(harness.data_dir),
        QMenu(),
        state_icon_for_tests(),
        lambda u: harness.opened.append(QUrl(u).toString()),
    )  # type: ignore[arg-type]
    windows.append(window)
    window.open()
    qtbot.waitUntil(
        lambda: window.page.url().toString().startswith(app.server.url) and not window.page.isLoading(), timeout=WAIT
    )  # type: ignore[union-attr]
    script = (
        "var a = document.createElement('a'); a.href = 'https://example.org/elsewhere'; a.id = 'out';"
        "document.body.appendChild(a); a.click();"
        "var b = document.createElement('a'); b.href = 'https://example.com/new'; b.target = '_blank';"
        "document.body.appendChild(b); b.click();"
    )
    window.page.runJavaScript(script)
    qtbot.waitUntil(lambda: len(harness.opened) == 2, timeout=WAIT)
    assert sorted(harness.opened) == ["https://example.com/new", "https://example.org/elsewhere"]
    assert window.page.url().toString().startswith(app.server.url)  # the window stayed on the dashboard


def test_geometry_is_remembered(qtbot: QtBot, tmp_path: Path, windows: list[DashboardWindow]) -> None:
    state = UiState(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/"
    first = DashboardWindow(url, state, QMenu(), state_icon_for_tests(), lambda u: None)  # type: ignore[arg-type]
    windows.append(first)
    first.show()
    first.setGeometry(40, 50, 700, 500)
    qtbot.waitUntil(lambda: first.width() == 700, timeout=WAIT)
    first.close()
    second = DashboardWindow(url, UiState(tmp_path), QMenu(), state_icon_for_tests(), lambda u: None)  # type: ignore[arg-type]
    windows.append(second)
    assert (second.width(), second.height()) == (700, 500)


def test_the_dashboards_downloads_are_saved_where_the_user_says(
    qtbot: QtBot, harness: Harness, tmp_path: Path, windows: list[DashboardWindow]
) -> None:
    app = harness.start(tray=False, watchers=False)
    assert app.server is not None
    server_url = app.server.url
    window = DashboardWindow(
        server_url + "/",
        UiState(harness.data_dir),
        QMenu(),
        state_icon_for_tests(),
        lambda u: None,
        save_path=harness.dialogs.save_path,
    )  # type: ignore[arg-type]
    windows.append(window)
    window.open()
    qtbot.waitUntil(
        lambda: window.page.url().toString().startswith(server_url) and not window.page.isLoading(), timeout=WAIT
    )
    harness.dialogs.save_to = tmp_path / "saved" / "export.json"
    harness.dialogs.save_to.parent.mkdir()
    window.page.runJavaScript("window.location.href = '/api/0/export';")  # answered as an attachment
    qtbot.waitUntil(lambda: harness.dialogs.save_to is not None and harness.dialogs.save_to.exists(), timeout=WAIT)
    assert harness.dialogs.asked[-1] == ("Save", str(harness.home / "aw-buckets-export.json"))
    expected = httpx.get(app.server.url + "/api/0/export").json()
    qtbot.waitUntil(lambda: _json_or_none(harness.dialogs.save_to) == expected, timeout=WAIT)  # type: ignore[arg-type]


def _json_or_none(path: Path) -> object:
    try:
        return json.loads(path.read_bytes())
    except ValueError:
        return None  # still being written


def test_the_windows_chromium_flags() -> None:
    """One renderer, no GPU; no zygote only without the sandbox (Chromium refuses it otherwise), else
    only the sandboxed one; the user's flags win."""
    sandboxed = "--renderer-process-limit=1 --disable-gpu --no-unsandboxed-zygote"
    assert chromium_flags("", sandboxed=True) == sandboxed
    unsandboxed = "--no-sandbox --renderer-process-limit=1 --disable-gpu --no-zygote"
    assert chromium_flags("--no-sandbox", sandboxed=False) == unsandboxed
    mine = "--renderer-process-limit=3 --disable-gpu --no-unsandboxed-zygote"
    assert chromium_flags("--renderer-process-limit=3", sandboxed=True) == mine


def test_with_the_sandbox_the_window_starts_only_the_sandboxed_zygote(live_server: LiveServer) -> None:
    """As a normal user (Chromium's sandbox on), the window's process and its web engine: the sandboxed
    zygote (with its namespace's first process) and the renderer it forks; no unsandboxed zygote."""
    home = Path(tempfile.mkdtemp(prefix="aw-sandboxed-"))  # nobody cannot enter root's tmp_path
    try:
        os.chmod(home, 0o777)
        env = {**cli_env(home), "QT_QPA_PLATFORM": "offscreen"}
        env.pop("QTWEBENGINE_CHROMIUM_FLAGS", None)  # the tests' --no-sandbox
        command = [*as_nobody(), sys.executable, "-m", "activitywatch", SUBCOMMAND, "--url", live_server.url + "/"]
        output = home / "output.txt"
        with open(output, "wb") as out:
            child = subprocess.Popen(
                [*command, "--data-dir", str(home)], env=env, stdin=subprocess.PIPE, stdout=out, stderr=out
            )
        try:
            wait_for(
                lambda: b"The dashboard loaded" in output.read_bytes() or child.poll() is not None,
                "the dashboard in the sandboxed window",
                WAIT / 1000,
            )
            assert child.poll() is None, output.read_text(errors="replace")
            helpers = [pid for pid in process_tree(child.pid) if pid != child.pid]
            arguments = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in helpers}
            assert all(b"--type=zygote" in args for args in arguments.values())  # the renderer is forked from it
            assert not [pid for pid, args in arguments.items() if b"--no-zygote-sandbox" in args]
            assert len(helpers) == 3
        finally:
            assert child.stdin is not None
            child.stdin.close()  # the app is gone: the window's process ends
            child.wait(timeout=WAIT / 1000)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_window_process_gives_back_the_users_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the web engine has read its variables, programs the window starts get the user's own."""
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu --no-zygote")
    monkeypatch.setenv("QT_XCB_GL_INTEGRATION", "none")
    monkeypatch.setenv("QT_QUICK_BACKEND", "software")
    restore_environment({"QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox", "QT_XCB_GL_INTEGRATION": None})
    assert os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] == "--no-sandbox"
    assert "QT_XCB_GL_INTEGRATION" not in os.environ
    assert os.environ["QT_QUICK_BACKEND"] == "software"  # not one of those given: left alone
    assert set(ENGINE_VARIABLES) >= {
        "QT_XCB_GL_INTEGRATION",
        "QT_WAYLAND_CLIENT_BUFFER_INTEGRATION",
        "QT_QUICK_BACKEND",
    }
