"""The dashboard in a real headless Chromium against the real server over a seeded store.

Every view must draw without console errors, show what the API computes for the seeded day, and send
no request anywhere but 127.0.0.1. Screenshots of each view are saved for people to look at (the paths
are printed; run with `-s` to see them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import Select

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from tests import seed
from tests.browser import SCREENSHOTS, Browser, chromium
from tests.conftest import LiveServer, start_server

pytestmark = pytest.mark.slow
DAY_VIEW = f"/activity/{seed.HOST}/day/{seed.DAY}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module (each test points it at its own server)."""
    with chromium("http://127.0.0.1:1", downloads=SCREENSHOTS.parent / "downloads", timezone=seed.TIMEZONE) as b:
        yield b
        assert b.console_errors() == []
        assert b.foreign_requests() == []


@pytest.fixture
def server(tmp_path: Path, browser: Browser) -> Iterator[LiveServer]:
    """A live server over the seeded day, with the browser pointed at it."""
    api, store, options = start_server(tmp_path)
    seed.seed_day(store)
    browser.base_url = api.url
    try:
        yield LiveServer(api.url, api.port, store, options, tmp_path)
    finally:
        api.stop()
        store.close()


def duration_text(seconds: float) -> str:
    """The dashboard's duration format ("4h 30m", "20m")."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def api_active_seconds(url: str, start: str, end: str) -> float:
    """Active window time between two local dates' 04:00, as the API computes it with the canonical query."""
    statements = [
        f'events = flood(query_bucket(find_bucket("aw-watcher-window_", "{seed.HOST}")));',
        f'not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_", "{seed.HOST}")));',
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "RETURN = sum_durations(filter_period_intersect(events, not_afk));",
    ]
    period = f"{seed.moment('04:00').isoformat()}/{(seed.moment('04:00') + timedelta(days=1)).isoformat()}"
    if (start, end) != ("day", "day"):
        period = f"{start}/{end}"
    reply = httpx.post(f"{url}/api/0/query/", json={"query": statements, "timeperiods": [period]})
    return float(reply.json()[0])


def chart_labels(browser: Browser, chart: str) -> list[str]:
    """The y-axis labels of a bar chart, top to bottom (checked to be drawn in its SVG)."""
    labels = list(browser.chart(f"#{chart}")["y"])
    drawn = browser.text(f"#{chart} svg")
    assert all(label in drawn for label in labels), (labels, drawn)
    return labels


def bar_value(item: Any) -> float:
    """A bar's value whether ECharts holds it bare or as {value, itemStyle}."""
    return float(item["value"] if isinstance(item, dict) else item)


def settings(url: str) -> dict[str, Any]:
    """The stored settings."""
    return dict(httpx.get(f"{url}/api/0/settings").json())


# ---------------------------------------------------------------------------------------------- every view


VIEWS = [
    ("activity-day", DAY_VIEW),
    ("activity-week", f"/activity/{seed.HOST}/week/{seed.DAY}"),
    ("activity-month", f"/activity/{seed.HOST}/month/{seed.DAY}"),
    ("activity-year", f"/activity/{seed.HOST}/year/{seed.DAY}"),
    ("timeline", f"/timeline/{seed.HOST}/{seed.DAY}T08:00~{seed.DAY}T23:59"),
    ("reports", f"/reports/2026-11-16/{seed.DAY}"),
    ("buckets", "/buckets"),
    ("bucket-events", f"/buckets/{seed.WINDOW}"),
    ("devices", "/devices"),
    ("query", "/query"),
    ("privacy", "/privacy"),
    ("settings", "/settings"),
]


def test_every_view_draws_without_errors_or_outside_requests(server: LiveServer, browser: Browser) -> None:
    browser.open(VIEWS[0][1])
    for name, fragment in VIEWS:
        browser.go(fragment)
        assert browser.driver.execute_script("return document.getElementById('view').dataset.state") == "ready"
        browser.screenshot(name)
        assert browser.console_errors() == [], name
    browser.go("/query")
    browser.find("#run-query").click()
    browser.wait_for(lambda: browser.text("#query-output") and "Running" not in browser.text("#query-output"))
    browser.screenshot("query-result")
    assert browser.console_errors() == []
    assert browser.foreign_requests() == []
    assert any(url.endswith("/vendor/echarts/echarts.min.js") for url in browser.requests)


