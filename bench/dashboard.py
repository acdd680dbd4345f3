"""How fast the dashboard's Activity view draws 30 days of data in headless Chromium and in the app's window.

`python -m bench.dashboard [--days 30] [--repeat 5]` seeds 2,000 window and AFK events a day (the same
data as the query benchmark), then opens the Activity view for the month in a fresh browser against a
freshly started server (nothing cached, the chart library compiled for the first time), and from inside
the loaded page, before and after the server has cached the queries. Then the desktop app's dashboard
window (QtWebEngine, bench/dashboard_window.py), each time in a new process as the app starts it: from
the tray's click to the first paint and to the drawn view. It prints the figures; nothing is judged.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.store import Store
from bench.queries import START, generate
from tests.browser import Browser, chromium
from tests.conftest import start_server

HOST = "bench"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
NS = 1_000_000_000
EMPTY_DAY = "2001-01-01"  # a day without events, drawn to have the chart library loaded


def seed(data_dir: Path, days: int) -> int:
    """The window and AFK buckets with `days` days of events; returns how many events."""
    window, afk = generate(days)
    created = parse_timestamp(START.isoformat())
    with Store(data_dir / "activitywatch.db") as store:
        for bucket_id, kind, events in (
            (f"aw-watcher-window_{HOST}", "currentwindow", window),
            (f"aw-watcher-afk_{HOST}", "afkstatus", afk),
        ):
            store.create_bucket(
                Bucket(bucket_id, kind, "bench", HOST, created),
                [Event(parse_timestamp(e["timestamp"]), round(e["duration"] * NS), e["data"]) for e in events],
            )
    return len(window) + len(afk)


@dataclass
class Figures:
    """Milliseconds per run."""

    first_load: list[float] = field(default_factory=list)  # fresh browser: navigation until the view is drawn
    first_render: list[float] = field(default_factory=list)  # ... of which the view itself (queries and charts)
    render: list[float] = field(default_factory=list)  # page and chart library loaded, queries not cached
    cached: list[float] = field(default_factory=list)  # again, the server's query cache answering


def _ms(browser: Browser, name: str) -> float:
    return float(browser.driver.execute_script(f"return window.{name}"))


def measure(data_dir: Path, fragment: str, repeat: int, webui: Path | None = None) -> Figures:
    """Each run on a freshly started server with a fresh browser profile (`webui`: another dashboard)."""
    figures = Figures()
    options = {} if webui is None else {"webui_dir": webui}
    for _ in range(repeat):
        for first in (True, False):
            server, store, _ = start_server(data_dir, **options)
            try:
                with chromium(server.url, timezone="UTC") as browser:
                    if first:
                        browser.open(fragment)
                        figures.first_load.append(_ms(browser, "awReadyAt"))
                        figures.first_render.append(_ms(browser, "awRenderMs"))
                    else:
                        browser.open(f"/activity/{HOST}/day/{EMPTY_DAY}")  # loads the chart library
                        browser.wait_for(lambda b=browser: b.driver.execute_script("return Boolean(window.echarts)"))
                        browser.go(fragment)
                        figures.render.append(_ms(browser, "awRenderMs"))
                        browser.go("/settings")
                        browser.go(fragment)
                        figures.cached.append(_ms(browser, "awRenderMs"))
                    if browser.console_errors() or browser.foreign_requests():
                        raise SystemExit("The dashboard logged errors or sent requests elsewhere")
            finally:
                server.stop()
                store.close()
    return figures


def measure_window(data_dir: Path, fragment: str, repeat: int) -> dict[str, list[float]]:
    """The app's dashboard window opened at `fragment`, each run in a new process over a new server."""
    figures: dict[str, list[float]] = {"imported": [], "window": [], "first_paint": [], "drawn": []}
    for _ in range(repeat):
        server, store, _ = start_server(data_dir)
        try:
            probe = [sys.executable, "-m", "bench.dashboard_window", f"{server.url}/#{fragment}"]
            clicked = time.time() * 1000
            result = subprocess.run(probe, capture_output=True, text=True, timeout=300, check=False)
        finally:
            server.stop()
            store.close()
        if result.returncode != 0 or not result.stdout.strip():
            raise SystemExit(f"The window probe failed: {result.stderr[-2000:]}")
        for name, value in json.loads(result.stdout.splitlines()[-1]).items():
            if value is not None:
                figures[name].append(float(value) - clicked)
    return figures


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):6.0f} ms (min {min(values):.0f})"


def _ratio(ours: list[float], theirs: list[float]) -> str:
    return f"{statistics.median(ours) / statistics.median(theirs):.2f}x"


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, measure, print."""
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of data (2,000 events a day)")
    parser.add_argument("--repeat", type=int, default=5, help="fresh server and browser per run")
    parser.add_argument(
        "--source", type=Path, metavar="DIR", help="also the dashboard of another checkout, run for run beside ours"
    )
    parser.add_argument("--no-window", action="store_true", help="skip the desktop window (QtWebEngine)")
    args = parser.parse_args(argv)
    sides: dict[str, Path | None] = {"ours": None}
    if args.source is not None:
        # both served as another build would be (the same headers)
        sides = {"ours": RESOURCES / "webui", "other": args.source.resolve() / "resources" / "webui"}
    with tempfile.TemporaryDirectory(prefix="aw-bench-dashboard-") as tmp:
        data_dir = Path(tmp)
        events = seed(data_dir, args.days)
        month = START.date().replace(day=15).isoformat()
        print(f"{events:,} events over {args.days} days; Activity view, month of {month[:7]}, host {HOST}")
        for kind in ("month", "week", "day"):
            figures = {side: Figures() for side in sides}
            for round_ in range(args.repeat):
                # which side goes first alternates: a run can be slowed by the one before it
                for side, webui in list(sides.items())[:: -1 if round_ % 2 else 1]:
                    run = measure(data_dir, f"/activity/{HOST}/{kind}/{month}", 1, webui)
                    for name, values in vars(run).items():
                        getattr(figures[side], name).extend(values)
            print(f"  {kind}: medians of {args.repeat}, each on a fresh server and browser profile")
            for side, f in figures.items():
                label = "" if len(sides) == 1 else f" [{side}]"
                print(f"    view render, page loaded, queries not cached{label}: {_median(f.render)}")
                print(f"    view render, server's query cache warm{label}:       {_median(f.cached)}")
                print(f"    first visit, navigation to drawn{label}:             {_median(f.first_load)}")
                print(f"      of which the view (rest: page and chart library){label}: {_median(f.first_render)}")
            if "other" in figures:
                ours, other = figures["ours"], figures["other"]
                print(
                    f"    ours / other: first visit {_ratio(ours.first_load, other.first_load)}, "
                    f"page loaded {_ratio(ours.render, other.render)}, cache warm {_ratio(ours.cached, other.cached)}"
                )
            sys.stdout.flush()
        if args.no_window:
            return 0
        for kind in ("month", "day"):
            window = measure_window(data_dir, f"/activity/{HOST}/{kind}/{month}", args.repeat)
            print(f"  {kind}, desktop window (QtWebEngine, new process and server each run), from the tray's click:")
            print(f"    process started, Python and Qt imported: {_median(window['imported'])}")
            print(f"    window shown:   {_median(window['window'])}")
            print(f"    first paint:    {_median(window['first_paint'])}")
            print(f"    view drawn:     {_median(window['drawn'])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
