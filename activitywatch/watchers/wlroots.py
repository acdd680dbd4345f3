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
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QSocketNotifier, QThread

from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow

log = logging.getLogger(__name__)

ACTIVATED = 2  # zwlr_foreign_toplevel_handle_v1.state.activated
IDLE_RESOLUTION = 5.0  # seconds of silence before the compositor tells us (the idle time's granularity)
# pywayland is not made for several connections or threads: it keeps class-wide tables of live
# proxies and gives an object announced by an event (a new window) the first connection it finds.
# So the process has one connection per compositor, shared by the AFK and window watchers, and every
# use of pywayland holds this lock (each use is short and never waits for the compositor).
PYWAYLAND = threading.RLock()
_SHARED: dict[str, tuple[WaylandConnection, int]] = {}  # socket path -> (connection, users)


def socket_path(environ: Mapping[str, str]) -> str:
    """The compositor's socket: WAYLAND_DISPLAY (a name in XDG_RUNTIME_DIR, or a path)."""
    name = environ.get("WAYLAND_DISPLAY") or "wayland-0"
    return name if name.startswith("/") else os.path.join(environ.get("XDG_RUNTIME_DIR", ""), name)


def open_connection(environ: Mapping[str, str] = os.environ) -> WaylandConnection:
    """The process's connection to the session's compositor (opened by the first user)."""
    path = socket_path(environ)
    with PYWAYLAND:
        connection, users = _SHARED.get(path) or (None, 0)
        if connection is None:
            connection = WaylandConnection(path)
        _SHARED[path] = (connection, users + 1)
        return connection


class WaylandConnection:
    """A client connection to a compositor and the globals it advertises (get it with `open_connection`)."""

    def __init__(self, path: str) -> None:
        from pywayland.client.display import Display

        self.path = path
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

    def bind(self, interface: Any, version: int) -> Any:
        """Bind a global at the highest version both sides know (it must be advertised)."""
        name, offered = self.globals[interface.name]
        return self.registry.bind(name, interface, min(offered, version, interface.version))

    def pump(self) -> None:
        """Handle every event that has arrived, without waiting for more."""
        with PYWAYLAND:
            try:
                self.display.flush()
                self.display.dispatch()  # what is already queued
                while select.select([self.display.get_fd()], [], [], 0)[0]:
                    self.display.dispatch(block=True)  # readable: reads without waiting, then dispatches
            except RuntimeError as exc:  # pywayland's way of saying the connection broke
                raise OSError(f"the connection to the Wayland compositor broke: {exc}") from None

    def roundtrip(self) -> None:
        """Wait until the compositor has answered every request so far."""
        with PYWAYLAND:
            self.display.roundtrip()

    def release(self) -> None:
        """One user less; the last one disconnects."""
        with PYWAYLAND:
            connection, users = _SHARED.get(self.path, (None, 0))
            if connection is self and users > 1:
                _SHARED[self.path] = (self, users - 1)
                return
            if connection is self:
                del _SHARED[self.path]
            self.display.disconnect()
            # pywayland finds the connection of a new object through its table of live registries: a
            # disconnected one left there until the garbage collector comes would receive the next
            # connection's windows, which then outlive it and crash the process when collected.
            table = type(self.registry).interface.registry
            for key, proxy in list(table.items()):
                if proxy is self.registry:
                    del table[key]


