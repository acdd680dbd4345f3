"""Query workloads: days of window and AFK events, then the queries dashboards send, over /api/0/query/."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.client import RawHttpClient

DAY = 86_400
EVENTS_PER_DAY = 2_000  # 30 days = 60k events, 365 days = 730k: the sizes
AFK_PER_DAY = 400
START = datetime(2023, 1, 1, tzinfo=UTC)
APPS = [
    ("firefox", ["GitHub - Pull request #{n}", "Inbox (3) - mail", "YouTube - video {n}", "Docs - report {n}"]),
    ("code", ["main.py - project", "README.md - project", "test_{n}.py - project"]),
    ("terminal", ["bash", "htop", "git log"]),
    ("slack", ["general", "random", "team-{n}"]),
    ("libreoffice", ["budget-{n}.ods", "notes.odt"]),
    ("spotify", ["Spotify Premium", "Song {n}"]),
]
CATEGORIES = [
    (["Work"], {"type": "regex", "regex": "Google Docs|libreoffice|ReText"}),
    (["Work", "Programming"], {"type": "regex", "regex": "GitHub|Stack Overflow|BitBucket|Gitlab|code|terminal"}),
    (["Work", "Programming", "ActivityWatch"], {"type": "regex", "regex": "ActivityWatch|aw-", "ignore_case": True}),
    (["Work", "Image"], {"type": "regex", "regex": "GIMP|Inkscape"}),
    (["Work", "Video"], {"type": "regex", "regex": "Kdenlive"}),
    (["Work", "Audio"], {"type": "regex", "regex": "Audacity"}),
    (["Work", "3D"], {"type": "regex", "regex": "Blender"}),
    (["Media", "Games"], {"type": "regex", "regex": "Minecraft|RimWorld"}),
    (["Media", "Video"], {"type": "regex", "regex": "YouTube|Plex|VLC"}),
    (
        ["Media", "Social Media"],
        {"type": "regex", "regex": "reddit|Facebook|Twitter|Instagram|devRant", "ignore_case": True},
    ),
    (["Media", "Music"], {"type": "regex", "regex": "Spotify|Deezer", "ignore_case": True}),
    (
        ["Comms", "IM"],
        {
            "type": "regex",
            "regex": "Messenger|Telegram|Signal|WhatsApp|Rambox|Slack|Riot|Discord|Nheko",
            "ignore_case": True,
        },
    ),
    (["Comms", "Email"], {"type": "regex", "regex": "Gmail|Thunderbird|mutt|alpine|mail"}),
]


@dataclass(frozen=True)
class QueryBuckets:
    """The two buckets a dashboard query reads."""

    window: str
    afk: str


def generate(days: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Window and AFK events for `days` days: 1,600 window and 400 alternating AFK events per day."""
    rng = random.Random(seed)
    window: list[dict[str, Any]] = []
    afk: list[dict[str, Any]] = []
    window_per_day = EVENTS_PER_DAY - AFK_PER_DAY
    for day in range(days):
        base = START + timedelta(days=day)
        # AFK: 400 alternating periods that tile the day.
        cuts = sorted(rng.sample(range(1, DAY), AFK_PER_DAY - 1))
        bounds = [0, *cuts, DAY]
        for i in range(AFK_PER_DAY):
            afk.append(
                {
                    "timestamp": (base + timedelta(seconds=bounds[i])).isoformat(),
                    "duration": float(bounds[i + 1] - bounds[i]),
                    "data": {"status": "not-afk" if i % 2 == 0 else "afk"},
                }
            )
        # Window: 1,600 events of a few seconds to a few minutes, in order, sometimes with gaps.
        t = 0.0
        step = DAY / window_per_day
        for i in range(window_per_day):
            app, titles = APPS[rng.randrange(len(APPS))]
            title = titles[rng.randrange(len(titles))].format(n=rng.randrange(20))
            duration = round(rng.uniform(0.2, 1.0) * step, 3)
            window.append(
                {
                    "timestamp": (base + timedelta(seconds=t)).isoformat(),
                    "duration": duration,
                    "data": {"app": app, "title": title},
                }
            )
            t += step
            if i % 50 == 49:
                t += rng.uniform(0, step)
            t = min(t, DAY - step)
    return window, afk


def canonical_query(buckets: QueryBuckets) -> list[str]:
    """Time per app while not AFK (the aw-client / docs canonical query), one statement per line."""
    return [
        f'afk_events = query_bucket("{buckets.afk}");',
        f'window_events = query_bucket("{buckets.window}");',
        'not_afk = filter_keyvals(afk_events, "status", ["not-afk"]);',
        "window_events = filter_period_intersect(window_events, not_afk);",
        'events = merge_events_by_keys(window_events, ["app"]);',
        "RETURN = sort_by_duration(events);",
    ]


def activity_query(buckets: QueryBuckets) -> list[str]:
    """The web UI's activity query (flood, categorize, merges by app, title and category)."""
    classes = json.dumps([[name, rule] for name, rule in CATEGORIES])
    return [
        f'events = flood(query_bucket("{buckets.window}"));',
        f'not_afk = flood(query_bucket("{buckets.afk}"));',
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "events = filter_period_intersect(events, not_afk);",
        f"events = categorize(events, {classes});",
        'title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));',
        'app_events = sort_by_duration(merge_events_by_keys(title_events, ["app"]));',
        'cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));',
        "app_events = limit_events(app_events, 100);",
        "title_events = limit_events(title_events, 100);",
        "duration = sum_durations(events);",
        'RETURN = {"app_events": app_events, "title_events": title_events, "cat_events": cat_events, '
        '"duration": duration};',
    ]


def first_time(query: list[str], counter: str) -> list[str]:
    """The query with a leading no-op statement naming `counter`: a text no server has seen before, so no
    result cache can answer it (both query dialects accept `name = nop();`)."""
    return [f"first_time_{counter} = nop();", *query]


def period(first_day: int, days: int) -> str:
    """A timeperiod string covering whole days."""
    start = START + timedelta(days=first_day)
    return f"{start.isoformat()}/{(start + timedelta(days=days)).isoformat()}"


def daily_periods(days: int) -> list[str]:
    """One timeperiod per day (what the web UI sends for a month's bar chart), plus one."""
    return [period(day, 1) for day in range(days + 1)]


def post_query(
    client: RawHttpClient, request: Any, query: list[str], periods: list[str], name: str
) -> tuple[float, list[Any]]:
    """Time one POST /api/0/query/?name=NAME; return (seconds, the parsed answer)."""
    body = json.dumps({"query": query, "timeperiods": periods}).encode()
    raw = request("POST", f"/api/0/query/?name={name}", body)
    t0 = time.perf_counter()
    answer = client.expect(raw)
    elapsed = time.perf_counter() - t0
    parsed: list[Any] = json.loads(answer)
    return elapsed, parsed


def app_totals(answer: Any) -> dict[str, float]:
    """{app: seconds} of a canonical answer, rounded to the second, for comparing servers."""
    return {e["data"]["app"]: round(float(e["duration"])) for e in answer}
