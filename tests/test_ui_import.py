"""The desktop app beside ActivityWatch (pytest-qt, real aw-server 0.12 processes): the first-start offer,
Import in the tray, the port held by ActivityWatch, a --no-gui instance on the same folder, a bad config."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from activitywatch import cli
from activitywatch.beside import CHOICES, OTHER_PORT, QUIT_AND_CONTINUE
from activitywatch.gui import GuiApp
from activitywatch.ui.dialogs import Dialogs
from bench import servers
from bench.awdb import add_bucket, add_events, create_rust_db, set_settings
from tests.conftest import ServerProcess
from tests.ui_support import Harness, harness, submenu, tray_menu

__all__ = ["harness"]

WAIT = 30_000
# The first test also sets up bench/.peer-venv when `make test` has not (a pip install from PyPI).
pytestmark = pytest.mark.timeout(600)
T0 = datetime(2021, 3, 14, 9, 0, tzinfo=UTC)


def fill(url: str, bucket_id: str, events: int) -> None:
    """Events written into a running aw-server through its REST API (as a watcher would)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        body = {"client": "aw-test", "type": "currentwindow", "hostname": "laptop"}
        client.post(f"/api/0/buckets/{bucket_id}", json=body).raise_for_status()
        batch = [
            {"timestamp": (T0 + timedelta(minutes=i)).isoformat(), "duration": 30, "data": {"app": f"app{i % 7}"}}
            for i in range(events)
        ]
        client.post(f"/api/0/buckets/{bucket_id}/events", json=batch).raise_for_status()


@pytest.fixture(scope="module")
def peer() -> Iterator[servers.Server]:
    """aw-server 0.12 (python) running for the module, with 300 events of March 2021."""
    servers.ensure_peer_venv()
    server = servers.start_peer()
    try:
        fill(server.url, "aw-watcher-window_laptop", 300)
        yield server
    finally:
        servers.stop(server)


def peer_database(server: servers.Server) -> Path:
    assert server.workdir is not None
    return server.workdir / "data" / "activitywatch" / "aw-server" / "peewee-sqlite-testing.v2.db"


