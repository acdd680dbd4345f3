"""GNOME Shell on Wayland, for real: headless gnome-shell 43 (a mocked logind on a private system bus is all
that is faked) with our extension installed by `activitywatch desktop install-extension`, real Wayland
windows, Mutter's real IdleMonitor. The "Focused Window D-Bus" extension and the screen shield, which
cannot run here, are played by python-dbusmock on real dbus-daemons."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from activitywatch.gnome_extension import (
    EXTENSION_UUID,
    ExtensionInstallError,
    build_for,
    extension_dir,
    running_shell_version,
)
from activitywatch.store import Store
from activitywatch.watchers.backends import choose_idle_probe, choose_window_probe
from activitywatch.watchers.builtin import WindowWatcher
from activitywatch.watchers.desktop_bus import DesktopBus
from activitywatch.watchers.gnome import (
    AWATCHER_INTERFACE,
    AWATCHER_PATH,
    FocusedWindowDbusProbe,
    GnomeExtensionWindowProbe,
    GnomeIdleProbe,
    extension_problem,
    open_gnome_window_probe,
    window_from_json,
)
from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow
from activitywatch.watchers.worker import WatcherThread
from tests.desktop_session import REPO, Desktop, add_logind, new_desktop, start_gnome_shell, start_mock
from tests.watcher_support import events_of, start
from tests.xserver import wait_for

WAIT = 30_000  # ms: generous upper bounds; nothing here asserts speed
TEST_EXTENSION = "overview-off@tests.activitywatch.invalid"
MOCK = "org.freedesktop.DBus.Mock"


def gsettings(desktop: Desktop, *args: str) -> str:
    """gsettings on the desktop's bus and home."""
    return subprocess.run(["gsettings", *args], env=desktop.env, capture_output=True, text=True, check=True).stdout


def install_command(desktop: Desktop) -> subprocess.CompletedProcess[str]:
    """`activitywatch desktop install-extension`, run as the desktop's user would."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "activitywatch",
            "--data-dir",
            str(desktop.root / "data"),
            "desktop",
            "install-extension",
        ],
        env={**desktop.env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def gnome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    """Headless GNOME Shell with our extension (installed by the command) and a test-only one that hides
    the overview it starts in (windows opened in the overview get no focus)."""
    desktop = new_desktop(tmp_path_factory.mktemp("gnome"))
    try:
        add_logind(desktop)
        test_extension = Path(desktop.env["XDG_DATA_HOME"]) / "gnome-shell" / "extensions" / TEST_EXTENSION
        test_extension.mkdir(parents=True)
        for name in ("metadata.json", "extension.js"):
            (test_extension / name).write_bytes((REPO / "tests" / "gnome-test-extension" / name).read_bytes())
        gsettings(desktop, "set", "org.gnome.shell", "enabled-extensions", f"['{TEST_EXTENSION}']")
        installed = install_command(desktop)
        assert installed.returncode == 0, installed.stderr
        desktop.env["INSTALL_OUTPUT"] = installed.stdout
        start_gnome_shell(desktop)
        yield desktop
    finally:
        desktop.stop()


@pytest.fixture
def on_gnome(gnome: Desktop, monkeypatch: pytest.MonkeyPatch) -> Desktop:
    """This process's probes talk to the test's GNOME session bus."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", gnome.session_bus)
    return gnome


def test_the_command_installed_the_legacy_build_enabled_it_and_kept_the_other_extensions(on_gnome: Desktop) -> None:
    output = on_gnome.env["INSTALL_OUTPUT"]
    assert "GNOME Shell 43" in output and "Log out and log in again" in output
    data_home = Path(on_gnome.env["XDG_DATA_HOME"])
    metadata = json.loads((extension_dir(data_home) / "metadata.json").read_text())
    assert metadata["uuid"] == EXTENSION_UUID and "43" in metadata["shell-version"]
    enabled = gsettings(on_gnome, "get", "org.gnome.shell", "enabled-extensions")
    assert TEST_EXTENSION in enabled and EXTENSION_UUID in enabled

    assert running_shell_version() == "43.9"  # the shell runs now: the command asks it over D-Bus
    again = install_command(on_gnome)
    assert again.returncode == 0, again.stderr
    assert "already enabled" in again.stdout
    assert gsettings(on_gnome, "get", "org.gnome.shell", "enabled-extensions").count(EXTENSION_UUID) == 1


def test_the_shell_runs_our_extension_and_it_answers(on_gnome: Desktop) -> None:
    (info,) = on_gnome.call(
        "org.gnome.Shell", "/org/gnome/Shell", "org.gnome.Shell.Extensions", "GetExtensionInfo", "s", (EXTENSION_UUID,)
    )
    assert info["state"][1] == 1.0, info  # ENABLED: it loaded without error
    probe = GnomeExtensionWindowProbe()
    try:
        assert probe.active() is None or isinstance(probe.active(), ActiveWindow)
    finally:
        probe.close()


