"""systemd-logind on the system bus (jeepney): whether this session's screen is locked, and who blocks idle.

Some lockers never start the X screen saver, and Wayland has no standard lock signal for clients,
but desktops that lock through logind set the session's `LockedHint` (GNOME, KDE, and lockers that
call SetLockedHint). It is read with one blocking call per AFK poll (a few hundred microseconds).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from jeepney import DBusAddress, DBusErrorResponse, MessageType, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from activitywatch.watchers.probes import IdleProbe, ProbeUnavailable

log = logging.getLogger(__name__)

LOGIND = "org.freedesktop.login1"
MANAGER = DBusAddress("/org/freedesktop/login1", bus_name=LOGIND, interface="org.freedesktop.login1.Manager")
SESSION_INTERFACE = "org.freedesktop.login1.Session"
CALL_TIMEOUT = 2.0


def call(conn: DBusConnection, address: DBusAddress, method: str, signature: str | None = None, *args: Any) -> Any:
    """One blocking method call; its reply's body (a DBusErrorResponse is raised for an error reply)."""
    reply = conn.send_and_get_reply(new_method_call(address, method, signature, args), timeout=CALL_TIMEOUT)
    if reply.header.message_type == MessageType.error:
        raise DBusErrorResponse(reply)
    return reply.body


class LogindSession:
    """This login session in logind: its lock hint, and logind's idle inhibitors."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        try:
            self._conn = open_dbus_connection(bus="SYSTEM")
        except Exception as exc:  # no system bus (containers, non-systemd systems): jeepney raises OSError and others
            raise ProbeUnavailable(f"the system bus cannot be reached ({exc})") from None
        try:
            self._path = self._find(environ)
            self._props = Properties(DBusAddress(self._path, bus_name=LOGIND, interface=SESSION_INTERFACE))
            self.locked()  # check once before it is used
        except (DBusErrorResponse, OSError, TimeoutError) as exc:
            self._conn.close()
            raise ProbeUnavailable(f"logind does not know this session ({exc})") from None

    def _find(self, environ: Mapping[str, str]) -> str:
        """The session's object path: from XDG_SESSION_ID, else from our process id."""
        session_id = environ.get("XDG_SESSION_ID")
        if session_id:
            return str(call(self._conn, MANAGER, "GetSession", "s", session_id)[0])
        return str(call(self._conn, MANAGER, "GetSessionByPID", "u", os.getpid())[0])

    @property
    def path(self) -> str:
        """The session's object path in logind."""
        return self._path

    def locked(self) -> bool:
        """Whether the session's screen is locked (LockedHint)."""
        reply = self._conn.send_and_get_reply(self._props.get("LockedHint"), timeout=CALL_TIMEOUT)
        if reply.header.message_type == MessageType.error:
            raise DBusErrorResponse(reply)
        return bool(reply.body[0][1])

    def idle_inhibited(self) -> bool:
        """Whether an application holds a logind inhibitor that blocks idle (a call, a video)."""
        inhibitors = call(self._conn, MANAGER, "ListInhibitors")[0]
        return any("idle" in what.split(":") and mode == "block" for what, _who, _why, mode, _uid, _pid in inhibitors)

    def close(self) -> None:
        """Close the system-bus connection."""
        self._conn.close()


class LockAwareIdleProbe:
    """An idle probe whose lock state also counts logind's LockedHint (for every backend, X11 included)."""

    def __init__(self, inner: IdleProbe, session: LogindSession) -> None:
        self.inner = inner
        self.session = session
        self._warned = False

    def idle(self) -> tuple[float, bool]:
        """(seconds since input, locked by the desktop's own probe or by logind)."""
        seconds, locked = self.inner.idle()
        if not locked:
            try:
                locked = self.session.locked()
            except (DBusErrorResponse, OSError, TimeoutError) as exc:
                if not self._warned:  # logind went away: keep the desktop's answer, say so once
                    log.warning("Cannot read the screen lock from logind any more: %s", exc)
                    self._warned = True
        return seconds, locked

    def close(self) -> None:
        """Close both."""
        try:
            self.inner.close()
        finally:
            self.session.close()