def test_the_chart_library_is_loaded_by_the_first_view_that_draws(server: LiveServer, browser: Browser) -> None:
    browser.collect_logs()
    before = len(browser.requests)
    browser.open("/settings")
    assert browser.driver.execute_script("return window.echarts === undefined")
    browser.go(DAY_VIEW)
    browser.go(f"/activity/{seed.HOST}/week/{seed.DAY}")
    browser.collect_logs()
    loaded = [url for url in browser.requests[before:] if url.endswith("/vendor/echarts/echarts.min.js")]
    assert len(loaded) == 1
    assert browser.driver.execute_script("return document.querySelectorAll('script#charts').length") == 1


def test_dark_theme(server: LiveServer, browser: Browser) -> None:
    browser.open(DAY_VIEW)
    browser.find("#theme-toggle").click()
    browser.wait_for(lambda: settings(server.url).get("theme") == "dark")
    browser.wait_ready()
    assert browser.driver.execute_script("return document.documentElement.dataset.theme") == "dark"
    browser.screenshot("activity-day-dark")
    browser.go(f"/timeline/{seed.HOST}/{seed.DAY}T08:00~{seed.DAY}T23:59")
    browser.screenshot("timeline-dark")
    browser.find("#theme-toggle").click()
    browser.wait_for(lambda: settings(server.url).get("theme") == "light")


# ---------------------------------------------------------------------------------------------- Activity


def test_activity_shows_the_seeded_day_as_the_api_computes_it(server: LiveServer, browser: Browser) -> None:
    browser.open(DAY_VIEW)
    assert api_active_seconds(server.url, "day", "day") == seed.ACTIVE_SECONDS
    assert browser.text("#stat-active") == duration_text(seed.ACTIVE_SECONDS) == "4h 30m"
    assert chart_labels(browser, "chart-apps") == list(seed.APP_SECONDS)  # longest first
    assert browser.text("#stat-app") == "Quillwriter"
    apps = browser.text("#chart-apps")
    for seconds in seed.APP_SECONDS.values():
        assert duration_text(seconds) in apps
    titles = chart_labels(browser, "chart-titles")
    assert titles[0] == "Draft chapter 3 - Quillwriter"
    assert "Late night notes - Quillwriter" in titles  # 02:30 belongs to the day before (days start 04:00)
    assert "bash — ~/projects" in titles
    assert chart_labels(browser, "chart-categories") == [
        "Uncategorized", "Work > Programming", "Work > Programming > ActivityWatch",
    ]  # fmt: skip
    assert chart_labels(browser, "chart-domains") == list(seed.DOMAINS)
    assert "Work" in browser.text("#chart-sunburst")
    assert browser.text("#stat-productive") == "30%"  # Work (score 10): 1h 20m of 4h 30m


def test_the_day_starts_at_the_configured_hour(server: LiveServer, browser: Browser) -> None:
    browser.open(f"/activity/{seed.HOST}/day/2026-11-23")
    assert browser.text("#stat-active") == "0s"
    httpx.post(f"{server.url}/api/0/settings/startOfDay", json="00:00")
    browser.open(f"/activity/{seed.HOST}/day/2026-11-23")  # a new page load reads the settings again
    assert browser.text("#stat-active") == "30m"
    browser.go(DAY_VIEW)
    assert browser.text("#stat-active") == "4h 00m"


@pytest.mark.parametrize("kind", ["week", "month", "year"])
def test_longer_periods_contain_the_day(server: LiveServer, browser: Browser, kind: str) -> None:
    browser.open(f"/activity/{seed.HOST}/{kind}/{seed.DAY}")
    assert browser.text("#stat-active") == "4h 30m"
    bars = [(s["name"], len(s["data"]), sum(map(bar_value, s["data"]))) for s in browser.chart("#chart-bars")["series"]]
    names = {name for name, _, _ in bars}
    assert names == {"Uncategorized", "Work"}
    assert {n for _, n, _ in bars} == {{"week": 7, "month": 30, "year": 12}[kind]}
    assert sum(hours for _, _, hours in bars) == pytest.approx(4.5)


def bar_seconds(browser: Browser) -> list[float]:
    """Seconds of each bar of the period's stacked bar chart (all categories), first bar first."""
    series = browser.chart("#chart-bars")["series"]
    return [sum(bar_value(s["data"][i]) for s in series) * 3600 for i in range(len(series[0]["data"]))]


