"""The dashboard window's process on a real Wayland compositor (sway, headless, as nobody, so with
Chromium's sandbox): it paints the dashboard, loads no OpenGL driver (Qt's Wayland plugin is told to
use none) and starts no unsandboxed zygote. A screenshot goes to test-artifacts/ for people to look at."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from activitywatch.ui.window_process import SUBCOMMAND
from tests.conftest import LiveServer
from tests.processes import process_tree
from tests.sway import Sway, as_nobody, start_sway
from tests.test_app_x11 import ARTIFACTS, colours, opengl_drivers
from tests.xserver import wait_for

WAIT = 120  # seconds: a generous bound (the machine may be busy); nothing here measures speed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sway]:
    compositor = start_sway(tmp_path_factory.mktemp("sway"))
    try:
        yield compositor
    finally:
        compositor.stop()


def test_the_window_on_wayland_paints_without_opengl(sway: Sway, live_server: LiveServer) -> None:
    env = {**sway.env, "QT_QPA_PLATFORM": "wayland", "HOME": str(sway.home)}
    for name in ("QTWEBENGINE_CHROMIUM_FLAGS", "DISPLAY", "QT_QUICK_BACKEND"):
        env.pop(name, None)  # the tests' --no-sandbox; no X server to fall back to
    output = sway.home / "window-output.txt"
    command = [sys.executable, "-m", "activitywatch", SUBCOMMAND, "--url", live_server.url + "/"]
    with open(output, "wb") as out:
        child = subprocess.Popen(
            [*as_nobody(), *command, "--data-dir", str(sway.home)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: b"The dashboard loaded" in output.read_bytes() or child.poll() is not None, "the dashboard", WAIT
        )
        assert child.poll() is None, output.read_text(errors="replace")
        wait_for(lambda: any(n.get("name") == "ActivityWatch" for n in sway.nodes()), "the window in sway", WAIT)
        shot = ARTIFACTS / "desktop-window-sway.png"
        shot.parent.mkdir(parents=True, exist_ok=True)

        def painted() -> bool:
            mine = sway.home / "shot.png"  # grim runs as nobody, who may not write into the checkout
            subprocess.run([*as_nobody(), "grim", str(mine)], env=sway.env, check=True, timeout=30)
            shutil.copy(mine, shot)
            return colours(QImage(str(shot))) > 60

        wait_for(painted, "the page to be painted", WAIT)
        print(f"\nScreenshot of the dashboard window on sway: {shot}")
        processes = process_tree(child.pid)
        assert {pid: opengl_drivers(pid) for pid in processes} == {pid: set() for pid in processes}
        arguments = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in processes]
        assert not [args for args in arguments if b"--no-zygote-sandbox" in args]  # no unsandboxed zygote
    finally:
        assert child.stdin is not None
        child.stdin.close()  # as when the app is gone: the window's process ends with its web engine
        child.wait(timeout=WAIT)
    wait_for(lambda: not process_tree(child.pid), "the window's processes to end", WAIT)
