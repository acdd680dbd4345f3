"""The command line: running the server, its error paths, and export/import without a server."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import orjson
import pytest

from activitywatch.config import ConfigError, load_settings, read_config_file
from tests.conftest import ServerProcess, free_port, run_cli

JSON = {"Content-Type": "application/json"}


def assert_one_sentence_error(result: object, *fragments: str) -> None:
    """Non-zero exit, a sentence naming the cause on stderr, no traceback."""
    assert result.returncode == 1, result  # type: ignore[attr-defined]
    err: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: ")
    for fragment in fragments:
        assert fragment in last, last


# --------------------------------------------------------------------------- the server


def test_server_runs_and_stops_cleanly_on_sigterm(server_process: ServerProcess) -> None:
    info = httpx.get(f"{server_process.url}/api/0/info").json()
    assert info["testing"] is False and info["version"].startswith("v")
    assert (server_process.data_dir / "activitywatch.db").exists()
    device_id = (server_process.data_dir / "device_id").read_text().strip()
    assert info["device_id"] == device_id
    code, output = server_process.stop()
    assert code == 0, output
    assert "Shutting down" in output
    assert (server_process.data_dir / "logs" / "activitywatch.log").exists()


def test_device_id_is_kept_across_runs(tmp_path: Path) -> None:
    ids = []
    for _ in range(2):
        proc = ServerProcess(tmp_path)
        proc.wait_ready()
        ids.append(httpx.get(f"{proc.url}/api/0/info").json()["device_id"])
        assert proc.stop()[0] == 0
    assert ids[0] == ids[1]


def test_testing_mode_uses_port_5666_and_its_own_database(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path, "--testing", port=5666)
    try:
        proc.wait_ready()
        assert httpx.get("http://127.0.0.1:5666/api/0/info").json()["testing"] is True
        assert (proc.data_dir / "activitywatch-testing.db").exists()
        assert not (proc.data_dir / "activitywatch.db").exists()
    finally:
        proc.stop()
    settings = load_settings(data_dir=tmp_path, testing=True)
    assert settings.server.port == 5666


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(["--no-gui", "--port", str(port), "--data-dir", str(tmp_path / "d")], tmp_path)
    assert_one_sentence_error(result, f"port {port} is in use", "--port")


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli(["--no-gui", "--port", "0", "--data-dir", str(blocker / "sub")], tmp_path)
    assert_one_sentence_error(result, "Cannot use the data folder", "--data-dir")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("[server\nport = 1", ("is not valid TOML",)),
        ("[server]\nport = 'abc'", ("[server] port must be an integer",)),
        ("[server]\nport = 70000", ("[server] port must be an integer from 0 to 65535",)),
        ("[server]\nprot = 5600", ("unknown key 'prot' in [server]",)),
        ("[sever]\nport = 5600", ("unknown section or key 'sever'",)),
        ("[watchers.afk]\ntimeout = -5", ("[watchers.afk] timeout must be a positive number",)),
        ("[watchers.afk]\nenabled = 'yes'", ("[watchers.afk] enabled must be true or false",)),
        ("[watchers.window]\nexclude_titles = ['(unclosed']", ("invalid regular expression",)),
        ("[watchers.window]\nexclude_apps = 'keepassxc'", ("[watchers.window] exclude_apps must be a list",)),
        ("[watchers.window]\npoll_time = 0", ("[watchers.window] poll_time must be a positive number",)),
        ("[watchers.clock]\nenabled = true", ("unknown section [watchers.clock]",)),
        ("[server]\ncors_regex = 'x'", ("[server] cors_regex must be a list of strings",)),
    ],
)
def test_bad_config_files(tmp_path: Path, content: str, fragments: tuple[str, ...]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    result = run_cli(["--config", str(config), "--no-gui", "--data-dir", str(tmp_path / "d")], tmp_path)
    assert_one_sentence_error(result, f"Config file {config}", *fragments)


def test_missing_config_file(tmp_path: Path) -> None:
    result = run_cli(["--config", str(tmp_path / "nope.toml"), "--no-gui"], tmp_path)
    assert_one_sentence_error(result, "does not exist")


def test_config_file_and_command_line_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[server]\nhost = 'localhost'\nport = 5700\ncors = ['http://example.org']\ncors_regex = ['https://.*\\\\.example\\\\.org']\n"
        "[watchers.afk]\ntimeout = 300\n[watchers.window]\nexclude_titles = ['secret']\npoll_time = 2\n"
        "exclude_apps = ['keepassxc']\n"
    )
    s = read_config_file(config, load_settings(data_dir=tmp_path))
    assert (s.server.host, s.server.port, s.server.cors) == ("localhost", 5700, ("http://example.org",))
    assert (s.afk.timeout, s.afk.poll_time, s.window.exclude_titles, s.window.poll_time) == (300, 5, ("secret",), 2)
    assert s.window.exclude_apps == ("keepassxc",)
    s = load_settings(data_dir=tmp_path, config_file=config, port=5800)
    assert (s.server.host, s.server.port, s.config_file) == ("localhost", 5800, config)
    with pytest.raises(ConfigError):
        load_settings(config_file=tmp_path / "missing.toml")


def test_default_config_file_is_read(tmp_path: Path) -> None:
    config_dir = tmp_path / "config" / "activitywatch" / "single-process"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text("[server]\nport = 'bad'\n")
    result = run_cli(["--no-gui", "--data-dir", str(tmp_path / "d")], tmp_path)
    assert_one_sentence_error(result, "config.toml", "[server] port")


def test_bad_port_argument(tmp_path: Path) -> None:
    result = run_cli(["--port", "99999"], tmp_path)
    assert result.returncode == 2 and "outside 0-65535" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- export / import


def _seed(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as c:
        for b in ("b1", "b2"):
            body = orjson.dumps({"client": "c", "type": "t", "hostname": "h"})
            assert c.post(f"/api/0/buckets/{b}", content=body, headers=JSON).status_code == 200
            ev = [{"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {"b": b}}]
            assert c.post(f"/api/0/buckets/{b}/events", content=orjson.dumps(ev), headers=JSON).status_code == 200


def test_export_and_import_without_a_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.wait_ready()
    _seed(server)
    assert server.stop()[0] == 0
    data = ["--data-dir", str(server.data_dir)]

    out = tmp_path / "all.json"
    result = run_cli([*data, "export", "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Exported to {out}" in result.stderr
    doc = orjson.loads(out.read_bytes())
    assert sorted(doc["buckets"]) == ["b1", "b2"]

    result = run_cli([*data, "export", "--bucket", "b2"], tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(orjson.loads((tmp_path / "aw-bucket-export_b2.json").read_bytes())["buckets"]) == ["b2"]

    result = run_cli([*data, "export", "-o", "-", "--bucket", "b1"], tmp_path)
    assert list(orjson.loads(result.stdout)["buckets"]) == ["b1"]

    result = run_cli([*data, "export", "--bucket", "nope", "-o", str(tmp_path / "x.json")], tmp_path)
    assert_one_sentence_error(result, "'nope' does not exist")
    assert not (tmp_path / "x.json").exists()
    assert not list(tmp_path.glob(".x.json.*"))  # no partial file left behind

    other = ["--data-dir", str(tmp_path / "other")]
    result = run_cli([*other, "import", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Imported 2 events into 2 buckets (2 created, 0 merged); skipped 0 already stored." in result.stderr
    result = run_cli([*other, "import", "-"], tmp_path, input=out.read_text())
    assert "Imported 0 events into 2 buckets (0 created, 2 merged); skipped 2 already stored." in result.stderr


def test_import_while_the_server_runs(server_process: ServerProcess, tmp_path: Path) -> None:
    """A CLI import next to a running server: the server sees it, and its heartbeat cache follows."""
    with httpx.Client(base_url=server_process.url) as c:
        c.post("/api/0/buckets/b", content=orjson.dumps({"client": "c", "type": "t", "hostname": "h"}), headers=JSON)
        hb = {"timestamp": "2024-01-01T00:00:00Z", "duration": 0, "data": {"a": 1}}
        c.post("/api/0/buckets/b/heartbeat?pulsetime=10", content=orjson.dumps(hb), headers=JSON)
        doc = {
            "buckets": {
                "b": {
                    "client": "c",
                    "type": "t",
                    "hostname": "h",
                    "events": [{"timestamp": "2024-01-01T00:01:00Z", "duration": 1, "data": {"a": 1}}],
                }
            }
        }
        path = tmp_path / "doc.json"
        path.write_bytes(orjson.dumps(doc))
        result = run_cli(["--data-dir", str(server_process.data_dir), "import", str(path)], tmp_path)
        assert result.returncode == 0, result.stderr
        hb2 = {"timestamp": "2024-01-01T00:01:05Z", "duration": 0, "data": {"a": 1}}
        merged = c.post("/api/0/buckets/b/heartbeat?pulsetime=10", content=orjson.dumps(hb2), headers=JSON).json()
        assert merged["timestamp"] == "2024-01-01T00:01:00Z" and merged["duration"] == 5.0


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"{not json", ("is not valid JSON",)),
        (b'{"buckets": []}', ('{"buckets": {"<bucket id>": {...}}}',)),
        (
            b'{"buckets": {"b": {"client": "c", "type": "t", "hostname": "h", "events": [{"timestamp": "x"}]}}}',
            ("bucket 'b': event #0: timestamp 'x'",),
        ),
    ],
)
def test_import_errors(tmp_path: Path, content: bytes, fragments: tuple[str, ...]) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(content)
    result = run_cli(["--data-dir", str(tmp_path / "d"), "import", str(path)], tmp_path)
    assert_one_sentence_error(result, *fragments)


def test_import_missing_file(tmp_path: Path) -> None:
    result = run_cli(["--data-dir", str(tmp_path / "d"), "import", str(tmp_path / "nope.json")], tmp_path)
    assert_one_sentence_error(result, "Cannot read", "No such file")


def test_global_options_go_before_the_command(tmp_path: Path) -> None:
    result = run_cli(["export", "--data-dir", str(tmp_path)], tmp_path)
    assert result.returncode == 2 and "unrecognized arguments: --data-dir" in result.stderr


def test_free_port_helper_is_free() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("display", "reason"),
    [(None, "there is no display"), (":97", "the display :97 cannot be reached")],
    ids=["no DISPLAY", "unreachable DISPLAY"],
)
def test_without_a_display_the_app_runs_headless(tmp_path: Path, display: str | None, reason: str) -> None:
    """`activitywatch` with no flags on a machine without a display: server (and watchers), no crash."""
    env = {"DISPLAY": display} if display else {}
    proc = ServerProcess(
        tmp_path, gui=True, env=env, unset=("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", *([] if display else ["DISPLAY"]))
    )
    try:
        proc.wait_ready()
        assert httpx.get(f"{proc.url}/api/0/info", timeout=5).json()["hostname"]
        assert httpx.get(f"{proc.url}/", timeout=5).status_code == 200  # the dashboard, for a browser
    finally:
        status, output = proc.stop()
    assert status == 0, output
    assert f"Running without the tray and dashboard window: {reason}" in output
    assert "Traceback" not in output
