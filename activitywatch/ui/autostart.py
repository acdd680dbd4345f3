"""Start at login: an XDG autostart entry on Linux, a LaunchAgent on macOS, the Run key on Windows."""

from __future__ import annotations

import importlib
import logging
import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

ENTRY_NAME = "activitywatch"
LABEL = "net.activitywatch.single-process"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "ActivityWatch"


def launch_command(extra: Sequence[str] = ()) -> list[str]:
    """How to start this app again: the frozen executable, or this Python running the package."""
    base = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "activitywatch"]
    return [*base, *extra]


class Autostart(Protocol):
    """An OS's way of starting the app at login."""

    location: str  # where the entry is, for messages

    def enabled(self) -> bool:
        """Whether the entry exists."""
        ...

    def set_enabled(self, enabled: bool) -> None:
        """Write or remove the entry (OSError when that fails)."""
        ...


def _desktop_quote(arg: str) -> str:
    """An argument of a desktop entry's Exec key (quoted when needed, as the specification says)."""
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`="):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


class XdgAutostart:
    """`$XDG_CONFIG_HOME/autostart/activitywatch.desktop` (freedesktop.org autostart specification)."""

    def __init__(self, command: Sequence[str], config_home: Path, icon: Path | None = None) -> None:
        self.command = list(command)
        self.path = config_home / "autostart" / f"{ENTRY_NAME}.desktop"
        self.location = str(self.path)
        self.icon = icon

    def entry(self) -> str:
        """The desktop entry's text."""
        exec_line = " ".join(_desktop_quote(a).replace("%", "%%") for a in self.command)
        lines = [
            "[Desktop Entry]",
            "Type=Application",
            "Name=ActivityWatch",
            "Comment=Tracks what you do on your computer, privately",
            f"Exec={exec_line}",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
        ]
        if self.icon is not None:
            lines.append(f"Icon={self.icon}")
        return "\n".join(lines) + "\n"

    def enabled(self) -> bool:
        """Whether the entry exists."""
        return self.path.is_file()

    def set_enabled(self, enabled: bool) -> None:
        """Write or remove the entry."""
        if not enabled:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(self.entry(), encoding="utf-8")
        os.replace(tmp, self.path)


class LaunchAgent:
    """`~/Library/LaunchAgents/net.activitywatch.single-process.plist` (launchd runs it at login)."""

    def __init__(self, command: Sequence[str], home: Path) -> None:
        self.command = list(command)
        self.path = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        self.location = str(self.path)

    def enabled(self) -> bool:
        """Whether the agent exists."""
        return self.path.is_file()

    def set_enabled(self, enabled: bool) -> None:
        """Write or remove the agent."""
        if not enabled:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"Label": LABEL, "ProgramArguments": self.command, "RunAtLoad": True, "ProcessType": "Interactive"}
        with open(self.path, "wb") as f:
            plistlib.dump(doc, f)


class Registry(Protocol):
    """The one registry key the Run entry lives in (winreg on Windows)."""

    def get(self, name: str) -> str | None:
        """The value, or None."""
        ...

    def set(self, name: str, value: str) -> None:
        """Write a string value."""
        ...

    def delete(self, name: str) -> None:
        """Remove the value if it is there."""
        ...


class WinRegistryRun:
    """HKEY_CURRENT_USER\\...\\Run through winreg (imported only on Windows)."""

    def __init__(self) -> None:
        self.winreg: Any = importlib.import_module("winreg")

    def get(self, name: str) -> str | None:
        """The value, or None."""
        try:
            with self.winreg.OpenKey(self.winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return str(self.winreg.QueryValueEx(key, name)[0])
        except FileNotFoundError:
            return None

    def set(self, name: str, value: str) -> None:
        """Write a string value."""
        with self.winreg.CreateKey(self.winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            self.winreg.SetValueEx(key, name, 0, self.winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        """Remove the value if it is there."""
        try:
            with self.winreg.OpenKey(self.winreg.HKEY_CURRENT_USER, RUN_KEY, 0, self.winreg.KEY_SET_VALUE) as key:
                self.winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


class RunKey:
    """The `ActivityWatch` value of the current user's Run key (Windows)."""

    def __init__(self, command: Sequence[str], registry: Registry) -> None:
        self.command = list(command)
        self.registry = registry
        self.location = f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"

    def enabled(self) -> bool:
        """Whether the value exists."""
        return self.registry.get(RUN_VALUE) is not None

    def set_enabled(self, enabled: bool) -> None:
        """Write or remove the value."""
        if enabled:
            self.registry.set(RUN_VALUE, subprocess.list2cmdline(self.command))
        else:
            self.registry.delete(RUN_VALUE)


def autostart_for(
    command: Sequence[str],
    *,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    icon: Path | None = None,
) -> Autostart:
    """This OS's autostart entry for `command` (folders taken from `environ`, so tests use a temporary home)."""
    home = Path(environ.get("HOME") or Path.home())
    if platform == "darwin":
        return LaunchAgent(command, home)
    if platform == "win32":
        return RunKey(command, WinRegistryRun())
    config_home = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else home / ".config"
    return XdgAutostart(command, config_home, icon)
