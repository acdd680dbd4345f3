"""API tokens: the command line, scopes against every route, required tokens, and binding beyond loopback."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from activitywatch.server.app import api_operations
from activitywatch.server.auth import scope_needed
from activitywatch.server.options import ServerOptions
from activitywatch.store import Store
from tests.conftest import ServerProcess, free_port, run_cli, start_server

BEAT = {"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": {"a": 1}}
BUCKET = {"client": "c", "type": "t", "hostname": "h"}


def test_token_commands(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    created = run_cli(
        [*data, "token", "create", "--name", "phone", "--scope", "append", "--buckets", "aw-watcher-android"], tmp_path
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("aw_") and len(token) > 40
    listed = run_cli([*data, "token", "list"], tmp_path)
    assert listed.stdout.split() == ["phone", "append", "buckets:", "aw-watcher-android*"]
    assert token not in listed.stdout and token not in listed.stderr
    again = run_cli([*data, "token", "create", "--name", "phone", "--scope", "read"], tmp_path)
    assert again.returncode != 0 and "already a token named 'phone'" in again.stderr
    bad = run_cli([*data, "token", "create", "--name", "no spaces", "--scope", "read"], tmp_path)
    assert bad.returncode != 0 and "token name" in bad.stderr
    assert run_cli([*data, "token", "revoke", "phone"], tmp_path).returncode == 0
    assert run_cli([*data, "token", "revoke", "phone"], tmp_path).returncode != 0
    with Store(tmp_path / "d" / "activitywatch.db") as store:
        assert store.list_tokens() == [] and store.find_token(token) is None
        assert token.encode() not in (tmp_path / "d" / "activitywatch.db").read_bytes()


@pytest.fixture
def secured(tmp_path: Path):  # type: ignore[no-untyped-def]
    server, store, _ = start_server(tmp_path, require_token=True)
    tokens = {
        "read": store.create_token("r", "read"),
        "append": store.create_token("a", "append", "mine"),
        "admin": store.create_token("adm", "admin"),
    }
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/api/0/buckets/mine-1", json=BUCKET, headers={"x-api-key": tokens["admin"]})
        http.post("/api/0/buckets/other", json=BUCKET, headers={"x-api-key": tokens["admin"]})
        yield http, tokens, store
    server.stop()
    store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


REQUESTS = [  # (method, path, body, needed scope)
    ("GET", "/api/0/buckets/", None, "read"),
    ("GET", "/api/0/buckets/mine-1/events", None, "read"),
    ("GET", "/api/0/export", None, "read"),
    (
        "POST",
        "/api/0/query/",
        {"query": ["RETURN = 1;"], "timeperiods": ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]},
        "read",
    ),
    ("POST", "/api/0/buckets/mine-1/heartbeat?pulsetime=5", BEAT, "append"),
    ("POST", "/api/0/buckets/mine-1/events", [BEAT], "append"),
    ("POST", "/api/0/buckets/mine-2", BUCKET, "append"),
    ("POST", "/api/0/buckets/other/heartbeat?pulsetime=5", BEAT, "admin"),  # outside the append prefix
    ("POST", "/api/0/settings/x", 1, "admin"),
    ("DELETE", "/api/0/settings/x", None, "admin"),
    ("POST", "/api/0/forget", {"start": "2000-01-01T00:00:00Z", "end": "2000-01-02T00:00:00Z"}, "admin"),
    ("DELETE", "/api/0/buckets/other", None, "admin"),
    ("GET", "/api/0/tokens", None, "admin"),  # a read that reveals who may do what
    ("POST", "/api/0/tokens", {"name": "made", "scope": "read"}, "admin"),
    ("DELETE", "/api/0/tokens/made", None, "admin"),
    ("POST", "/api/0/privacy/preview", {"filters": []}, "admin"),
]
ALLOWED = {"read": {"read"}, "append": {"append"}, "admin": {"read", "append", "admin"}}


@pytest.mark.parametrize(("method", "path", "body", "needed"), REQUESTS, ids=[f"{m} {p}" for m, p, _, _ in REQUESTS])
def test_every_scope_against_the_routes(secured, method: str, path: str, body: object, needed: str) -> None:  # type: ignore[no-untyped-def]
    http, tokens, _ = secured
    for scope in ("read", "append", "admin"):
        r = http.request(method, path, json=body, headers=bearer(tokens[scope]))
        if needed in ALLOWED[scope]:
            assert r.status_code < 400 or r.status_code == 404, (scope, r.text)
        else:
            assert r.status_code == 403, (scope, r.text)
            assert f"scope {scope}" in r.json()["message"]
    r = http.request(method, path, json=body)
    assert r.status_code == 401 and "needs an API token" in r.json()["message"]
    r = http.request(method, path, json=body, headers=bearer("aw_wrong"))
    assert r.status_code == 401 and "not valid" in r.json()["message"]


def test_info_is_open_and_headers_are_checked(secured) -> None:  # type: ignore[no-untyped-def]
    http, tokens, _ = secured
    assert http.get("/api/0/info").status_code == 200
    assert http.get("/api/0/buckets/", headers={"Authorization": f"Basic {tokens['admin']}"}).status_code == 401
    assert http.get("/api/0/buckets/", headers={"Authorization": "Bearer"}).status_code == 401


def test_loopback_without_required_tokens_keeps_working(live_server, http: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/api/0/buckets/").status_code == 200
    token = live_server.store.create_token("r", "read")
    assert http.get("/api/0/buckets/", headers=bearer(token)).status_code == 200
    # a token that is sent is checked, even where none is required
    assert http.get("/api/0/buckets/", headers=bearer("aw_wrong")).status_code == 401
    assert http.delete("/api/0/settings/x", headers=bearer(token)).status_code == 403


def test_every_route_has_a_scope(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store:
        ops = api_operations(store, ServerOptions(hostname="h", device_id="d", version="v"))
    scopes = {(op.method, op.path): scope_needed(op.method, op.path) for op in ops}
    assert {s for (m, p), s in scopes.items() if m == "GET" and p != "/api/0/tokens"} == {"read"}
    assert scopes[("GET", "/api/0/tokens")] == "admin"
    assert scopes[("POST", "/api/0/buckets/{bucket_id}/heartbeat")] == "append"
    assert scopes[("POST", "/api/0/import")] == "admin"


def test_tokens_over_the_api(live_server, http: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/api/0/tokens").json() == []
    r = http.post("/api/0/tokens", json={"name": "phone", "scope": "append", "buckets": "aw-watcher-android"})
    assert r.status_code == 201, r.text
    made = r.json()
    secret = made.pop("token")
    assert made["name"] == "phone" and made["scope"] == "append" and made["buckets"] == "aw-watcher-android"
    assert made["created"].endswith("Z") or "+00:00" in made["created"]
    listed = http.get("/api/0/tokens").json()
    assert listed == [made]  # the secret is shown once, never listed
    assert secret not in http.get("/api/0/tokens").text
    info = live_server.store.find_token(secret)
    assert info is not None and info.name == "phone"
    # the new token works, within its scope
    assert http.post("/api/0/buckets/aw-watcher-android-x", json=BUCKET, headers=bearer(secret)).status_code == 200
    assert http.get("/api/0/tokens", headers=bearer(secret)).status_code == 403
    taken = http.post("/api/0/tokens", json={"name": "phone", "scope": "read"})
    assert taken.status_code == 422 and "already a token named 'phone'" in taken.json()["message"]
    assert http.delete("/api/0/tokens/phone").status_code == 200
    assert http.get("/api/0/tokens").json() == []
    assert http.get("/api/0/buckets/", headers=bearer(secret)).status_code == 401  # revoked
    assert http.delete("/api/0/tokens/phone").status_code == 404


def test_binding_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    data = tmp_path / "aw-data"  # the data folder ServerProcess uses
    serve = ["--data-dir", str(data), "--no-gui", "--no-watchers", "--host", "0.0.0.0", "--port", str(free_port())]
    refused = run_cli(serve, tmp_path)
    assert refused.returncode != 0
    assert "needs API tokens, and there are none" in refused.stderr and "token create" in refused.stderr
    created = run_cli(["--data-dir", str(data), "token", "create", "--name", "n", "--scope", "read"], tmp_path)
    token = created.stdout.strip().splitlines()[-1]
    proc = ServerProcess(tmp_path, "--host", "0.0.0.0")
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as http:
            assert http.get("/api/0/info").status_code == 200
            assert http.get("/api/0/buckets/").status_code == 401
            assert http.get("/api/0/buckets/", headers=bearer(token)).status_code == 200
            assert http.get("/api/0/buckets/", headers={"x-api-key": token}).status_code == 200
    finally:
        status, output = proc.stop()
    assert status == 0, output
    logs = "".join(f.read_text(errors="replace") for f in data.rglob("*.log"))
    assert logs and token not in logs and token not in output  # tokens never appear in logs


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_serves_https(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'[server]\ntls_cert = "{cert}"\ntls_key = "{key}"\n')
    proc = ServerProcess(tmp_path, "--config", str(config))
    url = f"https://127.0.0.1:{proc.port}"
    try:
        with httpx.Client(base_url=url, verify=ssl.create_default_context(cafile=str(cert)), timeout=2) as https:

            def answers() -> bool:
                try:
                    return https.get("/api/0/info").status_code == 200
                except httpx.TransportError:
                    assert proc.proc.poll() is None, proc.output
                    return False

            from tests.xserver import wait_for

            wait_for(answers, "the HTTPS server")
            assert https.get("/api/0/buckets/").json() == {}
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{proc.port}/api/0/info", timeout=2).raise_for_status()
    finally:
        status, output = proc.stop()
    assert status == 0, output


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('[server]\ntls_cert = "/nope/cert.pem"\ntls_key = "/nope/key.pem"\n', "does not exist"),
        ('[server]\ntls_cert = "{cert}"\n', "go together"),
        ('[server]\ntls_cert = "{cert}"\ntls_key = "{cert}"\n', "cannot be used"),
    ],
)
def test_tls_configuration_errors(tmp_path: Path, content: str, words: str) -> None:
    cert, _ = self_signed(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(content.replace("{cert}", str(cert)))
    result = run_cli(
        ["--config", str(config), "--no-gui", "--no-watchers", "--data-dir", str(tmp_path / "d")], tmp_path
    )
    assert result.returncode != 0 and words in result.stderr
