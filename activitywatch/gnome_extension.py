"""Installs our GNOME Shell extension for the user: the build that fits the shell, then enabled at next login.

GNOME Shell on Wayland reads extension folders only when it starts, so a new extension runs after the
user logs out and in again; nothing here can change that. Used by `activitywatch desktop
install-extension` and by the tray.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jeepney import DBusAddress, MessageType, Properties
from jeepney.io.blocking import open_dbus_connection

from activitywatch.assets import AssetMissing, resource
from activitywatch.core.errors import AwError

EXTENSION_UUID = "activitywatch@activitywatch.net"
SETTINGS_SCHEMA = "org.gnome.shell"
OLDEST_SUPPORTED = 43
FIRST_ESM = 45  # GNOME 45 replaced the extension format with ES modules
RELOGIN = "Log out and log in again: GNOME Shell on Wayland loads new extensions only when you log in."


class ExtensionInstallError(AwError):
    """The extension could not be installed; the message says why and what to do."""


@dataclass(frozen=True)
class Installed:
    """What `install_extension` did."""

    path: Path
    shell_version: str
    build: str  # "legacy" (GNOME 43-44) or "esm" (45 and later)
    newly_enabled: bool
    user_extensions_off: bool = False

    def sentence(self) -> str:
        """What to tell the user."""
        enabled = "enabled it" if self.newly_enabled else "it was already enabled"
        off = (
            " All user extensions are switched off on this computer (org.gnome.shell disable-user-extensions): "
            "turn them on in the Extensions app, or it will not run."
            if self.user_extensions_off
            else ""
        )
        return (
            f"Installed the ActivityWatch extension for GNOME Shell {self.shell_version} in {self.path} and "
            f"{enabled}.{off} {RELOGIN}"
        )


def user_data_dir() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share (where GNOME Shell looks for a user's extensions)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def extension_dir(data_home: Path) -> Path:
    """Where GNOME Shell looks for the user's copy of our extension."""
    return data_home / "gnome-shell" / "extensions" / EXTENSION_UUID


def running_shell_version() -> str | None:
    """The version of the GNOME Shell on this session bus, or None when none answers."""
    try:
        with open_dbus_connection("SESSION") as conn:
            shell = DBusAddress("/org/gnome/Shell", "org.gnome.Shell", "org.gnome.Shell")
            reply = conn.send_and_get_reply(Properties(shell).get("ShellVersion"), timeout=2.0)
    except (OSError, KeyError, ValueError, TimeoutError):
        return None
    if reply.header.message_type != MessageType.method_return:
        return None
    return str(reply.body[0][1])


def installed_shell_version() -> str | None:
    """The version `gnome-shell --version` reports, or None without GNOME Shell."""
    if shutil.which("gnome-shell") is None:
        return None
    try:
        out = subprocess.run(["gnome-shell", "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"(\d+(?:\.\w+)*)", out.stdout)
    return found.group(1) if found else None


def build_for(version: str) -> str:
    """Which of our two builds fits this shell version (ExtensionInstallError for one too old)."""
    try:
        major = int(version.split(".", maxsplit=1)[0])
    except ValueError:
        raise ExtensionInstallError(f"GNOME Shell reported a version that is not a number: {version!r}.") from None
    if major < OLDEST_SUPPORTED:
        raise ExtensionInstallError(
            f"GNOME Shell {version} is too old for the ActivityWatch extension (it needs {OLDEST_SUPPORTED} or later)."
        )
    return "legacy" if major < FIRST_ESM else "esm"


def _gsettings(*args: str) -> str:
    try:
        done = subprocess.run(["gsettings", *args], capture_output=True, text=True, timeout=20, check=False)
    except FileNotFoundError:
        raise ExtensionInstallError(
            "gsettings was not found, so the extension could not be enabled; enable it in the Extensions app."
        ) from None
    except subprocess.TimeoutExpired:
        raise ExtensionInstallError("gsettings did not answer; enable the extension in the Extensions app.") from None
    if done.returncode != 0:
        raise ExtensionInstallError(
            f"gsettings {args[0]} {' '.join(args[1:3])} failed ({done.stderr.strip()}); "
            "enable the extension in the Extensions app."
        )
    return done.stdout.strip()


def enable_at_login(uuid: str = EXTENSION_UUID) -> bool:
    """Add `uuid` to org.gnome.shell enabled-extensions, keeping the others (False when it was there)."""
    text = _gsettings("get", SETTINGS_SCHEMA, "enabled-extensions").removeprefix("@as ")
    try:
        enabled = [str(item) for item in ast.literal_eval(text)]
    except (ValueError, SyntaxError):
        raise ExtensionInstallError(f"gsettings printed a list it could not be read from: {text!r}.") from None
    if uuid in enabled:
        return False
    _gsettings("set", SETTINGS_SCHEMA, "enabled-extensions", repr([*enabled, uuid]))
    return True


def install_extension(data_home: Path | None = None, shell_version: str | None = None) -> Installed:
    """Copy the fitting build into the user's extension folder and enable it from the next login."""
    version = shell_version or running_shell_version() or installed_shell_version()
    if version is None:
        raise ExtensionInstallError("GNOME Shell is neither running nor installed, so there is nothing to extend.")
    build = build_for(version)
    try:
        source = resource("gnome-shell", build)
    except AssetMissing as exc:
        raise ExtensionInstallError(str(exc)) from None
    target = extension_dir(data_home or user_data_dir())
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("metadata.json", "extension.js"):
            shutil.copyfile(source / name, target / name)
    except OSError as exc:
        raise ExtensionInstallError(f"Could not write the extension to {target}: {exc.strerror or exc}.") from None
    newly_enabled = enable_at_login()
    user_extensions_off = _gsettings("get", SETTINGS_SCHEMA, "disable-user-extensions") == "true"
    return Installed(target, version, build, newly_enabled, user_extensions_off)


def is_gnome_session(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this looks like a GNOME session (for offering the tray entry)."""
    desktops = (environ if environ is not None else os.environ).get("XDG_CURRENT_DESKTOP", "")
    return "GNOME" in desktops.upper().split(":")