def test_window_watcher_records_app_ids_and_titles_from_the_extension(
    qtbot: QtBot, on_gnome: Desktop, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    watcher = WindowWatcher(store, poll_time=0.1, probe_factory=open_gnome_window_probe, host="gnomehost")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    assert isinstance(watcher.probe, GnomeExtensionWindowProbe)  # ours first, not the awatcher one
    seen = lambda: [(e.data["app"], e.data["title"]) for e in reversed(events_of(store, "aw-watcher-window_gnomehost"))]  # noqa: E731

    first = on_gnome.window("term-a", "Alpha")
    qtbot.waitUntil(lambda: ("term-a", "Alpha") in seen(), timeout=WAIT)
    second = on_gnome.window("term-b", "Beta")
    qtbot.waitUntil(lambda: ("term-b", "Beta") in seen(), timeout=WAIT)
    assert first.stdin is not None and second.stdin is not None
    first.stdin.write("Alpha renamed\n")  # retitled in the background
    first.stdin.flush()
    # closing the focused window gives the focus back to the first one, which is seen with its new title
    second.stdin.close()
    qtbot.waitUntil(lambda: seen()[-1] == ("term-a", "Alpha renamed"), timeout=WAIT)
    assert ("term-a", "Alpha") in seen() and ("term-b", "Beta") in seen()


def test_while_the_extension_is_off_no_window_is_reported(on_gnome: Desktop) -> None:
    # GNOME turns user extensions off on the lock screen and on again after unlocking.
    extensions = ("org.gnome.Shell", "/org/gnome/Shell", "org.gnome.Shell.Extensions")
    probe = GnomeExtensionWindowProbe()
    window = on_gnome.window("term-c", "Gamma")
    try:
        wait_for(lambda: probe.active() == ActiveWindow("term-c", "Gamma"), "the new window")
        on_gnome.call(*extensions, "DisableExtension", "s", (EXTENSION_UUID,))
        wait_for(lambda: probe.active() is None, "no window while the extension is off")
        on_gnome.call(*extensions, "EnableExtension", "s", (EXTENSION_UUID,))
        wait_for(lambda: probe.active() == ActiveWindow("term-c", "Gamma"), "the window again")
    finally:
        probe.close()
        assert window.stdin is not None
        window.stdin.close()
        window.wait(timeout=30)


def test_extension_problem_names_what_to_do(on_gnome: Desktop) -> None:
    bus = DesktopBus()
    try:
        sentence = extension_problem(bus, uuid="not-installed@tests.activitywatch.invalid")
    finally:
        bus.close()
    assert sentence == (
        "the ActivityWatch GNOME Shell extension is not installed; "
        "run `activitywatch desktop install-extension`, then log out and in again"
    )


def test_idle_time_comes_from_mutters_idle_monitor(on_gnome: Desktop) -> None:
    probe = GnomeIdleProbe()
    try:
        first, locked = probe.idle()
        assert first >= 0 and locked is False  # no screen shield without GDM: the lock comes from logind
        wait_for(lambda: probe.idle()[0] > first, "Mutter's idle time to grow")
        on_gnome.call(
            "org.gnome.Mutter.IdleMonitor",
            "/org/gnome/Mutter/IdleMonitor/Core",
            "org.gnome.Mutter.IdleMonitor",
            "ResetIdletime",
        )
        wait_for(
            lambda: probe.idle()[0] < first + 0.5, "the idle time to restart (Mutter's testing hook, as input would)"
        )
    finally:
        probe.close()


def test_the_lock_comes_from_the_screen_shields_signal(on_gnome: Desktop) -> None:
    # The real shell has no screen shield here (it needs GDM); dbusmock's gnome_screensaver plays it on the
    # shell's own bus, next to the real IdleMonitor.
    mock = start_mock(on_gnome, "--template", "gnome_screensaver")
    screensaver = ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver")
    wait_for(lambda: on_gnome.answers(*screensaver, "GetActive"), "the mocked screen shield")
    probe = GnomeIdleProbe()
    try:
        assert probe.idle()[1] is False
        on_gnome.call(*screensaver, "SetActive", "b", (True,))
        wait_for(lambda: probe.idle()[1], "the lock to be seen")
        on_gnome.call(*screensaver, "SetActive", "b", (False,))
        wait_for(lambda: not probe.idle()[1], "the unlock to be seen")
    finally:
        probe.close()
        mock.terminate()
        mock.wait(timeout=10)


# ------------------------------------------------------------- "Focused Window D-Bus", against dbusmock


@pytest.fixture
def focused_window_dbus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """A real dbus-daemon where dbusmock owns org.gnome.Shell with the extension's object and Get() -> s."""
    desktop = new_desktop(tmp_path)
    try:
        start_mock(desktop, "org.gnome.Shell", AWATCHER_PATH, AWATCHER_INTERFACE)
        wait_for(lambda: desktop.answers("org.gnome.Shell", AWATCHER_PATH, MOCK, "ClearCalls"), "dbusmock")
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.session_bus)
        yield desktop
    finally:
        desktop.stop()