def summary_query(url: str, period: str, titles: int = 10) -> dict[str, Any]:
    """The whole-period answer the Activity view must show: active seconds and the top window titles."""
    statements = [
        f'events = flood(query_bucket(find_bucket("aw-watcher-window_", "{seed.HOST}")));',
        f'not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_", "{seed.HOST}")));',
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "events = filter_period_intersect(events, not_afk);",
        f'titles = limit_events(sort_by_duration(merge_events_by_keys(events, ["title"])), {titles});',
        'RETURN = {"duration": sum_durations(events), "titles": titles};',
    ]
    reply = httpx.post(f"{url}/api/0/query/", json={"query": statements, "timeperiods": [period]}, timeout=60)
    return dict(reply.json()[0])


def local(day: date, seconds: float) -> datetime:
    """`seconds` after local midnight of `day` in the browser's time zone."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(seed.TIMEZONE)) + timedelta(seconds=seconds)


def seed_window(store: Store, events: list[tuple[datetime, float, str]], afk: list[tuple[datetime, float]]) -> None:
    """Window events (start, seconds, title) of one app and not-afk spans, on host `testhost`."""
    created = int(events[0][0].timestamp()) * seed.NS
    ns = lambda seconds: round(seconds * seed.NS)  # noqa: E731
    store.create_bucket(
        Bucket(seed.WINDOW, "currentwindow", "aw-watcher-window", seed.HOST, created),
        [Event(ns(t.timestamp()), ns(d), {"app": "Notes", "title": title}) for t, d, title in events],
    )
    store.create_bucket(
        Bucket(seed.AFK, "afkstatus", "aw-watcher-afk", seed.HOST, created),
        [Event(ns(t.timestamp()), ns(d), {"status": "not-afk"}) for t, d in afk],
    )


@pytest.fixture
def bare_server(tmp_path: Path, browser: Browser) -> Iterator[LiveServer]:
    """A live server over an empty store (the test seeds it), with the browser pointed at it."""
    api, store, options = start_server(tmp_path)
    browser.base_url = api.url
    try:
        yield LiveServer(api.url, api.port, store, options, tmp_path)
    finally:
        api.stop()
        store.close()


def test_a_month_shows_the_titles_of_the_whole_month(bare_server: LiveServer, browser: Browser) -> None:
    # Every day of November: 300 titles of that day only (about a minute each, no two alike), then a daily
    # standup of 40 s, never in a day's top 300. Over the month the standup (20 min) is the longest title.
    november = [date(2026, 11, d) for d in range(1, 31)]
    events = []
    for day in november:
        start = 9 * 3600.0
        for k in range(300):
            seconds = 50 + 0.001 * (day.day * 300 + k)
            events.append((local(day, start), seconds, f"{day} note {k}"))
            start += seconds
        events.append((local(day, start), 40.0, "Daily standup"))
    seed_window(bare_server.store, events, [(local(day, 9 * 3600), 6 * 3600.0) for day in november])
    browser.open(f"/activity/{seed.HOST}/month/2026-11-22")
    period = f"{local(november[0], 4 * 3600).isoformat()}/{local(date(2026, 12, 1), 4 * 3600).isoformat()}"
    whole = summary_query(bare_server.url, period)
    assert whole["titles"][0]["data"]["title"] == "Daily standup"
    assert chart_labels(browser, "chart-titles") == [e["data"]["title"] for e in whole["titles"]]
    assert float(browser.find("#stat-active").get_attribute("data-seconds")) == pytest.approx(
        whole["duration"], abs=1e-3
    )
    assert whole["duration"] == pytest.approx(sum(seconds for _, seconds, _ in events))
    assert sum(bar_seconds(browser)) == pytest.approx(whole["duration"], abs=1e-3)


def test_a_day_total_is_the_whole_day_query_to_the_second(bare_server: LiveServer, browser: Browser) -> None:
    # Six windows of 3,597 s with gaps of 3 s across each full hour: a flood of the whole day fills the
    # gaps (shorter than its 5 s pulse), one flood per hour cannot (each hour sees only half of a gap).
    day = date(2026, 11, 22)
    events = [(local(day, 9 * 3600 + 1.5 + 3600 * k), 3597.0, f"Part {k}") for k in range(6)]
    seed_window(bare_server.store, events, [(local(day, 9 * 3600), 6 * 3600.0)])
    browser.open(f"/activity/{seed.HOST}/day/2026-11-22")
    whole = summary_query(bare_server.url, f"{local(day, 4 * 3600).isoformat()}/{local(day, 28 * 3600).isoformat()}")
    hourly = sum(
        summary_query(bare_server.url, f"{local(day, h * 3600).isoformat()}/{local(day, (h + 1) * 3600).isoformat()}")[
            "duration"
        ]
        for h in range(9, 15)
    )
    assert whole["duration"] - hourly == pytest.approx(5 * 3)  # the data does tell the two apart
    shown = float(browser.find("#stat-active").get_attribute("data-seconds"))
    assert shown == pytest.approx(whole["duration"], abs=1e-3)
    bars = bar_seconds(browser)
    assert len(bars) == 24
    assert sum(bars) == pytest.approx(whole["duration"], abs=1e-3)
    assert bars[5] == pytest.approx(3600 - 1.5, abs=1e-3)  # 09:00 to 10:00, the gap at 10:00 filled


def click_bar(browser: Browser, index: int) -> None:
    """A real mouse click in the middle of bar `index` of the period's bar chart; waits for the view it opens."""
    chart = browser.find("#chart-bars")
    x, y = browser.driver.execute_script(
        """const el = arguments[0], i = arguments[1], c = echarts.getInstanceByDom(el);
           const height = c.getOption().series.reduce((sum, s) => sum + (s.data[i]?.value ?? s.data[i] ?? 0), 0);
           const [px, py] = c.convertToPixel({ seriesIndex: 0 }, [i, height / 2]);
           return [px - el.clientWidth / 2, py - el.clientHeight / 2];""",
        chart,
        index,
    )
    browser.driver.execute_script("document.getElementById('view').dataset.state = 'leaving'")
    ActionChains(browser.driver).move_to_element_with_offset(chart, round(x), round(y)).click().perform()
    browser.wait_ready()


