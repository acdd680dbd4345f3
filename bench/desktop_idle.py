"""What the desktop app costs while the user is idle: `python -m bench.desktop_idle [--seconds N]`.

Starts the full app (tray, watchers, server) on a private X server with a system tray (Xvfb + icewm),
lets it settle, and reads the CPU time, resident memory (summed over processes) and process count of the
app and its children (the dashboard window's process and the web engine's helpers) over the same stretch
of wall time: once with the dashboard window never opened, once with it open (a second launch opens it),
once opened and closed again. Targets: under 1 % of one core; 130 MB never opened, 450 MB open, 150 MB
closed again.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.idle import cpu_seconds, free_port, rss_mb
from tests.processes import process_tree as tree
from tests.xserver import XServer, start_x_server, wait_for


def usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, MB resident) of the process tree."""
    cpu = mem = 0.0
    for p in tree(pid):
        try:
            cpu += cpu_seconds(p)
            mem += rss_mb(p)
        except OSError:
            continue
    return cpu, mem


def close_dashboard(x: XServer) -> None:
    """Close the dashboard window as its close button does (WM_DELETE_WINDOW)."""
    from Xlib import X, display, protocol

    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "^ActivityWatch$"],
        env=x.env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    conn = display.Display(x.display)
    try:
        for window in found:
            target = conn.create_resource_object("window", int(window))
            data = (32, [conn.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0])
            message = protocol.event.ClientMessage(
                window=target, client_type=conn.intern_atom("WM_PROTOCOLS"), data=data
            )
            target.send_event(message, event_mask=X.NoEventMask)
        conn.flush()
    finally:
        conn.close()


def measure(x: XServer, seconds: float, settle: float, window: str) -> tuple[float, float, int]:
    """(% of one core, MB resident, processes) of the app tree over `seconds` of idle time; `window` is "never",
    "open" or "closed" (opened, loaded, then closed)."""
    env = {**x.env, "QT_QPA_PLATFORM": "xcb", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "activitywatch", "--port", str(free_port()), "--data-dir", data]
        log = Path(data) / "logs" / "activitywatch.log"
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: log.exists() and "The tray icon is shown" in log.read_text(), "the tray", 60)
            if window != "never":
                subprocess.run(command, env=env, capture_output=True, timeout=60, check=True)
                wait_for(lambda: "The dashboard loaded" in log.read_text(), "the dashboard", 60)
            if window == "closed":
                close_dashboard(x)
            time.sleep(settle)
            (cpu0, _), wall0 = usage(proc.pid), time.monotonic()
            time.sleep(seconds)
            (cpu1, mem), wall1 = usage(proc.pid), time.monotonic()
            return 100 * (cpu1 - cpu0) / (wall1 - wall0), mem, len(tree(proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desktop_idle", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle time measured per run (default 60)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after start before measuring")
    args = parser.parse_args()
    x = start_x_server("icewm")
    try:
        never = measure(x, args.seconds, args.settle, window="never")
        opened = measure(x, args.seconds, args.settle, window="open")
        closed = measure(x, args.seconds, args.settle, window="closed")
    finally:
        x.stop()
    print(f"the desktop app idle for {args.seconds:g} s (tray, both watchers, server; Xvfb + icewm)")
    print(f"{'':36}{'never opened':>14}{'window open':>13}{'closed again':>14}")
    print(f"{'CPU, % of one core':36}{never[0]:14.3f}{opened[0]:13.3f}{closed[0]:14.3f}")
    print(f"{'resident memory, MB (with children)':36}{never[1]:14.1f}{opened[1]:13.1f}{closed[1]:14.1f}")
    print(f"{'processes (the app and its children)':36}{never[2]:14d}{opened[2]:13d}{closed[2]:14d}")
    print(f"{'targets, MB':36}{130:14d}{450:13d}{150:14d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
