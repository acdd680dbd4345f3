"""Prints, as JSON, where `activitywatch.assets` finds its files in the installation that runs it.

Run from a checkout, from a venv with the wheel installed, and frozen into a binary (test_assets.py).
"""

from __future__ import annotations

import json
import sys

from activitywatch import assets

CHARTS_JS = ("webui", "vendor", "echarts", "echarts.min.js")  # the dashboard's chart library


def located(find: object) -> str:
    """The path a finder returns, or the AssetMissing message."""
    try:
        return str(find())  # type: ignore[operator]
    except assets.AssetMissing as exc:
        return f"AssetMissing: {exc}"


def report() -> dict[str, object]:
    """What the asset functions answer here."""
    root = assets.resources_dir()
    return {
        "frozen": bool(getattr(sys, "frozen", False)),
        "bundle": getattr(sys, "_MEIPASS", None),
        "resources": str(root),
        "files": sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()),
        "icon": located(lambda: assets.resource("icons", "activitywatch.svg")),
        "missing": located(lambda: assets.resource("no-such-file.txt")),
        "charts": located(lambda: assets.resource(*CHARTS_JS)),
    }


if __name__ == "__main__":
    print(json.dumps(report()))