def test_navigation_moves_by_the_period(server: LiveServer, browser: Browser) -> None:
    browser.open(DAY_VIEW)  # a Sunday; weeks start on Monday
    browser.click('[data-period="week"]')
    title = browser.text("#period-title")  # in the browser's locale
    assert title.startswith("Week of") and "16" in title and "Nov" in title
    assert browser.text("#stat-active") == "4h 30m"
    browser.click('a[aria-label="Next"]')
    assert browser.driver.current_url.endswith("/week/2026-11-23")
    assert browser.text("#stat-active") == "0s"
    browser.click('[data-period="day"]')
    title = browser.text("#period-title")
    assert title.startswith("Monday") and "23" in title and "November" in title
    browser.click('a[aria-label="Previous"]')
    assert browser.text("#stat-active") == "4h 30m"
    browser.click('[data-period="year"]')
    click_bar(browser, 10)  # November's bar opens November
    assert browser.driver.current_url.endswith(f"/activity/{seed.HOST}/month/2026-11-01")
    click_bar(browser, 21)  # and the 22nd's bar that day
    assert browser.driver.current_url.endswith(DAY_VIEW)
    assert browser.text("#stat-active") == "4h 30m"


# ---------------------------------------------------------------------------------------------- Settings


def test_a_category_edit_is_saved_and_changes_the_activity_view(server: LiveServer, browser: Browser) -> None:
    browser.open("/settings")
    assert "classes" not in settings(server.url)  # defaults are shown, not written, until the first save
    assert "default categories" in browser.text("#defaults-note")
    browser.find("#add-category").click()
    row = browser.driver.find_elements("css selector", "#category-rows tr.category")[-1]
    row.find_element("css selector", ".cat-name").send_keys("Writing > Fiction")
    row.find_element("css selector", ".cat-regex").send_keys("quillwriter")
    row.find_element("css selector", ".cat-icase").click()
    row.find_element("css selector", ".cat-score").send_keys("8")
    browser.find("#save-categories").click()
    browser.wait_for(lambda: "classes" in settings(server.url))
    classes = settings(server.url)["classes"]
    writing = classes[-1]
    assert writing["name"] == ["Writing", "Fiction"]
    assert writing["rule"] == {"type": "regex", "regex": "quillwriter", "ignore_case": True}
    assert writing["data"] == {"score": 8}
    assert [c["id"] for c in classes] == list(range(len(classes)))
    work = {"type": "regex", "regex": "Google Docs|libreoffice|ReText", "ignore_case": False}
    assert classes[0] == {"id": 0, "name": ["Work"], "rule": work, "data": {"color": "#2ca02c", "score": 10}}
    browser.go(DAY_VIEW)
    assert browser.text("#stat-category") == "Writing > Fiction"
    assert chart_labels(browser, "chart-categories")[0] == "Writing > Fiction"
    assert browser.text("#stat-productive") == "100%"  # Writing 8, Work 10: everything scores
    browser.screenshot("activity-after-category-edit")


