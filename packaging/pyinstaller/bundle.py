"""What the PyInstaller builds contain: data files, hidden imports, excluded modules and pruned files.

build.spec reads this module; the tests build small probe binaries with the same data files and
the same pruning, so what they check holds for the real binary.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = "resources"

# pynput picks its backend at run time; its hook imports pynput, which fails without a display,
# so a headless build machine would silently leave the X11 backend out.
HIDDEN_IMPORTS = [
    "pynput.keyboard._xorg",
    "pynput.mouse._xorg",
    # The Wayland and D-Bus backends, imported when a watcher starts on such a desktop
    "activitywatch.watchers.wlroots",
    "activitywatch.watchers.wlproto.idle",
    "activitywatch.watchers.wlproto.wlr_foreign_toplevel_management_unstable_v1",
    "pywayland.client.display",
    "pywayland.protocol.ext_idle_notify_v1",
    "activitywatch.watchers.logind",
    "activitywatch.watchers.media",
    # The Qt modules of the desktop app (tray, dashboard window, single instance, SVG icons), named so
    # the binary always carries QtWebEngine and its resources, whichever module imports them.
    "PySide6.QtWidgets",
    "PySide6.QtNetwork",
    "PySide6.QtSvg",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
]

# Qt modules the app never imports. QtWebEngine links the Qt Quick libraries, and these hooks would
# otherwise collect the whole QML tree (~110 MiB); the web view works without them.
QT_EXCLUDES = [
    f"PySide6.{name}"
    for name in (
        "QtQml", "QtQuick", "QtQuickWidgets", "QtQuick3D", "QtQuickControls2", "QtQuickTest",
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtAxContainer", "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDesigner",
        "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia",
        "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf",
        "QtPdfWidgets", "QtPositioning", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus",
        "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtTest", "QtTextToSpeech",
        "QtUiTools", "QtWebSockets", "QtWebView", "QtXml",
    )
]  # fmt: skip

# Never part of the product: plotly (older versions drew the charts), GUI toolkits and test or build
# tools that happen to be installed next to it.
EXCLUDES = [
    *QT_EXCLUDES,
    "plotly", "pandas", "numpy", "tkinter", "_tkinter", "IPython", "matplotlib",
    "pytest", "_pytest", "hypothesis", "selenium", "schemathesis", "mypy", "ruff", "importlinter",
    "aw_client", "aw_core", "keyrings.alt", "PyInstaller", "pip", "setuptools", "pkg_resources",
    "distutils", "trio", "yaml", "readline", "sqlite3",
]  # fmt: skip

# Swagger UI ships source maps and ES-module builds; the API browser loads only the classic bundle.
SWAGGER_UI = "swagger_ui_bundle"
SWAGGER_UI_DROPPED = ("-es-bundle", ".map", "swagger-ui.js")

# Qt plugins the app needs (window systems, image formats, icons, TLS), by folder: None keeps the whole
# folder, a set keeps those files; other folders are dropped. The GTK3 platform theme would pull the
# build machine's GTK, cairo and pango; the PDF image format pulls Qt PDF; printing pulls CUPS.
QT_PLUGINS_KEPT: dict[str, set[str] | None] = {
    "platforms": {"libqxcb.so", "libqwayland.so", "libqoffscreen.so", "libqminimal.so"},
    "platformthemes": {"libqxdgdesktopportal.so"},
    "imageformats": {"libqsvg.so", "libqico.so", "libqjpeg.so", "libqgif.so", "libqwebp.so"},
    "iconengines": None,
    "xcbglintegrations": None,
    "platforminputcontexts": {"libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"},
    "tls": None,
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": None,
    "wayland-shell-integration": None,
}

# The UI is English only: one WebEngine locale (of 53), no Qt translations. The developer tools'
# resources (11 MiB) serve only the web inspector.
WEBENGINE_LOCALE_KEPT = "en-US.pak"
WEBENGINE_DROPPED = {"qtwebengine_devtools_resources.pak"}

# Libraries at the bundle's top level that are loaded with dlopen (NSS's crypto modules for
# Chromium) rather than linked, so the link-closure pruning below must keep them by name.
DLOPENED_PREFIXES = ("libpython", "libsoftokn3", "libfreebl", "libnssckbi", "libnssdbm3")

Entry = TypeVar("Entry", bound=tuple[str, ...])


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source, folder in the bundle) for every file under resources/ as it is now (the dashboard's chart
    library included: it is vendored under resources/webui/vendor/)."""
    return [
        (str(path), str(path.parent.relative_to(root)))
        for path in sorted((root / RESOURCES).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]


def _kept(dest: str) -> bool:
    parts = Path(dest).parts
    if parts[0] == SWAGGER_UI:
        return not any(marker in parts[-1] for marker in SWAGGER_UI_DROPPED)
    if parts[:2] != ("PySide6", "Qt"):
        return True
    if len(parts) > 3 and parts[2] == "plugins":
        if parts[3] not in QT_PLUGINS_KEPT:
            return False
        files = QT_PLUGINS_KEPT[parts[3]]
        return files is None or parts[-1] in files
    if len(parts) > 2 and parts[2] == "translations":
        return parts[-2] == "qtwebengine_locales" and parts[-1] == WEBENGINE_LOCALE_KEPT
    if parts[-1] in WEBENGINE_DROPPED:
        return False
    return parts[2:3] != ("qml",)


def _is_top_level_library(dest: str) -> bool:
    return "/" not in dest and dest.startswith("lib") and ".so" in dest and not dest.startswith(DLOPENED_PREFIXES)


def _linked_libraries(paths: Iterable[str]) -> set[str]:
    """Names of every shared library the given ELF files load at start (ldd resolves them transitively)."""
    names: set[str] = set()
    files = sorted(set(paths))
    for start in range(0, len(files), 200):
        result = subprocess.run(["ldd", *files[start : start + 200]], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            if "=>" in line:
                names.add(line.split("=>")[0].strip())
    return names


def prune(toc: Iterable[Entry]) -> list[Entry]:
    """The entries of a PyInstaller TOC (dest name, source, type) that the app needs.

    Drops what the tables above exclude; on Linux then drops top-level libraries that only dropped
    entries linked to (the GTK, cairo and CUPS stacks of unused plugins).
    """
    kept = [entry for entry in toc if _kept(entry[0])]
    if not sys.platform.startswith("linux"):
        return kept
    roots = [str(entry[1]) for entry in kept if not _is_top_level_library(entry[0]) and _is_elf(entry[1])]
    linked = _linked_libraries(roots)
    return [entry for entry in kept if not _is_top_level_library(entry[0]) or entry[0] in linked]


def _is_elf(path: object) -> bool:
    try:
        with open(str(path), "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def is_webengine_library(dest: str) -> bool:
    """Whether a bundled file is QtWebEngine's library (the one-file build may store it uncompressed)."""
    return Path(dest).name.startswith("libQt6WebEngineCore.so")


def package_datas() -> list[tuple[str, str]]:
    """Data files of installed packages that have no PyInstaller hook (Swagger UI for the API browser)."""
    from PyInstaller.utils.hooks import collect_data_files  # noqa: PLC0415 - only inside a build

    return list(collect_data_files("swagger_ui_bundle"))


def _icon_pngs(root: Path, sizes: Iterable[int]) -> list[tuple[int, bytes]]:
    return [(size, (root / RESOURCES / "icons" / f"activitywatch-{size}.png").read_bytes()) for size in sizes]


def write_ico(root: Path, target: Path) -> str:
    """A Windows .ico made of the PNG icons (an ICO may hold PNG images as they are)."""
    images = _icon_pngs(root, (16, 32, 48, 64, 128, 256))
    offset = 6 + 16 * len(images)
    header = struct.pack("<HHH", 0, 1, len(images))
    entries, payload = b"", b""
    for size, png in images:
        side = size if size < 256 else 0  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(payload))
        payload += png
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(header + entries + payload)
    return str(target)


# The icns element types that hold PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08"}


def write_icns(root: Path, target: Path) -> str:
    """A macOS .icns made of the PNG icons."""
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(png)) + png for size, png in _icon_pngs(root, ICNS_TYPES)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)
    return str(target)


