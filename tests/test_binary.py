"""Release smoke test: build the binary with build.spec, copy it alone elsewhere, run it (headless and on Xvfb).

The builds take minutes, so they are made once per session (one file, then one folder reusing the
same PyInstaller work folder). A build made earlier in the same CI run can be reused by pointing
ACTIVITYWATCH_DIST at its dist folder (it must hold `activitywatch` and `activitywatch-folder/`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PyInstaller.archive.readers import CArchiveReader

from activitywatch import __version__
from tests.conftest import ServerProcess, cli_env, free_port
from tests.processes import alive, process_tree
from tests.sway import start_sway
from tests.xserver import start_x_server, wait_for

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
MIB = 1024 * 1024
# QtWebEngine's library is stored uncompressed (a faster start: build.spec, README): 270 MiB measured
ONE_FILE_LIMIT = 280 * MIB

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def pyinstaller(dist: Path, work: Path, mode: str) -> None:
    """Run build.spec into `dist` (mode 'file' or 'folder'); fail with the log's end if it fails."""
    env = {**os.environ, "ACTIVITYWATCH_BUNDLE": mode}
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1100, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dist folder with both builds of the current checkout (built now unless ACTIVITYWATCH_DIST is set)."""
    given = os.environ.get("ACTIVITYWATCH_DIST")
    if given:
        return Path(given)
    base = tmp_path_factory.mktemp("pyinstaller")
    pyinstaller(base / "dist", base / "work", "file")
    pyinstaller(base / "dist", base / "work", "folder")
    shutil.rmtree(base / "work")  # PyInstaller's intermediate files: hundreds of MiB
    return base / "dist"


@pytest.fixture(scope="session")
def one_file(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-file binary, copied alone into an otherwise empty folder."""
    target = tmp_path_factory.mktemp("elsewhere") / "activitywatch"
    shutil.copy2(dist / "activitywatch", target)
    return target


@pytest.fixture(scope="session")
def one_folder(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder build's executable, its folder copied elsewhere and started through a symlink."""
    folder = tmp_path_factory.mktemp("opt") / "activitywatch"
    shutil.copytree(dist / "activitywatch-folder", folder, symlinks=True)
    link = tmp_path_factory.mktemp("bin") / "activitywatch"
    link.symlink_to(folder / "activitywatch")
    return link


HEADLESS = ("--no-gui", "--no-watchers")


class BinaryServer:
    """The binary serving on a free port with its own data and temp folders (headless unless told otherwise)."""

    def __init__(
        self, executable: Path, home: Path, args: tuple[str, ...] = HEADLESS, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = home / "aw-data"
        self.tmp = home / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.log = home / "binary-output.txt"
        command = [str(executable), *args, "--port", str(self.port), "--data-dir", str(self.data_dir)]
        environment = {**cli_env(home), **(env or {}), "TMPDIR": str(self.tmp)}
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> dict[str, object]:
        """Poll /api/0/info until it answers (a one-file binary unpacks itself first)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"exited with {self.proc.returncode}: {self.log.read_text(errors='replace')}")
                try:
                    info: dict[str, object] = client.get("/api/0/info").json()
                    return info
                except httpx.TransportError:
                    time.sleep(0.05)
        raise AssertionError("the binary did not serve /api/0/info in time")

    def stop(self) -> int:
        """SIGTERM and wait for the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., BinaryServer]]:
    """Start binaries under tmp_path; any still running are killed afterwards."""
    started: list[BinaryServer] = []

    def start(executable: Path, *args: str, env: dict[str, str] | None = None) -> BinaryServer:
        server = BinaryServer(executable, tmp_path, args or HEADLESS, env)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def served_files() -> list[tuple[str, str]]:
    """(path, content type) of what the binary must serve exactly as the app run from source does.

    The dashboard's cases exist when the checkout holds the dashboard (resources/webui/index.html).
    """
    cases = [
        ("/api/", "text/html"),
        ("/api/static/swagger-ui-bundle.js", "javascript"),
        ("/api/openapi.json", "application/json"),
    ]
    if (RESOURCES / "webui" / "index.html").is_file():
        cases += [("/", "text/html"), ("/vendor/echarts/echarts.min.js", "javascript")]
    return cases


def test_version(one_file: Path, one_folder: Path) -> None:
    for executable in (one_file, one_folder):
        result = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"activitywatch {__version__}"