def test_a_bad_rule_is_refused_with_a_message(server: LiveServer, browser: Browser) -> None:
    browser.open("/settings")
    row = browser.driver.find_elements("css selector", "#category-rows tr.category")[0]
    row.find_element("css selector", ".cat-regex").send_keys("(unclosed")
    browser.find("#save-categories").click()
    browser.wait_for(lambda: not browser.find("#toast").get_attribute("hidden"))
    assert "not a valid regular expression" in browser.text("#toast")
    assert "classes" not in settings(server.url)


# ---------------------------------------------------------------------------------------------- Buckets


def test_export_delete_and_import_round_trip(server: LiveServer, browser: Browser, tmp_path: Path) -> None:
    downloads = SCREENSHOTS.parent / "downloads"
    target = downloads / "aw-buckets-export.json"
    target.unlink(missing_ok=True)
    before = httpx.get(f"{server.url}/api/0/export").json()
    browser.open("/buckets")
    rows = browser.driver.find_elements("css selector", "#bucket-table tbody tr")
    assert [r.get_attribute("data-bucket") for r in rows] == [seed.AFK, seed.WEB, seed.WINDOW]
    assert [r.find_elements("css selector", "td")[4].text for r in rows] == ["4", "2", "7"]
    browser.find("#export-all").click()
    browser.wait_for(lambda: target.is_file() and "Exported" in browser.text("#export-progress"))
    exported = json.loads(target.read_text())
    assert exported == before

    browser.go(f"/buckets/{seed.WINDOW}")
    assert "7 events" in browser.text(".view-header")
    browser.find("#delete-bucket").click()
    browser.find("#confirm-cancel").click()
    assert httpx.get(f"{server.url}/api/0/buckets/{seed.WINDOW}").status_code == 200
    browser.find("#delete-bucket").click()
    browser.screenshot("bucket-delete-confirmation")
    browser.find("#confirm-ok").click()
    browser.wait_for(lambda: httpx.get(f"{server.url}/api/0/buckets/{seed.WINDOW}").status_code == 404)
    browser.wait_for(lambda: browser.text("#bucket-table") and seed.WINDOW not in browser.text("#bucket-table"))

    browser.find("#import-file").send_keys(str(target))
    browser.find("#import-button").click()
    browser.wait_for(lambda: seed.WINDOW in browser.text("#bucket-table"))
    assert browser.text("#import-progress") == "Imported aw-buckets-export.json: 7 events imported, 6 already there"
    after = httpx.get(f"{server.url}/api/0/export").json()
    strip = lambda doc: {  # noqa: E731 - imported events get new ids
        b: [{k: v for k, v in e.items() if k != "id"} for e in doc["buckets"][b]["events"]] for b in doc["buckets"]
    }
    assert strip(after) == strip(before)
    browser.screenshot("buckets-after-import")

    # an aw-server-rust database goes through the same form
    from bench.awdb import add_bucket, add_events, create_rust_db

    database = tmp_path / "sqlite.db"
    conn = create_rust_db(database, 5)
    with conn:
        row = add_bucket(
            conn, "aw-watcher-window_rusthost", type_="currentwindow", hostname="rusthost", created_ns=0, data={}
        )
        add_events(conn, row, [(10**18, 10**18 + 5 * 10**9, {"app": "vim", "title": "notes"})])
    conn.close()
    browser.find("#import-file").send_keys(str(database))
    browser.find("#import-button").click()
    browser.wait_for(lambda: "aw-watcher-window_rusthost" in browser.text("#bucket-table"))
    assert browser.text("#import-progress") == "Imported sqlite.db: 1 events imported, 0 already there"


def test_events_are_paged(server: LiveServer, browser: Browser) -> None:
    from activitywatch.core.models import Bucket, Event

    start = int(seed.moment("04:00").timestamp()) * seed.NS
    server.store.create_bucket(
        Bucket("many", "test", "test", seed.HOST, start),
        [Event(start + i * 10 * seed.NS, 5 * seed.NS, {"n": i}) for i in range(120)],
    )
    browser.open("/buckets/many")
    first = browser.driver.find_elements("css selector", "#event-table tbody tr")
    assert len(first) == 50 and first[0].text.endswith("119")
    browser.find("#older").click()
    browser.wait_for(lambda: browser.driver.current_url.count("/") > 5)
    browser.wait_ready()
    rows = [r.text for r in browser.driver.find_elements("css selector", "#event-table tbody tr")]
    assert len(rows) == 50 and rows[0].endswith("69") and rows[-1].endswith("20")


