"""A minimal keep-alive HTTP/1.1 client over a raw socket, so the client is never the bottleneck."""

from __future__ import annotations

import socket
from typing import BinaryIO, cast

_NO_BODY_STATUSES = frozenset({204, 304})


class HttpError(Exception):
    """A malformed response, a lost connection or an unexpected status."""


def build_request(
    method: str,
    path: str,
    host: str,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> bytes:
    """The complete bytes of one HTTP/1.1 request, ready to send as they are."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    if body is not None:
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    elif method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head


class RawHttpClient:
    """One persistent connection; reconnects only when the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connections = 0
        self._sock: socket.socket | None = None
        self._rfile: BinaryIO | None = None
        self._reused = False

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._rfile = cast(BinaryIO, sock.makefile("rb", buffering=256 * 1024))
        self._reused = False
        self.connections += 1

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._rfile is not None:
            self._rfile.close()
            self._rfile = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> RawHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, raw: bytes, head: bool = False) -> tuple[int, bytes]:
        """Send pre-built request bytes; return the status code and the whole body.

        A request on a reused connection that the server had already closed (no byte of
        response came back) is sent again once on a new connection.
        """
        if self._sock is None:
            self._connect()
        reused = self._reused
        try:
            return self._exchange(raw, head)
        except _StaleConnection:
            self.close()
            if not reused:
                raise HttpError("the server closed the connection without answering") from None
            self._connect()
            try:
                return self._exchange(raw, head)
            except _StaleConnection:
                self.close()
                raise HttpError("the server closed the connection without answering") from None

    def expect(self, raw: bytes, status: int = 200) -> bytes:
        """Send a request, fail unless the answer has the given status, return the body."""
        got, body = self.request(raw)
        if got != status:
            first_line = raw.split(b"\r\n", 1)[0].decode("latin-1")
            raise HttpError(f"{first_line} -> {got} (expected {status}): {body[:300]!r}")
        return body

    def _exchange(self, raw: bytes, head: bool) -> tuple[int, bytes]:
        sock, rfile = self._sock, self._rfile
        assert sock is not None and rfile is not None
        try:
            sock.sendall(raw)
            status_line = rfile.readline(65537)
        except (BrokenPipeError, ConnectionResetError):
            raise _StaleConnection from None
        if not status_line:
            raise _StaleConnection
        status, keep_alive, length, chunked = self._read_head(status_line, rfile)
        if head or status < 200 or status in _NO_BODY_STATUSES:
            body = b""
        elif chunked:
            body = _read_chunked(rfile)
        elif length is not None:
            body = _read_exactly(rfile, length)
        else:
            body = rfile.read()
            keep_alive = False
        if keep_alive:
            self._reused = True
        else:
            self.close()
        return status, body

    @staticmethod
    def _read_head(status_line: bytes, rfile: BinaryIO) -> tuple[int, bool, int | None, bool]:
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise HttpError(f"bad status line {status_line!r}")
        version = parts[0]
        try:
            status = int(parts[1])
        except ValueError:
            raise HttpError(f"bad status line {status_line!r}") from None
        keep_alive = version == b"HTTP/1.1"
        length: int | None = None
        chunked = False
        while True:
            line = rfile.readline(65537)
            if not line:
                raise HttpError("connection closed inside the response headers")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                tokens = value.lower()
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
        return status, keep_alive, (None if chunked else length), chunked


class _StaleConnection(Exception):
    """The connection was closed before any byte of the response arrived."""


def _read_exactly(rfile: BinaryIO, size: int) -> bytes:
    data = rfile.read(size)
    if len(data) != size:
        raise HttpError(f"connection closed after {len(data)} of {size} body bytes")
    return data


def _read_chunked(rfile: BinaryIO) -> bytes:
    parts: list[bytes] = []
    while True:
        line = rfile.readline(65537)
        if not line:
            raise HttpError("connection closed inside a chunked body")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields, ignored
            return b"".join(parts)
        parts.append(_read_exactly(rfile, size))
        if rfile.readline(65537) not in (b"\r\n", b"\n"):
            raise HttpError("chunk not followed by CRLF")
