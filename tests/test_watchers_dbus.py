"""The AFK watcher with what the desktop says over D-Bus: logind's lock and a real MPRIS player.

Real dbus-daemons in tmp_path: one as the system bus with python-dbusmock's logind template (this
machine has no systemd), one as the session bus with mpv (and its MPRIS plugin, Debian's
mpv-mpris) playing a generated silent file. The idle time comes from a real X server (logind's lock
counts on X11 too), or, for the long input silence of the media test, from a stand-in.
"""

from __future__ import annotations

import shutil
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from activitywatch.store import Store
from activitywatch.watchers.backends import Choice, choose_idle_probe
from activitywatch.watchers.builtin import AfkWatcher
from activitywatch.watchers.logind import LogindSession
from activitywatch.watchers.media import MediaActivity
from activitywatch.watchers.worker import WatcherThread
from tests.dbus_support import Bus, set_locked_hint, start_bus, start_logind
from tests.watcher_support import IdleStandIn, events_of, start
from tests.xserver import XServer

pytestmark = pytest.mark.slow
WAIT = 20_000
PLAYER = "org.mpris.MediaPlayer2.mpv"
MPRIS = ("/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player")


@pytest.fixture(scope="module")
def system_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bus, str]]:
    """A private system bus with a mocked logind and one session, "c1" (its object path)."""
    bus = start_bus(tmp_path_factory.mktemp("system-bus"), "system")
    try:
        yield bus, start_logind(bus, "c1")
    finally:
        bus.stop()


@pytest.fixture
def on_system_bus(system_bus: tuple[Bus, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Bus, str]:
    """This process's system bus is the private one, its session "c1" (unlocked)."""
    bus, path = system_bus
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address)
    set_locked_hint(bus, path, False)
    return bus, path


def statuses(store: Store, bucket_id: str) -> list[str]:
    """The afk bucket's statuses, oldest first."""
    return [e.data["status"] for e in reversed(events_of(store, bucket_id))]


def test_a_session_locked_through_logind_is_afk_on_x11(
    qtbot: QtBot,
    xserver: XServer,
    on_system_bus: tuple[Bus, str],
    store: Store,
    watcher_threads: list[WatcherThread],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bus, session = on_system_bus
    monkeypatch.setenv("DISPLAY", xserver.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    environ = {"DISPLAY": xserver.display, "XDG_SESSION_TYPE": "x11", "XDG_SESSION_ID": "c1"}
    watcher = AfkWatcher(store, timeout=600, poll_time=0.1, probe_factory=lambda: choose_idle_probe(environ), host="h")
    chosen: list[str] = []
    watcher.backend_chosen.connect(chosen.append)
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    assert chosen == ["X11 screen saver + logind lock"]
    xserver.xdotool("mousemove", "10", "10")
    qtbot.waitUntil(lambda: statuses(store, "aw-watcher-afk_h") == ["not-afk"], timeout=WAIT)
    set_locked_hint(bus, session, True)  # long before the 600 s timeout
    qtbot.waitUntil(lambda: statuses(store, "aw-watcher-afk_h")[-1:] == ["afk"], timeout=WAIT)
    set_locked_hint(bus, session, False)
    xserver.xdotool("mousemove", "40", "40")
    qtbot.waitUntil(lambda: statuses(store, "aw-watcher-afk_h")[-1:] == ["not-afk"], timeout=WAIT)


def test_without_logind_the_lock_comes_from_the_desktop_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/nothing")
    stand_in = IdleStandIn()
    from activitywatch.watchers.backends import with_logind_lock

    chosen = with_logind_lock(Choice(stand_in, "stand-in"), {"XDG_SESSION_ID": "c1"})
    assert chosen.probe is stand_in
    assert chosen.declined and chosen.declined[0].startswith("logind: the system bus cannot be reached")


def test_logind_session_not_found_is_explained(on_system_bus: tuple[Bus, str]) -> None:
    with pytest.raises(Exception, match="logind does not know this session"):
        LogindSession({"XDG_SESSION_ID": "no-such-session"})


# ------------------------------------------------------------------------------------ media (MPRIS)


@pytest.fixture(scope="module")
def session_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bus]:
    """A private session bus with mpv playing a silent file in a loop (its MPRIS plugin loaded)."""
    if shutil.which("mpv") is None or not Path("/etc/mpv/scripts").exists():
        raise RuntimeError("mpv and mpv-mpris are needed (tests/debian-packages.txt)")
    folder = tmp_path_factory.mktemp("session-bus")
    silence = folder / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000 * 2)  # two seconds, played in a loop
    bus = start_bus(folder, "session")
    try:
        bus.start(
            "mpv", "--no-config", "--script=/etc/mpv/scripts/mpris.so", "--no-video", "--ao=null",
            "--loop-file=inf", "--no-terminal", str(silence),
            env={"HOME": str(folder)}, owns=PLAYER,
        )  # fmt: skip
        yield bus
    finally:
        bus.stop()


