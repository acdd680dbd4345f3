"""The window watcher's rules: what the active window becomes as an event (no platform here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from activitywatch.core.models import Event
from activitywatch.watchers.heartbeats import SECOND, Heartbeat

EXCLUDED_TITLE = "excluded"


@dataclass(frozen=True)
class ActiveWindow:
    """What the platform reports: the application's name and the window's title."""

    app: str
    title: str


def window_pulsetime(poll_time: float) -> int:
    """aw-watcher-window's merge window: max(1.5 x poll_time, poll_time + 1 s), in ns."""
    return round(max(1.5 * poll_time, poll_time + 1) * SECOND)


class WindowRules:
    """Excluded titles become "excluded" (the app is kept); excluded apps are not recorded at all.

    Both are regular expressions matched case-insensitively: titles anywhere in the title (as
    aw-watcher-window does), apps against the whole app name.
    """

    def __init__(self, poll_time: float, exclude_titles: Sequence[str] = (), exclude_apps: Sequence[str] = ()) -> None:
        self.pulsetime = window_pulsetime(poll_time)
        self.titles = [re.compile(p, re.IGNORECASE) for p in exclude_titles]
        self.apps = [re.compile(p, re.IGNORECASE) for p in exclude_apps]

    def heartbeat(self, now: int, window: ActiveWindow | None) -> Heartbeat | None:
        """The heartbeat for the active window at `now`, or None (no window, or an excluded app)."""
        if window is None or any(p.fullmatch(window.app) for p in self.apps):
            return None
        title = EXCLUDED_TITLE if any(p.search(window.title) for p in self.titles) else window.title
        return Heartbeat(Event(now, 0, {"app": window.app, "title": title}), self.pulsetime)
