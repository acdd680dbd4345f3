"""A real sway for tests: headless, run as an unprivileged user (sway refuses root), with foot windows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.xserver import wait_for

NOBODY = 65534


def as_nobody() -> list[str]:
    """The command prefix that runs a program as nobody (root may still use nobody's sockets)."""
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@dataclass
class Sway:
    """sway on a headless output; `runtime_dir` holds its Wayland and IPC sockets."""

    home: Path
    runtime_dir: Path
    proc: subprocess.Popen[bytes]
    display: str = ""
    swaysock: str = ""
    clients: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """A session environment for this sway (what a user's app would inherit)."""
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SWAYSOCK")}
        env.update(
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            WAYLAND_DISPLAY=self.display,
            XDG_SESSION_TYPE="wayland",
            XDG_CURRENT_DESKTOP="sway",
            SWAYSOCK=self.swaysock,
        )
        return env

    def foot(self, app_id: str, title: str) -> subprocess.Popen[bytes]:
        """A real Wayland client: a foot terminal window with this app id and title."""
        env = self.env | {"HOME": str(self.home)}
        proc = subprocess.Popen(
            [*as_nobody(), "foot", f"--app-id={app_id}", f"--title={title}", "sleep", "900"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.clients.append(proc)
        wait_for(lambda: any(n.get("app_id") == app_id for n in self.nodes()), f"the {app_id} window", 30)
        return proc

    def msg(self, *args: str) -> str:
        """swaymsg with these arguments; its output."""
        result = subprocess.run(
            ["swaymsg", "-s", self.swaysock, *args], capture_output=True, text=True, timeout=20, check=True
        )
        return result.stdout

    def nodes(self) -> list[dict[str, Any]]:
        """Every window in the tree."""
        tree = json.loads(self.msg("-t", "get_tree", "-r"))
        found: list[dict[str, Any]] = []

        def walk(node: dict[str, Any]) -> None:
            if node.get("pid"):
                found.append(node)
            for child in node.get("nodes", []) + node.get("floating_nodes", []):
                walk(child)

        walk(tree)
        return found

    def focused(self) -> str | None:
        """The app id of the focused window."""
        return next((n.get("app_id") for n in self.nodes() if n.get("focused")), None)

    def focus(self, app_id: str) -> None:
        """Give the window with this app id the focus."""
        self.msg(f'[app_id="{app_id}"] focus')
        wait_for(lambda: self.focused() == app_id, f"{app_id} to have the focus")

    def touch(self) -> None:
        """User activity on the seat (a pointer move), which ends idle."""
        self.msg("seat", "seat0", "cursor", "move", "1", "1")

    def stop(self) -> None:
        """Stop the clients and sway, and remove their folders."""
        for proc in [*self.clients, self.proc]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.clients, self.proc]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.home.parent, ignore_errors=True)


def start_sway(tmp: Path) -> Sway:
    """sway with a 1280x800 headless output, its sockets in a fresh runtime dir under `tmp`."""
    if shutil.which("sway") is None or shutil.which("foot") is None:
        raise RuntimeError("sway and foot are needed (tests/debian-packages.txt)")
    # pytest's own folders are private to root, so nobody's folders live in a fresh one of their own
    base = Path(tempfile.mkdtemp(prefix="aw-sway-"))
    os.chmod(base, 0o755)
    home = base / "home"
    runtime = base / "xdg"
    for path in (home, runtime):
        path.mkdir(mode=0o700)
        os.chown(path, NOBODY, NOBODY)
    config = home / "sway.conf"
    config.write_text("output HEADLESS-1 resolution 1280x800\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    with open(tmp / "sway.log", "wb") as log:  # sway keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [*as_nobody(), "sway", "-c", str(config)], env=env, stdout=log, stderr=log, start_new_session=True
        )
    sway = Sway(home, runtime, proc)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"sway exited with status {proc.returncode}: {(tmp / 'sway.log').read_text()[-2000:]}")
        socks = list(runtime.glob("sway-ipc.*.sock"))
        displays = [p.name for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")]
        if socks and displays:
            sway.swaysock, sway.display = str(socks[0]), displays[0]
            return True
        return False

    wait_for(ready, "sway's sockets", 30)
    return sway