def answer_get(desktop: Desktop, python: str) -> None:
    """Make the mocked Get run this code (dbusmock's AddMethod; 'ret' is the answer)."""
    desktop.call(
        "org.gnome.Shell", AWATCHER_PATH, MOCK, "AddMethod", "sssss", (AWATCHER_INTERFACE, "Get", "", "s", python)
    )


def test_the_focused_window_dbus_extension_is_read_when_ours_is_absent(focused_window_dbus: Desktop) -> None:
    window = {
        "title": "Inbox - Mail",
        "wm_class": "org.gnome.Evolution",
        "wm_class_instance": "evolution",
        "pid": 42,
        "focus": True,
    }
    answer_get(focused_window_dbus, f"ret = {json.dumps(json.dumps(window))}")
    probe = open_gnome_window_probe()
    try:
        assert isinstance(probe, FocusedWindowDbusProbe)
        assert probe.active() == ActiveWindow("org.gnome.Evolution", "Inbox - Mail")
        answer_get(focused_window_dbus, "ret = '{}'")  # nothing has focus
        assert probe.active() is None
        answer_get(
            focused_window_dbus,
            "raise dbus.exceptions.DBusException('No window in focus', name='org.gnome.gjs.JSError.Error')",
        )
        assert probe.active() is None  # what its older versions say instead
    finally:
        probe.close()


def test_without_either_extension_the_sentence_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    desktop = new_desktop(tmp_path)
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.session_bus)
        with pytest.raises(ProbeUnavailable, match="GNOME Shell does not answer on the session bus"):
            open_gnome_window_probe()
        with pytest.raises(ProbeUnavailable, match="Mutter's idle monitor does not answer"):
            GnomeIdleProbe()
    finally:
        desktop.stop()


@pytest.mark.parametrize(
    ("version", "build"), [("43.9", "legacy"), ("44.2", "legacy"), ("45.0", "esm"), ("47.rc", "esm")]
)
def test_the_build_follows_the_gnome_45_format_change(version: str, build: str) -> None:
    assert build_for(version) == build
    metadata = json.loads((REPO / "resources" / "gnome-shell" / build / "metadata.json").read_text())
    assert version.split(".", maxsplit=1)[0] in metadata["shell-version"] and metadata["uuid"] == EXTENSION_UUID


def test_a_shell_older_than_43_is_refused_with_a_sentence() -> None:
    with pytest.raises(ExtensionInstallError, match=r"GNOME Shell 42\.1 is too old"):
        build_for("42.1")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"wm_class": "firefox", "app_id": "firefox.desktop", "title": "News"}, ActiveWindow("firefox", "News")),
        (
            {"wm_class": "", "app_id": "org.gnome.Nautilus.desktop", "title": "Home"},
            ActiveWindow("org.gnome.Nautilus", "Home"),
        ),
        ({"wm_class": "", "app_id": "window:3", "title": "?"}, ActiveWindow("unknown", "?")),
        ({}, None),
    ],
)
def test_the_app_is_the_windows_class_then_the_shells_app_id(
    data: dict[str, str], expected: ActiveWindow | None
) -> None:
    assert window_from_json(json.dumps(data)) == expected


@pytest.mark.parametrize(("build", "kind"), [("legacy", "commonjs"), ("esm", "module")])
def test_both_builds_parse_in_their_format(build: str, kind: str) -> None:
    # The 45+ build cannot run on Debian 12's GNOME 43: at least its syntax is checked, as an ES module.
    source = (REPO / "resources" / "gnome-shell" / build / "extension.js").read_text()
    checked = subprocess.run(
        ["node", "--check", f"--input-type={kind}"], input=source, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_the_chooser_picks_our_extension_and_mutters_idle_monitor(on_gnome: Desktop) -> None:
    environ = on_gnome.env | {"XDG_SESSION_TYPE": "wayland"}
    window = choose_window_probe(environ)
    try:
        assert window.backend == "GNOME Shell extension"
    finally:
        window.probe.close()
    idle = choose_idle_probe(environ, use_logind=False)
    try:
        assert idle.backend == "Mutter IdleMonitor"
        assert idle.probe.idle()[0] >= 0
    finally:
        idle.probe.close()