class EventWatch:
    """Dispatches a connection's events as they arrive, on the current thread's Qt event loop (if any)."""

    def __init__(self, connection: WaylandConnection) -> None:
        self.connection = connection
        self.notifier: QSocketNotifier | None = None
        thread = QThread.currentThread()
        if thread is not None and thread.eventDispatcher() is not None:  # a Qt event loop runs here
            self.notifier = QSocketNotifier(connection.display.get_fd(), QSocketNotifier.Type.Read)
            self.notifier.activated.connect(self._on_notifier_activated)

    def _on_notifier_activated(self) -> None:
        try:
            self.connection.pump()
        except OSError as exc:  # the next poll reports it; stop listening to a dead socket
            log.warning("%s", exc)
            self.stop()

    def stop(self) -> None:
        """Stop watching."""
        if self.notifier is not None:
            self.notifier.setEnabled(False)
            self.notifier.deleteLater()
            self.notifier = None


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

        self.wayland = open_connection(environ)
        with PYWAYLAND:
            if ZwlrForeignToplevelManagerV1.name not in self.wayland.globals:
                self.wayland.release()
                raise ProbeUnavailable("the compositor does not offer wlr-foreign-toplevel-management")
            self.toplevels: dict[int, tuple[Any, Toplevel]] = {}
            self.manager = self.wayland.bind(ZwlrForeignToplevelManagerV1, 3)
            self.manager.dispatcher["toplevel"] = self._on_toplevel
            self.wayland.roundtrip()  # every window's title, app id and state arrive now
        self.watch = EventWatch(self.wayland)

    def _on_toplevel(self, _manager: Any, handle: Any) -> None:
        window = Toplevel()
        self.toplevels[id(handle)] = (handle, window)
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
        with PYWAYLAND:
            for _handle, window in self.toplevels.values():
                if window.active:
                    return ActiveWindow(app=window.app_id or "unknown", title=window.title)
        return None

    def close(self) -> None:
        """Stop listening, let the windows go, and release the connection."""
        self.watch.stop()
        with PYWAYLAND:
            if not self.wayland.display.destroyed:
                # every proxy is destroyed here, under the lock: one left to the garbage collector is
                # freed on whatever thread collects it, racing the other watcher's dispatching
                for handle, _window in self.toplevels.values():
                    handle.destroy()
                self.manager.stop()
                self.manager.destroy()  # (the `finished` that answers `stop` is dropped by libwayland)
            self.toplevels.clear()
        self.wayland.release()


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

        self.wayland = open_connection(environ)
        self.resolution = resolution
        self.clock = clock
        with PYWAYLAND:
            globals_ = self.wayland.globals
            if WlSeat.name not in globals_:
                self.wayland.release()
                raise ProbeUnavailable("the compositor has no seat (no keyboard or mouse to watch)")
            timeout_ms = max(1, round(resolution * 1000))
            if ExtIdleNotifierV1.name in globals_:
                self.protocol = ExtIdleNotifierV1.name
                self.seat = self.wayland.bind(WlSeat, 1)
                self.notifier = self.wayland.bind(ExtIdleNotifierV1, 1)
                self.notification = self.notifier.get_idle_notification(timeout_ms, self.seat)
                idled, resumed = "idled", "resumed"
            elif OrgKdeKwinIdle.name in globals_:
                self.protocol = OrgKdeKwinIdle.name
                self.seat = self.wayland.bind(WlSeat, 1)
                self.notifier = self.wayland.bind(OrgKdeKwinIdle, 1)
                self.notification = self.notifier.get_idle_timeout(self.seat, timeout_ms)
                idled, resumed = "idle", "resumed"
            else:
                self.wayland.release()
                raise ProbeUnavailable("the compositor offers neither ext-idle-notify-v1 nor org_kde_kwin_idle")
            self._since = clock()  # the last `resumed` (or the start): input came at most `resolution` later
            self._idle_since: float | None = None  # the last `idled`, while idle
            self.notification.dispatcher[idled] = self._on_idled
            self.notification.dispatcher[resumed] = self._on_resumed
            self.wayland.roundtrip()
        self.watch = EventWatch(self.wayland)

    def _on_idled(self, _notification: Any) -> None:
        self._idle_since = self.clock()

    def _on_resumed(self, _notification: Any) -> None:
        self._idle_since = None
        self._since = self.clock()

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, False: the lock comes from logind)."""
        self.wayland.pump()
        with PYWAYLAND:
            now = self.clock()
            if self._idle_since is not None:
                return self.resolution + now - self._idle_since, False
            return min(now - self._since, self.resolution), False

    def close(self) -> None:
        """Stop listening, drop the notification and release the connection."""
        self.watch.stop()
        with PYWAYLAND:
            if not self.wayland.display.destroyed:
                release = getattr(self.notification, "release", None)  # KDE's destructor; ext's is destroy
                (release or self.notification.destroy)()
                self.notifier.destroy()  # (no destructor request in version 1: the proxy only)
                self.seat.destroy()
        self.wayland.release()


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
