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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.idle import cpu_seconds, free_port, rss_mb
from tests.processes import process_tree as tree
from tests.xserver import XServer, start_x_server, wait_for


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` holds within `seconds` (polled)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def pss_mb(pid: int) -> float:
    """The process's proportional set size in MB (shared pages divided among their users)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def role(pid: int, app: int) -> str:
    """What the process is: the app, the dashboard window's process, or a web engine helper (its --type)."""
    args = [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    kind = next((a.split("=", 1)[1] for a in args if a.startswith("--type=")), None)
    if kind is not None:
        sub = next((a.split("=", 1)[1] for a in args if a.startswith("--utility-sub-type=")), "")
        if kind == "zygote":  # a renderer forked by the zygote keeps its command line
            return "web engine: zygote, or a renderer it forked"
        return f"web engine: {kind}" + (f" ({sub})" if sub else "")
    if pid == app:
        return "the app (tray, watchers, server)"
    return "dashboard window (Qt, browser side)" if "dashboard-window" in args else " ".join(args)[:40]


@dataclass
class Usage:
    """The app's process tree over a stretch of idle time."""

    cpu_percent: float  # of one core
    rss: float  # MB resident, summed over the processes
    pss: float  # MB proportional (shared pages divided among their users), summed
    processes: list[tuple[str, float, float]]  # (role, MB resident, MB proportional) each


def usage(pid: int) -> tuple[float, list[tuple[str, float, float]]]:
    """(CPU seconds, [(role, MB resident, MB proportional)]) of the process tree."""
    cpu = 0.0
    each = []
    for p in tree(pid):
        try:
            cpu += cpu_seconds(p)
            each.append((role(p, pid), rss_mb(p), pss_mb(p)))
        except OSError:
            continue
    return cpu, each


def dashboard_windows(x: XServer) -> list[str]:
    """The ids of the visible dashboard windows."""
    return subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "^ActivityWatch$"],
        env=x.env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()


def close_dashboard(x: XServer) -> None:
    """Close the dashboard window as its close button does (WM_DELETE_WINDOW)."""
    from Xlib import X, display, protocol

    found = dashboard_windows(x)
    conn = display.Display(x.display)
    conn.set_error_handler(lambda *_: None)  # a window may be gone already
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


def measure(x: XServer, seconds: float, settle: float, window: str, source: Path | None = None) -> Usage:
    """The app tree over `seconds` of idle time; `window` is "never", "open" or "closed" (opened,
    loaded, then closed); `source`: run the app of another checkout (its folder) instead of this one."""
    env = {**x.env, "QT_QPA_PLATFORM": "xcb", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "activitywatch", "--port", str(free_port()), "--data-dir", data]
        log = Path(data) / "logs" / "activitywatch.log"
        proc = subprocess.Popen(command, env=env, cwd=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: log.exists() and "The tray icon is shown" in log.read_text(), "the tray", 60)
            if window != "never":
                subprocess.run(command, env=env, cwd=source, capture_output=True, timeout=60, check=True)
                wait_for(lambda: "The dashboard loaded" in log.read_text(), "the dashboard", 60)
            if window == "closed":

                def closed() -> bool:
                    close_dashboard(x)  # again if the window was busy when asked
                    return wait_until(lambda: not dashboard_windows(x), 2)

                wait_for(closed, "the dashboard window's processes to end", 60)
            time.sleep(settle)
            (cpu0, _), wall0 = usage(proc.pid), time.monotonic()
            time.sleep(seconds)
            (cpu1, each), wall1 = usage(proc.pid), time.monotonic()
            rss, pss = sum(e[1] for e in each), sum(e[2] for e in each)
            return Usage(100 * (cpu1 - cpu0) / (wall1 - wall0), rss, pss, each)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desktop_idle", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle time measured per run (default 60)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after start before measuring")
    parser.add_argument("--source", type=Path, metavar="DIR", help="measure the app of another checkout (a peer)")
    args = parser.parse_args()
    x = start_x_server("icewm")
    try:
        never = measure(x, args.seconds, args.settle, window="never", source=args.source)
        opened = measure(x, args.seconds, args.settle, window="open", source=args.source)
        closed = measure(x, args.seconds, args.settle, window="closed", source=args.source)
    finally:
        x.stop()
    runs = {"never opened": never, "window open": opened, "closed again": closed}
    print(f"the desktop app idle for {args.seconds:g} s (tray, both watchers, server; Xvfb + icewm)")
    print(f"{'':36}" + "".join(f"{name:>14}" for name in runs))
    print(f"{'CPU, % of one core':36}" + "".join(f"{u.cpu_percent:14.3f}" for u in runs.values()))
    print(f"{'resident memory, MB (with children)':36}" + "".join(f"{u.rss:14.1f}" for u in runs.values()))
    print(f"{'proportional memory (PSS), MB':36}" + "".join(f"{u.pss:14.1f}" for u in runs.values()))
    print(f"{'processes (the app and its children)':36}" + "".join(f"{len(u.processes):14d}" for u in runs.values()))
    print(f"{'targets, resident MB':36}{130:14d}{450:14d}{150:14d}")
    print("with the window open, each process (MB resident / proportional; the web engine's library is")
    print("resident in each process that maps it, counted once per process by RSS, shared out by PSS):")
    for name, rss, pss in opened.processes:
        print(f"  {name:52}{rss:8.1f}{pss:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
