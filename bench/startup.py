"""Size and start-up time of the built binaries: `python -m bench.startup [--runs N] [--dist DIR]`.

For the one-file binary (`dist/activitywatch`, `make build`) and the one-folder build
(`dist/activitywatch-folder/`, `make build-folder`), whichever exist: the size on disk, then N times
the wall time from launching `--no-gui --no-watchers` on a free port with an empty data folder until
`/api/0/info` answers (median, min and max) and the CPU time the process tree used until then (which
a busy machine changes much less than the wall time), and the time `--version` takes. Each run is
stopped with SIGTERM, which also lets the one-file launcher delete what it unpacked.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Build:
    """One built variant: its label, the executable, and the file or folder that is shipped."""

    label: str
    executable: Path
    shipped: Path


def builds(dist: Path) -> list[Build]:
    """The variants found in `dist`."""
    found = [
        Build("one file", dist / "activitywatch", dist / "activitywatch"),
        Build("one folder", dist / "activitywatch-folder" / "activitywatch", dist / "activitywatch-folder"),
    ]
    return [b for b in found if b.executable.is_file()]


def size_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (symbolic links not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (the one-file launcher runs the app as its child)."""
    tree = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            tree += process_tree(int(child))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def time_to_ready(executable: Path, work: Path, timeout: float = 60) -> tuple[float, float]:
    """(wall seconds, CPU seconds) from launch until /api/0/info answers; the process is stopped afterwards."""
    port = free_port()
    data = Path(tempfile.mkdtemp(dir=work))
    env = {**os.environ, "HOME": str(data), "XDG_CONFIG_HOME": str(data / "config")}
    command = [str(executable), "--no-gui", "--no-watchers", "--port", str(port), "--data-dir", str(data)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1) as client:
            while time.perf_counter() - start < timeout:
                if proc.poll() is not None:
                    raise SystemExit(f"{executable} exited with {proc.returncode} before it served /api/0/info")
                try:
                    client.get("/api/0/info").raise_for_status()
                    wall = time.perf_counter() - start
                    return wall, sum(cpu_seconds(pid) for pid in process_tree(proc.pid))
                except httpx.TransportError:
                    time.sleep(0.01)
        raise SystemExit(f"{executable} did not serve /api/0/info within {timeout} s")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def time_version(executable: Path) -> float:
    """Seconds `--version` takes."""
    start = time.perf_counter()
    subprocess.run([str(executable), "--version"], capture_output=True, check=True, timeout=60)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="launches per build (default 7)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="folder with the builds (default dist/)")
    args = parser.parse_args(argv)
    found = builds(args.dist)
    if not found:
        print(f"No builds in {args.dist}: run `make build` and/or `make build-folder` first.", file=sys.stderr)
        return 1
    print(f"{'build':<12} {'size':>10}  {'ready (median, min-max)':>26}  {'CPU to ready':>12}  {'--version':>9}")
    with tempfile.TemporaryDirectory(prefix="aw-startup-") as work:
        for build in found:
            runs = [time_to_ready(build.executable, Path(work)) for _ in range(args.runs)]
            times = [wall for wall, _ in runs]
            cpu = statistics.median(cpu for _, cpu in runs)
            version = statistics.median(time_version(build.executable) for _ in range(3))
            print(
                f"{build.label:<12} {size_bytes(build.shipped) / MIB:>6.1f} MiB  "
                f"{statistics.median(times):>8.2f} s ({min(times):.2f}-{max(times):.2f} s)  {cpu:>10.2f} s  "
                f"{version:>7.2f} s"
            )
    print(f"({args.runs} launches each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
