"""Platform probes: seconds since the last input, screen lock, the active window.

Every platform library is imported inside the probe that needs it, when the watcher starts:
pynput and pywinctl raise at import time without a display (pywinctl even exits if `xrandr` is
missing). A probe that cannot work here raises ProbeUnavailable with a sentence for the user.
Only the fact that input happened is ever read, never what was typed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from activitywatch.watchers.window import ActiveWindow

log = logging.getLogger(__name__)


class ProbeUnavailable(Exception):
    """This probe cannot run on this machine; the message says why, for the user."""


class IdleProbe(Protocol):
    """Seconds since the last keyboard or mouse input, and whether the screen is locked."""

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, locked)."""
        ...

    def close(self) -> None:
        """Release what the probe holds."""
        ...


class WindowProbe(Protocol):
    """The active window."""

    def active(self) -> ActiveWindow | None:
        """The focused window, or None when there is none."""
        ...

    def close(self) -> None:
        """Release what the probe holds."""
        ...


def linux_session_problem(environ: Mapping[str, str]) -> str | None:
    """Why X11 probes cannot see this session (None when they can)."""
    if environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland":
        return (
            "this is a Wayland session, where apps cannot see other apps' windows or input; "
            "log in with an X11 session, or use a Wayland watcher such as awatcher"
        )
    if not environ.get("DISPLAY"):
        return "there is no display (DISPLAY is not set), so there is no input or window to watch"
    return None


# ------------------------------------------------------------------------------------------- X11


def open_x_display() -> Any:
    """A python-xlib connection to this session's X server (ProbeUnavailable with the reason if none)."""
    problem = linux_session_problem(os.environ)
    if problem:
        raise ProbeUnavailable(problem)
    try:
        from Xlib import display

        return display.Display()
    except Exception as exc:  # python-xlib raises many kinds on a bad display
        raise ProbeUnavailable(f"cannot connect to the X display {os.environ.get('DISPLAY')}: {exc}") from None


