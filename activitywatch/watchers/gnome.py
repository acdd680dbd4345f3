"""GNOME Shell on Wayland: the focused window from a shell extension, idle time from Mutter, the lock from
the shell's screen shield.

Mutter offers no protocol that tells other apps which window has focus, so a shell extension has to say
it. Two extensions are understood: ours (resources/gnome-shell, installed by `activitywatch desktop
install-extension`), which sends a signal when the focus or the title changes, and "Focused Window D-Bus"
(focused-window-dbus@flexagoon.com), which awatcher users already have and which is asked at every sample.
"""

from __future__ import annotations

import json
import logging

from activitywatch.gnome_extension import EXTENSION_UUID
from activitywatch.watchers.desktop_bus import DBusCallError, DesktopBus, member
from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow

log = logging.getLogger(__name__)

SHELL = "org.gnome.Shell"
OUR_PATH = "/net/activitywatch/FocusedWindow"
OUR_INTERFACE = "net.activitywatch.FocusedWindow"
AWATCHER_UUID = "focused-window-dbus@flexagoon.com"
AWATCHER_PATH = "/org/gnome/shell/extensions/FocusedWindow"
AWATCHER_INTERFACE = "org.gnome.shell.extensions.FocusedWindow"
IDLE_MONITOR = "org.gnome.Mutter.IdleMonitor"
IDLE_MONITOR_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
SCREENSAVER = "org.gnome.ScreenSaver"
SCREENSAVER_PATH = "/org/gnome/ScreenSaver"

INSTALL_HINT = "run `activitywatch desktop install-extension`, then log out and in again"
# org.gnome.Shell.Extensions states (js/misc/extensionUtils.js)
EXTENSION_STATES = {
    2: "is switched off (turn it on in the Extensions app)",
    3: "failed to load (the Extensions app shows the error)",
    4: "does not support this GNOME Shell version",
    6: "is installed but not running yet: log out and in again",
}


def window_from_json(text: str) -> ActiveWindow | None:
    """The window both extensions describe as JSON (`{}` when nothing has focus)."""
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("The GNOME Shell extension sent something that is not JSON: %.80r", text)
        return None
    if not isinstance(data, dict) or not data:
        return None
    # wm_class is the xdg-shell app id of Wayland clients and WM_CLASS of X11 ones: what the X11
    # watcher records. The shell's own app id ("org.gnome.Nautilus.desktop", or "window:N" when it
    # matched no .desktop file) is the fallback.
    app = str(data.get("wm_class") or "")
    if not app:
        app_id = str(data.get("app_id") or data.get("sandboxed_app_id") or "")
        app = "" if app_id.startswith("window:") else app_id.removesuffix(".desktop")
    return ActiveWindow(app=app or "unknown", title=str(data.get("title") or ""))


def extension_problem(bus: DesktopBus, uuid: str = EXTENSION_UUID) -> str:
    """Why the shell does not publish the focused window, as a sentence for the user."""
    try:
        (info,) = bus.call(SHELL, "/org/gnome/Shell", "org.gnome.Shell.Extensions", "GetExtensionInfo", "s", (uuid,))
    except DBusCallError as exc:
        if exc.absent:
            return "GNOME Shell does not answer on the session bus (is this a GNOME session?)"
        return f"GNOME Shell could not say whether its extension is running ({exc})"
    except TimeoutError:
        return "GNOME Shell does not answer on the session bus"
    state = info.get("state", ("d", 0.0))[1] if isinstance(info, dict) else 0
    if not info:
        return f"the ActivityWatch GNOME Shell extension is not installed; {INSTALL_HINT}"
    reason = EXTENSION_STATES.get(int(state), f"is not running (state {int(state)})")
    return f"the ActivityWatch GNOME Shell extension {reason}"


