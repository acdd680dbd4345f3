"""Shared fixtures: a real store in tmp_path, a real server on loopback, the command line in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

# Qt without a screen unless a test starts its own X server (pytest-qt creates a QApplication).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QtWebEngine (the dashboard window) refuses to run as root with its sandbox; CI runs as root.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from PySide6.QtCore import QCoreApplication, Qt

from activitywatch.server.app import create_app
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer
from activitywatch.store import Store
from tests.xserver import XServer, start_x_server

# lets QtWebEngine load after pytest-qt has created the session's QApplication
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

DEVICE_ID = "0b6f3c2e-5d7a-4c1e-9a57-2f0c8e6d4b11"
HOSTNAME = "testhost"


@dataclass
class LiveServer:
    """A real uvicorn server on 127.0.0.1 over a real store."""

    url: str
    port: int
    store: Store
    options: ServerOptions
    data_dir: Path


def start_server(data_dir: Path, **option_changes: Any) -> tuple[ApiServer, Store, ServerOptions]:
    """Start an in-process server over a new store in `data_dir` on a free port."""
    store = Store(data_dir / "activitywatch.db")
    options = ServerOptions(
        hostname=HOSTNAME,
        device_id=DEVICE_ID,
        version="v0.0.0-test",
        port=0,
        log_file=data_dir / "activitywatch.log",
        **option_changes,
    )
    server = ApiServer(create_app(store, options), options.host, 0, write_lock=store.write_lock)
    server.start()
    return server, store, options


@pytest.fixture(scope="module")
def xserver() -> Iterator[XServer]:
    """A real X server (Xvfb + openbox) for one test module."""
    server = start_x_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh database file."""
    with Store(tmp_path / "activitywatch.db") as s:
        yield s


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server on a free loopback port, stopped after the test."""
    server, store, options = start_server(tmp_path)
    try:
        yield LiveServer(server.url, server.port, store, options, tmp_path)
    finally:
        server.stop()
        store.close()


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for the live server."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def watcher_threads() -> Iterator[list[Any]]:
    """Watcher threads a test starts; each must stop within its bounded wait afterwards."""
    started: list[Any] = []
    yield started
    for t in started:
        assert t.stop()


def snapshot(store: Store) -> tuple[bytes, dict[str, Any]]:
    """Everything stored: the full export and the settings (to prove a request changed nothing)."""
    return b"".join(store.open_export()), store.get_settings()


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(home: Path) -> dict[str, str]:
    """Environment for a subprocess whose default folders all lie under `home`."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_cli(args: list[str], home: Path, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run `python -m activitywatch ARGS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "activitywatch", *args],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


class ServerProcess:
    """`activitywatch --no-gui --no-watchers` in a subprocess on a free port, until stopped."""

    def __init__(
        self,
        home: Path,
        *args: str,
        port: int | None = None,
        watchers: bool = False,
        env: dict[str, str] | None = None,
        gui: bool = False,
        unset: tuple[str, ...] = (),
    ) -> None:
        self.home = home
        self.port = port if port is not None else free_port()
        self.data_dir = home / "aw-data"
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable, "-m", "activitywatch", *([] if gui else ["--no-gui"]),
            *([] if watchers else ["--no-watchers"]),
            "--port", str(self.port), "--data-dir", str(self.data_dir), *args,
        ]  # fmt: skip
        self.log = home / "server-output.txt"
        environment = {k: v for k, v in {**cli_env(home), **(env or {})}.items() if k not in unset}
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)

    @property
    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        """Poll /api/0/info until it answers; fail if the process exits first."""
        with httpx.Client(base_url=self.url, timeout=1) as client:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited with {self.proc.returncode}: {self.output}")
                try:
                    client.get("/api/0/info")
                    return
                except httpx.TransportError:
                    time.sleep(0.05)
        raise AssertionError("server did not answer in time")

    def stop(self, timeout: float = 15) -> tuple[int, str]:
        """SIGTERM, then wait; return the exit status and the output."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode, self.output


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A started server subprocess with its own data folder."""
    proc = ServerProcess(tmp_path)
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()