# ---------------------------------------------------------------------------------------------- Query, Timeline


def test_query_explorer_shows_json_and_a_table(server: LiveServer, browser: Browser) -> None:
    browser.open("/query")
    box = browser.find("#query-text")
    box.clear()
    box.send_keys(f'RETURN = sort_by_duration(merge_events_by_keys(query_bucket("{seed.WINDOW}"), ["app"]));')
    browser.driver.execute_script(
        "document.getElementById('query-from').value = arguments[0];"
        "document.getElementById('query-to').value = arguments[1];",
        f"{seed.DAY}T04:00",
        "2026-11-23T04:00",
    )
    browser.find("#run-query").click()
    browser.wait_for(lambda: browser.text("#query-status"))
    assert browser.text("#query-status").startswith("3 items")
    table = browser.text("#result-table tbody")
    assert table.index("Quillwriter") < table.index("Firefox") < table.index("Terminal")
    assert json.loads(browser.text("#query-json"))[0]["data"] == {"app": "Quillwriter"}
    box.clear()
    box.send_keys("RETURN = nosuchfunction();")
    browser.find("#run-query").click()
    browser.wait_for(lambda: browser.text("#query-error"))
    assert "nosuchfunction" in browser.text("#query-error")
    browser.expect_console_error("/api/0/query/ - Failed to load resource: the server responded with a status of 400")


def test_timeline_draws_a_lane_per_bucket(server: LiveServer, browser: Browser) -> None:
    browser.open(f"/timeline/{seed.HOST}/{seed.DAY}T08:00~2026-11-23T03:00")
    assert browser.text("#timeline-status") == "13 events in 3 buckets"
    timeline = browser.chart("#chart-timeline")
    assert timeline["y"] == [seed.AFK, seed.WEB, seed.WINDOW]
    assert [(s["name"], len(s["data"])) for s in timeline["series"]] == [(seed.AFK, 4), (seed.WEB, 2), (seed.WINDOW, 7)]
    hover = "\n".join(e["hover"] for e in timeline["series"][2]["data"])
    assert "title: Draft chapter 3 - Quillwriter" in hover


def test_timeline_zooms_by_dragging_and_shows_an_event_on_hover(server: LiveServer, browser: Browser) -> None:
    browser.open(f"/timeline/{seed.HOST}/{seed.DAY}T08:00~2026-11-23T03:00")
    chart = browser.find("#chart-timeline")

    def at(when: str, lane: int) -> tuple[int, int]:
        """Offset from the chart's centre of `when` on the given lane (what selenium's mouse moves take)."""
        x, y = browser.driver.execute_script(
            """const el = arguments[0], c = echarts.getInstanceByDom(el);
               const x = c.convertToPixel({ xAxisIndex: 0 }, new Date(arguments[1]).getTime());
               const y = c.convertToPixel({ yAxisIndex: 0 }, arguments[2]);
               return [x - el.clientWidth / 2, y - el.clientHeight / 2];""",
            chart,
            when,
            lane,
        )
        return round(x), round(y)

    def window() -> tuple[float, float]:
        zoom = browser.driver.execute_script(
            "return echarts.getInstanceByDom(arguments[0]).getOption().dataZoom[0]", chart
        )
        return float(zoom["start"]), float(zoom["end"])

    assert window() == (0, 100)
    ActionChains(browser.driver).move_to_element_with_offset(chart, *at(f"{seed.DAY}T10:00", 2)).perform()
    browser.wait_for(lambda: "Draft chapter 3 - Quillwriter" in browser.text("#chart-timeline"))  # the tooltip
    start, end = at(f"{seed.DAY}T09:00", 1), at(f"{seed.DAY}T14:00", 1)
    drag = ActionChains(browser.driver).move_to_element_with_offset(chart, *start).click_and_hold()
    drag.move_by_offset(end[0] - start[0], 0).release().perform()
    zoomed = browser.wait_for(lambda: window() != (0, 100) and window())
    assert 0 < zoomed[0] < zoomed[1] < 100
    ActionChains(browser.driver).move_to_element_with_offset(
        chart, *at(f"{seed.DAY}T12:00", 1)
    ).double_click().perform()
    browser.wait_for(lambda: window() == (0, 100))


# ---------------------------------------------------------------------------------------------- Reports


