"""The dashboard's files over real HTTP: types, caching, the CSP, the chart library, hostile paths, and --webui-dir."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from activitywatch.assets import resource
from activitywatch.config import ConfigError, load_settings
from tests.conftest import LiveServer, ServerProcess, run_cli, start_server

WEBUI = resource("webui")


def test_root_serves_the_dashboard_with_revalidation_and_a_csp(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/main.js">' in page.text
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    again = http.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert http.get("/index.html").text == page.text


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/js/main.js", "text/javascript"),
        ("/js/views/activity.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/logo.svg", "image/svg+xml"),
        ("/vendor/echarts/echarts.min.js", "text/javascript"),
    ],
)
def test_assets_have_their_types_and_etags(http: httpx.Client, path: str, media_type: str) -> None:
    reply = http.get(path)
    assert reply.status_code == 200
    assert reply.headers["content-type"].split(";")[0] == media_type
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in reply.headers  # only pages need one
    assert http.get(path, headers={"If-None-Match": reply.headers["etag"]}).status_code == 304
    assert http.head(path).status_code == 200


def test_the_chart_library_is_the_vendored_file(http: httpx.Client) -> None:
    reply = http.get("/vendor/echarts/echarts.min.js")
    assert reply.content == resource("webui", "vendor", "echarts", "echarts.min.js").read_bytes()
    assert len(reply.content) > 500_000


def test_every_module_is_asked_for_at_once() -> None:
    """index.html names every script module for preloading, so a first visit fetches them in one round
    instead of one level of imports after the other; the chart library is loaded by the views that draw."""
    index = (WEBUI / "index.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', index))
    modules = {p.relative_to(WEBUI).as_posix() for p in (WEBUI / "js").rglob("*.js")} - {"js/main.js"}
    assert preloaded == modules
    assert "echarts" not in index


def test_every_page_and_script_refers_only_to_this_server() -> None:
    """No CDN, font or script from elsewhere: every reference in our files is relative or root-relative."""
    # Ours, not the vendored library (its text holds namespace and licence URLs it never loads; the
    # browser tests check that no request leaves 127.0.0.1).
    files = [p for p in WEBUI.rglob("*") if p.suffix in (".html", ".js", ".css") and "vendor" not in p.parts]
    assert len(files) >= 10
    for path in files:
        text = path.read_text()
        assert not re.findall(r"https?://", text), path
        for ref in re.findall(r"""(?:src|href)=["']([^"']+)""", text) + re.findall(r"url\(([^)]+)\)", text):
            assert not ref.startswith("//"), (path, ref)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope.js", 404),
        ("GET", "/js/../../activitywatch/server/app.py", 404),
        ("GET", "/js/%2e%2e/%2e%2e/pyproject.toml", 404),
        ("GET", "/..%5c..%5cpyproject.toml", 404),
        ("GET", "/js%2fmain.js", 400),
        ("GET", "/" + "a" * 5000, 404),
        ("GET", "/index.html%00.js", 404),
        ("GET", "/%ff", 400),
        ("POST", "/", 405),
        ("DELETE", "/index.html", 405),
        ("PUT", "/vendor/echarts/echarts.min.js", 405),
    ],
)
def test_hostile_paths_get_a_json_error(live_server: LiveServer, method: str, path: str, status: int) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        reply = client.request(method, httpx.URL(live_server.url, raw_path=path.encode()))
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"message", "type"} and body["message"]
    with httpx.Client(base_url=live_server.url) as client:
        assert client.get("/api/0/info").status_code == 200


def test_the_api_browser_and_api_stay_where_they_were(http: httpx.Client) -> None:
    assert http.get("/api/").status_code == 200
    assert http.get("/api/0/buckets/").json() == {}
    assert http.get("/api/0/nope").json()["type"] == "NotFound"


@pytest.fixture
def other_ui(tmp_path: Path) -> Path:
    """A stand-in for another web UI build (such as aw-webui's dist folder)."""
    folder = tmp_path / "other-ui"
    (folder / "static").mkdir(parents=True)
    (folder / "index.html").write_text("<!DOCTYPE html><title>other</title><script src='static/app.js'></script>")
    (folder / "static" / "app.js").write_text("console.log('other');")
    return folder


@pytest.fixture
def other_server(tmp_path: Path, other_ui: Path) -> Iterator[str]:
    server, store, _ = start_server(tmp_path, webui_dir=other_ui)
    try:
        yield server.url
    finally:
        server.stop()
        store.close()


def test_webui_dir_serves_another_build_without_our_csp(other_server: str) -> None:
    with httpx.Client(base_url=other_server) as client:
        page = client.get("/")
        assert page.status_code == 200 and "<title>other</title>" in page.text
        assert "content-security-policy" not in page.headers  # another UI may need what ours does not
        assert client.get("/static/app.js").text == "console.log('other');"
        assert client.get("/js/main.js").status_code == 404
        assert client.get("/vendor/echarts/echarts.min.js").status_code == 404  # ours only
        assert client.get("/api/0/info").status_code == 200


def test_webui_dir_on_the_command_line(tmp_path: Path, other_ui: Path) -> None:
    server = ServerProcess(tmp_path, "--webui-dir", str(other_ui))
    try:
        server.wait_ready()
        assert "<title>other</title>" in httpx.get(server.url + "/").text
    finally:
        server.stop()


def test_webui_dir_without_index_is_one_sentence_on_the_command_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(["--no-gui", "--no-watchers", "--port", "0", "--webui-dir", str(empty)], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: --webui-dir: {empty} has no index.html; give the folder of a web UI build"
    assert "Traceback" not in result.stderr


def test_webui_dir_in_the_config_file(tmp_path: Path, other_ui: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[server]\nwebui_dir = "{other_ui}"\n')
    assert load_settings(data_dir=tmp_path, config_file=config).server.webui_dir == other_ui
    config.write_text(f'[server]\nwebui_dir = "{tmp_path / "missing"}"\n')
    with pytest.raises(ConfigError, match=r"\[server\] webui_dir: .*missing has no index.html"):
        load_settings(data_dir=tmp_path, config_file=config)
    config.write_text("[server]\nwebui_dir = 5\n")
    with pytest.raises(ConfigError, match="webui_dir must be a non-empty string"):
        load_settings(data_dir=tmp_path, config_file=config)
