"""Protection of the loopback API from web pages: the Host-header check, CORS and cross-site writes.

Compat §1.4 (aw-server-rust's behaviour): bound to loopback, a request whose Host is not a loopback name
gets 400 `{"message": "Host header is invalid"}` on every route (DNS rebinding); only allowlisted origins
may read responses (CORS); and a write carrying a foreign `Origin` is refused with 403 before it runs.
"""

from __future__ import annotations

import http.client
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.server.app import create_app
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer
from activitywatch.store import Store
from tests.conftest import DEVICE_ID, HOSTNAME, LiveServer, free_port, snapshot, start_server

JSON = {"Content-Type": "application/json"}
S = 1_000_000_000
WEB_WATCHER = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"
CONFIGURED_ORIGIN = "https://dashboard.example"
CONFIGURED_REGEX = r"https://[a-z]+\.example\.org"


def seed(store: Store) -> None:
    """A bucket with an event, and a setting."""
    created = parse_timestamp("2024-01-01T00:00:00Z")
    bucket = Bucket(id="b1", type="currentwindow", client="seed", hostname="h", created=created)
    store.create_bucket(bucket, [Event(timestamp=created, duration=5 * S, data={"app": "a"})])
    store.set_setting("theme", "dark")


@dataclass
class Reply:
    """A response read off a raw socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


def raw_request(port: int, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b"") -> Reply:
    """Send exactly these headers (no Host unless given), plus `Connection: close` and the body."""
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + b"Connection: close\r\n\r\n" + body)
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            response.close()


def assert_invalid_host(reply: Reply) -> None:
    assert reply.status == 400, (reply.status, reply.body[:200])
    assert reply.headers["content-type"].startswith("application/json")
    error = reply.json()
    assert isinstance(error, dict) and set(error) == {"message", "type"}
    assert error["message"] == "Host header is invalid"
    assert isinstance(error["type"], str) and error["type"]


# ---------------------------------------------------------------------------------------------- Host header


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One seeded server on 127.0.0.1 for the tests that only read."""
    data_dir = tmp_path_factory.mktemp("loopback")
    server, store, options = start_server(data_dir)
    try:
        seed(store)
        yield LiveServer(server.url, server.port, store, options, data_dir)
    finally:
        server.stop()
        store.close()


ROUTES = [
    "/api/0/info",
    "/api/0/buckets/",
    "/api/0/buckets/b1",
    "/api/0/buckets/b1/events",
    "/api/0/export",
    "/api/0/settings",
    "/api/0/nope",
    "/",
    "/api/",
    "/api",
    "/api/openapi.json",
    "/api/static/swagger-ui.css",
    "/api/static/api-browser.js",
]
FOREIGN_HOSTS = [
    "evil.com",
    "evil.com:5600",
    "127.0.0.1.evil.com",
    "localhost.evil.com:5600",
    "evil.com:80@127.0.0.1",
    "",
]


@pytest.mark.parametrize("host", [*FOREIGN_HOSTS, None], ids=[*(repr(h) for h in FOREIGN_HOSTS), "missing"])
@pytest.mark.parametrize("path", ROUTES)
def test_a_foreign_host_header_is_refused_on_every_route(loopback: LiveServer, host: str | None, path: str) -> None:
    headers = [] if host is None else [("Host", host)]
    assert_invalid_host(raw_request(loopback.port, "GET", path, headers))


