"""A blocking session-bus connection for the desktop probes (jeepney), used from the watcher's own thread.

Signals and calls addressed to us are not read by a second thread: they wait in the socket until the
watcher's next sample drains them without blocking (`pending`), so an idle desktop costs nothing.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageType,
    message_bus,
    new_error,
    new_method_call,
    new_method_return,
)
from jeepney.io.blocking import open_dbus_connection

from activitywatch.watchers.probes import ProbeUnavailable

log = logging.getLogger(__name__)

CALL_TIMEOUT = 2.0
# D-Bus errors that mean "nobody answers at this address" rather than "the call went wrong"
ABSENT = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownMethod",
    "org.freedesktop.DBus.Error.UnknownInterface",
)


class DBusCallError(Exception):
    """A D-Bus call answered with an error (`name` is the D-Bus error name)."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}" if text else name)
        self.name = name
        self.text = text

    @property
    def absent(self) -> bool:
        """The service, object or method is not there (as opposed to a failure inside it)."""
        return self.name in ABSENT or "Object does not exist" in self.text


class DesktopBus:
    """One connection to a message bus: method calls, signal subscriptions and calls made to us."""

    def __init__(self, bus: str = "SESSION") -> None:
        try:
            self._conn = open_dbus_connection(bus)
        except (OSError, KeyError, ValueError, TimeoutError) as exc:
            where = "system" if bus == "SYSTEM" else "session"
            raise ProbeUnavailable(f"the {where} D-Bus cannot be reached ({exc})") from None
        self._queue: deque[Any] = deque(maxlen=1000)
        self._filters: list[Any] = []
        self.unique_name: str = self._conn.unique_name

    def call(  # noqa: PLR0917 - the parts of a D-Bus call, in D-Bus's order
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str = "",
        args: Sequence[Any] = (),
        timeout: float = CALL_TIMEOUT,
    ) -> tuple[Any, ...]:
        """Call a method and return its reply's values (DBusCallError when it answers with an error)."""
        message = new_method_call(DBusAddress(path, destination, interface), method, signature or None, tuple(args))
        reply = self._conn.send_and_get_reply(message, timeout=timeout)
        if reply.header.message_type == MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "unknown error")
            text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            raise DBusCallError(str(name), text)
        return tuple(reply.body)

    def subscribe(self, *, type: str, interface: str, member: str | None = None, path: str | None = None) -> None:
        """Keep messages matching this rule for `pending` (signals are also asked of the bus with AddMatch)."""
        rule = MatchRule(type=type, interface=interface, member=member, path=path)
        if type == "signal":
            self.call_bus(message_bus.AddMatch(rule))
        self._filters.append(self._conn.filter(rule, queue=self._queue))

    def call_bus(self, message: Any) -> tuple[Any, ...]:
        """Send a prepared message (for the bus daemon's own methods) and return its reply's values."""
        return tuple(self._conn.send_and_get_reply(message, timeout=CALL_TIMEOUT).body)

    def request_name(self, name: str) -> bool:
        """Own `name` on the bus unless someone else does (True when we now own it)."""
        primary_owner, already_owner = 1, 4
        do_not_queue = 4
        (result,) = self.call_bus(message_bus.RequestName(name, do_not_queue))
        return result in (primary_owner, already_owner)

    def pending(self) -> list[Any]:
        """The subscribed messages that arrived since the last look (reads without waiting)."""
        while True:
            try:
                self._conn.recv_messages(timeout=0)
            except TimeoutError:
                break
        messages = list(self._queue)
        self._queue.clear()
        return messages

    def reply(self, call: Any, signature: str | None = None, body: tuple[Any, ...] = ()) -> None:
        """Answer a method call made to us."""
        self._conn.send(new_method_return(call, signature, body))

    def reply_error(self, call: Any, name: str, text: str) -> None:
        """Answer a method call made to us with a D-Bus error."""
        self._conn.send(new_error(call, name, "s", (text,)))

    def close(self) -> None:
        """Close the connection (the bus drops our names and match rules with it)."""
        for handle in self._filters:
            handle.close()
        self._filters.clear()
        self._conn.close()


def member(message: Any) -> str:
    """A message's member name (method or signal)."""
    return str(message.header.fields.get(HeaderFields.member, ""))


def is_method_call(message: Any) -> bool:
    """Whether the message is a method call (as opposed to a signal)."""
    return bool(message.header.message_type == MessageType.method_call)
