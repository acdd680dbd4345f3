"""Finds runtime assets (dashboard files, icons) in a checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path

# The folder's name wherever it is: beside the package in a checkout, inside the package in a wheel,
# at the root of a PyInstaller bundle.
RESOURCES = "resources"


class AssetMissing(LookupError):
    """A runtime asset is not where the installation should have put it."""


def resources_dir() -> Path:
    """The `resources/` folder: the frozen bundle's, the wheel's copy inside the package, or the checkout's."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:
        return Path(frozen) / RESOURCES
    package = Path(__file__).resolve().parent
    for candidate in (package / RESOURCES, package.parent / RESOURCES):
        if candidate.is_dir():
            return candidate
    raise AssetMissing(f"The application's resources folder is missing (looked in {package} and {package.parent}).")


def resource(*parts: str) -> Path:
    """A file or folder under `resources/`; raises AssetMissing when it is not there."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise AssetMissing(f"The application's file {'/'.join(parts)} is missing (looked for {path}).")
    return path
