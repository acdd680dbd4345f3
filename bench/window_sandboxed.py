"""The dashboard window's memory as a normal user has it: `python -m bench.window_sandboxed`.

bench.desktop_idle runs the app as root, where Chromium's sandbox is off and no zygote is needed. Here
the window's process alone (`activitywatch dashboard-window`, as the app starts it) runs as nobody over
a server on loopback, so the sandbox and its zygotes are there, on a private X server; once the
dashboard loaded, each process of its tree is read (resident and proportional memory). The app itself
(see bench.desktop_idle) comes on top.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.desktop_idle import pss_mb, role
from bench.idle import rss_mb
from tests.conftest import start_server
from tests.processes import process_tree as tree
from tests.sway import as_nobody
from tests.xserver import start_x_server, wait_for


def measure(settle: float) -> list[tuple[str, float, float]]:
    """(role, MB resident, MB proportional) of each process of the window's tree, `settle` s after load."""
    x = start_x_server("icewm")
    try:
        with tempfile.TemporaryDirectory(prefix="aw-bench-sandboxed-") as tmp:
            home = Path(tmp)
            os.chmod(home, 0o777)  # nobody's home and data folder
            server, store, _ = start_server(home)
            try:
                env = {**x.env, "QT_QPA_PLATFORM": "xcb", "HOME": str(home)}
                env.pop("QTWEBENGINE_CHROMIUM_FLAGS", None)  # no --no-sandbox
                command = [sys.executable, "-m", "activitywatch", "dashboard-window", "--url", server.url + "/"]
                output = home / "output.txt"
                with open(output, "wb") as out:
                    child = subprocess.Popen(
                        [*as_nobody(), *command, "--data-dir", str(home)],
                        env=env,
                        stdin=subprocess.PIPE,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                try:
                    loaded = lambda: b"The dashboard loaded" in output.read_bytes() or child.poll() is not None  # noqa: E731
                    wait_for(loaded, "the dashboard", 120)
                    if child.poll() is not None:
                        raise SystemExit(f"The window's process ended: {output.read_text(errors='replace')[-2000:]}")
                    time.sleep(settle)
                    return [(role(p, -1), rss_mb(p), pss_mb(p)) for p in tree(child.pid)]
                finally:
                    assert child.stdin is not None
                    child.stdin.close()  # as when the app is gone: the window's process ends
                    child.wait(timeout=60)
            finally:
                server.stop()
                store.close()
    finally:
        x.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.window_sandboxed", description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after the dashboard loaded")
    args = parser.parse_args()
    each = measure(args.settle)
    print("the dashboard window's process as nobody (Chromium's sandbox on; Xvfb + icewm), MB resident / PSS:")
    for name, rss, pss in each:
        print(f"  {name:52}{rss:8.1f}{pss:8.1f}")
    total_rss, total_pss = sum(e[1] for e in each), sum(e[2] for e in each)
    print(f"  {'together (the app comes on top)':52}{total_rss:8.1f}{total_pss:8.1f}  ({len(each)} processes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
