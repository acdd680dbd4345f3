"""Real desktops for tests: private D-Bus buses, headless GNOME Shell (with a mocked logind on a private
system bus) and kwin_wayland --virtual, each in its own folder with its own runtime directory and sockets."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activitywatch.watchers.desktop_bus import DBusCallError, DesktopBus
from tests.xserver import wait_for

SESSION_CONF = "/usr/share/dbus-1/session.conf"
REPO = Path(__file__).resolve().parent.parent
WINDOW_CLIENT = Path(__file__).resolve().parent / "wayland_window.py"


@dataclass
class Desktop:
    """Processes started for one test module, and the environment their clients use."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[Any]] = field(default_factory=list)

    @property
    def session_bus(self) -> str:
        """The private session bus's address."""
        return self.env["DBUS_SESSION_BUS_ADDRESS"]

    def run(self, *command: str, stdin: bool = False, log: str = "") -> subprocess.Popen[Any]:
        """Start a process in this desktop's environment (stopped with it)."""
        with open(self.root / (log or f"{Path(command[0]).name}.log"), "ab") as out:
            proc = subprocess.Popen(
                command,
                env=self.env,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: helpers it spawns stop with it
            )
        self.procs.append(proc)
        return proc

    def window(self, app_id: str, title: str) -> subprocess.Popen[Any]:
        """A real Wayland window (Qt) with this app id and title; write a line to its stdin to retitle it."""
        env = {**self.env, "QT_QPA_PLATFORM": "wayland"}
        with open(self.root / f"window-{app_id}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, str(WINDOW_CLIENT), "--app-id", app_id, "--title", title],
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str = "",
        args: Sequence[Any] = (),
        *,
        system: bool = False,
    ) -> tuple[Any, ...]:
        """One method call on the desktop's session (or system) bus."""
        bus = DesktopBus(self.env["DBUS_SYSTEM_BUS_ADDRESS"] if system else self.session_bus)
        try:
            return bus.call(destination, path, interface, method, signature, args)
        finally:
            bus.close()

    def answers(self, destination: str, path: str, interface: str, method: str, *, system: bool = False) -> bool:
        """Whether the call succeeds now."""
        try:
            self.call(destination, path, interface, method, system=system)
        except (DBusCallError, TimeoutError):
            return False
        return True

    def stop(self) -> None:
        """Stop every process started here (newest first), each with its process group."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()


def _signal_group(proc: subprocess.Popen[Any], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def start_bus(desktop: Desktop, name: str) -> str:
    """A private dbus-daemon (session configuration) listening in the desktop's folder; its address."""
    socket_path = desktop.root / f"{name}.sock"
    desktop.run(
        "dbus-daemon",
        "--config-file",
        SESSION_CONF,
        "--address",
        f"unix:path={socket_path}",
        "--nofork",
        log=f"{name}-bus.log",
    )
    wait_for(socket_path.exists, f"the {name} bus socket")
    return f"unix:path={socket_path}"


def new_desktop(root: Path) -> Desktop:
    """A folder with a home and a private runtime directory, and a session bus."""
    home, runtime = root / "home", root / "xdg"
    home.mkdir(parents=True)
    runtime.mkdir(mode=0o700)
    desktop = Desktop(root)
    # HOME before the bus: the dconf service the bus starts writes settings under its own HOME.
    desktop.env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
    }
    desktop.env["DBUS_SESSION_BUS_ADDRESS"] = start_bus(desktop, "session")
    return desktop


def start_mock(desktop: Desktop, *args: str, system: bool = False) -> subprocess.Popen[Any]:
    """python-dbusmock (Debian's, run by the system Python) on the desktop's session or system bus."""
    return desktop.run(
        "/usr/bin/python3", "-m", "dbusmock", "--system" if system else "--session", *args, log="dbusmock.log"
    )


def add_logind(desktop: Desktop) -> None:
    """A private system bus with python-dbusmock's logind and one active session, c1 (GNOME Shell needs it)."""
    desktop.env["DBUS_SYSTEM_BUS_ADDRESS"] = start_bus(desktop, "system")
    start_mock(desktop, "--template", "logind", system=True)
    manager = ("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager")
    wait_for(lambda: desktop.answers(*manager, "ListSessions", system=True), "the mocked logind", timeout=30)
    desktop.call(
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.DBus.Mock",
        "AddSession",
        "ssusb",
        ("c1", "seat0", os.getuid(), "tester", True),
        system=True,
    )
    desktop.env["XDG_SESSION_ID"] = "c1"


def start_gnome_shell(desktop: Desktop) -> None:
    """Headless GNOME Shell (Wayland only, one virtual monitor) on the desktop's buses; ready when it answers."""
    # lets a test reset the idle time as input would (IdleMonitor.ResetIdletime is a testing hook)
    desktop.env["MUTTER_DEBUG_RESET_IDLETIME"] = "1"
    shell = desktop.run("gnome-shell", "--headless", "--wayland", "--no-x11", "--virtual-monitor", "1280x800")

    def ready() -> bool:
        assert shell.poll() is None, f"gnome-shell exited with {shell.returncode}; see {desktop.root}/gnome-shell.log"
        return desktop.answers("org.gnome.Shell", "/org/gnome/Shell", "org.gnome.Shell.Extensions", "ListExtensions")

    wait_for(ready, "GNOME Shell to answer on D-Bus", timeout=60)
    desktop.env["WAYLAND_DISPLAY"] = "wayland-0"
    desktop.env["XDG_SESSION_TYPE"] = "wayland"
    desktop.env["XDG_CURRENT_DESKTOP"] = "GNOME"


def start_kwin(desktop: Desktop) -> None:
    """kwin_wayland --virtual on the desktop's session bus; ready when org.kde.KWin answers.

    The installed binary carries the file capability cap_sys_resource, which a sandbox's bounding set may
    lack (exec then fails), so a copy without it runs; it must keep the name kwin_wayland, or its built-in
    Qt platform plugin does not load.
    """
    nocap = desktop.root / "nocap"
    nocap.mkdir()
    binary = shutil.which("kwin_wayland")
    assert binary is not None, "kwin_wayland is missing: `make test` installs it (tests/debian-packages.txt)"
    shutil.copy(binary, nocap / "kwin_wayland")
    kwin = desktop.run(
        str(nocap / "kwin_wayland"), "--virtual", "--socket", "wayland-k", "--width", "1280", "--height", "800"
    )

    def ready() -> bool:
        assert kwin.poll() is None, f"kwin_wayland exited with {kwin.returncode}; see {desktop.root}/kwin_wayland.log"
        # KWin owns its bus name before its scripting object exists: wait for the object itself
        try:
            desktop.call("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting", "isScriptLoaded", "s", ("none",))
        except (DBusCallError, TimeoutError):
            return False
        return True

    wait_for(ready, "KWin to answer on D-Bus", timeout=60)
    desktop.env["WAYLAND_DISPLAY"] = "wayland-k"
    desktop.env["XDG_SESSION_TYPE"] = "wayland"
    desktop.env["XDG_CURRENT_DESKTOP"] = "KDE"
