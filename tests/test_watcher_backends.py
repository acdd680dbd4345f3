"""Choosing the desktop backend: the session's facts, and the one sentence for each desktop where no
backend works, naming the desktop and what would make tracking work.

The unsupported Wayland cases run against a real compositor that shares neither windows nor idle
time with clients (weston, headless): that is what the chooser meets on GNOME and on compositors
without the wlroots protocols. The desktop's name comes from XDG_CURRENT_DESKTOP, as in a session.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from activitywatch.watchers.backends import Session, choose_idle_probe, choose_window_probe
from activitywatch.watchers.probes import ProbeUnavailable
from tests.dbus_support import Bus, start_bus
from tests.xserver import wait_for


@pytest.fixture(scope="module")
def weston(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A headless weston; the environment of a Wayland session on it."""
    runtime = tmp_path_factory.mktemp("weston-xdg")
    runtime.chmod(0o700)
    with open(runtime / "weston.log", "wb") as log:
        proc = subprocess.Popen(
            ["weston", "--backend=headless-backend.so", "--socket=wayland-t", "--idle-time=0", "--no-config"],
            env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)},
            stdout=log,
            stderr=log,
        )
    try:
        wait_for(lambda: (runtime / "wayland-t").exists() and proc.poll() is None, "weston's socket", 30)
        yield {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": "wayland-t", "XDG_SESSION_TYPE": "wayland"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def session_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bus]:
    """A private session bus with nothing on it (no GNOME Shell, no KWin)."""
    bus = start_bus(tmp_path_factory.mktemp("bus"), "session")
    try:
        yield bus
    finally:
        bus.stop()


def window_sentence(environ: dict[str, str]) -> str:
    with pytest.raises(ProbeUnavailable) as caught:
        choose_window_probe(environ)
    return str(caught.value)


def idle_sentence(environ: dict[str, str]) -> str:
    with pytest.raises(ProbeUnavailable) as caught:
        choose_idle_probe(environ, use_logind=False)
    return str(caught.value)


@pytest.mark.parametrize(
    ("desktop", "window_words", "idle_words"),
    [
        (
            "GNOME",
            ("On GNOME (Wayland session)", "GNOME Shell extension", '"GNOME on Xorg"'),
            ("Mutter's IdleMonitor",),
        ),
        ("ubuntu:GNOME", ("On GNOME (Wayland session)", '"GNOME on Xorg"'), ('"GNOME on Xorg"',)),
        ("KDE", ("On KDE Plasma (Wayland session)", "KWin script", '"Plasma (X11)"'), ("ext-idle-notify-v1",)),
        ("Hyprland", ("On Hyprland (Wayland session)", "wlr-foreign-toplevel-management", "X11 session"), ()),
        ("", ("On this desktop (Wayland session)", "sway, Hyprland", "X11 session"), ("On this desktop",)),
        ("weston", ("On weston (Wayland session)", "does not share the active window"), ("On weston",)),
    ],
)
def test_each_unsupported_wayland_desktop_gets_its_sentence(
    weston: dict[str, str],
    session_bus: Bus,
    monkeypatch: pytest.MonkeyPatch,
    desktop: str,
    window_words: tuple[str, ...],
    idle_words: tuple[str, ...],
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus.address)  # a session bus with no desktop on it
    environ = weston | {"XDG_CURRENT_DESKTOP": desktop}
    sentence = window_sentence(environ)
    for words in window_words:
        assert words in sentence
    assert "\n" not in sentence and not sentence.endswith(".")  # one sentence: what is wrong; what would help
    idle = idle_sentence(environ)
    for words in idle_words:
        assert words in idle
    assert "\n" not in idle


def test_sway_without_the_protocol_says_its_ipc_did_not_answer_either(weston: dict[str, str], tmp_path: Path) -> None:
    environ = weston | {"XDG_CURRENT_DESKTOP": "sway", "SWAYSOCK": str(tmp_path / "no-sway.sock")}
    sentence = window_sentence(environ)
    assert sentence.startswith("On sway (Wayland session) the compositor does not share the active window")
    assert "sway's IPC did not answer" in sentence


def test_a_compositor_that_cannot_be_reached_is_named(tmp_path: Path) -> None:
    environ = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-gone", "XDG_RUNTIME_DIR": str(tmp_path)}
    sentence = window_sentence(environ | {"XDG_CURRENT_DESKTOP": "Hyprland"})
    assert sentence.startswith(
        f"On Hyprland (Wayland session) ActivityWatch cannot connect to the Wayland compositor at {tmp_path}"
    )
    assert sentence.endswith("start it from inside the desktop session")
    assert "cannot connect to the Wayland compositor" in idle_sentence(environ)


def test_a_text_console_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    sentence = window_sentence({"XDG_SESSION_TYPE": "tty"})
    assert sentence.startswith("This is a text console session")
    assert "graphical desktop session" in sentence


def test_no_display_at_all_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert "there is no display (DISPLAY is not set)" in window_sentence({})


@pytest.mark.parametrize(
    ("environ", "wayland", "name"),
    [
        (
            {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"},
            True,
            "GNOME",
        ),
        ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, False, "KDE Plasma"),
        ({"WAYLAND_DISPLAY": "wayland-1", "XDG_CURRENT_DESKTOP": "sway"}, True, "sway"),  # a terminal without logind
        ({"XDG_SESSION_TYPE": "x11", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":1"}, False, "this desktop"),
        ({"XDG_CURRENT_DESKTOP": "GNOME-Classic:GNOME", "DISPLAY": ":0"}, False, "GNOME"),
    ],
)
def test_the_session_is_read_from_the_environment(environ: dict[str, str], wayland: bool, name: str) -> None:
    session = Session.from_environ(environ)
    assert session.wayland is wayland
    assert session.desktop_name == name