def rust_database(folder: Path, end: datetime) -> Path:
    """aw-server-rust's database with two events, the last ending at `end`, and a setting."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = create_rust_db(folder / "sqlite.db", 5)
    stop = int(end.timestamp()) * 10**9
    with conn:
        row = add_bucket(conn, "aw-watcher-afk_laptop", type_="afkstatus", hostname="laptop", created_ns=0, data={})
        add_events(
            conn, row, [(stop - 600 * 10**9, stop - 300 * 10**9, {"status": "afk"}), (stop - 60 * 10**9, stop, {})]
        )
        set_settings(conn, {"startOfDay": "05:00"})
    conn.close()
    return folder / "sqlite.db"


def wait_imported(qtbot: QtBot, app: GuiApp) -> tuple[str, str]:
    desktop = app.desktop
    assert desktop is not None
    qtbot.waitUntil(lambda: not desktop.importer.jobs and bool(desktop.notifications), timeout=WAIT)
    return desktop.notifications[-1]


def test_first_start_offers_activitywatch_data(qtbot: QtBot, harness: Harness, peer: servers.Server) -> None:
    data = harness.home / "data" / "activitywatch"
    (data / "aw-server").mkdir(parents=True)
    source = peer_database(peer)  # aw-server runs in WAL mode: its recent commits are in the -wal beside it
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{source}{suffix}", data / "aw-server" / f"peewee-sqlite.v2.db{suffix}")
    rust_database(data / "aw-server-rust", datetime.now(UTC))
    app = harness.start()
    qtbot.waitUntil(lambda: bool(harness.dialogs.asked), timeout=WAIT)  # looked for in the background
    [(title, text)] = harness.dialogs.asked
    assert text == "Found ActivityWatch data from March 2021 to today (302 events). Import it?"
    title, summary = wait_imported(qtbot, app)
    assert title == "Import finished", summary
    assert summary.startswith("Imported 302 events into 2 buckets; 0 were already there")
    assert app.store is not None and app.store.get_setting("startOfDay") == "05:00"
    harness.stop(app)

    again = harness.start()  # not new any more: no offer
    assert len(harness.dialogs.asked) == 1
    assert again.store is not None and again.store.count_events("aw-watcher-window_laptop") == 300


def test_tray_import_from_activitywatch_and_from_a_file(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    app = harness.start()
    entries = submenu(tray_menu(app), "Import")
    entries["From ActivityWatch…"].trigger()
    assert app.desktop is not None
    assert app.desktop.notifications[-1][1] == "No ActivityWatch data was found in this computer's usual places."

    harness.dialogs.open_from = rust_database(tmp_path / "elsewhere", datetime(2024, 6, 1, tzinfo=UTC))
    entries["From a file…"].trigger()
    assert wait_imported(qtbot, app)[0] == "Import finished"
    harness.dialogs.open_from = tmp_path / "notes.txt"
    harness.dialogs.open_from.write_text("not an export")
    entries["From a file…"].trigger()
    title, text = wait_imported(qtbot, app)
    assert title == "Import failed" and "neither an ActivityWatch export nor" in text
    assert app.store is not None and app.store.count_events("aw-watcher-afk_laptop") == 2


def test_a_port_held_by_activitywatch_can_be_left_to_it(harness: Harness, peer: servers.Server) -> None:
    harness.dialogs.choices = [OTHER_PORT]
    app = harness.start(port=peer.port)
    [(title, text, choices)] = harness.dialogs.offered
    assert choices == CHOICES and title == "ActivityWatch is already running"
    assert f"Port {peer.port} is used by ActivityWatch {servers.version_of(peer)}" in text
    assert app.server is not None and app.server.port not in (peer.port, 0)
    chosen = app.server.port
    assert httpx.get(f"{app.server.url}/api/0/info").json()["version"].endswith("(single-process)")
    harness.stop(app)

    again = harness.start(port=peer.port)  # remembered: no question
    assert len(harness.dialogs.offered) == 1 and again.server is not None and again.server.port == chosen


def test_quit_activitywatch_then_continue(harness: Harness) -> None:
    other = servers.start_peer()
    try:

        def quit_it(text: str) -> int:
            servers.stop(other)  # the user quits ActivityWatch from its tray
            return QUIT_AND_CONTINUE

        harness.dialogs.choices = [quit_it]
        app = harness.start(port=other.port)
        assert len(harness.dialogs.offered) == 1
        assert app.server is not None and app.server.port == other.port
    finally:
        servers.stop(other)


def test_a_no_gui_instance_on_the_same_folder_is_one_sentence(harness: Harness, tmp_path: Path) -> None:
    headless = ServerProcess(harness.home)
    try:
        headless.wait_ready()
        app = GuiApp(harness.settings(port=headless.port), dialogs=harness.dialogs, tray_available=True)
        assert app.start() == 0
        app.stop()
    finally:
        headless.stop()
    assert harness.dialogs.offered == []
    assert harness.dialogs.errors == [
        "ActivityWatch already runs without a window (--no-gui) for this data folder; "
        f"its dashboard is at http://127.0.0.1:{headless.port}/."
    ]


def test_a_bad_config_file_in_gui_mode_is_a_dialog_naming_the_key(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(Dialogs, "error", lambda self, text: shown.append(text))
    config = tmp_path / "config.toml"
    config.write_text("[server]\nport = 'fifty'\n")
    assert cli.main(["--data-dir", str(tmp_path / "d"), "--config", str(config)]) == 1
    assert len(shown) == 1 and "[server] port must be an integer" in shown[0]
    assert f"Error: {shown[0]}" in capsys.readouterr().err
    assert cli.main(["--no-gui", "--data-dir", str(tmp_path / "d"), "--config", str(config)]) == 1
    assert len(shown) == 1  # --no-gui: stderr only


def answer_box(click: Callable[[QMessageBox], QAbstractButton | None]) -> QTimer:
    """Click a button of the message box once it is shown (the box runs its own event loop)."""
    timer = QTimer()
    timer.setInterval(20)

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            timer.stop()
            button = click(box)
            assert button is not None
            button.click()

    timer.timeout.connect(look)
    timer.start()
    return timer


def by_text(text: str) -> Callable[[QMessageBox], QAbstractButton | None]:
    return lambda box: next((b for b in box.buttons() if b.text() == text), None)


def test_the_real_dialogs_ask_and_choose(qtbot: QtBot) -> None:
    dialogs = Dialogs()
    keep = answer_box(by_text("Import"))
    assert dialogs.ask("Bring your ActivityWatch history", "Found ActivityWatch data…", "Import") is True
    keep = answer_box(by_text("Not now"))
    assert dialogs.ask("Bring your ActivityWatch history", "Found ActivityWatch data…", "Import") is False
    keep = answer_box(by_text(CHOICES[OTHER_PORT]))
    assert dialogs.choose("ActivityWatch is already running", "Port 5600…", CHOICES) == OTHER_PORT
    keep = answer_box(lambda box: box.button(QMessageBox.StandardButton.Cancel))
    assert dialogs.choose("ActivityWatch is already running", "Port 5600…", CHOICES) is None
    del keep
