"""Starting, probing and stopping the servers under test (ours, aw-server 0.12, or any URL)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
CHECKOUT = BENCH_DIR.parent
PEER_VENV = BENCH_DIR / ".peer-venv"
PEER_REQUIREMENTS = ("aw-server==0.12.0", "peewee==3.17.9", "Flask==2.2.5")
PEER_LABEL = "aw-server 0.12"

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
POLL_INTERVAL = 0.05


class ServerError(Exception):
    """A server could not be set up, started or reached."""


@dataclass
class Server:
    """A server under test: where it answers and, when the benchmark started it, its process."""

    label: str
    url: str
    slow: bool = False
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    log_path: Path | None = None
    info: dict[str, object] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The host name to connect to."""
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """The TCP port to connect to."""
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def pid(self) -> int | None:
        """The server's process id, when the benchmark started it."""
        return self.process.pid if self.process is not None else None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch_info(url: str, timeout: float = 2.0) -> dict[str, object]:
    """`GET /api/0/info` of the server at url, decoded."""
    with urllib.request.urlopen(f"{url}/api/0/info", timeout=timeout) as response:
        info: dict[str, object] = json.loads(response.read())
        return info


def wait_ready(server: Server, timeout: float = READY_TIMEOUT) -> None:
    """Poll `GET /api/0/info` until it answers; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise ServerError(
                f"{server.label} exited with status {server.process.returncode} before answering"
                f"{_log_tail(server.log_path)}"
            )
        try:
            server.info = fetch_info(server.url)
            return
        except (OSError, ValueError) as exc:
            last_error = exc
        time.sleep(POLL_INTERVAL)
    waited = f"{server.url}/api/0/info within {timeout:.0f} s"
    raise ServerError(f"{server.label} did not answer {waited}: {last_error}")


def _log_tail(log_path: Path | None, lines: int = 20) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return "; its output ends with:\n    " + "\n    ".join(tail)


def _spawn(
    label: str,
    argv: list[str],
    env: dict[str, str],
    workdir: Path,
    *,
    port: int,
    slow: bool,
) -> Server:
    log_path = workdir / "server-output.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
    server = Server(
        label=label,
        url=f"http://127.0.0.1:{port}",
        slow=slow,
        process=process,
        workdir=workdir,
        log_path=log_path,
    )
    try:
        wait_ready(server)
    except BaseException:
        stop(server)
        raise
    return server


def ours_executable() -> Path:
    """The `activitywatch` command of the environment running the benchmark (or the checkout's .venv)."""
    candidates = [Path(sys.executable).parent / "activitywatch", CHECKOUT / ".venv" / "bin" / "activitywatch"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    found = shutil.which("activitywatch")
    if found is None:
        raise ServerError("no `activitywatch` command: run `make run` or `pip install -e .` first")
    return Path(found)


def start_ours(executable: Path | None = None, label: str = "ours") -> Server:
    """Start our server (or `executable`, another build's `activitywatch` command) on a free port with a
    fresh data folder and wait until it answers."""
    workdir = Path(tempfile.mkdtemp(prefix=f"aw-bench-{label}-"))
    port = free_port()
    argv = [
        str(executable or ours_executable()),
        "--no-gui",
        "--no-watchers",
        "--port",
        str(port),
        "--data-dir",
        str(workdir / "data"),
    ]
    return _spawn(label, argv, dict(os.environ), workdir, port=port, slow=False)


def ensure_peer_venv() -> Path:
    """Create bench/.peer-venv with aw-server 0.12.0 (pinned) on first use; return its aw-server command."""
    command = PEER_VENV / "bin" / "aw-server"
    marker = PEER_VENV / ".bench-installed"
    wanted = " ".join(PEER_REQUIREMENTS)
    if command.exists() and marker.exists() and marker.read_text().strip() == wanted:
        return command
    print(f"Setting up {PEER_LABEL} in {PEER_VENV} (first use) ...", file=sys.stderr, flush=True)
    if not (PEER_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    pip = [
        str(PEER_VENV / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    result = subprocess.run([*pip, *PEER_REQUIREMENTS], check=False)
    if result.returncode != 0 or not command.exists():
        raise ServerError(f"could not install {wanted} into {PEER_VENV}")
    marker.write_text(wanted + "\n")
    return command


def start_peer() -> Server:
    """Start aw-server 0.12 in testing mode on a free port, its data, config and logs in a temp folder."""
    command = ensure_peer_venv()
    workdir = Path(tempfile.mkdtemp(prefix="aw-bench-peer-"))
    port = free_port()
    env = dict(os.environ)
    env.pop("AW_PROFILE", None)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        folder = workdir / name.removeprefix("XDG_").removesuffix("_HOME").lower()
        folder.mkdir()
        env[name] = str(folder)
    argv = [str(command), "--testing", "--port", str(port)]
    return _spawn(PEER_LABEL, argv, env, workdir, port=port, slow=True)


def connect(url: str, label: str, slow: bool) -> Server:
    """A server that is already running at url (the benchmark knows no process for it)."""
    server = Server(label=label, url=url.rstrip("/"), slow=slow)
    try:
        server.info = fetch_info(server.url, timeout=10.0)
    except (OSError, ValueError) as exc:
        raise ServerError(f"no ActivityWatch server answers at {url}/api/0/info: {exc}") from exc
    return server


def stop(server: Server, keep_files: bool = False) -> None:
    """SIGTERM the server the benchmark started (SIGKILL after a timeout) and remove its temp folder."""
    process = server.process
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"{server.label} ignored SIGTERM for {STOP_TIMEOUT:.0f} s; killing it", file=sys.stderr)
            process.kill()
            process.wait()
    if server.workdir is not None and not keep_files:
        shutil.rmtree(server.workdir, ignore_errors=True)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB, from /proc/<pid>/status."""
    figures: dict[str, int] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
    return figures


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (None when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> float | None:
    """CPU time the process's threads now running have used, to the nanosecond (/proc/PID/task/*/schedstat;
    None when it cannot be read): finer than `cpu_seconds`' clock ticks, for short requests."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                    total += int(stat.read().split()[0])
            except FileNotFoundError:
                continue  # the thread ended meanwhile
    except OSError:
        return None
    return total / 1e9


def version_of(server: Server) -> str:
    """The version the server reports in /api/0/info."""
    return str(server.info.get("version", "?"))
