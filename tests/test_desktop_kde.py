"""KDE on Wayland, for real: kwin_wayland --virtual on a private session bus runs our KWin script, real
Wayland windows (a Qt window and weston-terminal) get activated, and the script's calls reach our D-Bus
service and the window bucket. The lock comes from KWin's own screen locker. Nothing is mocked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from activitywatch.store import Store
from activitywatch.watchers.backends import choose_idle_probe, choose_window_probe
from activitywatch.watchers.builtin import WindowWatcher
from activitywatch.watchers.kde import PLUGIN_NAME, SERVICE, KdeIdleProbe, KWinWindowProbe
from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.worker import WatcherThread
from tests.desktop_session import Desktop, new_desktop, start_kwin
from tests.watcher_support import IdleStandIn, events_of, start
from tests.xserver import wait_for

WAIT = 30_000  # ms: generous upper bounds; nothing here asserts speed
SCRIPTING = ("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting")


@pytest.fixture(scope="module")
def kwin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    """kwin_wayland --virtual with its own session bus and Wayland socket."""
    desktop = new_desktop(tmp_path_factory.mktemp("kwin"))
    try:
        start_kwin(desktop)
        yield desktop
    finally:
        desktop.stop()


@pytest.fixture
def on_kwin(kwin: Desktop, monkeypatch: pytest.MonkeyPatch) -> Desktop:
    """This process's probes talk to the test's KWin session bus."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", kwin.session_bus)
    return kwin


def script_loaded(desktop: Desktop) -> bool:
    """Whether KWin has our script loaded."""
    return bool(desktop.call(*SCRIPTING, "isScriptLoaded", "s", (PLUGIN_NAME,))[0])


def test_window_watcher_records_app_ids_and_titles_from_the_kwin_script(
    qtbot: QtBot, on_kwin: Desktop, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    watcher = WindowWatcher(store, poll_time=0.1, probe_factory=KWinWindowProbe, host="kdehost")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        thread = start(watcher_threads, watcher)
    assert script_loaded(on_kwin)
    seen = lambda: [(e.data["app"], e.data["title"]) for e in reversed(events_of(store, "aw-watcher-window_kdehost"))]  # noqa: E731

    window = on_kwin.window("term-b", "Beta")
    qtbot.waitUntil(lambda: ("term-b", "Beta") in seen(), timeout=WAIT)
    assert window.stdin is not None
    window.stdin.write("Gamma\n")  # a title change of the active window
    window.stdin.flush()
    qtbot.waitUntil(lambda: ("term-b", "Gamma") in seen(), timeout=WAIT)
    on_kwin.run("weston-terminal")
    qtbot.waitUntil(lambda: seen()[-1] == ("org.freedesktop.weston.wayland-terminal", "Wayland Terminal"), timeout=WAIT)

    assert thread.stop()
    assert not script_loaded(on_kwin)  # unloaded when the watcher stops
    (owned,) = on_kwin.call(
        "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", (SERVICE,)
    )
    assert owned is False


def test_a_second_watcher_is_refused_with_a_sentence(on_kwin: Desktop) -> None:
    first = KWinWindowProbe()
    try:
        with pytest.raises(ProbeUnavailable, match=r"another program already owns net\.activitywatch\.KWinWatcher"):
            KWinWindowProbe()
        assert script_loaded(on_kwin)  # the refused one left the first one's script alone
    finally:
        first.close()


def test_without_kwin_the_sentence_says_so(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop = new_desktop(tmp_path_factory.mktemp("nokwin"))
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.session_bus)
        with pytest.raises(
            ProbeUnavailable, match=r"KWin does not answer on the session bus \(is this a KDE Plasma session\?\)"
        ):
            KWinWindowProbe()
    finally:
        desktop.stop()


def test_the_lock_comes_from_kwins_screen_locker(on_kwin: Desktop) -> None:
    # Last in this module: KWin stays locked (no greeter here to unlock it).
    idle = IdleStandIn()
    idle.value = (12.0, False)
    probe = KdeIdleProbe(idle)
    try:
        assert probe.idle() == (12.0, False)
        on_kwin.call("org.freedesktop.ScreenSaver", "/ScreenSaver", "org.freedesktop.ScreenSaver", "Lock")
        wait_for(lambda: probe.idle() == (12.0, True), "the lock to be seen")
    finally:
        probe.close()


def test_the_chooser_picks_the_kwin_script_and_the_wayland_idle_protocol(on_kwin: Desktop) -> None:
    environ = on_kwin.env | {"XDG_SESSION_TYPE": "wayland"}
    window = choose_window_probe(environ)
    try:
        assert window.backend == "KWin script"
    finally:
        window.probe.close()
    idle = choose_idle_probe(environ, 0.5, use_logind=False)
    try:
        assert idle.backend == "Wayland idle notifications (ext_idle_notifier_v1) + KDE screen locker"
        assert idle.probe.idle()[0] >= 0  # (an earlier test may have left the screen locked)
    finally:
        idle.probe.close()
