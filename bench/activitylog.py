"""The activity log at scale: years of window, tab and AFK events, then its first pages timed.

Only our server has the reports (`/api/0/reports/activitylog`); a server without them is skipped with a note.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.client import RawHttpClient

START = datetime(2022, 1, 3, tzinfo=UTC)
WINDOW_PER_DAY = 500  # an 8-hour day with a window change about once a minute
AFK_PER_DAY = 20
APPS = [("code", "main.py - project"), ("Firefox", "{n} - Mozilla Firefox"), ("Slack", "general"), ("xterm", "bash")]
PAGE = 150

Request = Callable[..., bytes]


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).date().isoformat()


def generate(days: int, seed: int = 3) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(bucket kind, events) day by day: window events 09:00-17:00, a tab for each browser event, AFK spans."""
    rng = random.Random(seed)
    for day in range(days):
        nine = START + timedelta(days=day, hours=9)
        window, tabs, afk = [], [], []
        t = 0.0
        for _ in range(WINDOW_PER_DAY):
            app, title = APPS[rng.randrange(len(APPS))]
            length = rng.uniform(10, 100)
            stamp = (nine + timedelta(seconds=t)).isoformat()
            n = rng.randrange(200)
            window.append({"timestamp": stamp, "duration": length, "data": {"app": app, "title": title.format(n=n)}})
            if app == "Firefox":
                tabs.append({"timestamp": stamp, "duration": length, "data": {"url": f"https://site{n}.example/"}})
            t += length
        span = t / AFK_PER_DAY
        for i in range(AFK_PER_DAY):
            status = "afk" if i % 4 == 3 else "not-afk"
            afk.append({"timestamp": (nine + timedelta(seconds=i * span)).isoformat(), "duration": span,
                        "data": {"status": status}})  # fmt: skip
        yield "window", window
        yield "web", tabs
        yield "afk", afk


def seed(client: RawHttpClient, request: Request, run_id: str, days: int, batch: int) -> dict[str, str]:
    """Create the three buckets of one computer and fill them; return {kind: bucket id}."""
    host = f"bench-log-{run_id}"
    kinds = {"window": "currentwindow", "web": "web.tab.current", "afk": "afkstatus"}
    buckets = {kind: f"aw-bench-{run_id}-log-{kind}" for kind in kinds}
    for kind, bucket_type in kinds.items():
        body = json.dumps({"client": "bench", "type": bucket_type, "hostname": host}).encode()
        client.expect(request("POST", f"/api/0/buckets/{buckets[kind]}", body))
    pending: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for kind, events in generate(days):
        pending[kind] += events
        if len(pending[kind]) >= batch:
            client.expect(request("POST", f"/api/0/buckets/{buckets[kind]}/events", json.dumps(pending[kind]).encode()))
            pending[kind] = []
    for kind, events in pending.items():
        if events:
            client.expect(request("POST", f"/api/0/buckets/{buckets[kind]}/events", json.dumps(events).encode()))
    return buckets


def timed_page(client: RawHttpClient, request: Request, query: str) -> tuple[float, dict[str, Any]]:
    """Time one GET of the activity log; return (seconds, the page)."""
    raw = request("GET", f"/api/0/reports/activitylog?{query}")
    t0 = time.perf_counter()
    body = client.expect(raw)
    elapsed = time.perf_counter() - t0
    page: dict[str, Any] = json.loads(body)
    return elapsed, page


def measure(
    client: RawHttpClient, request: Request, days: int, repeat: int, add: Callable[[str, float], None]
) -> list[str]:
    """Time the first page of the whole range, the first page of the last day, and a page after a cursor
    (ms, into `add`); return what the pages held, for a note."""
    first_day, last_day = _day(0), _day(days - 1)
    notes = []
    for _ in range(repeat):
        elapsed, page = timed_page(client, request, f"startDate={first_day}&tz=UTC&pageSize={PAGE}")
        add("al_first", elapsed * 1000)
        if len(page["activity"]) != PAGE:
            raise ValueError(f"the first page held {len(page['activity'])} rows, not {PAGE}")
        cursor = page["cursor"]
        elapsed, page = timed_page(client, request, f"cursor={cursor}&pageSize={PAGE}")
        add("al_next", elapsed * 1000)
        elapsed, last = timed_page(client, request, f"startDate={last_day}&endDate={last_day}&tz=UTC&pageSize={PAGE}")
        add("al_last_day", elapsed * 1000)
        dates = {row["date"][:10] for row in last["activity"]}
        if dates != {last_day}:
            raise ValueError(f"the last day's page held rows of {sorted(dates)}")
        urls = sum(1 for row in page["activity"] if row["url"])
        notes = [
            f"activity log: {days} days ({date.fromisoformat(first_day)} on), pages of {PAGE}; {urls} URLs on page 2"
        ]
    return notes
