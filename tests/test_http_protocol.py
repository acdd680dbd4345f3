"""Responses go out as one write (head with body), over a real server: bodies, HEAD, 304 and 100-continue."""

from __future__ import annotations

import socket

import httpx

from activitywatch.server.http_protocol import _HeadWithBody
from tests.conftest import LiveServer


class RecordingTransport:
    """Stands in for the socket transport: records what is written."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_the_head_waits_for_the_body() -> None:
    raw = RecordingTransport()
    held = _HeadWithBody(raw)  # type: ignore[arg-type]
    held.write(HEAD)
    assert raw.writes == []
    held.write(b"{}")
    assert raw.writes == [HEAD + b"{}"]
    held.write(b"more")  # later pieces go straight out
    assert raw.writes[-1] == b"more"


def test_a_head_without_body_goes_out_at_the_end_or_on_close() -> None:
    raw = RecordingTransport()
    held = _HeadWithBody(raw)  # type: ignore[arg-type]
    held.write(HEAD)
    held.flush()
    assert raw.writes == [HEAD]
    held.write(HEAD)
    held.close()
    assert raw.writes == [HEAD, HEAD] and raw.closed and held.is_closing()


def test_100_continue_is_never_held() -> None:
    raw = RecordingTransport()
    held = _HeadWithBody(raw)  # type: ignore[arg-type]
    held.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert raw.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def _exchange(server: LiveServer, request: bytes, expect_continue: bytes | None = None) -> bytes:
    """Send a raw request and read the response until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        if expect_continue is not None:
            interim = b""
            while b"\r\n\r\n" not in interim:
                chunk = sock.recv(4096)
                assert chunk, interim
                interim += chunk
            assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
            sock.sendall(expect_continue)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_real_responses_are_whole(live_server: LiveServer, http: httpx.Client) -> None:
    host = f"Host: 127.0.0.1:{live_server.port}\r\nConnection: close\r\n".encode()
    info = _exchange(live_server, b"GET /api/0/info HTTP/1.1\r\n" + host + b"\r\n")
    head, _, body = info.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body.startswith(b"{") and body.endswith(b"}")
    # HEAD: a head and no body; 304: an existing bucket created again
    assert _exchange(live_server, b"HEAD /api/0/info HTTP/1.1\r\n" + host + b"\r\n").startswith(b"HTTP/1.1 200")
    bucket = b'{"client": "c", "type": "t", "hostname": "h"}'
    create = b"POST /api/0/buckets/b HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
    create += b"Content-Length: %d\r\n\r\n" % len(bucket)
    assert _exchange(live_server, create + bucket).startswith(b"HTTP/1.1 200")
    assert _exchange(live_server, create + bucket).startswith(b"HTTP/1.1 304")
    # a client that waits for 100 Continue before sending its heartbeat gets it first
    beat = b'{"timestamp": "2024-05-01T12:00:00Z", "data": {"app": "x"}}'
    request = b"POST /api/0/buckets/b/heartbeat?pulsetime=5 HTTP/1.1\r\n" + host
    request += b"Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(beat)
    answer = _exchange(live_server, request, expect_continue=beat)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'"data":{"app":"x"}}'), answer
    assert http.get("/api/0/buckets/b/events").json()[0]["data"] == {"app": "x"}
