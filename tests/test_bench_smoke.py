"""The benchmark still runs end to end against our server (figures are printed, not judged)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "heartbeats/s, merge, raw client" in result.stdout
    assert "bulk insert, events/s" in result.stdout
    [ours] = orjson.loads(out.read_bytes())["servers"]
    assert not ours.get("errors"), ours["errors"]
    expected = {
        "hb_merge_raw",
        "hb_new_raw",
        "hb_concurrent",
        "bulk",
        "get_seconds",
        "export_seconds",
        "rss_idle_mb",
        "q_canonical",
        "q_activity",
        "q_daily",
        "q_canonical_warm",
        "import_seconds",
        "import_rate",
        "import_rss_mb",
    }
    assert expected <= set(ours["figures"]), sorted(ours["figures"])
    assert all(f["median"] > 0 for f in ours["figures"].values())
