"""Wayland compositors that share their windows and idle state with clients (sway, Hyprland, river,
labwc, Wayfire; KWin for idle): pywayland, plus sway's IPC as a fallback for the window.

- The active window: `zwlr_foreign_toplevel_manager_v1` sends every window's app id, title and state;
  the window whose last state holds `activated` has the focus. Changes are applied on `done`.
- Idle: `ext_idle_notifier_v1` (newer compositors) or `org_kde_kwin_idle` (sway 1.7, KWin), whichever
  is advertised, sends `idled` after `resolution` seconds without input and `resumed` on the next input.

Both are event driven: on a watcher's thread a QSocketNotifier dispatches events as they arrive (so
`idled` and `resumed` are timed when they happen, not at the next poll), and each poll reads what is
left on the socket without waiting; a quiet desktop costs no round trips to the compositor.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QSocketNotifier, QThread

from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow

log = logging.getLogger(__name__)

ACTIVATED = 2  # zwlr_foreign_toplevel_handle_v1.state.activated
IDLE_RESOLUTION = 5.0  # seconds of silence before the compositor tells us (the idle time's granularity)


class WaylandConnection:
    """A client connection to the session's compositor and the globals it advertises."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        from pywayland.client.display import Display

        name = environ.get("WAYLAND_DISPLAY") or "wayland-0"
        runtime = environ.get("XDG_RUNTIME_DIR", "")
        path = name if name.startswith("/") else os.path.join(runtime, name)
        self.display = Display(path)
        try:
            self.display.connect()
        except Exception as exc:  # pywayland raises ValueError/RuntimeError when the socket is missing
            raise ProbeUnavailable(f"cannot connect to the Wayland compositor at {path}: {exc}") from None
        self.registry = self.display.get_registry()
        self.globals: dict[str, tuple[int, int]] = {}

        def on_global(_registry: Any, name: int, interface: str, version: int) -> None:
            self.globals[interface] = (name, version)

        self.registry.dispatcher["global"] = on_global
        self.display.roundtrip()
        self.notifier: QSocketNotifier | None = None
        thread = QThread.currentThread()
        if thread is not None and thread.eventDispatcher() is not None:  # a Qt event loop runs here
            self.notifier = QSocketNotifier(self.display.get_fd(), QSocketNotifier.Type.Read)
            self.notifier.activated.connect(self._on_notifier_activated)

    def _on_notifier_activated(self) -> None:
        try:
            self.pump()
        except OSError as exc:  # the next poll reports it; stop listening to a dead socket
            log.warning("%s", exc)
            if self.notifier is not None:
                self.notifier.setEnabled(False)

    def bind(self, interface: Any, version: int) -> Any:
        """Bind a global at the highest version both sides know (it must be advertised)."""
        name, offered = self.globals[interface.name]
        return self.registry.bind(name, interface, min(offered, version, interface.version))

    def pump(self) -> None:
        """Handle every event that has arrived, without waiting for more."""
        try:
            self.display.flush()
            self.display.dispatch()  # what is already queued
            while select.select([self.display.get_fd()], [], [], 0)[0]:
                self.display.dispatch(block=True)  # readable: reads without waiting, then dispatches
        except RuntimeError as exc:  # pywayland's way of saying the connection broke
            raise OSError(f"the connection to the Wayland compositor broke: {exc}") from None

    def close(self) -> None:
        """Disconnect."""
        if self.notifier is not None:
            self.notifier.setEnabled(False)
            self.notifier.deleteLater()
        self.display.disconnect()


class Toplevel:
    """One window as the compositor describes it; `pending` becomes current on `done`."""

    def __init__(self) -> None:
        self.app_id = ""
        self.title = ""
        self.active = False
        self.pending: dict[str, Any] = {}


