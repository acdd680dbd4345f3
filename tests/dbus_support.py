"""Private D-Bus buses for tests: a real dbus-daemon in tmp_path, and python-dbusmock services on it.

Debian's python3-dbusmock runs with /usr/bin/python3 (it is not installed in the virtualenv). This
machine has no system bus: tests that need one start a private daemon and point
DBUS_SYSTEM_BUS_ADDRESS at it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import open_dbus_connection

from tests.xserver import wait_for

SYSTEM_PYTHON = "/usr/bin/python3"
LOGIND = "org.freedesktop.login1"


@dataclass
class Bus:
    """A dbus-daemon listening on a socket in a test folder, and the services started on it."""

    address: str
    daemon: subprocess.Popen[bytes]
    services: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def call(self, bus_name: str, path: str, interface: str, method: str, signature: str = "", *args: Any) -> Any:
        """One method call on this bus; the reply's body (an error reply raises AssertionError)."""
        with open_dbus_connection(self.address) as conn:
            address = DBusAddress(path, bus_name=bus_name, interface=interface)
            reply = conn.send_and_get_reply(new_method_call(address, method, signature or None, args), timeout=10)
        if reply.header.message_type == MessageType.error:
            raise AssertionError(f"{interface}.{method} failed: {reply.body}")
        return reply.body

    def has(self, name: str) -> bool:
        """Whether a name is owned on this bus."""
        names = self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames")[0]
        return name in names

    def start(
        self, *command: str, env: dict[str, str] | None = None, owns: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a service on this bus (its session and system bus); wait until it owns `owns`."""
        environment = {**os.environ, **(env or {})}
        environment.update(DBUS_SESSION_BUS_ADDRESS=self.address, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        proc = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.services.append(proc)
        if owns is not None:

            def owned() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(
                        f"{command[0]} exited with {proc.returncode}: {proc.stderr and proc.stderr.read()!r}"
                    )
                return self.has(owns)

            wait_for(owned, f"{owns} on the test bus", 30)
        return proc

    def stop(self) -> None:
        """Stop the services, then the daemon."""
        for proc in [*reversed(self.services), self.daemon]:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()


def start_bus(folder: Path, name: str) -> Bus:
    """A dbus-daemon (session configuration) on a socket in `folder`."""
    socket = folder / f"{name}.sock"
    address = f"unix:path={socket}"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--config-file=/usr/share/dbus-1/session.conf", f"--address={address}", "--nofork"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(socket.exists, f"the {name} bus socket")
    return Bus(address, daemon)


def start_logind(bus: Bus, session_id: str = "c1") -> str:
    """python-dbusmock's logind on `bus` (as the system bus) with one active session; its object path."""
    bus.start(SYSTEM_PYTHON, "-m", "dbusmock", "--template", "logind", owns=LOGIND)
    path = bus.call(
        LOGIND, "/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "AddSession", "ssusb",
        session_id, "seat0", os.getuid(), "tester", True,
    )[0]  # fmt: skip
    return str(path)


def set_locked_hint(bus: Bus, session_path: str, locked: bool) -> None:
    """Lock or unlock the mocked session (what a locker does through logind)."""
    bus.call(LOGIND, session_path, "org.freedesktop.login1.Session", "SetLockedHint", "b", locked)
