"""The heartbeat's direct route answers exactly as the generic route table does, and stores the same.

Two real servers over two real stores, one with the direct route and one without; every request goes
to both over HTTP and the status, headers (but the date), body and afterwards the stored events and
buckets must be equal: valid heartbeats (new, merged, with an id, dropped or redacted by a privacy
filter, dropped in a pause), every kind of bad input, tokens (missing, wrong, out of scope, in scope),
and the Host/origin guard in front of both.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from activitywatch.server.app import create_app
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer
from activitywatch.store import Store
from tests.conftest import DEVICE_ID, HOSTNAME
from tests.xserver import wait_for

BUCKET = {"client": "test", "type": "currentwindow", "hostname": "h", "created": "2026-01-01T00:00:00Z"}
T0 = "2026-03-01T10:00:00Z"
MAX_BODY = 64 * 1024


@dataclass
class Side:
    """One server of a pair: its URL, store and tokens by scope."""

    url: str
    store: Store
    tokens: dict[str, str]
    server: ApiServer
    route: Any  # the direct route, or None

    @property
    def served_directly(self) -> int:
        """Requests the direct route answered."""
        return int(self.route.served) if self.route is not None else 0


def start(path: Path, direct: bool, require_token: bool) -> Side:
    """A server over a new store, with or without the direct heartbeat route."""
    path.mkdir()
    store = Store(path / "activitywatch.db")
    options = ServerOptions(
        hostname=HOSTNAME,
        device_id=DEVICE_ID,
        version="v0.0.0-test",
        port=0,
        require_token=require_token,
        max_body=MAX_BODY,
    )
    app: Any = create_app(store, options, direct_heartbeats=direct)
    server = ApiServer(app, options.host, 0, write_lock=store.write_lock if direct else None)
    server.start()
    tokens = {
        "read": store.create_token("r", "read"),
        "append": store.create_token("a", "append", "mine"),
        "append-other": store.create_token("o", "append", "theirs"),
        "admin": store.create_token("adm", "admin"),
    }
    return Side(server.url, store, tokens, server, app.app.direct)  # the guard's app is the router


@dataclass
class Pair:
    """The direct route's server and the generic one, sent the same requests."""

    direct: Side
    generic: Side

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send to both; assert equal answers; return the direct route's."""
        token = kwargs.pop("token", None)
        given = dict(kwargs.pop("headers", None) or {})
        answers = []
        for side in (self.direct, self.generic):
            headers = dict(given)
            if token is not None:
                headers["Authorization"] = f"Bearer {side.tokens[token]}"
            with httpx.Client(base_url=side.url, timeout=30) as http:
                answers.append(http.request(method, path, headers=headers, **kwargs))
        direct, generic = answers
        assert self.generic.served_directly == 0 and self.generic.server.eager_requests == 0
        assert (direct.status_code, comparable(direct), direct.content) == (
            generic.status_code,
            comparable(generic),
            generic.content,
        ), f"{method} {path}"
        return direct

    def assert_same_data(self) -> None:
        """Both stores hold the same buckets and events."""
        mine = self.direct.store
        other = self.generic.store
        assert [b.bucket for b in mine.list_buckets()] == [b.bucket for b in other.list_buckets()]
        for info in mine.list_buckets():
            assert mine.get_events(info.bucket.id) == other.get_events(info.bucket.id)


