"""uvicorn's httptools protocol, sending each response's head and body in one write.

uvicorn writes a response's head as soon as the app starts the response and its body when the app
sends it: two `send()` system calls, and on loopback each one wakes the client. For a heartbeat the
first of them was a third of the server's time (py-spy, merge path). Here the head waits for the
first piece of body (or the end of the response) and goes out with it: the bytes on the wire are the
same, in one segment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeadWithBody:
    """A transport for one response: holds the response's head until its body (or its end) is written."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        """Hold a response head (but never "100 Continue": the client waits for it); join it to what follows."""
        if self._head is not None:
            data, self._head = self._head + data, None
        elif data.endswith(b"\r\n\r\n") and data.startswith(b"HTTP/") and not data.startswith(b"HTTP/1.1 100 "):
            self._head = data
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send a head still held (a response without a body: HEAD, 204, 304)."""
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        """Send what is held, then close."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose responses go out as one write each."""

    def on_headers_complete(self) -> None:
        """Start the request as uvicorn does, with its response written through a `_HeadWithBody`."""
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is None or cycle.transport is not self.transport:  # an upgrade leaves the last cycle in place
            return
        held = _HeadWithBody(cycle.transport)
        cycle.transport = held  # type: ignore[assignment]  # duck-typed: write, close and the rest
        cycle.on_response = _flushing(held, cycle.on_response)


def _flushing(held: _HeadWithBody, then: Callable[[], None]) -> Callable[[], None]:
    def on_response() -> None:
        held.flush()
        then()

    return on_response
