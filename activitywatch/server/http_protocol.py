"""uvicorn's httptools protocol, sending each response's head and body in one write, and heartbeats eagerly.

uvicorn writes a response's head as soon as the app starts the response and its body when the app
sends it: two `send()` system calls, and on loopback each one wakes the client. For a heartbeat the
first of them was a third of the server's time (py-spy, merge path). Here the head waits for the
first piece of body (or the end of the response) and goes out with it: the bytes on the wire are the
same, in one segment.

Heartbeats (see `EagerRequest`) skip uvicorn's per-request task, its request/response cycle object
and its event: once the whole request is in, the same ASGI app runs right in the protocol's callback
and its answer is written as uvicorn would write it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE, STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("uvicorn.error")  # where uvicorn logs a failing app

EAGER_PREFIX = b"/api/0/buckets/"
EAGER_SUFFIX = b"/heartbeat"
EAGER_MAX_BODY = 64 * 1024  # a larger heartbeat takes uvicorn's way (its body arrives in pieces)


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
    """HttpToolsProtocol whose responses go out as one write each, and which runs heartbeats eagerly.

    `eager_lock` (the store's write lock) is held while a heartbeat runs eagerly, so the store call
    runs inline and nothing in the request waits; set it with `with_eager_lock`.
    """

    eager_lock: Any = None
    eager_runs = 0  # requests run eagerly, over all connections of the class `with_eager_lock` made

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._eager: EagerRequest | None = None

    @classmethod
    def with_eager_lock(cls, lock: Any) -> type[CoalescingHttpToolsProtocol]:
        """This protocol with heartbeats run eagerly under `lock` (None: never eagerly)."""
        return type(cls.__name__, (cls,), {"eager_lock": lock})

    def on_headers_complete(self) -> None:
        """Start the request as uvicorn does, with its response written through a `_HeadWithBody`."""
        if self._start_eager():
            return
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is None or cycle.transport is not self.transport:  # an upgrade leaves the last cycle in place
            return
        held = _HeadWithBody(cycle.transport)
        cycle.transport = held  # type: ignore[assignment]  # duck-typed: write, close and the rest
        cycle.on_response = _flushing(held, cycle.on_response)

    def _start_eager(self) -> bool:
        """Take this request eagerly if it is a plain heartbeat; else leave it to uvicorn (False)."""
        parser = self.parser
        if (
            self.eager_lock is None
            or self.expect_100_continue
            or self.limit_concurrency is not None
            or (self.cycle is not None and not self.cycle.response_complete)  # one still running: queue
            or self.flow.write_paused
            or parser.get_method() != b"POST"
            or parser.get_http_version() != "1.1"
            or not parser.should_keep_alive()
            or parser.should_upgrade()
        ):
            return False
        try:
            url = httptools.parse_url(self.url)
        except httptools.HttpParserError:  # uvicorn's way answers it
            return False
        raw_path: bytes = url.path
        if not raw_path.startswith(EAGER_PREFIX) or not raw_path.endswith(EAGER_SUFFIX) or b"%" in raw_path:
            return False
        length = None
        for name, value in self.headers:
            if name == b"content-length":
                if length is not None:
                    return False
                length = value
            elif name == b"transfer-encoding":
                return False
        if length is None or not length.isdigit() or int(length) > EAGER_MAX_BODY:
            return False
        scope = self.scope
        scope["method"] = "POST"
        scope["path"] = self.root_path + raw_path.decode("ascii")
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = url.query or b""
        self._eager = EagerRequest(self)
        type(self).eager_runs += 1
        return True

    def on_body(self, body: bytes) -> None:
        """Collect an eager request's body; anything else as uvicorn does."""
        if self._eager is not None:
            self._eager.body += body
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        """Run an eager request now that it is complete; anything else as uvicorn does."""
        if self._eager is not None:
            eager, self._eager = self._eager, None
            eager.run()
            return
        super().on_message_complete()


class EagerRequest:
    """One heartbeat request, run by the protocol without a task; stands in for uvicorn's cycle if it must wait.

    The app (the whole ASGI app: guard, router, direct route) is started with the store's write lock
    held, so the store call runs inline and the coroutine normally finishes without ever waiting. If it
    does wait after all, it goes on in a task, with later requests on the connection queued behind it
    as behind uvicorn's own cycles. The response is written as uvicorn's cycle writes one with a
    Content-Length: the default headers (date), the app's, `connection: close` when the connection
    will close; a failing app gets uvicorn's 500 answer.
    """

    def __init__(self, protocol: CoalescingHttpToolsProtocol) -> None:
        self.protocol = protocol
        self.scope = protocol.scope
        self.body = b""
        self.keep_alive = True
        self.disconnected = False
        self.response_complete = False
        self.message_event: asyncio.Event | None = None  # made if the request has to wait (uvicorn sets it)
        self._received = False
        self._start: Any = None

    # -- the ASGI callables

    async def receive(self) -> Any:
        """The whole body in one message; after it, a disconnect (as uvicorn says once the response is out)."""
        if self._received or self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        self._received = True
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: Any) -> None:
        """Keep the response's start; write it with the body in one piece."""
        if self.disconnected:
            return
        if self._start is None:
            if message["type"] != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{message['type']}'.")
            self._start = message
            return
        if self.response_complete or message["type"] != "http.response.body" or message.get("more_body", False):
            raise RuntimeError(f"Unexpected ASGI message '{message['type']}' for a heartbeat's one-piece response.")
        self._write(self._start["status"], self._start.get("headers", []), message.get("body", b""))

    def _write(self, status: int, headers: Any, body: bytes) -> None:
        content = [STATUS_LINE[status]]
        length = None
        closing = False
        for given, value in [*self.protocol.server_state.default_headers, *headers]:
            if HEADER_RE.search(given):
                raise RuntimeError("Invalid HTTP header name.")
            if HEADER_VALUE_RE.search(value):
                raise RuntimeError("Invalid HTTP header value.")
            name = given.lower()
            if name == b"content-length" and length is None:
                length = int(value.decode())
            elif name == b"connection" and b"close" in [t.lower().strip() for t in value.split(b",")]:
                self.keep_alive = False
                closing = True
            content.extend([name, b": ", value, b"\r\n"])
        if length != len(body):
            raise RuntimeError("A heartbeat's response must have a Content-Length that matches its body")
        if not self.keep_alive and not closing:
            content.append(b"connection: close\r\n")
        content.extend([b"\r\n", body])
        transport = self.protocol.transport
        transport.write(b"".join(content))
        self.response_complete = True
        if self.message_event is not None:
            self.message_event.set()
        if not self.keep_alive:
            transport.close()
        self.protocol.on_response_complete()

    # -- running the app

    def run(self) -> None:
        """Run the app for this request: to the end if it never waits, else on in a task."""
        protocol = self.protocol
        # uvicorn cancels the keep-alive timer when data arrives; a request pipelined behind one
        # answered in the same callback must cancel the timer that answer armed.
        protocol._unset_keepalive_if_required()
        coroutine = protocol.app(self.scope, self.receive, self.send)
        lock = protocol.eager_lock
        if not lock.acquire(blocking=False):  # a watcher or an import is writing: don't wait on the loop
            self._continue_in_task(coroutine, None)
            return
        try:
            done, waiting = self._step(coroutine)
        finally:
            lock.release()
        if not done:
            self._continue_in_task(coroutine, waiting)

    def _continue_in_task(self, coroutine: Any, waiting: Any) -> None:
        protocol = self.protocol
        self.message_event = asyncio.Event()
        protocol.cycle = self  # type: ignore[assignment]  # later requests queue behind this one, as behind a cycle
        task = protocol.loop.create_task(self._resume(coroutine, waiting))
        task.add_done_callback(protocol.tasks.discard)
        protocol.tasks.add(task)

    async def _resume(self, coroutine: Any, waiting: Any) -> None:
        """Drive the started coroutine from a task: wait for what it waits for, then step it on."""
        while True:
            if waiting is not None:
                # What a task does with a future a coroutine yields: take it over (clear the flag that
                # says the coroutine awaits it) and wait for it; the coroutine reads the outcome itself.
                waiting._asyncio_future_blocking = False
                with contextlib.suppress(BaseException):
                    await waiting
            else:
                await asyncio.sleep(0)
            done, waiting = self._step(coroutine)
            if done:
                return

    def _step(self, coroutine: Any) -> tuple[bool, Any]:
        """Step the coroutine on once: (whether it ended, what it now waits for); an end is answered."""
        try:
            return False, coroutine.send(None)
        except StopIteration:
            self._finished()
        except BaseException as exc:
            self._failed(exc)
        return True, None

    def _finished(self) -> None:
        if not self.response_complete and not self.disconnected:
            message = (
                "returned without starting response" if self._start is None else "returned without completing response"
            )
            log.error("ASGI callable %s.", message)
            self._fail_response()

    def _failed(self, exc: BaseException) -> None:
        log.error("Exception in ASGI application", exc_info=exc)
        self._fail_response()

    def _fail_response(self) -> None:
        if self._start is None and not self.disconnected and not self.protocol.transport.is_closing():
            self.keep_alive = False
            self._start = True
            self._write(500, _ERROR_500, b"Internal Server Error")
        else:
            self.protocol.transport.close()


_ERROR_500 = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21"), (b"connection", b"close")]


def _flushing(held: _HeadWithBody, then: Callable[[], None]) -> Callable[[], None]:
    def on_response() -> None:
        held.flush()
        then()

    return on_response
