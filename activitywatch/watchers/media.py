"""Media that keeps the user active: a playing MPRIS player or an application that blocks idle.

Asked only when input has been silent for the whole AFK timeout (so an active user costs nothing):
- MPRIS players (`org.mpris.MediaPlayer2.*` on the session bus, optionally narrowed by regexes on the
  bus name) whose `PlaybackStatus` is "Playing";
- idle inhibitors: GNOME's session manager (`IsInhibited(8)`, which also receives the browsers'
  org.freedesktop.ScreenSaver inhibits through gnome-settings-daemon), and logind's `ListInhibitors`
  entries that block "idle" (when logind is given).
Only the yes/no answer leaves this module: no title, artist, URL or player name is kept or stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Protocol

from jeepney import DBusAddress, DBusErrorResponse, Properties
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from activitywatch.watchers.logind import CALL_TIMEOUT, LogindSession, call
from activitywatch.watchers.probes import ProbeUnavailable

log = logging.getLogger(__name__)

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
MPRIS_PATH = "/org/mpris/MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
GNOME_SESSION = DBusAddress(
    "/org/gnome/SessionManager", bus_name="org.gnome.SessionManager", interface="org.gnome.SessionManager"
)
INHIBIT_IDLE = 8  # GsmInhibitorFlag: idle


class MediaProbe(Protocol):
    """Whether media or an application keeps the user active right now."""

    def active(self) -> bool:
        """True while something plays or blocks idle."""
        ...

    def close(self) -> None:
        """Release what the probe holds."""
        ...


class MediaActivity:
    """MPRIS players and idle inhibitors on the session bus (and logind's, when given)."""

    def __init__(self, players: Sequence[str] = (), logind: LogindSession | None = None) -> None:
        self.players = [re.compile(p) for p in players]
        self.logind = logind
        try:
            self._conn: DBusConnection = open_dbus_connection(bus="SESSION")
        except Exception as exc:  # no session bus: jeepney raises KeyError, OSError and others
            if logind is not None:
                logind.close()
            raise ProbeUnavailable(f"the session bus cannot be reached ({exc})") from None

    def _names(self) -> list[str]:
        reply = self._conn.send_and_get_reply(message_bus.ListNames(), timeout=CALL_TIMEOUT)
        return [str(n) for n in reply.body[0]]

    def _wanted(self, name: str) -> bool:
        if not name.startswith(MPRIS_PREFIX):
            return False
        return not self.players or any(p.search(name) for p in self.players)

    def playing(self, names: list[str]) -> bool:
        """Whether one of the wanted MPRIS players among these bus names is playing."""
        for name in names:
            if not self._wanted(name):
                continue
            props = Properties(DBusAddress(MPRIS_PATH, bus_name=name, interface=PLAYER_INTERFACE))
            try:
                reply = self._conn.send_and_get_reply(props.get("PlaybackStatus"), timeout=CALL_TIMEOUT)
            except TimeoutError:  # a hung player must not hang the watcher
                continue
            body = reply.body
            if body and isinstance(body[0], tuple) and body[0][1] == "Playing":
                return True
        return False

    def inhibited(self, names: list[str]) -> bool:
        """Whether an application blocks idle through GNOME's session manager or logind."""
        if GNOME_SESSION.bus_name in names:
            try:
                if call(self._conn, GNOME_SESSION, "IsInhibited", "u", INHIBIT_IDLE)[0]:
                    return True
            except (DBusErrorResponse, TimeoutError) as exc:
                log.debug("GNOME's session manager did not answer IsInhibited: %s", exc)
        if self.logind is not None:
            try:
                return self.logind.idle_inhibited()
            except (DBusErrorResponse, OSError, TimeoutError) as exc:
                log.debug("logind did not list its inhibitors: %s", exc)
        return False

    def active(self) -> bool:
        """True while a wanted player plays or an application blocks idle."""
        try:
            names = self._names()
        except (OSError, TimeoutError) as exc:
            log.warning("Cannot ask the session bus for media players: %s", exc)
            return False
        return self.playing(names) or self.inhibited(names)

    def close(self) -> None:
        """Close the bus connections."""
        self._conn.close()
        if self.logind is not None:
            self.logind.close()


def open_media_probe(players: Sequence[str] = ()) -> MediaProbe:
    """MPRIS players and idle inhibitors (logind's too when it can be reached)."""
    try:
        logind: LogindSession | None = LogindSession()
    except ProbeUnavailable as exc:
        log.info("Idle inhibitors are not read from logind: %s", exc)
        logind = None
    return MediaActivity(players, logind)