def test_one_file_serves_records_and_stops_cleanly(one_file: Path, serve: Callable[..., BinaryServer]) -> None:
    server = serve(one_file)
    info = server.wait_ready()
    assert info["version"] == f"v{__version__} (single-process)"
    with httpx.Client(base_url=server.url, timeout=10) as client:
        bucket = {"client": "smoke-test", "type": "currentwindow", "hostname": "smoke"}
        assert client.post("/api/0/buckets/smoke", json=bucket).status_code in (200, 201)
        for ts in ("2024-05-01T12:00:00Z", "2024-05-01T12:00:10Z"):
            heartbeat = {"timestamp": ts, "duration": 0, "data": {"app": "shell", "title": "smoke"}}
            response = client.post("/api/0/buckets/smoke/heartbeat?pulsetime=60", json=heartbeat)
            assert response.status_code == 200, response.text
        [event] = client.get("/api/0/buckets/smoke/events").json()
        assert event["data"] == {"app": "shell", "title": "smoke"}
        assert event["duration"] == 10
        bad = client.post("/api/0/buckets/smoke/heartbeat", content=b"{not json")
        assert bad.status_code == 400 and set(bad.json()) >= {"message", "type"}
    assert server.stop() == 0
    # SIGTERM lets the launcher delete the ~400 MiB it unpacked into TMPDIR.
    assert list(server.tmp.iterdir()) == []
    assert (server.data_dir / "activitywatch.db").is_file()

    again = serve(one_file)
    again.wait_ready()
    with httpx.Client(base_url=again.url, timeout=10) as client:
        [event] = client.get("/api/0/buckets/smoke/events").json()
        assert event["data"]["title"] == "smoke"
    assert again.stop() == 0


@pytest.mark.parametrize(("path", "content_type"), served_files())
def test_one_file_serves_what_the_source_serves(
    one_file: Path, serve: Callable[..., BinaryServer], server_process: ServerProcess, path: str, content_type: str
) -> None:
    server = serve(one_file)
    server.wait_ready()
    response = httpx.get(server.url + path, timeout=10)
    assert response.status_code == 200, response.text[:500]
    assert content_type in response.headers["content-type"]
    assert response.content == httpx.get(server_process.url + path, timeout=10).content
    assert server.stop() == 0