class GnomeExtensionWindowProbe:
    """The focused window from our extension: one call at start, then its Changed signals."""

    def __init__(self, bus: DesktopBus | None = None) -> None:
        self._bus = bus or DesktopBus()
        try:
            self._bus.subscribe(type="signal", interface=OUR_INTERFACE, member="Changed", path=OUR_PATH)
            (text,) = self._bus.call(SHELL, OUR_PATH, OUR_INTERFACE, "Get")
        except (DBusCallError, TimeoutError) as exc:
            problem = extension_problem(self._bus) if isinstance(exc, DBusCallError) and exc.absent else str(exc)
            self._bus.close()
            raise ProbeUnavailable(problem) from None
        self._window = window_from_json(text)

    def active(self) -> ActiveWindow | None:
        """The focused window, as of the last signal."""
        for message in self._bus.pending():
            if member(message) == "Changed" and message.body:
                self._window = window_from_json(message.body[0])
        return self._window

    def close(self) -> None:
        """Close the bus connection."""
        self._bus.close()


class FocusedWindowDbusProbe:
    """The focused window from the "Focused Window D-Bus" extension (asked at every sample)."""

    def __init__(self, bus: DesktopBus | None = None) -> None:
        self._bus = bus or DesktopBus()
        try:
            self._get()
        except (DBusCallError, TimeoutError) as exc:
            self._bus.close()
            raise ProbeUnavailable(f"the Focused Window D-Bus extension does not answer ({exc})") from None

    def _get(self) -> ActiveWindow | None:
        try:
            (text,) = self._bus.call(SHELL, AWATCHER_PATH, AWATCHER_INTERFACE, "Get")
        except DBusCallError as exc:
            if "No window in focus" in exc.text:  # what its older versions answer instead of "{}"
                return None
            raise
        return window_from_json(text)

    def active(self) -> ActiveWindow | None:
        """The focused window now."""
        return self._get()

    def close(self) -> None:
        """Close the bus connection."""
        self._bus.close()


def open_gnome_window_probe() -> GnomeExtensionWindowProbe | FocusedWindowDbusProbe:
    """Our extension's probe, else the Focused Window D-Bus one (ProbeUnavailable names what to do)."""
    try:
        return GnomeExtensionWindowProbe()
    except ProbeUnavailable as ours:
        try:
            probe = FocusedWindowDbusProbe()
        except ProbeUnavailable:
            raise ours from None
        log.info("Reading the focused window from the Focused Window D-Bus extension (%s)", ours)
        return probe


class GnomeIdleProbe:
    """Idle time from Mutter's IdleMonitor; the lock from org.gnome.ScreenSaver when the shell has one."""

    def __init__(self, bus: DesktopBus | None = None) -> None:
        self._bus = bus or DesktopBus()
        try:
            self._idle_ms()
        except (DBusCallError, TimeoutError) as exc:
            self._bus.close()
            raise ProbeUnavailable(f"Mutter's idle monitor does not answer on the session bus ({exc})") from None
        self._bus.subscribe(type="signal", interface=SCREENSAVER, member="ActiveChanged", path=SCREENSAVER_PATH)
        try:
            (active,) = self._bus.call(SCREENSAVER, SCREENSAVER_PATH, SCREENSAVER, "GetActive")
            self._locked = bool(active)
        except (DBusCallError, TimeoutError) as exc:
            # The shell exports it only with a screen shield (GDM and logind seats); logind tells the lock then.
            log.info("GNOME Shell has no screen shield to ask about the lock (%s)", exc)
            self._locked = False

    def _idle_ms(self) -> int:
        (ms,) = self._bus.call(IDLE_MONITOR, IDLE_MONITOR_PATH, IDLE_MONITOR, "GetIdletime")
        return int(ms)

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, screen locked)."""
        for message in self._bus.pending():
            if member(message) == "ActiveChanged" and message.body:
                self._locked = bool(message.body[0])
        return self._idle_ms() / 1000.0, self._locked

    def close(self) -> None:
        """Close the bus connection."""
        self._bus.close()