def comparable(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    """The response's headers in order, without the date (the two answers come at different times)."""
    return [(k, v) for k, v in response.headers.raw if k.lower() != b"date"]


def make_pair(tmp: Path, require_token: bool) -> Iterator[Pair]:
    pair = Pair(start(tmp / "direct", True, require_token), start(tmp / "generic", False, require_token))
    try:
        yield pair
    finally:
        for side in (pair.direct, pair.generic):
            side.server.stop()
            side.store.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Tokens optional (loopback): a token that is sent is still checked."""
    yield from make_pair(tmp_path_factory.mktemp("open"), require_token=False)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Tokens required."""
    yield from make_pair(tmp_path_factory.mktemp("secured"), require_token=True)


def heartbeat(timestamp: str = T0, **data: Any) -> dict[str, Any]:
    return {"timestamp": timestamp, "duration": 0, "data": data or {"app": "a", "title": "t"}}


def hb_path(bucket: str, query: str = "?pulsetime=60") -> str:
    return f"/api/0/buckets/{bucket}/heartbeat{query}"


def test_valid_heartbeats_answer_and_store_the_same(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/valid", json=BUCKET)
    answers = [
        pair.send("POST", hb_path("valid"), json=heartbeat("2026-03-01T10:00:00Z")),  # the first event
        pair.send("POST", hb_path("valid"), json=heartbeat("2026-03-01T10:00:05Z")),  # merged
        pair.send("POST", hb_path("valid"), json=heartbeat("2026-03-01T10:00:09.5+01:00", title="x")),  # new
        pair.send("POST", hb_path("valid", "?pulsetime=0"), json=heartbeat("2026-03-01T10:00:10Z", title="x")),
        pair.send("POST", hb_path("valid", "?pulsetime=1.5"), json={**heartbeat("2026-03-01T10:00:20Z"), "id": 1}),
        pair.send("POST", hb_path("valid"), json={"timestamp": "2026-03-01T10:00:30Z", "duration": 2.25}),
        pair.send("POST", hb_path("valid"), json=heartbeat("2026-03-01T10:00:40Z", nested={"a": [1, 2.5, None]})),
        pair.send("POST", hb_path("valid") + "&unknown=1", json=heartbeat("2026-03-01T10:00:50Z")),
        pair.send(
            "POST",
            hb_path("valid"),
            content=b'{"timestamp": "2026-03-01T10:01:00Z", "data": {"app": "\\u00e9"}}',
            headers={"Content-Type": "application/json; charset=utf-8"},
        ),
        pair.send("POST", "/api/0/buckets/valid/heartbeat/?pulsetime=60", json=heartbeat("2026-03-01T10:01:10Z")),
    ]
    assert all(a.status_code == 200 for a in answers)
    assert answers[1].json()["duration"] == 5.0
    assert pair.direct.served_directly >= 9  # all but the one with a trailing '/'
    assert pair.direct.server.eager_requests >= 9  # run by the protocol without a task
    pair.assert_same_data()


BAD = [
    ("no pulsetime", hb_path("bad", ""), {"json": heartbeat()}),
    ("pulsetime twice", hb_path("bad", "?pulsetime=1&pulsetime=2"), {"json": heartbeat()}),
    ("pulsetime negative", hb_path("bad", "?pulsetime=-1"), {"json": heartbeat()}),
    ("pulsetime text", hb_path("bad", "?pulsetime=abc"), {"json": heartbeat()}),
    ("pulsetime empty", hb_path("bad", "?pulsetime="), {"json": heartbeat()}),
    ("unknown bucket", hb_path("nobody"), {"json": heartbeat()}),
    ("bucket id too long", hb_path("b" * 300), {"json": heartbeat()}),
    ("not json", hb_path("bad"), {"content": b"{nope", "headers": {"Content-Type": "application/json"}}),
    ("empty body", hb_path("bad"), {"content": b"", "headers": {"Content-Type": "application/json"}}),
    ("not utf-8", hb_path("bad"), {"content": b'{"a": "\xff"}', "headers": {"Content-Type": "application/json"}}),
    ("an array", hb_path("bad"), {"json": [heartbeat()]}),
    ("no timestamp", hb_path("bad"), {"json": {"duration": 1, "data": {}}}),
    ("bad timestamp", hb_path("bad"), {"json": heartbeat("yesterday")}),
    ("negative duration", hb_path("bad"), {"json": {**heartbeat(), "duration": -1}}),
    ("data not an object", hb_path("bad"), {"json": {**heartbeat(), "data": [1]}}),
    ("duplicate key", hb_path("bad"), {"content": b'{"timestamp": "2026-03-01T10:00:00Z", "timestamp": "x"}'}),
    ("NaN", hb_path("bad"), {"content": b'{"timestamp": "2026-03-01T10:00:00Z", "duration": NaN}'}),
    ("bad id", hb_path("bad"), {"json": {**heartbeat(), "id": -5}}),
    ("form content type", hb_path("bad"), {"content": b"a=1", "headers": {"Content-Type": "text/plain"}}),
    ("no content type", hb_path("bad"), {"content": b'{"timestamp": "2026-03-01T10:00:00Z"}'}),
    ("too large declared", hb_path("bad"), {"json": heartbeat(title="x" * (MAX_BODY + 10))}),
]


@pytest.mark.parametrize(("case", "path", "kwargs"), BAD, ids=[case for case, _, _ in BAD])
def test_bad_heartbeats_get_the_same_error_and_store_nothing(
    pair: Pair, case: str, path: str, kwargs: dict[str, Any]
) -> None:
    pair.send("POST", "/api/0/buckets/bad", json=BUCKET)
    served = pair.direct.served_directly
    headers = kwargs.pop("headers", {})
    if "content" in kwargs and "Content-Type" not in headers and case != "no content type":
        headers = {**headers, "Content-Type": "application/json"}
    answer = pair.send("POST", path, headers=headers, **kwargs)
    assert 400 <= answer.status_code < 500, case
    assert pair.direct.served_directly > served, "the direct route answered"
    assert set(answer.json()) == {"message", "type"}
    assert pair.direct.store.count_events("bad") == 0
    pair.assert_same_data()


def test_other_methods_on_the_heartbeat_path_stay_the_route_tables(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/methods", json=BUCKET)
    for method in ("GET", "PUT", "DELETE", "HEAD"):
        assert pair.send(method, hb_path("methods")).status_code == 405
    assert pair.send("POST", "/api/0/buckets/methods/heartbeat/extra?pulsetime=1", json=heartbeat()).status_code == 404


def test_a_sent_token_is_checked_where_none_is_required(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/mine-open", json=BUCKET)
    assert pair.send("POST", hb_path("mine-open"), json=heartbeat(), token="append").status_code == 200
    assert pair.send("POST", hb_path("mine-open"), json=heartbeat(), token="read").status_code == 403
    wrong = pair.send("POST", hb_path("mine-open"), json=heartbeat(), headers={"x-api-key": "aw_nope"})
    assert wrong.status_code == 401
    basic = pair.send("POST", hb_path("mine-open"), json=heartbeat(), headers={"Authorization": "Basic x"})
    assert basic.status_code == 401
    pair.assert_same_data()


def test_required_tokens_and_their_scopes(secured: Pair) -> None:
    secured.send("POST", "/api/0/buckets/mine-1", json=BUCKET, token="admin")
    secured.send("POST", "/api/0/buckets/theirs-1", json=BUCKET, token="admin")
    assert secured.send("POST", hb_path("mine-1"), json=heartbeat()).status_code == 401
    assert secured.send("POST", hb_path("mine-1"), json=heartbeat(), token="read").status_code == 403
    assert secured.send("POST", hb_path("mine-1"), json=heartbeat(), token="append-other").status_code == 403
    assert secured.send("POST", hb_path("theirs-1"), json=heartbeat(), token="append").status_code == 403
    assert secured.send("POST", hb_path("mine-1"), json=heartbeat(), token="append").status_code == 200
    assert secured.send("POST", hb_path("theirs-1"), json=heartbeat(), token="admin").status_code == 200
    # an unknown bucket: the token is checked first (403 outside its prefix, 404 inside)
    assert secured.send("POST", hb_path("theirs-9"), json=heartbeat(), token="append").status_code == 403
    assert secured.send("POST", hb_path("mine-9"), json=heartbeat(), token="append").status_code == 404
    secured.assert_same_data()


def test_privacy_filters_and_pauses_apply_the_same(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/private", json=BUCKET)
    pair.send("POST", hb_path("private"), json=heartbeat("2026-03-02T10:00:00Z", title="kept"))
    # the default rule drops private browsing: answered with the last event
    dropped = pair.send("POST", hb_path("private"), json=heartbeat("2026-03-02T10:00:05Z", incognito=True))
    assert dropped.json()["data"] == {"title": "kept"}
    rules = [{"field": "title", "pattern": "secret", "action": "redact", "replacement": "(hidden)"}]
    pair.send("POST", "/api/0/settings/privacy_filters", json=rules)
    redacted = pair.send("POST", hb_path("private"), json=heartbeat("2026-03-02T10:00:10Z", title="my secret"))
    assert redacted.json()["data"] == {"title": "(hidden)"}
    for side in (pair.direct, pair.generic):
        side.store.pause_heartbeats(1_772_500_000 * 10**9, 1_772_600_000 * 10**9)
    try:
        in_pause = pair.send("POST", hb_path("private"), json=heartbeat("2026-03-03T12:00:00Z", title="paused"))
        assert in_pause.json()["data"] == {"title": "(hidden)"}  # dropped: answered with the last event
        pair.send("POST", hb_path("private"), json=heartbeat("2026-03-05T10:00:00Z", title="after"))
    finally:
        for side in (pair.direct, pair.generic):
            side.store.pause_heartbeats(0, 0)
    pair.send("DELETE", "/api/0/settings/privacy_filters")
    pair.assert_same_data()


def test_the_host_and_origin_guard_comes_first(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/guarded", json=BUCKET)
    assert pair.send("POST", hb_path("guarded"), json=heartbeat(), headers={"Host": "evil.example"}).status_code == 400
    evil = {"Origin": "https://evil.example"}
    assert pair.send("POST", hb_path("guarded"), json=heartbeat(), headers=evil).status_code == 403
    extension = {"Origin": "moz-extension://abc"}
    answer = pair.send("POST", hb_path("guarded"), json=heartbeat(), headers=extension)
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "moz-extension://abc"
    pair.assert_same_data()


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send raw bytes on a new connection; everything the server answers until it closes."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def without_date(response: bytes) -> bytes:
    return b"\r\n".join(line for line in response.split(b"\r\n") if not line.lower().startswith(b"date:"))


def test_chunked_and_oversized_bodies_over_a_raw_socket(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/raw", json=BUCKET)
    body = b'{"timestamp": "2026-03-03T10:00:00Z", "data": {"title": "chunked"}}'
    half = len(body) // 2
    chunked = b"".join(
        [
            b"POST /api/0/buckets/raw/heartbeat?pulsetime=60 HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, body[:half], len(body) - half, body[half:]),
        ]
    )
    big = b'{"timestamp": "2026-03-03T10:00:01Z", "data": {"t": "' + b"x" * MAX_BODY + b'"}}'
    oversized = b"".join(
        [
            b"POST /api/0/buckets/raw/heartbeat?pulsetime=60 HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(big), big),
        ]
    )
    for request, status in ((chunked, b"200"), (oversized, b"413")):
        direct = raw_exchange(pair.direct.url, request)
        generic = raw_exchange(pair.generic.url, request)
        assert without_date(direct) == without_date(generic)
        assert direct.split(b" ", 2)[1] == status
    pair.assert_same_data()


def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """`count` whole responses (each with a Content-Length) from a keep-alive connection."""
    data = b""
    responses = []
    while len(responses) < count:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(rest) >= length:
                responses.append(head + sep + rest[:length])
                data = rest[length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    return responses


def raw_heartbeat(bucket: str, title: str, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    body = b'{"timestamp": "2026-03-04T10:00:00Z", "data": {"title": "%s"}}' % title.encode()
    return b"".join(
        [
            b"POST /api/0/buckets/%s/heartbeat?pulsetime=60 HTTP/%s\r\nHost: 127.0.0.1\r\n"
            % (bucket.encode(), version),
            b"Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra),
            body,
        ]
    )


@pytest.mark.parametrize(
    ("case", "request_bytes"),
    [
        ("connection close", raw_heartbeat("plain", "a", b"Connection: close\r\n")),
        ("http 1.0", raw_heartbeat("plain", "b", version=b"1.0")),
        ("expect 100-continue", raw_heartbeat("plain", "c", b"Expect: 100-continue\r\nConnection: close\r\n")),
        ("two content-lengths", raw_heartbeat("plain", "d", b"Content-Length: 1\r\nConnection: close\r\n")),
        ("percent-encoded path", raw_heartbeat("pl%61in", "e", b"Connection: close\r\n")),
    ],
)
def test_unusual_requests_get_uvicorns_answer(pair: Pair, case: str, request_bytes: bytes) -> None:
    pair.send("POST", "/api/0/buckets/plain", json=BUCKET)
    direct = raw_exchange(pair.direct.url, request_bytes)
    generic = raw_exchange(pair.generic.url, request_bytes)
    assert without_date(direct) == without_date(generic), case
    pair.assert_same_data()


def test_pipelined_heartbeats_are_answered_in_order(pair: Pair) -> None:
    pair.send("POST", "/api/0/buckets/pipelined", json=BUCKET)
    requests = b"".join(raw_heartbeat("pipelined", f"t{i}") for i in range(5))
    answers = {}
    for side in (pair.direct, pair.generic):
        host, port = side.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(requests)
            answers[side.url] = [without_date(r) for r in read_responses(sock, 5)]
    assert answers[pair.direct.url] == answers[pair.generic.url]
    assert [r.count(b'"title":"t%d"' % i) for i, r in enumerate(answers[pair.direct.url])] == [1] * 5
    pair.assert_same_data()


def test_a_heartbeat_waits_for_a_busy_writer_without_blocking_the_server(pair: Pair) -> None:
    side = pair.direct
    with httpx.Client(base_url=side.url, timeout=30) as http:
        http.post("/api/0/buckets/busy", json=BUCKET)
    host, port = side.url.removeprefix("http://").rsplit(":", 1)
    before = side.server.eager_requests
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        side.store.write_lock.acquire()  # a watcher (another thread) is writing
        try:
            sock.sendall(raw_heartbeat("busy", "first") + raw_heartbeat("busy", "second"))
            wait_for(lambda: side.server.eager_requests > before, "the server to take the heartbeat")
            # the event loop is not blocked meanwhile: other requests are answered
            with httpx.Client(base_url=side.url, timeout=30) as http:
                assert http.get("/api/0/info").status_code == 200
            assert side.store.count_events("busy") == 0
        finally:
            side.store.write_lock.release()
        first, second = read_responses(sock, 2)
    assert b'"title":"first"' in first and b'"title":"second"' in second
    assert side.store.count_events("busy") == 2
