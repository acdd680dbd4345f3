"""The icon files and Info.plist that build.spec makes for Windows and macOS, read back with Qt and plistlib."""

from __future__ import annotations

import plistlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImageReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging" / "pyinstaller"))
import bundle  # noqa: E402

sys.path.remove(str(ROOT / "packaging" / "pyinstaller"))


def image_sizes(path: Path, fmt: bytes) -> Iterator[tuple[int, int]]:
    """The (width, height) of every image in a multi-image file, as Qt's image plugins read it."""
    reader = QImageReader(str(path), fmt)
    assert reader.canRead(), reader.errorString()
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        yield image.width(), image.height()


@pytest.mark.usefixtures("qapp")  # Qt's image format plugins
def test_windows_icon_holds_every_png_size(tmp_path: Path) -> None:
    path = Path(bundle.write_ico(ROOT, tmp_path / "activitywatch.ico"))
    assert sorted(image_sizes(path, b"ico")) == [(n, n) for n in (16, 32, 48, 64, 128, 256)]


@pytest.mark.usefixtures("qapp")
def test_macos_icon_holds_the_png_sizes_icns_knows(tmp_path: Path) -> None:
    path = Path(bundle.write_icns(ROOT, tmp_path / "activitywatch.icns"))
    assert sorted(image_sizes(path, b"icns")) == [(n, n) for n in (16, 32, 64, 128, 256)]


def test_macos_info_plist_is_a_menu_bar_app() -> None:
    entries = plistlib.loads(plistlib.dumps(bundle.macos_info_plist("1.2.3")))
    assert entries["LSUIElement"] is True
    assert entries["CFBundleShortVersionString"] == entries["CFBundleVersion"] == "1.2.3"
    assert entries["NSHighResolutionCapable"] is True
