"""Runtime assets resolve through `activitywatch.assets` in a checkout, an installed wheel and a frozen binary.

The same probe (tests/asset_probe.py) runs in all three; each must find the checkout's resources/
files under its own copy of the folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests import asset_probe

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
PROBE = Path(asset_probe.__file__)
CHARTS_JS = "/".join(asset_probe.CHARTS_JS)


def checkout_files() -> list[str]:
    """Every file under the checkout's resources/, relative to it."""
    return sorted(
        p.relative_to(RESOURCES).as_posix()
        for p in RESOURCES.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def run_probe(command: list[str], cwd: Path) -> dict[str, Any]:
    """Run the probe with `command` (an interpreter and the script, or a frozen probe) and read its report."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return report


def test_checkout_finds_its_resources_folder() -> None:
    report = asset_probe.report()
    assert report["resources"] == str(RESOURCES)
    assert report["files"] == checkout_files()
    assert report["icon"] == str(RESOURCES / "icons" / "activitywatch.svg")
    assert report["missing"].startswith("AssetMissing: The application's file no-such-file.txt is missing")


def test_checkout_has_the_vendored_chart_library() -> None:
    report = asset_probe.report()
    assert report["charts"] == str(RESOURCES / CHARTS_JS)
    assert (RESOURCES / CHARTS_JS).stat().st_size > 500_000
    assert {"LICENSE", "NOTICE", "LICENSE-zrender", "LICENSE-d3"} <= {
        p.name for p in (RESOURCES / CHARTS_JS).parent.iterdir()
    }


def test_missing_resources_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A package copied without its resources/ says where it looked (run from the copy, not the checkout)."""
    package = tmp_path / "activitywatch"
    package.mkdir()
    for name in ("__init__.py", "assets.py"):
        (package / name).write_bytes((ROOT / "activitywatch" / name).read_bytes())
    code = "\n".join(
        ["from activitywatch import assets", "try:", "    assets.resources_dir()", "except assets.AssetMissing as e:",
         "    print(e)"]
    )  # fmt: skip
    # -S: without site-packages, so the copy is imported rather than the editable install.
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == (
        f"The application's resources folder is missing (looked in {package} and {tmp_path})."
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built the way a release is: an sdist of the checkout, then a wheel from the unpacked sdist."""
    base = tmp_path_factory.mktemp("wheel")
    build = "import sys\nfrom setuptools import build_meta\nprint(getattr(build_meta, sys.argv[1])(sys.argv[2]))"
    sdist = subprocess.run(
        [sys.executable, "-c", build, "build_sdist", str(base / "sdist")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert sdist.returncode == 0, sdist.stderr[-3000:]
    with tarfile.open(base / "sdist" / sdist.stdout.split()[-1]) as tar:
        tar.extractall(base / "src", filter="data")
    [source] = (base / "src").iterdir()
    built = subprocess.run(
        [sys.executable, "-c", build, "build_wheel", str(base / "dist")],
        cwd=source, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    return base / "dist" / built.stdout.split()[-1]


@pytest.mark.slow
def test_wheel_holds_every_module_and_the_resources(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "activitywatch").rglob("*.py")}
    assert modules <= names
    assert {f"activitywatch/resources/{name}" for name in checkout_files()} <= names
    assert "activitywatch/py.typed" in names


@pytest.mark.slow
def test_installed_wheel_finds_resources_inside_the_package(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    probe = tmp_path / "asset_probe.py"
    probe.write_bytes(PROBE.read_bytes())
    report = run_probe([str(python), str(probe)], tmp_path)
    site_packages = next(venv.glob("lib/python3*/site-packages"))
    assert report["resources"] == str(site_packages / "activitywatch" / "resources")
    assert report["files"] == checkout_files()
    assert report["icon"] == str(site_packages / "activitywatch" / "resources" / "icons" / "activitywatch.svg")
    # The chart library is part of the wheel itself, not of a dependency.
    assert report["charts"] == str(site_packages / "activitywatch" / "resources" / CHARTS_JS)


PROBE_SPEC = """
import sys
sys.path.insert(0, {bundle_dir!r})
import bundle
a = Analysis([{script!r}], pathex=[{root!r}], datas=bundle.resource_datas(), excludes=bundle.EXCLUDES)
exe = EXE(PYZ(a.pure), a.scripts, a.binaries, a.datas, [], name="asset-probe", upx=False)
"""


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_frozen_binary_finds_resources_in_its_bundle(tmp_path: Path) -> None:
    """A one-file probe built with the data files of build.spec (packaging/pyinstaller/bundle.py)."""
    spec = tmp_path / "asset-probe.spec"
    spec.write_text(
        PROBE_SPEC.format(bundle_dir=str(ROOT / "packaging" / "pyinstaller"), script=str(PROBE), root=str(ROOT))
    )
    built = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath",
         str(tmp_path / "dist"), "--workpath", str(tmp_path / "work"), str(spec)],
        cwd=tmp_path, capture_output=True, text=True, timeout=850, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    binary = elsewhere / "asset-probe"
    (tmp_path / "dist" / "asset-probe").rename(binary)
    report = run_probe([str(binary)], elsewhere)
    bundle = Path(report["bundle"])
    assert report["frozen"]
    assert not bundle.is_relative_to(elsewhere)  # unpacked into the temp folder, not beside the binary
    assert report["resources"] == str(bundle / "resources")
    assert report["files"] == checkout_files()
    assert report["icon"] == str(bundle / "resources" / "icons" / "activitywatch.svg")
    assert report["charts"] == str(bundle / "resources" / CHARTS_JS)
    assert report["missing"].startswith("AssetMissing: The application's file no-such-file.txt is missing")
