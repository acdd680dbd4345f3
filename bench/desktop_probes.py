"""What the GNOME and KDE probes cost per sample: `python -m bench.desktop_probes [--samples N]`.

Starts headless GNOME Shell (our extension loaded, a window focused) and kwin_wayland --virtual (our
script running, a window active), as the tests do, then takes N samples from each probe and reads the
CPU time of this process and of the compositor (/proc/<pid>/stat) over them. Prints the CPU per sample
and what that is, as a share of one core, at the watchers' default poll times (window 1 s, AFK 5 s).
Ours waits for signals (a sample reads the socket without waiting); "Focused Window D-Bus" and Mutter's
idle time are one D-Bus round trip per sample.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from activitywatch.gnome_extension import EXTENSION_UUID, extension_dir
from activitywatch.watchers.gnome import GnomeExtensionWindowProbe, GnomeIdleProbe
from activitywatch.watchers.kde import KWinWindowProbe
from bench.idle import cpu_seconds
from tests.desktop_session import Desktop, add_logind, new_desktop, start_gnome_shell, start_kwin
from tests.xserver import wait_for

TEST_EXTENSION = "overview-off@tests.activitywatch.invalid"


def per_sample(sample: Callable[[], object], server_pid: int, samples: int) -> tuple[float, float]:
    """(µs of our CPU, µs of the compositor's CPU) per sample."""
    ours0, theirs0 = time.process_time(), cpu_seconds(server_pid)
    for _ in range(samples):
        sample()
    ours1, theirs1 = time.process_time(), cpu_seconds(server_pid)
    return 1e6 * (ours1 - ours0) / samples, 1e6 * (theirs1 - theirs0) / samples


def gnome(root: Path) -> Desktop:
    """Headless GNOME Shell with our extension and one focused window."""
    desktop = new_desktop(root)
    add_logind(desktop)
    data = Path(desktop.env["XDG_DATA_HOME"])
    repo = Path(__file__).resolve().parent.parent
    builds = (
        (EXTENSION_UUID, repo / "resources" / "gnome-shell" / "legacy"),
        (TEST_EXTENSION, repo / "tests" / "gnome-test-extension"),
    )
    for uuid, source in builds:
        target = extension_dir(data).parent / uuid
        target.mkdir(parents=True)
        for name in ("metadata.json", "extension.js"):
            (target / name).write_bytes((source / name).read_bytes())
    subprocess.run(
        ["gsettings", "set", "org.gnome.shell", "enabled-extensions", repr([EXTENSION_UUID, TEST_EXTENSION])],
        env=desktop.env,
        check=True,
    )
    start_gnome_shell(desktop)
    return desktop


def main() -> int:
    """Run both desktops and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.desktop_probes", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000, help="samples per probe (default 2000)")
    args = parser.parse_args()
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        desktop = gnome(Path(tmp) / "gnome")
        try:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = desktop.session_bus
            shell_pid = desktop.procs[-1].pid
            desktop.window("bench-a", "Bench")
            window = GnomeExtensionWindowProbe()
            wait_for(lambda: window.active() is not None, "a focused window", timeout=60)
            rows.append(("GNOME extension, window", *per_sample(window.active, shell_pid, args.samples), 1.0))
            window.close()
            idle = GnomeIdleProbe()
            rows.append(("Mutter IdleMonitor, AFK", *per_sample(idle.idle, shell_pid, args.samples), 5.0))
            idle.close()
        finally:
            desktop.stop()
        desktop = new_desktop(Path(tmp) / "kwin")
        try:
            start_kwin(desktop)
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = desktop.session_bus
            kwin_pid = desktop.procs[-1].pid
            kwin_window = KWinWindowProbe()
            desktop.window("bench-k", "Bench")
            wait_for(lambda: kwin_window.active() is not None, "an active window", timeout=60)
            rows.append(("KWin script, window", *per_sample(kwin_window.active, kwin_pid, args.samples), 1.0))
            kwin_window.close()
        finally:
            desktop.stop()
    print(f"{args.samples} samples per probe; CPU time (not wall time), read in 10 ms ticks for the compositor")
    print(f"{'probe':28}{'ours µs':>10}{'compositor µs':>15}{'poll s':>8}{'% of a core':>13}")
    for name, ours, theirs, poll in rows:
        share = 100 * (ours + theirs) / 1e6 / poll
        print(f"{name:28}{ours:10.1f}{theirs:15.1f}{poll:8g}{share:13.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