def player(bus: Bus, method: str) -> None:
    """Play or Pause the player over MPRIS."""
    bus.call(PLAYER, *MPRIS, method)


def playback(bus: Bus) -> str:
    """The player's PlaybackStatus."""
    return str(
        bus.call(PLAYER, MPRIS[0], "org.freedesktop.DBus.Properties", "Get", "ss", MPRIS[1], "PlaybackStatus")[0][1]
    )


def test_a_playing_player_keeps_you_active_until_it_pauses(
    qtbot: QtBot,
    session_bus: Bus,
    store: Store,
    watcher_threads: list[WatcherThread],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus.address)
    player(session_bus, "Play")
    qtbot.waitUntil(lambda: playback(session_bus) == "Playing", timeout=WAIT)
    idle = IdleStandIn()  # the input silence, set by the test (hours without touching anything)
    watcher = AfkWatcher(
        store,
        timeout=60,
        poll_time=0.05,
        probe_factory=lambda: idle,
        media_factory=lambda: MediaActivity([r"\.mpv$"]),
        host="m",
    )
    bucket = "aw-watcher-afk_m"
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    qtbot.waitUntil(lambda: statuses(store, bucket) == ["not-afk"], timeout=WAIT)
    idle.value = (2 * 3600.0, False)  # two hours without input, while the player plays
    qtbot.waitUntil(lambda: len(events_of(store, bucket)) >= 2, timeout=WAIT)
    for _ in range(3):  # several polls later: still active, one media span growing
        count = watcher_polls(store, bucket)
        qtbot.waitUntil(lambda c=count: watcher_polls(store, bucket) > c, timeout=WAIT)
    assert [e.data for e in reversed(events_of(store, bucket))] == [
        {"status": "not-afk"},
        {"status": "not-afk", "reason": "media"},
    ]
    player(session_bus, "Pause")
    qtbot.waitUntil(lambda: statuses(store, bucket)[-1:] == ["afk"], timeout=WAIT)
    idle.value = (3 * 3600.0, True)  # locked while playing again: the lock wins
    player(session_bus, "Play")
    qtbot.waitUntil(lambda: playback(session_bus) == "Playing", timeout=WAIT)
    count = watcher_polls(store, bucket)
    qtbot.waitUntil(lambda: watcher_polls(store, bucket) > count + 2, timeout=WAIT)
    assert statuses(store, bucket)[-1] == "afk"
    player(session_bus, "Pause")
    database = (tmp_path / "activitywatch.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("activitywatch.db-*")
    )
    for word in (b"mpv", b"silence", b"mpris", b"Playing"):
        assert word not in database  # nothing about the media is stored


def watcher_polls(store: Store, bucket: str) -> float:
    """How far the bucket's last event reaches (grows with every poll that extends it)."""
    events = events_of(store, bucket)
    return max(e.timestamp + e.duration for e in events) if events else 0