def test_reports_show_working_hours_and_export_csv(server: LiveServer, browser: Browser) -> None:
    classes = [
        {"id": 0, "name": ["Writing"], "rule": {"type": "regex", "regex": "Quillwriter"}, "data": {"score": 5}},
        {"id": 1, "name": ["Browsing"], "rule": {"type": "regex", "regex": "Firefox"}, "data": {"score": -2}},
    ]
    httpx.post(f"{server.url}/api/0/settings/classes", json=classes)
    params = {"from": "2026-11-20", "to": "2026-11-24", "tz": seed.TIMEZONE, "pageSize": 1000}
    [row] = httpx.get(f"{server.url}/api/0/reports/workinghours/computers", params=params).json()["activity"]
    assert row["date"] == seed.DAY and row["activeTime"]["total"] == seed.ACTIVE_SECONDS
    assert (row["activeTime"]["productive"], row["activeTime"]["unproductive"]) == (190 * 60, 60 * 60)

    browser.open("/reports/2026-11-20/2026-11-24")
    cells = [c.text for c in browser.driver.find_elements("css selector", "#report-table tbody td")]
    assert cells[0] == seed.DAY and cells[1] == row["computer"]
    assert cells[4:8] == ["3h 10m", "1h 00m", "20m", "4h 30m"]
    assert browser.text("#report-active") == "4h 30m"
    traces = [s["name"] for s in browser.chart("#chart-report")["series"]]
    assert traces == ["Active, productive", "Active, unproductive", "Active, undefined", "Passive"]
    browser.screenshot("reports")

    target = SCREENSHOTS.parent / "downloads" / "working-hours_2026-11-20_2026-11-24.csv"
    target.unlink(missing_ok=True)
    browser.find("#report-csv").click()
    browser.wait_for(target.is_file)
    header, line = browser.wait_for(lambda: target.read_text().splitlines() if target.stat().st_size else None)
    names = ["date", "computerId", "computer", "userId", "user", "firstActivity", "lastActivity"]
    assert header.split(",")[:7] == names
    values = line.split(",")
    ids = [str(row["computers"][0]), row["computer"], str(row["userid"]), row["user"]]
    assert values[:7] == [seed.DAY, *ids, row["firstActivity"], row["lastActivity"]]
    assert values[7:] == [
        "3.17",
        "1.00",
        "0.33",
        "4.50",
        f"{row['passiveTime']['total'] / 3600:.2f}",
        f"{row['totalTime'] / 3600:.2f}",
    ]


# ---------------------------------------------------------------------------------------------- Privacy, tokens


def test_privacy_rules_preview_refusal_and_save(server: LiveServer, browser: Browser) -> None:
    recent = {"timestamp": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "duration": 60}
    recent["data"] = {"app": "Quillwriter", "title": "Secret plan - Quillwriter"}
    assert httpx.post(f"{server.url}/api/0/buckets/{seed.WINDOW}/events", json=[recent]).status_code == 200
    browser.open("/privacy")
    assert "private browsing" in browser.text("#rules-default")
    assert len(browser.driver.find_elements("css selector", "#rule-rows tr.rule")) == 1  # the default rule
    browser.find("#add-rule").click()
    row = browser.driver.find_elements("css selector", "#rule-rows tr.rule")[-1]
    row.find_element("css selector", ".rule-field").send_keys("title")
    row.find_element("css selector", ".rule-pattern").send_keys("Secret")
    row.find_element("css selector", ".rule-replacement").send_keys("(private)")
    browser.find("#preview-rules").click()
    browser.wait_for(lambda: browser.text("#preview-counts"))
    assert "would drop 0 and redact 1" in browser.text("#preview-counts")
    assert "Secret plan - Quillwriter" in browser.text("#preview-samples")
    browser.screenshot("privacy")

    pattern = row.find_element("css selector", ".rule-pattern")
    pattern.clear()
    pattern.send_keys("(unclosed")
    browser.find("#save-rules").click()
    browser.wait_for(lambda: browser.text("#rules-error"))
    assert "(unclosed" in browser.text("#rules-error")
    assert "privacy_filters" not in settings(server.url)
    browser.expect_console_error("/api/0/settings/privacy_filters - Failed to load resource")

    pattern.clear()
    pattern.send_keys("Secret")
    browser.find("#save-rules").click()
    browser.wait_for(lambda: "privacy_filters" in settings(server.url))
    assert settings(server.url)["privacy_filters"] == [
        {"enabled": True, "bucket_prefix": "", "field": "incognito", "pattern": "^true$", "action": "drop"},
        {"enabled": True, "bucket_prefix": "", "field": "title", "pattern": "Secret", "action": "redact",
         "replacement": "(private)"},
    ]  # fmt: skip