def macos_info_plist(version: str) -> dict[str, object]:
    """Info.plist entries of ActivityWatch.app: a menu-bar (tray) app without a Dock icon."""
    return {
        "CFBundleName": "ActivityWatch",
        "CFBundleDisplayName": "ActivityWatch",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSUIElement": True,
        "LSMinimumSystemVersion": "11.0",
        "NSHighResolutionCapable": True,
        "NSHumanReadableCopyright": "MPL-2.0",
        # The window watcher reads other apps' window titles through the accessibility API.
        "NSAppleEventsUsageDescription": "ActivityWatch reads the title of the active window to record what you use.",
    }


def windows_version_info(version: str) -> object:
    """The version resource of activitywatch.exe (file and product version, names)."""
    from PyInstaller.utils.win32 import versioninfo as vi  # noqa: PLC0415 - only inside a build

    numbers = (*(int(part) for part in version.split(".")[:3]), 0)
    strings = [
        vi.StringStruct("CompanyName", "ActivityWatch"),
        vi.StringStruct("FileDescription", "ActivityWatch, single-process edition"),
        vi.StringStruct("FileVersion", version),
        vi.StringStruct("InternalName", "activitywatch"),
        vi.StringStruct("OriginalFilename", "activitywatch.exe"),
        vi.StringStruct("ProductName", "ActivityWatch"),
        vi.StringStruct("ProductVersion", version),
        vi.StringStruct("LegalCopyright", "MPL-2.0"),
    ]
    return vi.VSVersionInfo(
        ffi=vi.FixedFileInfo(filevers=numbers, prodvers=numbers),
        kids=[
            vi.StringFileInfo([vi.StringTable("040904B0", strings)]),
            vi.VarFileInfo([vi.VarStruct("Translation", [0x0409, 1200])]),
        ],
    )