class X11IdleProbe:
    """Idle time from the MIT-SCREEN-SAVER extension (python-xlib); its state tells a blanked or
    locked screen."""

    def __init__(self) -> None:
        from Xlib.ext import screensaver

        self._display = open_x_display()
        if not self._display.has_extension("MIT-SCREEN-SAVER"):
            self._display.close()
            raise ProbeUnavailable("the X server has no screen-saver extension to tell idle time")
        self._screensaver = screensaver
        self._root = self._display.screen().root

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, screen saver or lock active)."""
        info = self._screensaver.query_info(self._root)
        return info.idle / 1000.0, info.state == self._screensaver.StateOn

    def close(self) -> None:
        """Close the X connection."""
        self._display.close()


class PynputIdleProbe:
    """Fallback: pynput keyboard and mouse listeners note the time of the last input (nothing else)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        problem = linux_session_problem(os.environ) if sys.platform.startswith("linux") else None
        if problem:
            raise ProbeUnavailable(problem)
        try:
            from pynput import keyboard, mouse
        except Exception as exc:  # pynput raises whatever its backend raises
            raise ProbeUnavailable(f"pynput cannot listen for input here: {exc}") from None
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

        def touched(*_: Any) -> None:
            with self._lock:
                self._last = self._clock()

        self._listeners = [
            keyboard.Listener(on_press=touched),
            mouse.Listener(on_move=touched, on_click=touched, on_scroll=touched),
        ]
        for listener in self._listeners:
            listener.daemon = True
            listener.start()

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, False: no lock information)."""
        with self._lock:
            return max(0.0, self._clock() - self._last), False

    def close(self) -> None:
        """Stop the listeners (without waiting: a stop can hang until the next input event)."""
        for listener in self._listeners:
            listener.stop()


class PyWinCtlWindowProbe:
    """The active window through pywinctl. On X11 the app name comes from the window's WM_CLASS (as
    aw-watcher-window reads it), else from the process (`/proc/<pid>/comm`): pywinctl's own getAppName
    spawns `ps` on every call and is empty for windows that do not announce their process."""

    def __init__(self) -> None:
        self._x11 = open_x_display() if sys.platform.startswith("linux") else None
        try:
            import pywinctl
        except (Exception, SystemExit) as exc:  # pywinctl exits when xrandr is missing
            raise ProbeUnavailable(f"pywinctl cannot read windows here: {exc!r}") from None
        self._pywinctl = pywinctl

    def active(self) -> ActiveWindow | None:
        """The focused window, or None."""
        window = self._pywinctl.getActiveWindow()
        if window is None:
            return None
        app = self._x11_app(window) if self._x11 is not None else _call(window.getAppName)
        return ActiveWindow(app=app or "unknown", title=window.title or "")

    def _x11_app(self, window: Any) -> str:
        assert self._x11 is not None
        try:
            wm_class = self._x11.create_resource_object("window", int(window.getHandle())).get_wm_class()
        except Exception:  # the window may be gone already
            wm_class = None
        if wm_class and (wm_class[1] or wm_class[0]):
            return str(wm_class[1] or wm_class[0])
        pid = _call(window.getPID)
        if pid:
            try:
                return Path(f"/proc/{int(pid)}/comm").read_text().strip()
            except (OSError, ValueError):
                pass
        return ""

    def close(self) -> None:
        """Close the X connection."""
        if self._x11 is not None:
            self._x11.close()


def _call(getter: Callable[[], Any]) -> Any:
    try:
        return getter()
    except Exception:  # a window that vanished between the calls
        return None


# ---------------------------------------------------------------------------------- Windows, macOS


class WindowsIdleProbe:
    """GetLastInputInfo (its 32-bit tick count wraps every 49.7 days: the difference is taken modulo 2**32)."""

    def __init__(self) -> None:
        class LastInputInfo(ctypes.Structure):
            _fields_ = (("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint))

        self._ctypes = ctypes
        self._info = LastInputInfo()
        self._info.cbSize = ctypes.sizeof(LastInputInfo)
        self._user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        self._kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, False)."""
        self._user32.GetLastInputInfo(self._ctypes.byref(self._info))
        ticks = self._kernel32.GetTickCount() & 0xFFFFFFFF
        return ((ticks - self._info.dwTime) & 0xFFFFFFFF) / 1000.0, False

    def close(self) -> None:
        """Nothing to release."""


class MacIdleProbe:
    """Quartz CGEventSourceSecondsSinceLastEventType for any input event type."""

    def __init__(self) -> None:
        path = ctypes.util.find_library("CoreGraphics") or ctypes.util.find_library("ApplicationServices")
        if not path:
            raise ProbeUnavailable("CoreGraphics was not found")
        quartz = ctypes.CDLL(path)
        self._seconds = quartz.CGEventSourceSecondsSinceLastEventType
        self._seconds.restype = ctypes.c_double
        self._seconds.argtypes = (ctypes.c_int32, ctypes.c_uint32)

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, False)."""
        combined_session_state, any_input_event = 0, 0xFFFFFFFF
        return float(self._seconds(combined_session_state, any_input_event)), False

    def close(self) -> None:
        """Nothing to release."""


def open_idle_probe() -> IdleProbe:
    """The best idle probe for this platform (ProbeUnavailable when none works)."""
    if sys.platform == "win32":
        return WindowsIdleProbe()
    if sys.platform == "darwin":
        return MacIdleProbe()
    try:
        return X11IdleProbe()
    except ProbeUnavailable as first:
        if linux_session_problem(os.environ):
            raise
        log.info("Idle time from the X screen saver is not available (%s); listening for input instead", first)
        return PynputIdleProbe()


def open_window_probe() -> WindowProbe:
    """The active-window probe (ProbeUnavailable when it cannot work here)."""
    return PyWinCtlWindowProbe()
