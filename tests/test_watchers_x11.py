"""The watchers end to end on a real X server (Xvfb + openbox): real windows, real input from xdotool,
the real probes (python-xlib's screen saver extension, pywinctl), the real store, and the real command
line."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from activitywatch.store import Store
from activitywatch.watchers.builtin import AfkWatcher, WindowWatcher
from activitywatch.watchers.worker import WatcherThread
from tests.conftest import ServerProcess
from tests.watcher_support import events_of, start
from tests.xserver import XServer, wait_for

WAIT = 20_000  # ms: generous upper bounds; nothing here asserts speed


@pytest.fixture
def on_x(xserver: XServer, monkeypatch: pytest.MonkeyPatch) -> XServer:
    """This process's probes use the test's X server."""
    monkeypatch.setenv("DISPLAY", xserver.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    return xserver


def open_window(x: XServer, title: str, program: str = "xmessage") -> None:
    """A real window with this title, focused (openbox focuses new windows; we make sure)."""
    if program == "xmessage":
        x.run("xmessage", "-title", title, "hello")
    else:
        x.run("xev", "-name", title)
    wait_for(lambda: bool(x.output("xdotool", "search", "--name", f"^{title}$")), f"window {title!r}")
    window_id = x.output("xdotool", "search", "--name", f"^{title}$").split()[0]
    x.xdotool("windowactivate", "--sync", window_id)
    wait_for(lambda: x.active_title() == title, f"{title!r} to be active")


def test_window_watcher_records_titles_and_apps(
    qtbot: QtBot, on_x: XServer, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    watcher = WindowWatcher(store, poll_time=0.1, exclude_titles=["secret"], exclude_apps=["xev"], host="xhost")
    open_window(on_x, "Quarterly report - Editor")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    bucket_id = "aw-watcher-window_xhost"
    seen = lambda: [(e.data["app"], e.data["title"]) for e in reversed(events_of(store, bucket_id))]  # noqa: E731
    qtbot.waitUntil(lambda: ("Xmessage", "Quarterly report - Editor") in seen(), timeout=WAIT)

    open_window(on_x, "My secret plans")
    qtbot.waitUntil(lambda: ("Xmessage", "excluded") in seen(), timeout=WAIT)

    open_window(on_x, "Event tester", program="xev")
    recorded = len(seen())
    open_window(on_x, "Quarterly report - Editor")  # back to the first window
    qtbot.waitUntil(lambda: seen()[-1] == ("Xmessage", "Quarterly report - Editor"), timeout=WAIT)
    assert all(app != "Xev" for app, _ in seen()), seen()  # the excluded app never appears
    assert len(seen()) == recorded + 1
    assert "My secret plans" not in {title for _, title in seen()}


def test_afk_after_the_timeout_and_back_on_input(
    qtbot: QtBot, on_x: XServer, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    on_x.xdotool("mousemove", "100", "100")
    watcher = AfkWatcher(store, timeout=1.0, poll_time=0.1, host="xhost")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    bucket_id = "aw-watcher-afk_xhost"
    statuses = lambda: [e.data["status"] for e in reversed(events_of(store, bucket_id))]  # noqa: E731
    qtbot.waitUntil(lambda: statuses()[-1:] == ["afk"], timeout=WAIT)  # no input for over a second
    afk = events_of(store, bucket_id)[0]
    on_x.xdotool("mousemove", "300", "200")
    qtbot.waitUntil(lambda: statuses()[-1:] == ["not-afk"], timeout=WAIT)
    events = list(reversed(events_of(store, bucket_id)))
    assert [e.data["status"] for e in events][-3:] == ["not-afk", "afk", "not-afk"]
    # afk starts a millisecond after the last input, where not-afk ended (idle time is read in whole
    # milliseconds, so "the last input" of two polls may differ by one): no gap, no overlap
    ms = 1_000_000
    assert -3 * ms <= events[-2].timestamp - events[-3].end <= 3 * ms, events
    assert afk.timestamp == events[-2].timestamp
    assert -3 * ms <= events[-1].timestamp - events[-2].end <= 3 * ms, events


def test_an_active_screen_saver_or_lock_counts_as_afk(
    qtbot: QtBot, on_x: XServer, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    on_x.xdotool("mousemove", "120", "120")
    watcher = AfkWatcher(store, timeout=600, poll_time=0.1, host="lockhost")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    bucket_id = "aw-watcher-afk_lockhost"
    statuses = lambda: [e.data["status"] for e in reversed(events_of(store, bucket_id))]  # noqa: E731
    qtbot.waitUntil(lambda: statuses() == ["not-afk"], timeout=WAIT)
    try:
        assert on_x.succeeds("xset", "s", "activate")  # the X screen saver (what lockers drive) comes on
        qtbot.waitUntil(lambda: statuses()[-1:] == ["afk"], timeout=WAIT)  # long before the 600 s timeout
    finally:
        on_x.succeeds("xset", "s", "reset")
    on_x.xdotool("mousemove", "220", "220")
    qtbot.waitUntil(lambda: statuses()[-1:] == ["not-afk"], timeout=WAIT)


def test_the_command_line_records_on_a_real_display(xserver: XServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[watchers.afk]\ntimeout = 1\npoll_time = 0.2\n[watchers.window]\npoll_time = 0.2\n")
    open_window(xserver, "Terminal - notes")
    proc = ServerProcess(tmp_path, "--config", str(config), watchers=True, env={"DISPLAY": xserver.display})
    try:
        proc.wait_ready()
        host = socket.gethostname()
        with httpx.Client(base_url=proc.url, timeout=5) as http:

            def events(bucket: str) -> list[dict[str, object]]:
                r = http.get(f"/api/0/buckets/{bucket}/events")
                return r.json() if r.status_code == 200 else []

            wait_for(lambda: bool(events(f"aw-watcher-window_{host}")), "window events over the API")
            wait_for(lambda: bool(events(f"aw-watcher-afk_{host}")), "AFK events over the API")
            assert events(f"aw-watcher-window_{host}")[0]["data"] == {"app": "Xmessage", "title": "Terminal - notes"}
            buckets = http.get("/api/0/buckets/").json()
            assert buckets[f"aw-watcher-afk_{host}"]["type"] == "afkstatus"
            assert buckets[f"aw-watcher-window_{host}"]["client"] == "aw-watcher-window"
    finally:
        status, output = proc.stop()
    assert status == 0, output


def test_without_a_display_the_watchers_say_why_and_the_server_runs(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path, watchers=True, env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as http:
            assert http.get("/api/0/info").status_code == 200
            wait_for(lambda: proc.output.count("cannot run here") >= 2, "both watchers to report")
            assert http.get("/api/0/buckets/").json() == {}
    finally:
        status, output = proc.stop()
    assert status == 0, output
    assert "there is no display (DISPLAY is not set)" in output


def test_on_wayland_the_watchers_say_why(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path, watchers=True, env={"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"})
    try:
        proc.wait_ready()
        wait_for(lambda: proc.output.count("cannot run here") >= 2, "both watchers to report")
    finally:
        status, output = proc.stop()
    assert status == 0, output
    assert "Wayland session" in output