class WlrWindowProbe:
    """The activated window from wlr-foreign-toplevel-management (app id and title)."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        from activitywatch.watchers.wlproto.wlr_foreign_toplevel_management_unstable_v1 import (
            ZwlrForeignToplevelManagerV1,
        )

        self.wayland = WaylandConnection(environ)
        if ZwlrForeignToplevelManagerV1.name not in self.wayland.globals:
            self.wayland.close()
            raise ProbeUnavailable("the compositor does not offer wlr-foreign-toplevel-management")
        self.toplevels: dict[int, Toplevel] = {}
        self.manager = self.wayland.bind(ZwlrForeignToplevelManagerV1, 3)
        self.manager.dispatcher["toplevel"] = self._on_toplevel
        self.wayland.display.roundtrip()  # every window's title, app id and state arrive now

    def _on_toplevel(self, _manager: Any, handle: Any) -> None:
        window = self.toplevels[id(handle)] = Toplevel()
        handle.dispatcher["title"] = lambda _h, title: window.pending.__setitem__("title", title)
        handle.dispatcher["app_id"] = lambda _h, app_id: window.pending.__setitem__("app_id", app_id)
        handle.dispatcher["state"] = lambda _h, state: window.pending.__setitem__("active", is_activated(state))
        handle.dispatcher["done"] = lambda _h: self._on_done(window)
        handle.dispatcher["closed"] = self._on_closed

    @staticmethod
    def _on_done(window: Toplevel) -> None:
        for key, value in window.pending.items():
            setattr(window, key, value)
        window.pending.clear()

    def _on_closed(self, handle: Any) -> None:
        self.toplevels.pop(id(handle), None)
        handle.destroy()

    def active(self) -> ActiveWindow | None:
        """The focused window, or None."""
        self.wayland.pump()
        for window in self.toplevels.values():
            if window.active:
                return ActiveWindow(app=window.app_id or "unknown", title=window.title)
        return None

    def close(self) -> None:
        """Disconnect."""
        self.wayland.close()


def is_activated(state: bytes | list[int]) -> bool:
    """Whether a toplevel's state array (native uint32s; pywayland hands over bytes) holds `activated`."""
    values = state if isinstance(state, list) else struct.unpack(f"={len(state) // 4}I", state[: len(state) // 4 * 4])
    return ACTIVATED in values


class WaylandIdleProbe:
    """Idle time from the compositor's idle notifications (ext-idle-notify-v1 or org_kde_kwin_idle).

    The compositor says only "idle for `resolution` s" and "input again", so while input keeps coming
    the idle time is the time since the last `resumed` (at most `resolution`), and after `idled` it is
    `resolution` plus the time since. Idle inhibitors (a video playing) hold `idled` back, as they
    hold back the screen saver.
    """

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        resolution: float = IDLE_RESOLUTION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from pywayland.protocol.ext_idle_notify_v1 import ExtIdleNotifierV1
        from pywayland.protocol.wayland import WlSeat

        from activitywatch.watchers.wlproto.idle import OrgKdeKwinIdle

        self.wayland = WaylandConnection(environ)
        self.resolution = resolution
        self.clock = clock
        globals_ = self.wayland.globals
        if WlSeat.name not in globals_:
            self.wayland.close()
            raise ProbeUnavailable("the compositor has no seat (no keyboard or mouse to watch)")
        seat = self.wayland.bind(WlSeat, 1)
        timeout_ms = max(1, round(resolution * 1000))
        if ExtIdleNotifierV1.name in globals_:
            self.protocol = ExtIdleNotifierV1.name
            self.notification = self.wayland.bind(ExtIdleNotifierV1, 1).get_idle_notification(timeout_ms, seat)
            idled, resumed = "idled", "resumed"
        elif OrgKdeKwinIdle.name in globals_:
            self.protocol = OrgKdeKwinIdle.name
            self.notification = self.wayland.bind(OrgKdeKwinIdle, 1).get_idle_timeout(seat, timeout_ms)
            idled, resumed = "idle", "resumed"
        else:
            self.wayland.close()
            raise ProbeUnavailable("the compositor offers neither ext-idle-notify-v1 nor org_kde_kwin_idle")
        self._since = clock()  # the last `resumed` (or the start): input came at most `resolution` later
        self._idle_since: float | None = None  # the last `idled`, while idle
        self.notification.dispatcher[idled] = self._on_idled
        self.notification.dispatcher[resumed] = self._on_resumed
        self.wayland.display.roundtrip()

    def _on_idled(self, _notification: Any) -> None:
        self._idle_since = self.clock()

    def _on_resumed(self, _notification: Any) -> None:
        self._idle_since = None
        self._since = self.clock()

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, False: the lock comes from logind)."""
        self.wayland.pump()
        now = self.clock()
        if self._idle_since is not None:
            return self.resolution + now - self._idle_since, False
        return min(now - self._since, self.resolution), False

    def close(self) -> None:
        """Disconnect."""
        self.wayland.close()


# ------------------------------------------------------------------------------ sway IPC (fallback)

IPC_MAGIC = b"i3-ipc"
GET_TREE = 4


class SwayIpcWindowProbe:
    """The focused window from sway's IPC (`get_tree`, one request per poll): for a sway whose
    wlr-foreign-toplevel-management is unavailable. Xwayland windows give their WM_CLASS."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        path = environ.get("SWAYSOCK")
        if not path:
            raise ProbeUnavailable("SWAYSOCK is not set, so sway's IPC cannot be found")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(5)
        try:
            self._sock.connect(path)
            self.active()  # check once before it is used
        except (OSError, ValueError) as exc:
            self._sock.close()
            raise ProbeUnavailable(f"cannot talk to sway at {path}: {exc}") from None

    def _request(self, kind: int) -> Any:
        self._sock.sendall(IPC_MAGIC + struct.pack("=II", 0, kind))
        header = self._read(len(IPC_MAGIC) + 8)
        if not header.startswith(IPC_MAGIC):
            raise ValueError("not an i3/sway IPC reply")
        length, _kind = struct.unpack("=II", header[len(IPC_MAGIC) :])
        return json.loads(self._read(length))

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise OSError("sway closed the IPC connection")
            data += chunk
        return data

    def active(self) -> ActiveWindow | None:
        """The focused window, or None."""
        stack = [self._request(GET_TREE)]
        while stack:
            node = stack.pop()
            if node.get("focused") and node.get("pid"):
                props = node.get("window_properties") or {}
                app = node.get("app_id") or props.get("class") or "unknown"
                return ActiveWindow(app=str(app), title=str(node.get("name") or ""))
            stack.extend(node.get("nodes", []))
            stack.extend(node.get("floating_nodes", []))
        return None

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()
