"""Start at login in a temporary home: the XDG entry and the macOS LaunchAgent are real files; the
Windows Run key goes through its registry seam (no registry on Linux)."""

from __future__ import annotations

import plistlib
import shlex
import sys
from pathlib import Path

from activitywatch.ui.autostart import LaunchAgent, RunKey, XdgAutostart, autostart_for, launch_command


def test_xdg_entry_written_and_removed(tmp_path: Path) -> None:
    command = [*launch_command(), "--data-dir", str(tmp_path / "my data")]
    entry = autostart_for(command, platform="linux", environ={"HOME": str(tmp_path / "home")})
    assert isinstance(entry, XdgAutostart) and not entry.enabled()
    entry.set_enabled(True)
    path = tmp_path / "home" / ".config" / "autostart" / "activitywatch.desktop"
    assert entry.enabled() and path.is_file()
    lines = dict(line.split("=", 1) for line in path.read_text().splitlines()[1:])
    assert lines["Type"] == "Application" and lines["Name"] == "ActivityWatch"
    assert shlex.split(lines["Exec"]) == command  # quoted so the folder with a space stays one argument
    entry.set_enabled(False)
    assert not path.exists() and not entry.enabled()
    entry.set_enabled(False)  # removing twice is fine


def test_xdg_config_home_is_honoured(tmp_path: Path) -> None:
    entry = autostart_for(["aw"], platform="linux", environ={"HOME": "/nowhere", "XDG_CONFIG_HOME": str(tmp_path)})
    entry.set_enabled(True)
    assert (tmp_path / "autostart" / "activitywatch.desktop").is_file()


def test_launch_agent_written_and_removed(tmp_path: Path) -> None:
    agent = autostart_for(
        ["/Applications/ActivityWatch.app/Contents/MacOS/aw"], platform="darwin", environ={"HOME": str(tmp_path)}
    )
    assert isinstance(agent, LaunchAgent)
    agent.set_enabled(True)
    path = tmp_path / "Library" / "LaunchAgents" / "net.activitywatch.single-process.plist"
    with open(path, "rb") as f:
        doc = plistlib.load(f)
    assert doc["ProgramArguments"] == ["/Applications/ActivityWatch.app/Contents/MacOS/aw"] and doc["RunAtLoad"] is True
    assert agent.enabled()
    agent.set_enabled(False)
    assert not path.exists()


class FakeRunKey:
    """The Run key's values (the one seam: Windows' registry does not exist here)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_run_key_written_and_removed() -> None:
    registry = FakeRunKey()
    key = RunKey([r"C:\Program Files\ActivityWatch\activitywatch.exe", "--testing"], registry)
    assert not key.enabled()
    key.set_enabled(True)
    assert registry.values == {"ActivityWatch": '"C:\\Program Files\\ActivityWatch\\activitywatch.exe" --testing'}
    assert key.enabled()
    key.set_enabled(False)
    assert registry.values == {} and not key.enabled()


def test_launch_command_runs_this_python() -> None:
    assert launch_command(["--x"]) == [sys.executable, "-m", "activitywatch", "--x"]


def test_headless_mode_never_loads_widgets_or_the_web_engine() -> None:
    """`--no-gui` runs where there is no display: the command line and the headless app stay free of them."""
    import subprocess

    code = (
        "import sys; import activitywatch.cli, activitywatch.app, activitywatch.watchers.host; "
        "heavy = ('PySide6.QtWidgets', 'PySide6.QtWebEngine', 'activitywatch.ui'); "
        "bad = [m for m in sys.modules if m.startswith(heavy)]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