def test_one_file_runs_the_app_on_an_x_desktop(one_file: Path, serve: Callable[..., BinaryServer]) -> None:
    """Without --no-gui, on Xvfb + openbox: the frozen watchers see the focused window and record it; the
    dashboard window's process starts from the binary without unpacking it again, and ends with it."""
    x = start_x_server()
    try:
        x.run("xmessage", "-title", "Smoke test window", "hello")
        wait_for(lambda: bool(x.output("xdotool", "search", "--name", "^Smoke test window$")), "the window")
        x.xdotool("windowactivate", "--sync", x.output("xdotool", "search", "--name", "^Smoke test window$").split()[0])
        wait_for(lambda: x.active_title() == "Smoke test window", "the window to be focused")
        env = {**x.env, "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
        server = serve(one_file, "--verbose", env=env)
        server.wait_ready()

        def window_recorded() -> bool:
            buckets = httpx.get(server.url + "/api/0/buckets/", timeout=10).json()
            window = [b for b in buckets if b.startswith("aw-watcher-window_")]
            if not window or not any(b.startswith("aw-watcher-afk_") for b in buckets):
                return False
            events = httpx.get(f"{server.url}/api/0/buckets/{window[0]}/events", timeout=10).json()
            return any(e["data"].get("title") == "Smoke test window" for e in events)

        wait_for(window_recorded, "the window watcher to record the window", timeout=60)
        # no tray under openbox: the dashboard window opens, in a process the frozen binary started
        loaded = "activitywatch.ui.window: The dashboard loaded"
        wait_for(lambda: loaded in server.log.read_text(errors="replace"), "the dashboard window", timeout=120)
        processes = process_tree(server.proc.pid)
        assert any("dashboard-window" in command_line(pid) for pid in processes)
        assert len(list(server.tmp.glob("_MEI*"))) == 1  # it runs from what the app unpacked
        assert server.stop() == 0, server.log.read_text(errors="replace")
        wait_for(lambda: not alive(processes), "every process of the binary to end")
        assert not list(server.tmp.glob("_MEI*"))
    finally:
        x.stop()


def test_one_file_records_windows_on_sway(one_file: Path, serve: Callable[..., BinaryServer], tmp_path: Path) -> None:
    """Headless, in a sway session: the frozen Wayland backend (pywayland, generated bindings) records a window."""
    sway = start_sway(tmp_path)
    try:
        sway.foot("smoke-term", "Smoke on Wayland")
        server = serve(one_file, "--no-gui", "--verbose", env=sway.env)
        server.wait_ready()

        def window_recorded() -> bool:
            buckets = httpx.get(server.url + "/api/0/buckets/", timeout=10).json()
            window = [b for b in buckets if b.startswith("aw-watcher-window_")]
            if not window:
                return False
            events = httpx.get(f"{server.url}/api/0/buckets/{window[0]}/events", timeout=10).json()
            return any(e["data"] == {"app": "smoke-term", "title": "Smoke on Wayland"} for e in events)

        wait_for(window_recorded, "the window watcher to record the Wayland window", timeout=60)

        def backend() -> object:
            return httpx.get(server.url + "/api/0/info", timeout=10).json()["watchers"]["window"]["backend"]

        wait_for(lambda: backend() == "wlr-foreign-toplevel-management", "the backend in /api/0/info", timeout=30)
        assert server.stop() == 0, server.log.read_text(errors="replace")
    finally:
        sway.stop()


def command_line(pid: int) -> str:
    """A process's command line ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_one_folder_serves(one_folder: Path, serve: Callable[..., BinaryServer]) -> None:
    server = serve(one_folder)
    assert server.wait_ready()["version"] == f"v{__version__} (single-process)"
    assert httpx.get(server.url + "/api/", timeout=10).status_code == 200
    assert server.stop() == 0


def compressed(binary: Path, name: str) -> bool:
    """Whether a file is stored zlib-compressed inside a one-file binary."""
    return bool(CArchiveReader(str(binary)).toc[name][3])


def archive_names(binary: Path) -> tuple[set[str], set[str]]:
    """The files inside a one-file binary and the Python modules in its module archive."""
    reader = CArchiveReader(str(binary))
    return set(reader.toc), set(reader.open_embedded_archive("PYZ.pyz").toc)


def test_one_file_contents(one_file: Path) -> None:
    files, modules = archive_names(one_file)
    expected_resources = {
        "resources/" + path.relative_to(RESOURCES).as_posix() for path in RESOURCES.rglob("*") if path.is_file()
    }
    assert expected_resources <= files
    assert "resources/webui/vendor/echarts/echarts.min.js" in files
    # QtWebEngine and what it needs at run time.
    for name in (
        "PySide6/QtWebEngineWidgets.abi3.so",
        "PySide6/QtWebEngineCore.abi3.so",
        "PySide6/QtWidgets.abi3.so",
        "PySide6/QtNetwork.abi3.so",
        "PySide6/QtSvg.abi3.so",
        "PySide6/Qt/lib/libQt6WebEngineCore.so.6",
        "PySide6/Qt/libexec/QtWebEngineProcess",
        "PySide6/Qt/resources/icudtl.dat",
        "PySide6/Qt/resources/qtwebengine_resources.pak",
        "PySide6/Qt/resources/v8_context_snapshot.bin",
        "PySide6/Qt/translations/qtwebengine_locales/en-US.pak",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "swagger_ui_bundle/vendor/swagger-ui-4.15.5/swagger-ui-bundle.js",
    ):
        assert name in files, name
    assert {"activitywatch.cli", "pynput.keyboard._xorg", "pynput.mouse._xorg"} <= modules
    # Sync's encryption and compression, with their compiled parts.
    # (compiled modules are bundled as files, not in the archive's module table)
    assert {"activitywatch.sync.engine", "nacl.secret", "zstandard"} <= modules
    assert any(name.startswith("nacl/_sodium.") and name.endswith(".so") for name in files)
    assert any(name.startswith("zstandard/backend_c.") and name.endswith(".so") for name in files)
    # What the build leaves out: the QML tree, the plotly package, test tools, GTK.
    assert not {name for name in files if name.startswith(("PySide6/Qt/qml/", "PySide6/QtQml", "PySide6/QtQuick"))}
    assert not {name for name in files if name.startswith(("libgtk-3", "libcairo", "libcups"))}
    assert not {m for m in modules if m.split(".")[0] in {"plotly", "pytest", "hypothesis", "selenium", "PyInstaller"}}
    assert one_file.stat().st_size <= ONE_FILE_LIMIT, f"{one_file.stat().st_size / MIB:.1f} MiB"
    assert not compressed(one_file, "PySide6/Qt/lib/libQt6WebEngineCore.so.6")  # nothing to inflate at start
    assert compressed(one_file, "PySide6/Qt/lib/libQt6Gui.so.6")
    assert compressed(one_file, "PySide6/Qt/resources/icudtl.dat")


def installed_files(prefix: Path) -> set[str]:
    """Files and links under an installation prefix, relative to it (caches of the desktop excluded)."""
    caches = {"mimeinfo.cache", "icon-theme.cache"}
    return {
        p.relative_to(prefix).as_posix()
        for p in prefix.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name not in caches and "lib/activitywatch/" not in p.as_posix()
    }


ICON_FILES = {
    "share/icons/hicolor/scalable/apps/activitywatch.svg",
    *(f"share/icons/hicolor/{n}x{n}/apps/activitywatch.png" for n in (16, 32, 48, 64, 128, 256)),
}


def test_desktop_entry_is_valid() -> None:
    entry = ROOT / "packaging" / "linux" / "activitywatch.desktop"
    result = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout, result.stdout
    assert "Icon=activitywatch\n" in entry.read_text()


@pytest.mark.parametrize("variant", ["activitywatch", "activitywatch-folder"])
def test_install_script_installs_and_uninstalls(dist: Path, tmp_path: Path, variant: str) -> None:
    script = ROOT / "packaging" / "linux" / "install.sh"
    prefix = tmp_path / "prefix"
    subprocess.run([str(script), "--prefix", str(prefix), str(dist / variant)], check=True, capture_output=True)
    program = prefix / "bin" / "activitywatch"
    assert installed_files(prefix) == {"bin/activitywatch", "share/applications/activitywatch.desktop", *ICON_FILES}
    assert (prefix / "lib" / "activitywatch").is_dir() == (variant == "activitywatch-folder")
    version = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True, timeout=120)
    assert version.stdout.strip() == f"activitywatch {__version__}"
    entry = prefix / "share" / "applications" / "activitywatch.desktop"
    assert f"\nExec={program}\n" in entry.read_text()
    assert subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, check=False).returncode == 0

    subprocess.run([str(script), "--prefix", str(prefix), "--uninstall"], check=True, capture_output=True)
    assert installed_files(prefix) == set()
    assert not (prefix / "lib" / "activitywatch").exists()


def test_deb_package(dist: Path, tmp_path: Path) -> None:
    build = subprocess.run(
        [str(ROOT / "packaging" / "linux" / "build-deb.sh"), str(dist / "activitywatch-folder"), str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    deb = Path(build.stdout.strip())
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    assert deb.name == f"activitywatch-sp_{__version__}_{arch}.deb"
    fields = {
        name: subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout
        for name in ("Package", "Version", "Depends")
    }
    assert fields["Package"].strip() == "activitywatch-sp"
    assert fields["Version"].strip() == __version__
    assert "libc6 (>= 2.36)" in fields["Depends"]
    contents = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "./usr/bin/activitywatch -> /opt/activitywatch/activitywatch" in contents
    for line in contents.splitlines():
        assert line.split()[1] == "root/root", line  # owned by root whoever built it
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    expected = {"bin/activitywatch", "share/applications/activitywatch.desktop", *ICON_FILES}
    assert installed_files(root / "usr") == expected
    version = subprocess.run(
        [str(root / "opt" / "activitywatch" / "activitywatch"), "--version"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert version.stdout.strip() == f"activitywatch {__version__}"


WEBENGINE_PROBE_SPEC = """
import sys
sys.path.insert(0, {bundle_dir!r})
import bundle
a = Analysis([{script!r}], hiddenimports=bundle.HIDDEN_IMPORTS, excludes=bundle.EXCLUDES)
a.datas = bundle.prune(a.datas)
a.binaries = bundle.prune(a.binaries)
exe = EXE(PYZ(a.pure), a.scripts, [], exclude_binaries=True, name="webengine-probe", strip=True, upx=False)
COLLECT(exe, a.binaries, a.datas, strip=True, upx=False, name="webengine-probe")
"""


def test_frozen_webengine_renders_a_page_offscreen(tmp_path: Path) -> None:
    """A probe frozen with build.spec's Qt modules, excludes and pruning loads a page, runs its script, paints it."""
    spec = tmp_path / "webengine-probe.spec"
    spec.write_text(
        WEBENGINE_PROBE_SPEC.format(
            bundle_dir=str(ROOT / "packaging" / "pyinstaller"), script=str(ROOT / "tests" / "webengine_probe.py")
        )
    )
    built = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath",
         str(tmp_path / "dist"), "--workpath", str(tmp_path / "work"), str(spec)],
        cwd=tmp_path, capture_output=True, text=True, timeout=1100, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    env = {**cli_env(tmp_path), "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    result = subprocess.run(
        [str(tmp_path / "dist" / "webengine-probe" / "webengine-probe")],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "RESULT script=probe:42 colour=#123456" in result.stdout