def test_forget_a_time_range(server: LiveServer, browser: Browser) -> None:
    browser.open("/privacy")
    browser.driver.execute_script(
        "document.getElementById('forget-start').value = arguments[0];"
        "document.getElementById('forget-end').value = arguments[1];"
        "[...document.getElementById('forget-buckets').options].forEach(o => o.selected = o.value === arguments[2]);",
        f"{seed.DAY}T09:00",
        f"{seed.DAY}T10:00",
        seed.WINDOW,
    )
    browser.find("#forget").click()
    assert "in aw-watcher-window_testhost is deleted for good" in browser.text("#confirm-dialog")
    browser.find("#confirm-ok").click()
    browser.wait_for(lambda: browser.text("#forget-result"))
    assert browser.text("#forget-result") == "Forgotten: 0 events deleted, 1 cut at the edges."
    events = httpx.get(f"{server.url}/api/0/buckets/{seed.WINDOW}/events").json()
    first = min(events, key=lambda e: e["timestamp"])
    assert first["timestamp"].startswith(f"{seed.DAY}T09:00:00") and first["duration"] == 3600  # 10:00 local
    assert len(httpx.get(f"{server.url}/api/0/buckets/{seed.AFK}/events").json()) == 4  # other buckets kept


def test_tokens_are_created_shown_once_and_revoked(server: LiveServer, browser: Browser) -> None:
    browser.open("/settings")
    browser.find("#token-name").send_keys("phone")
    Select(browser.find("#token-scope")).select_by_value("append")
    browser.find("#token-buckets").send_keys("aw-watcher-android")
    browser.find("#create-token").click()
    browser.wait_for(lambda: browser.text("#new-token-value"))
    token = browser.text("#new-token-value").strip()
    assert [t["name"] for t in httpx.get(f"{server.url}/api/0/tokens").json()] == ["phone"]
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"client": "test", "type": "test", "hostname": "phone"}
    assert httpx.post(f"{server.url}/api/0/buckets/aw-watcher-android-x", json=body, headers=bearer).status_code == 200
    assert httpx.post(f"{server.url}/api/0/buckets/other", json=body, headers=bearer).status_code == 403
    browser.screenshot("settings-token-created")
    browser.find('#token-rows tr[data-token="phone"] .revoke').click()
    browser.find("#confirm-ok").click()
    browser.wait_for(lambda: not browser.text("#token-rows"))
    assert httpx.get(f"{server.url}/api/0/tokens").json() == []
    assert httpx.post(f"{server.url}/api/0/buckets/aw-watcher-android-y", json=body, headers=bearer).status_code == 401


# ---------------------------------------------------------------------------------------------- first start, tokens


def test_a_new_user_sees_how_to_begin(tmp_path: Path, browser: Browser) -> None:
    api, store, _ = start_server(tmp_path)
    browser.base_url = api.url
    try:
        browser.open("")
        assert "No activity recorded yet" in browser.text("#view")
        browser.screenshot("first-start")
        for fragment in ("/timeline", "/reports", "/buckets", "/query"):
            browser.go(fragment)
        browser.go("/settings")
        assert "default categories" in browser.text("#defaults-note")
        browser.go("/privacy")
        assert "private browsing" in browser.text("#rules-default")
    finally:
        api.stop()
        store.close()


def test_a_server_that_requires_tokens_is_used_with_the_token_from_the_address(
    tmp_path: Path, browser: Browser
) -> None:
    api, store, _ = start_server(tmp_path, require_token=True)
    seed.seed_day(store)
    token = store.create_token("dashboard", "admin")
    browser.base_url = api.url
    try:
        assert httpx.get(f"{api.url}/api/0/buckets/").status_code == 401
        browser.driver.get("about:blank")
        browser.driver.get(f"{api.url}/?token={token}#{DAY_VIEW}")
        browser.wait_ready()
        assert "token" not in browser.driver.current_url  # taken out of the address bar (and history)
        assert browser.text("#stat-active") == "4h 30m"
        browser.open("/buckets")  # a later visit without it in the address still works
        assert seed.WINDOW in browser.text("#bucket-table")
    finally:
        browser.driver.execute_script("localStorage.clear()")
        api.stop()
        store.close()
