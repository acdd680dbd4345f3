"""Known activity for the dashboard tests: one day on host `testhost`, in the browser's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store

TIMEZONE = "Europe/Berlin"
DAY = "2026-11-22"
HOST = "testhost"
WINDOW = f"aw-watcher-window_{HOST}"
AFK = f"aw-watcher-afk_{HOST}"
WEB = f"aw-watcher-web-firefox_{HOST}"
NS = 1_000_000_000
MIN = 60

# (start "HH:MM" on DAY, or next day's early hours as "+HH:MM", minutes, app, title)
WINDOW_EVENTS = [
    ("09:00", 120, "Quillwriter", "Draft chapter 3 - Quillwriter"),
    ("11:00", 30, "Firefox", "ActivityWatch documentation — Mozilla Firefox"),
    ("11:30", 30, "Firefox", "Stack Overflow — Mozilla Firefox"),
    ("12:00", 60, "Quillwriter", "Outline.qw - Quillwriter"),  # while away: not counted
    ("13:00", 20, "Terminal", "bash — ~/projects"),
    ("13:20", 40, "Quillwriter", "Outline.qw - Quillwriter"),
    ("+02:00", 30, "Quillwriter", "Late night notes - Quillwriter"),  # before 04:00: still the 22nd
]
AFK_EVENTS = [("09:00", 180, "not-afk"), ("12:00", 60, "afk"), ("13:00", 60, "not-afk"), ("+02:00", 30, "not-afk")]
WEB_EVENTS = [
    ("11:00", 30, "https://docs.activitywatch.net/en/latest/", "ActivityWatch documentation"),
    ("11:30", 30, "https://stackoverflow.com/questions/1", "Stack Overflow"),
]

# What the dashboard must show for DAY (computed by hand from the events above).
ACTIVE_SECONDS = (120 + 30 + 30 + 20 + 40 + 30) * MIN
APP_SECONDS = {"Quillwriter": (120 + 40 + 30) * MIN, "Firefox": 60 * MIN, "Terminal": 20 * MIN}
DOMAINS = {"docs.activitywatch.net": 30 * MIN, "stackoverflow.com": 30 * MIN}


def moment(when: str) -> datetime:
    """A "HH:MM" (or "+HH:MM", the next day) on DAY in the test time zone."""
    base = datetime.fromisoformat(DAY).replace(tzinfo=ZoneInfo(TIMEZONE))
    extra = timedelta(days=1) if when.startswith("+") else timedelta()
    hours, minutes = map(int, when.lstrip("+").split(":"))
    return base + extra + timedelta(hours=hours, minutes=minutes)


def _event(when: str, minutes: int, data: dict[str, Any]) -> Event:
    return Event(int(moment(when).timestamp()) * NS, minutes * MIN * NS, data)


def seed_day(store: Store) -> None:
    """Create the window, AFK and web-watcher buckets with the day's events."""
    created = int(moment("08:00").timestamp()) * NS
    store.create_bucket(
        Bucket(WINDOW, "currentwindow", "aw-watcher-window", HOST, created),
        [_event(w, m, {"app": a, "title": t}) for w, m, a, t in WINDOW_EVENTS],
    )
    store.create_bucket(
        Bucket(AFK, "afkstatus", "aw-watcher-afk", HOST, created),
        [_event(w, m, {"status": s}) for w, m, s in AFK_EVENTS],
    )
    store.create_bucket(
        Bucket(WEB, "web.tab.current", "aw-client-web", HOST, created),
        [_event(w, m, {"url": u, "title": t, "audible": False, "incognito": False}) for w, m, u, t in WEB_EVENTS],
    )
