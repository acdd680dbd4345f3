"""KDE Plasma (KWin 5.27 and 6) on Wayland: the active window from a KWin script, the lock from the screen locker.

KWin tells no other program which window is active, but it runs scripts: ours (resources/kwin) is loaded
over D-Bus when the watcher starts and calls our own D-Bus service on every activation and title change.
The calls wait in our bus connection until the watcher's next sample reads them, so nothing runs between.
Idle time on KDE Wayland comes from the Wayland idle protocol (the screen locker's
GetSessionIdleTime answers "not supported"); `KdeIdleProbe` adds the lock state to such a probe.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from activitywatch.assets import AssetMissing, resource
from activitywatch.watchers.desktop_bus import DBusCallError, DesktopBus, is_method_call, member
from activitywatch.watchers.probes import IdleProbe, ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow

log = logging.getLogger(__name__)

KWIN = "org.kde.KWin"
SCRIPTING_PATH = "/Scripting"
SCRIPTING = "org.kde.kwin.Scripting"
SCRIPT = "org.kde.kwin.Script"
PLUGIN_NAME = "activitywatch-sp"
# the names resources/kwin/activitywatch.js calls
SERVICE = "net.activitywatch.KWinWatcher"
SERVICE_PATH = "/net/activitywatch/KWinWatcher"
SERVICE_INTERFACE = "net.activitywatch.KWinWatcher"
SCREENSAVER = "org.freedesktop.ScreenSaver"
NOBODY = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")


def _text(value: Any) -> str:
    # KWin 5 may hand resourceClass over as a byte array when a script passes it on unconverted
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def script_paths(script_id: int) -> tuple[str, str]:
    """Where KWin puts a loaded script's object: KWin 6 first, then KWin 5."""
    return f"/Scripting/Script{script_id}", f"/{script_id}"


class KWinWindowProbe:
    """The active window, as our KWin script reports it to our D-Bus service."""

    def __init__(self, bus: DesktopBus | None = None, script: Path | None = None) -> None:
        self._bus = bus or DesktopBus()
        self._window: ActiveWindow | None = None
        self._loaded = False
        try:
            self._start(script)
        except ProbeUnavailable:
            self.close()
            raise

    def _start(self, script: Path | None) -> None:
        # Our service exists before the script runs, so its first call (the window active now) arrives.
        if not self._bus.request_name(SERVICE):
            raise ProbeUnavailable(
                f"another program already owns {SERVICE} on the session bus (is ActivityWatch running twice?)"
            )
        self._bus.subscribe(type="method_call", interface=SERVICE_INTERFACE, path=SERVICE_PATH)
        try:
            path = script or resource("kwin", "activitywatch.js")
        except AssetMissing as exc:
            raise ProbeUnavailable(str(exc)) from None
        try:
            (loaded,) = self._scripting("isScriptLoaded", "s", (PLUGIN_NAME,))
            if loaded:  # left behind by an ActivityWatch that did not stop cleanly
                self._scripting("unloadScript", "s", (PLUGIN_NAME,))
            (script_id,) = self._scripting("loadScript", "ss", (str(path), PLUGIN_NAME))
        except DBusCallError as exc:
            if exc.name in NOBODY:
                raise ProbeUnavailable(
                    "KWin does not answer on the session bus (is this a KDE Plasma session?)"
                ) from None
            if exc.absent:
                raise ProbeUnavailable(f"KWin offers no scripting interface on D-Bus ({exc})") from None
            raise ProbeUnavailable(f"KWin could not load the ActivityWatch script ({exc})") from None
        except TimeoutError:
            raise ProbeUnavailable("KWin does not answer on the session bus") from None
        if script_id < 0:
            raise ProbeUnavailable(f"KWin refused to load the ActivityWatch script {path}")
        self._loaded = True
        self._run(int(script_id))

    def _scripting(self, method: str, signature: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._bus.call(KWIN, SCRIPTING_PATH, SCRIPTING, method, signature, args)

    def _run(self, script_id: int) -> None:
        for path in script_paths(script_id):
            try:
                self._bus.call(KWIN, path, SCRIPT, "run")
                log.info("KWin runs the ActivityWatch script (%s)", path)
                return
            except DBusCallError as exc:
                if not exc.absent:
                    raise ProbeUnavailable(f"KWin could not run the ActivityWatch script ({exc})") from None
        raise ProbeUnavailable("KWin loaded the ActivityWatch script but offers no object to run it")

    def active(self) -> ActiveWindow | None:
        """The active window, as of the script's last call."""
        for call in self._bus.pending():
            if not is_method_call(call):
                continue
            if member(call) != "NotifyActiveWindow" or len(call.body) != 3:
                self._bus.reply_error(call, "org.freedesktop.DBus.Error.UnknownMethod", "only NotifyActiveWindow(sss)")
                continue
            caption, resource_class, resource_name = (_text(value) for value in call.body)
            app = resource_class or resource_name
            self._window = ActiveWindow(app=app, title=caption) if app or caption else None
            self._bus.reply(call)
        return self._window

    def close(self) -> None:
        """Unload the script and leave the bus (which frees our service name)."""
        if self._loaded:
            try:
                self._scripting("unloadScript", "s", (PLUGIN_NAME,))
            except (DBusCallError, TimeoutError, OSError) as exc:
                log.info("Could not unload the ActivityWatch KWin script: %s", exc)
            self._loaded = False
        self._bus.close()


class KdeIdleProbe:
    """Idle time from another probe (the Wayland idle protocol), the lock from KDE's screen locker."""

    def __init__(self, idle_probe: IdleProbe, bus: DesktopBus | None = None) -> None:
        self._inner = idle_probe
        self._bus = bus or DesktopBus()
        self._bus.subscribe(type="signal", interface=SCREENSAVER, member="ActiveChanged")
        try:
            (active,) = self._bus.call(SCREENSAVER, "/ScreenSaver", SCREENSAVER, "GetActive")
            self._locked = bool(active)
        except (DBusCallError, TimeoutError) as exc:
            log.info("KDE's screen locker does not answer (%s); the lock is read from logind only", exc)
            self._locked = False

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, screen locked)."""
        for message in self._bus.pending():
            if member(message) == "ActiveChanged" and message.body:
                self._locked = bool(message.body[0])
        seconds, locked = self._inner.idle()
        return seconds, locked or self._locked

    def close(self) -> None:
        """Close the bus connection and the inner probe."""
        self._bus.close()
        self._inner.close()