def test_a_request_without_host_in_http_1_0_is_refused(loopback: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", loopback.port), timeout=30) as sock:
        sock.sendall(b"GET /api/0/info HTTP/1.0\r\n\r\n")
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        response.close()
    assert_invalid_host(reply)


@pytest.mark.parametrize("order", ["loopback first", "foreign first"])
def test_two_host_headers_are_refused(loopback: LiveServer, order: str) -> None:
    """RFC 9112 §3.2: a request with more than one Host field line MUST get 400, whichever comes first."""
    hosts = [("Host", f"127.0.0.1:{loopback.port}"), ("Host", "evil.com")]
    if order == "foreign first":
        hosts.reverse()
    reply = raw_request(loopback.port, "GET", "/api/0/info", hosts)
    assert reply.status == 400, (reply.status, reply.body[:200])
    assert set(orjson.loads(reply.body)) == {"message", "type"}


def test_writes_and_preflights_with_a_foreign_host_are_refused_and_change_nothing(live_server: LiveServer) -> None:
    seed(live_server.store)
    before = snapshot(live_server.store)
    port = live_server.port
    writes = [
        ("POST", "/api/0/buckets/b1/heartbeat?pulsetime=5", b'{"timestamp":"2024-05-01T00:00:00Z"}'),
        ("POST", "/api/0/settings/theme", b'"light"'),
        ("DELETE", "/api/0/buckets/b1", b""),
        ("POST", "/api/0/import", b'{"buckets":{"new":{"client":"c","type":"t","hostname":"h"}}}'),
    ]
    for method, path, body in writes:
        reply = raw_request(port, method, path, [("Host", "evil.com"), ("Content-Type", "application/json")], body)
        assert_invalid_host(reply)
    preflight = [
        ("Host", "evil.com:5600"),
        ("Origin", "http://evil.com:5600"),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ]
    assert_invalid_host(raw_request(port, "OPTIONS", "/api/0/settings/theme", preflight))
    assert snapshot(live_server.store) == before


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "localhost", "127.0.0.1", "LocalHost:{port}"]
)
def test_loopback_host_headers_are_accepted(loopback: LiveServer, host: str) -> None:
    headers = [("Host", host.format(port=loopback.port))]
    reply = raw_request(loopback.port, "GET", "/api/0/info", headers)
    assert reply.status == 200 and orjson.loads(reply.body)["hostname"] == HOSTNAME
    assert raw_request(loopback.port, "GET", "/", headers).status == 200
    assert raw_request(loopback.port, "GET", "/api/", headers).status == 200


def test_a_server_bound_to_all_interfaces_does_not_check_host(tmp_path: Path) -> None:
    server, store, options = start_server(tmp_path, host="0.0.0.0")
    try:
        assert options.host == "0.0.0.0"
        for headers in ([("Host", "evil.com")], [("Host", "127.0.0.1.evil.com:5600")], []):
            reply = raw_request(server.port, "GET", "/api/0/info", headers)
            assert reply.status == 200, (headers, reply.body[:200])
    finally:
        server.stop()
        store.close()


def test_a_server_bound_to_localhost_checks_host(tmp_path: Path) -> None:
    server, store, _ = start_server(tmp_path, host="localhost")
    try:
        assert_invalid_host(raw_request(server.port, "GET", "/api/0/info", [("Host", "evil.com")]))
        assert raw_request(server.port, "GET", "/api/0/info", [("Host", f"localhost:{server.port}")]).status == 200
    finally:
        server.stop()
        store.close()


# ---------------------------------------------------------------------------------------------- CORS


@dataclass
class OwnPortServer:
    """A server whose configured port is the one it listens on (the own-origin allowlist depends on it)."""

    port: int
    url: str
    store: Store
    client: httpx.Client


@pytest.fixture(scope="module")
def own_port_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPortServer]:
    port = free_port()
    store = Store(tmp_path_factory.mktemp("own-port") / "activitywatch.db")
    options = ServerOptions(
        hostname=HOSTNAME,
        device_id=DEVICE_ID,
        version="v0.0.0-test",
        port=port,
        cors=(CONFIGURED_ORIGIN,),
        cors_regex=(CONFIGURED_REGEX,),
    )
    server = ApiServer(create_app(store, options), "127.0.0.1", port)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            seed(store)
            yield OwnPortServer(port, server.url, store, client)
    finally:
        server.stop()
        store.close()


ALLOWED = [
    "http://127.0.0.1:{port}",
    "http://localhost:{port}",
    f"moz-extension://{uuid.uuid4()}",
    "moz-extension://0c5b1e7a-9f35-4b8e-8d43-5a2f6a1e3b77",
    WEB_WATCHER,
    CONFIGURED_ORIGIN,
    "https://team.example.org",
]
DISALLOWED = [
    "http://evil.com",
    "https://evil.com",
    "null",
    "chrome-extension://someotherid",
    "http://127.0.0.1:27180",  # the web UI dev server, allowed in testing mode only
    "http://localhost",
    "http://127.0.0.1:1",
    "https://127.0.0.1:{port}",
    "http://127.0.0.1:{port}.evil.com",
    "https://dashboard.example.evil.com",
    "https://team.example.org.evil.com",
    "https://evil.com/https://team.example.org",
    "moz-extension://abc/def",
    "http://evil.com moz-extension://abc",
]


