"""The activity log's reads at the store: the query plans (a time index for the walk, the change index after
it), one query per page for the tabs and the not-afk spans, and the same answers as reading event by event."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.store import LogFilter, LogPosition, Store
from activitywatch.store import activity_log as al

S = 1_000_000_000
T0 = 1_714_550_400 * S  # 2024-05-01T08:00:00Z
EVERY_ROW = LogFilter(None, 0, 2**62, ("firefox",))


def plan(conn: apsw.Connection, sql: str) -> str:
    """SQLite's query plan, one line per step."""
    names = set(re.findall(r":(\w+)", sql))
    params = dict.fromkeys(names, 1) | ({"keys": "[1]"} if "keys" in names else {})
    params |= {"probes": "[[1, 1, 0, 10, 0]]"} if "probes" in names else {}
    return "\n".join(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_the_walk_reads_the_time_index_in_order(store: Store) -> None:
    text = plan(store._writer, al.SQL_LOG_BY_TIME)
    assert "USING INDEX events_by_bucket_time (bucket_key=? AND starttime>? AND starttime<?)" in text, text
    assert "events_by_seq" not in text and "TEMP B-TREE" not in text and "SCAN events" not in text, text


def test_changes_follow_the_change_index(store: Store) -> None:
    text = plan(store._writer, al.SQL_LOG_BY_SEQ)
    assert "SEARCH events USING INDEX events_by_seq (seq>?)" in text and "TEMP B-TREE" not in text, text


@pytest.mark.parametrize("sql", [al.SQL_TAB_OVERLAPS, al.SQL_SPAN_OVERLAPS], ids=["tabs", "spans"])
def test_tabs_and_spans_are_looked_up_on_the_time_index(store: Store, sql: str) -> None:
    text = plan(store._writer, sql)
    assert "SEARCH e USING INDEX events_by_bucket_time (bucket_key=? AND starttime>? AND starttime<?)" in text, text
    assert "SCAN e" not in text, text


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement run by connections opened while the fixture is active."""
    seen: list[str] = []

    def trace(cursor: apsw.Cursor, sql: str, bindings: Any) -> bool:
        seen.append(sql)
        return True

    def hook(conn: apsw.Connection) -> None:
        conn.exec_trace = trace

    apsw.connection_hooks.append(hook)
    try:
        yield seen
    finally:
        apsw.connection_hooks.remove(hook)


def browsing(store: Store, rng: random.Random, n: int) -> None:
    """`n` window events, most of them a browser's, with tabs and AFK spans that overlap them unevenly."""
    for host in ("a", "b"):
        store.create_bucket(Bucket(f"w_{host}", "currentwindow", "aw-watcher-window", host, 0))
        store.create_bucket(Bucket(f"t_{host}", "web.tab.current", "aw-watcher-web", host, 0))
        store.create_bucket(Bucket(f"k_{host}", "afkstatus", "aw-watcher-afk", host, 0))
        t = T0
        windows, tabs, spans = [], [], []
        for i in range(n):
            length = rng.randint(1, 600) * S
            app = "Firefox" if rng.random() < 0.8 else "code"
            windows.append(Event(t, length, {"app": app, "title": f"{host}{i}"}))
            cut = t + rng.randint(0, length // S) * S
            tabs += [Event(t - S, cut - t + S, {"url": f"https://{i}.one/"})]
            tabs += [Event(cut, t + length - cut, {"url": "x"})]
            t += length + rng.choice([0, 0, 5 * S])
        t = T0 - 60 * S
        while t < windows[-1].end:
            length = rng.randint(60, 3600) * S
            spans.append(Event(t, length, {"status": rng.choice(["afk", "not-afk", "not-afk"])}))
            t += length
        store.insert_events(f"w_{host}", windows)
        store.insert_events(f"t_{host}", tabs)
        store.insert_events(f"k_{host}", spans)


def reference_url(store: Store, host: str, window: Event) -> str | None:
    """The tab's URL read event by event, as the log did before (the longest overlap wins)."""
    if "firefox" not in str(window.data["app"]).lower():
        return None
    best, best_overlap = None, 0
    for tab in store.get_events(f"t_{host}", window.timestamp, window.end):
        if tab.duration > best_overlap and isinstance(tab.data.get("url"), str):
            best, best_overlap = tab.data["url"], tab.duration
    return best


def reference_span(store: Store, host: str, window: Event) -> set[int]:
    """The not-afk spans overlapping the window event the longest (a set: there may be a tie)."""
    overlaps = {
        e.id or 0: e.duration
        for e in store.get_events(f"k_{host}", window.timestamp, window.end)
        if e.data["status"] == "not-afk" and e.duration > 0
    }
    top = max(overlaps.values(), default=0)
    return {i for i, d in overlaps.items() if d == top} if overlaps else {0}


def test_pages_agree_with_reading_event_by_event(tmp_path: Path, statements: list[str]) -> None:
    with Store(tmp_path / "log.db") as store:
        browsing(store, random.Random(7), 400)
        statements.clear()
        position: LogPosition | None = None
        rows = []
        sizes = []
        while True:
            page = store.log_page(position, T0, None, EVERY_ROW, 150)
            lookups = [s for s in statements if "json_each(:probes)" in s]
            sizes.append((len(page.rows), len(lookups)))
            statements.clear()
            if not page.rows:
                break
            for row in page.rows:
                host = row.hostname
                assert page.urls.get(row.event.id or 0) == reference_url(store, host, row.event), row
                assert page.spans.get(row.event.id or 0, 0) in reference_span(store, host, row.event), row
            rows += page.rows
            position = page.position
        assert len(rows) == 800 and len({r.event.id for r in rows}) == 800
        starts = [(r.event.timestamp, r.event.id) for r in rows]
        assert starts == sorted(starts)  # the walk is in time order across both computers
        # one tab lookup and one span lookup per page, whatever its size
        assert all(lookups == 2 for n, lookups in sizes if n), sizes
