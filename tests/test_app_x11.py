"""The real desktop app end to end on a real X server (Xvfb + openbox, which has no system tray): the
dashboard window appears in a process of its own, closing it ends that process and the web engine's
while the app runs on, a second launch exits 0 and brings the first one's window back, SIGTERM stops
it cleanly with its data kept and no process left behind, and a port in use is a dialog plus one line
on stderr. A screenshot of the window is saved to test-artifacts/ for people to look at."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from activitywatch.store import Store
from tests.conftest import cli_env
from tests.processes import alive, process_tree
from tests.xserver import XServer, start_x_server, wait_for

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TITLE = "^ActivityWatch$"
WAIT = 120  # seconds: generous upper bounds (the machine may be busy); nothing here measures speed

pytestmark = pytest.mark.slow


class AppProcess:
    """`python -m activitywatch` (the full app) on the test's X server, with its own home and data."""

    def __init__(self, x: XServer, home: Path, *args: str) -> None:
        self.home = home
        self.data_dir = home / "aw-data"
        self.output = home / f"output-{time.monotonic_ns()}.txt"
        env = {**cli_env(home), **x.env, "QT_QPA_PLATFORM": "xcb", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
        command = [sys.executable, "-m", "activitywatch", "--data-dir", str(self.data_dir), *args]
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        path = self.data_dir / "logs" / "activitywatch.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def apps() -> Iterator[list[AppProcess]]:
    started: list[AppProcess] = []
    yield started
    for app in started:
        app.kill()


def windows(x: XServer, pattern: str, *, visible: bool = True) -> list[str]:
    """Ids of windows whose name matches `pattern`."""
    flags = ["--onlyvisible"] if visible else []
    return x.output("xdotool", "search", *flags, "--name", pattern).split()


def screenshot(x: XServer, path: Path) -> QImage:
    """The whole screen through the X server (python-xlib), saved as PNG."""
    from Xlib import X, display

    conn = display.Display(x.display)
    try:
        root = conn.screen().root
        geometry = root.get_geometry()
        raw = root.get_image(0, 0, geometry.width, geometry.height, X.ZPixmap, 0xFFFFFFFF)
        image = QImage(raw.data, geometry.width, geometry.height, geometry.width * 4, QImage.Format.Format_RGB32).copy()
    finally:
        conn.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    assert image.save(str(path))
    return image


def close_window(x: XServer, window: str) -> None:
    """Ask a window to close (WM_DELETE_WINDOW, what a window manager sends for its close button)."""
    from Xlib import X, display, protocol

    conn = display.Display(x.display)
    conn.set_error_handler(lambda *_: None)  # the window may be gone already
    try:
        target = conn.create_resource_object("window", int(window))
        message = protocol.event.ClientMessage(
            window=target,
            client_type=conn.intern_atom("WM_PROTOCOLS"),
            data=(32, [conn.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
        )
        target.send_event(message, event_mask=X.NoEventMask)
        conn.flush()
    finally:
        conn.close()


def window_processes(app: AppProcess) -> list[int]:
    """The app's descendants: the dashboard window's process and the web engine's helpers."""
    return [pid for pid in process_tree(app.proc.pid) if pid != app.proc.pid]


def loads_web_engine(pid: int) -> bool:
    """Whether the process has QtWebEngine's library mapped."""
    return "libQt6WebEngineCore" in Path(f"/proc/{pid}/maps").read_text()


def engine_kind(pid: int) -> str:
    """A web engine helper's --type (renderer, zygote, gpu-process, utility); "" for another process."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return next((a.decode().split("=", 1)[1] for a in args if a.startswith(b"--type=")), "")


def opengl_drivers(pid: int) -> set[str]:
    """The OpenGL drivers (Mesa's or a vendor's) the process has mapped."""
    maps = Path(f"/proc/{pid}/maps").read_text().split()
    return {Path(m).name for m in maps if m.startswith("/") and any(d in m for d in OPENGL_DRIVERS)}


OPENGL_DRIVERS = ("libLLVM", "_dri.so", "libGLX_mesa", "libEGL_mesa", "libGLX_nvidia", "libnvidia-glcore")


def colours(image: QImage, step: int = 7) -> int:
    """How many different colours a sample of the image has (a painted page has many)."""
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def test_the_app_on_a_desktop_without_tray(xserver: XServer, tmp_path: Path, apps: list[AppProcess]) -> None:
    first = AppProcess(xserver, tmp_path, "--port", "0")
    apps.append(first)
    wait_for(lambda: bool(windows(xserver, TITLE)) or first.proc.poll() is not None, "the dashboard window", WAIT)
    assert first.proc.poll() is None, first.printed
    wait_for(lambda: bool(windows(xserver, "no system tray")), "the notice that there is no tray", WAIT)
    (notice,) = windows(xserver, "no system tray")
    xserver.xdotool("windowactivate", "--sync", notice)
    xserver.xdotool("key", "Return")
    wait_for(lambda: not windows(xserver, "no system tray"), "the notice to be closed", WAIT)
    wait_for(lambda: "The dashboard loaded" in first.log, "the dashboard to load", WAIT)

    children = window_processes(first)  # the window's own process and the web engine's
    assert len(children) >= 2
    assert not loads_web_engine(first.proc.pid)  # only the window's process loads it
    # The window's memory switches are in force (ui/window_child.py): one renderer, no zygote (no
    # sandbox here, as root), no GPU process, and no OpenGL driver loaded by any of them.
    kinds = [engine_kind(pid) for pid in children]
    assert kinds.count("renderer") == 1, kinds
    assert "zygote" not in kinds and "gpu-process" not in kinds, kinds
    assert {pid: opengl_drivers(pid) for pid in children} == {pid: set() for pid in children}

    shot = ARTIFACTS / "desktop-window-openbox.png"
    wait_for(lambda: colours(screenshot(xserver, shot)) > 60, "the page to be painted", WAIT)
    print(f"\nScreenshot of the dashboard window: {shot}")

    (window,) = windows(xserver, TITLE)

    def closed() -> bool:
        if not windows(xserver, TITLE):
            return True
        close_window(xserver, window)  # as the title bar's close button does (again, if the app was busy)
        return False

    wait_for(closed, "the window to be closed", WAIT)
    wait_for(lambda: not alive(children), "the window's processes to end", WAIT)
    assert process_tree(first.proc.pid) == [first.proc.pid]  # nothing of the web engine stays
    assert first.proc.poll() is None

    second = AppProcess(xserver, tmp_path, "--port", "0")
    apps.append(second)
    assert second.wait(WAIT) == 0, second.printed
    assert "already running" in second.printed
    wait_for(lambda: bool(windows(xserver, TITLE)), "the first instance to bring its window back", WAIT)

    wait_for(lambda: "The window watcher is running" in first.log, "the window watcher", WAIT)
    first.proc.send_signal(signal.SIGTERM)
    assert first.wait(WAIT) == 0, first.printed
    assert "Shutting down" in first.log
    with Store(first.data_dir / "activitywatch.db") as store:  # what the watchers recorded is there
        ids = [info.bucket.id for info in store.list_buckets()]
        window_bucket = next(i for i in ids if i.startswith("aw-watcher-window_"))
        assert store.get_events(window_bucket)
        assert any(i.startswith("aw-watcher-afk_") for i in ids)


def test_a_port_in_use_is_a_dialog_and_a_line(xserver: XServer, tmp_path: Path, apps: list[AppProcess]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = AppProcess(xserver, tmp_path, "--port", str(port), "--no-watchers")
        apps.append(app)
        wait_for(lambda: bool(windows(xserver, TITLE)) or app.proc.poll() is not None, "the error dialog", WAIT)
        assert app.proc.poll() is None, app.printed
        line = f"Error: Could not start the API server: port {port} is in use."
        wait_for(lambda: line in app.printed, "the line on stderr", WAIT)
        screenshot(xserver, ARTIFACTS / "desktop-port-in-use.png")
        (dialog,) = windows(xserver, TITLE)
        xserver.xdotool("windowactivate", "--sync", dialog)
        xserver.xdotool("key", "Return")
        assert app.wait(WAIT) == 1
    assert os.path.exists(ARTIFACTS / "desktop-port-in-use.png")


def tray_ready(x: XServer) -> bool:
    """Whether a system tray owns the tray selection of screen 0."""
    from Xlib import display

    conn = display.Display(x.display)
    try:
        owner = conn.get_selection_owner(conn.intern_atom("_NET_SYSTEM_TRAY_S0"))
        return bool(owner) and owner != 0
    finally:
        conn.close()


def test_the_app_in_a_desktop_tray(tmp_path: Path, apps: list[AppProcess]) -> None:
    x = start_x_server("icewm")
    try:
        wait_for(lambda: tray_ready(x), "icewm's tray", WAIT)
        app = AppProcess(x, tmp_path, "--port", "0", "--no-watchers")
        apps.append(app)
        wait_for(lambda: "The tray icon is shown" in app.log or app.proc.poll() is not None, "the tray icon", WAIT)
        assert app.proc.poll() is None, app.printed
        assert not windows(x, TITLE) and not windows(x, "no system tray")  # a tray app starts without a window
        screenshot(x, ARTIFACTS / "desktop-tray-icewm.png")
        second = AppProcess(x, tmp_path, "--port", "0", "--no-watchers")
        apps.append(second)
        assert second.wait(WAIT) == 0, second.printed
        wait_for(lambda: bool(windows(x, TITLE)), "the dashboard window from the tray app", WAIT)
        wait_for(lambda: "The dashboard loaded" in app.log, "the dashboard to load", WAIT)
        children = window_processes(app)
        assert len(children) >= 2
        app.proc.send_signal(signal.SIGTERM)  # with the window open
        assert app.wait(WAIT) == 0, app.printed
        wait_for(lambda: not alive(children), "the window's processes to end with the app", WAIT)
    finally:
        x.stop()