def preflight(client: httpx.Client, origin: str, path: str = "/api/0/buckets/b1/heartbeat") -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def vary(r: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in r.headers.get("vary", "").split(",")}


@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origins_pass_the_preflight(own_port_server: OwnPortServer, origin: str) -> None:
    origin = origin.format(port=own_port_server.port)
    r = preflight(own_port_server.client, origin)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == origin
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers
    assert "origin" in vary(r)


@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origins_may_read_and_write(own_port_server: OwnPortServer, origin: str) -> None:
    origin = origin.format(port=own_port_server.port)
    client = own_port_server.client
    r = client.get("/api/0/buckets/b1/events", headers={"Origin": origin})
    assert r.status_code == 200 and r.json()
    assert r.headers["access-control-allow-origin"] == origin
    assert "origin" in vary(r)
    count = own_port_server.store.count_events("b1")
    beat = orjson.dumps({"timestamp": "2024-06-01T00:00:00Z", "data": {"origin": origin}})
    r = client.post("/api/0/buckets/b1/heartbeat?pulsetime=5", content=beat, headers={**JSON, "Origin": origin})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == origin
    assert own_port_server.store.count_events("b1") == count + 1
    # The error of an allowed caller is readable too.
    r = client.get("/api/0/buckets/nope", headers={"Origin": origin})
    assert r.status_code == 404 and r.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", DISALLOWED)
def test_disallowed_origins_get_no_cors_headers(own_port_server: OwnPortServer, origin: str) -> None:
    origin = origin.format(port=own_port_server.port)
    client = own_port_server.client
    r = preflight(client, origin)
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/0/buckets/b1/events", headers={"Origin": origin})
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-credentials" not in r.headers


@pytest.mark.parametrize("origin", ["http://evil.com", "null", "chrome-extension://someotherid"])
def test_a_refused_preflight_answers_with_the_json_error_shape(own_port_server: OwnPortServer, origin: str) -> None:
    """Every error body is `{"message", "type"}`, including a preflight from a disallowed origin."""
    r = preflight(own_port_server.client, origin)
    if r.status_code >= 400:
        assert r.headers.get("content-type", "").startswith("application/json"), (r.headers, r.text)
        error = r.json()
        assert set(error) == {"message", "type"} and error["message"].strip()


def test_no_origin_gets_no_cors_headers(own_port_server: OwnPortServer) -> None:
    r = own_port_server.client.get("/api/0/info")
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_testing_mode_adds_the_web_ui_dev_server_and_any_chrome_extension(tmp_path: Path) -> None:
    server, store, _ = start_server(tmp_path, testing=True)
    try:
        seed(store)
        with httpx.Client(base_url=server.url) as client:
            for origin in (
                "chrome-extension://someotherid",
                "http://127.0.0.1:27180",
                "http://localhost:27180",
                WEB_WATCHER,
            ):
                assert preflight(client, origin).headers.get("access-control-allow-origin") == origin
                value = orjson.dumps(origin)
                r = client.post("/api/0/settings/theme", content=value, headers={**JSON, "Origin": origin})
                assert r.status_code == 201 and r.headers.get("access-control-allow-origin") == origin
                assert store.get_setting("theme") == origin
            r = preflight(client, "http://evil.com")
            assert "access-control-allow-origin" not in r.headers
            r = client.post("/api/0/settings/theme", content=b'"x"', headers={**JSON, "Origin": "http://evil.com"})
            assert r.status_code == 403
        assert store.get_setting("theme") == WEB_WATCHER
    finally:
        server.stop()
        store.close()


# ---------------------------------------------------------------------------------------------- cross-site writes

