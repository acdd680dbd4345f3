"""A real X server for tests: Xvfb on a free display number with openbox, and xdotool to drive it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll `condition` until it holds (fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class XServer:
    """Xvfb + openbox on `display`; `run` starts X clients on it, stopped with the server."""

    display: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
        env["DISPLAY"] = self.display
        return env

    def run(self, *command: str) -> subprocess.Popen[bytes]:
        """Start an X client (a window) on this display."""
        proc = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def xdotool(self, *args: str) -> str:
        """Run xdotool on this display; its output."""
        result = subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=20, check=True
        )
        return result.stdout.strip()

    def output(self, *command: str) -> str:
        """What a command prints on this display ('' when it fails)."""
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=20, check=False)
        return result.stdout if result.returncode == 0 else ""

    def succeeds(self, *command: str) -> bool:
        """Whether a command exits 0 on this display."""
        result = subprocess.run(command, env=self.env, capture_output=True, timeout=20, check=False)
        return result.returncode == 0

    def active_title(self) -> str:
        """The title of the active window ('' if none)."""
        result = subprocess.run(
            ["xdotool", "getactivewindow", "getwindowname"], env=self.env, capture_output=True, text=True, check=False
        )
        return result.stdout.strip()

    def stop(self) -> None:
        """Stop every process started here, the window manager and the server last."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_x_server(wm: str = "openbox") -> XServer:
    """Xvfb on a display number it picks itself (no race with other test runs) and a window manager
    (openbox: no tray; icewm: with a tray), ready."""
    missing = [tool for tool in ("Xvfb", wm, "xdotool", "xprop", "xdpyinfo") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"missing X tools {missing}: `make test` installs them (tests/debian-packages.txt)")
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()  # written once the server accepts connections
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    server = XServer(f":{number}")
    server.procs.append(xvfb)
    try:
        for attempt in range(3):  # a window manager that exits at once (seen on a loaded machine) is started again
            manager = server.run(wm)

            def ready(manager: subprocess.Popen[bytes] = manager) -> bool:
                return manager.poll() is not None or "window id" in server.output(
                    "xprop", "-root", "_NET_SUPPORTING_WM_CHECK"
                )

            wait_for(ready, f"{wm} to start", timeout=30)
            if manager.poll() is None:
                return server
            if attempt == 2:
                raise AssertionError(f"{wm} exited with status {manager.returncode} three times on {server.display}")
    except BaseException:
        server.stop()
        raise
    return server
