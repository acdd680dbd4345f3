"""What the built-in watchers cost while the user is idle: `python -m bench.idle [--seconds N] [--desktop D]`.

Starts `activitywatch --no-gui` twice on a private desktop — an X server (Xvfb + openbox with one
window open), or a headless sway with one foot window (`--desktop sway`: the Wayland backends) —
once with the watchers and once with `--no-watchers`, lets each settle, then reads the process's CPU
time (/proc/<pid>/stat) over the same stretch of wall time and its resident memory. Prints both and
what the watchers add (target: under 0.5 % of one core together).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.sway import Sway, start_sway
from tests.xserver import XServer, start_x_server, wait_for

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(env: dict[str, str], watchers: bool, seconds: float, settle: float) -> tuple[float, float]:
    """(% of one core, MB resident) of the app over `seconds` of idle time."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "activitywatch", "--no-gui", "--port", str(port), "--data-dir", data]
        if not watchers:
            command.append("--no-watchers")
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(timeout=1) as client:

                def ready() -> bool:
                    try:
                        return client.get(f"http://127.0.0.1:{port}/api/0/info").status_code == 200
                    except httpx.TransportError:
                        return False

                wait_for(ready, "the app to serve", timeout=60)
            time.sleep(settle)
            cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(seconds)
            cpu1, wall1 = cpu_seconds(proc.pid), time.monotonic()
            return 100 * (cpu1 - cpu0) / (wall1 - wall0), rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle time measured per run (default 60)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after start before measuring")
    parser.add_argument("--desktop", choices=("x11", "sway"), default="x11", help="the desktop to idle on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        desktop: XServer | Sway
        if args.desktop == "sway":
            desktop = start_sway(Path(folder))
            desktop.foot("idle-term", "An idle desktop")
            env = desktop.env
        else:
            desktop = start_x_server()
            desktop.run("xmessage", "-title", "An idle desktop", "hello")
            env = desktop.env
        try:
            without_cpu, without_rss = measure(env, False, args.seconds, args.settle)
            with_cpu, with_rss = measure(env, True, args.seconds, args.settle)
        finally:
            desktop.stop()
    print(f"{args.desktop}, idle for {args.seconds:g} s (default poll times: AFK 5 s, window 1 s)")
    print(f"{'':32}{'no watchers':>14}{'watchers':>12}{'added':>10}")
    print(f"{'CPU, % of one core':32}{without_cpu:14.3f}{with_cpu:12.3f}{with_cpu - without_cpu:10.3f}")
    print(f"{'resident memory, MB':32}{without_rss:14.1f}{with_rss:12.1f}{with_rss - without_rss:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