BOUNDARY = "aw-security-boundary"
EXPORT_DOC = (
    b'{"buckets":{"imported":{"client":"c","type":"t","hostname":"h","events":[{"timestamp":"2024-02-01T00:00:00Z"}]}}}'
)
UPLOAD = (
    (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="buckets.json"; filename="export.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    + EXPORT_DOC
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
BUCKET = b'{"client":"c","type":"t","hostname":"h"}'
EVENT = b'{"timestamp":"2024-03-01T00:00:00Z","duration":1,"data":{"app":"x"}}'
BEAT = b'{"timestamp":"2024-04-01T00:00:00Z","duration":1,"data":{"app":"beat"}}'


@dataclass(frozen=True)
class Write:
    """A request that changes data when sent without an Origin."""

    label: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    works_without_origin: bool = True  # False: the request is refused anyway (e.g. text/plain -> 415)


WRITES = [
    Write("create bucket", "POST", "/api/0/buckets/new", JSON, BUCKET),
    Write("update bucket", "PUT", "/api/0/buckets/b1", JSON, b'{"client":"c","type":"renamed","hostname":"h"}'),
    Write("delete bucket", "DELETE", "/api/0/buckets/b1?force=1", {}),
    Write("post events", "POST", "/api/0/buckets/b1/events", JSON, b"[" + EVENT + b"]"),
    Write("delete event", "DELETE", "/api/0/buckets/b1/events/1", {}),
    Write("heartbeat", "POST", "/api/0/buckets/b1/heartbeat?pulsetime=5", JSON, BEAT),
    Write("import json", "POST", "/api/0/import", JSON, EXPORT_DOC),
    Write("import multipart upload", "POST", "/api/0/import", MULTIPART, UPLOAD),
    Write("set setting", "POST", "/api/0/settings/theme", JSON, b'"light"'),
    Write("delete setting", "DELETE", "/api/0/settings/theme", {}),
    # Requests a web page can send without a preflight (a form or fetch with mode no-cors):
    Write("set setting as text/plain", "POST", "/api/0/settings/theme", {"Content-Type": "text/plain"}, b'"light"',
          works_without_origin=False),
    Write("post events as text/plain", "POST", "/api/0/buckets/b1/events", {"Content-Type": "text/plain"}, EVENT,
          works_without_origin=False),
    Write("heartbeat as text/plain", "POST", "/api/0/buckets/b1/heartbeat?pulsetime=5",
          {"Content-Type": "text/plain"}, EVENT, works_without_origin=False),
    Write("import as text/plain", "POST", "/api/0/import", {"Content-Type": "text/plain"}, EXPORT_DOC,
          works_without_origin=False),
    Write("import as a urlencoded form", "POST", "/api/0/import",
          {"Content-Type": "application/x-www-form-urlencoded"}, b"buckets=%7B%7D", works_without_origin=False),
]  # fmt: skip
FOREIGN_ORIGINS = ["http://evil.com", "null", "chrome-extension://someotherid", "http://localhost:8080"]


@pytest.mark.parametrize("write", WRITES, ids=[w.label for w in WRITES])
def test_a_cross_site_write_is_refused_before_it_runs(live_server: LiveServer, write: Write) -> None:
    seed(live_server.store)
    before = snapshot(live_server.store)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        for origin in FOREIGN_ORIGINS:
            headers = {**write.headers, "Origin": origin}
            r = client.request(write.method, write.path, content=write.body, headers=headers)
            assert r.status_code == 403, (origin, r.text)
            assert r.headers["content-type"] == "application/json"
            error = r.json()
            assert set(error) == {"message", "type"} and error["message"].strip() and error["type"]
            assert "access-control-allow-origin" not in r.headers
            assert snapshot(live_server.store) == before, origin
        # The same request from a non-browser client (no Origin) does run.
        r = client.request(write.method, write.path, content=write.body, headers=write.headers)
        if write.works_without_origin:
            assert r.status_code in (200, 201), r.text
            assert snapshot(live_server.store) != before
        else:
            assert r.status_code == 415


SEQUENCE = [  # the writes in an order in which each succeeds
    *(w for w in WRITES if w.works_without_origin and w.label not in ("delete bucket", "delete setting")),
    *(w for w in WRITES if w.label in ("delete setting", "delete bucket")),
]


@pytest.mark.parametrize(
    "origin_and_host",
    [
        ("http://127.0.0.1:{port}", "127.0.0.1:{port}"),
        ("http://localhost:{port}", "localhost:{port}"),
        ("http://[::1]:{port}", "[::1]:{port}"),
        (WEB_WATCHER, "127.0.0.1:{port}"),
        ("moz-extension://2b7c4a4e-8d4f-4c4e-a7a1-0f6c3e2d1b90", "localhost:{port}"),
    ],
    ids=["same origin 127.0.0.1", "same origin localhost", "same origin [::1]", "web watcher", "firefox extension"],
)
def test_same_origin_and_allowlisted_writes_work(live_server: LiveServer, origin_and_host: tuple[str, str]) -> None:
    origin, host = (s.format(port=live_server.port) for s in origin_and_host)
    seed(live_server.store)
    assert len(SEQUENCE) == len([w for w in WRITES if w.works_without_origin])
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        for write in SEQUENCE:
            before = snapshot(live_server.store)
            headers = {**write.headers, "Origin": origin, "Host": host}
            r = client.request(write.method, write.path, content=write.body, headers=headers)
            assert r.status_code in (200, 201), (write.label, r.text)
            if write.label != "import multipart upload":  # the same document again: merged, nothing new
                assert snapshot(live_server.store) != before, write.label


def test_the_own_origin_of_the_configured_port_may_write_across_loopback_names(own_port_server: OwnPortServer) -> None:
    """The dashboard at http://localhost:<port> may call the API as http://127.0.0.1:<port>."""
    port = own_port_server.port
    r = own_port_server.client.post(
        "/api/0/settings/theme", content=b'"light"', headers={**JSON, "Origin": f"http://localhost:{port}"}
    )
    assert r.status_code == 201
    assert own_port_server.store.get_setting("theme") == "light"


# ---------------------------------------------------------------------------------------------- API browser

EXTERNAL_URL = re.compile(r"""(?:https?:)?//(?!127\.0\.0\.1[:/]|localhost[:/])[\w.-]+""", re.IGNORECASE)


def test_the_api_browser_page_loads_nothing_from_elsewhere(http: httpx.Client) -> None:
    page = http.get("/api/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not EXTERNAL_URL.findall(page.text), page.text
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page.text, re.IGNORECASE)
    assert references, page.text
    kinds = {".css": "text/css", ".js": "javascript"}
    for ref in references:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        asset = http.get(ref)
        assert asset.status_code == 200, ref
        suffix = Path(ref).suffix
        assert suffix in kinds, ref
        assert kinds[suffix] in asset.headers["content-type"], (ref, asset.headers["content-type"])
        assert asset.content


def test_the_api_browser_assets_are_served_locally(http: httpx.Client) -> None:
    for path, kind in [
        ("/api/static/swagger-ui.css", "text/css"),
        ("/api/static/swagger-ui-bundle.js", "javascript"),
        ("/api/static/api-browser.js", "javascript"),
        ("/api/openapi.json", "application/json"),
    ]:
        r = http.get(path)
        assert r.status_code == 200, path
        assert kind in r.headers["content-type"], (path, r.headers["content-type"])
    css = http.get("/api/static/swagger-ui.css").text
    imports = re.findall(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", css)
    urls = re.findall(r"""url\(\s*["']?([^"')]+)""", css)
    assert not [u for u in imports + urls if not u.startswith(("data:", "#", "/")) or u.startswith("//")]
    doc = http.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert all(not EXTERNAL_URL.match(s.get("url", "")) for s in doc.get("servers", []))
    assert not EXTERNAL_URL.findall(http.get("/api/static/api-browser.js").text)


def test_the_api_browser_does_not_call_the_online_validator(http: httpx.Client) -> None:
    """Swagger UI's default `validatorUrl` loads a badge from validator.swagger.io (sending it the spec URL)
    whenever the page is not opened as localhost/127.0.0.1 (e.g. http://[::1]:5600/api/): the start-up
    script must turn it off."""
    script = http.get("/api/static/api-browser.js").text
    assert re.search(r"""validatorUrl\s*:\s*(?:null|["']none["'])""", script), script


def test_static_files_cannot_escape_their_folder(http: httpx.Client) -> None:
    for path in [
        "/api/static/../../etc/passwd",
        "/api/static/%2e%2e/%2e%2e/etc/passwd",
        "/api/static/..%2F..%2Fsetup.py",
    ]:
        r = http.get(path)
        assert r.status_code in (400, 404), path  # an encoded '/' is refused outright
        assert r.headers["content-type"] == "application/json"
