"""Pausing tracking for a while: the end is remembered, tracking resumes by itself, time left is shown."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal

from activitywatch.qtsignals import emit
from activitywatch.ui.backend import Tracker
from activitywatch.ui.state import UiState

log = logging.getLogger(__name__)

SECOND = 1_000_000_000
DAY_STARTS_AT = 4  # hour: "until tomorrow" ends when the dashboard's day starts (04:00 by default)
MAX_TIMER_MS = 60 * 60 * 1000  # re-arm at least hourly, so a changed clock or a suspend is noticed


def next_day_start(now: datetime, hour: int = DAY_STARTS_AT) -> datetime:
    """The next time the local day starts (`hour`:00), strictly after `now` (an aware local datetime)."""
    start = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return start if start > now else start + timedelta(days=1)


def describe_left(seconds: float) -> str:
    """'14 min', '1 h 05 min', 'less than a minute' (whole minutes, rounded up)."""
    if seconds < 60:
        return "less than a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class PauseTimer(QObject):
    """The pause of tracking: starts it, ends it on time (also after a restart of the app) or on request."""

    changed = Signal()

    def __init__(self, tracker: Tracker, state: UiState, clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__()
        self.tracker = tracker
        self.state = state
        self.clock = clock
        self.end: int | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def paused(self) -> bool:
        """Whether tracking is paused."""
        return self.end is not None

    def seconds_left(self) -> float:
        """Seconds until tracking resumes (0 when not paused)."""
        return 0.0 if self.end is None else max(0.0, (self.end - self.clock()) / SECOND)

    def restore(self) -> None:
        """Pause again if the app was stopped during a pause that has not ended yet."""
        end = self.state.pause_end()
        if end is not None and end > self.clock():
            self.pause_until(end)
        elif end is not None:
            self.state.set_pause_end(None)

    def pause_for(self, seconds: float) -> None:
        """Pause for `seconds`."""
        self.pause_until(self.clock() + round(seconds * SECOND))

    def pause_until_tomorrow(self) -> None:
        """Pause until the next day starts."""
        now = datetime.fromtimestamp(self.clock() / SECOND).astimezone()
        self.pause_until(round(next_day_start(now).timestamp() * SECOND))

    def pause_until(self, end: int) -> None:
        """Pause until `end` (ns since the epoch)."""
        start = self.clock()
        self.end = end
        self.state.set_pause_end(end)
        self.tracker.pause(start, end)
        log.info("Tracking paused for %s", describe_left((end - start) / SECOND))
        self._arm()
        emit(self.changed)

    def resume(self) -> None:
        """Record again now."""
        if self.end is None:
            return
        self.end = None
        self._timer.stop()
        self.state.set_pause_end(None)
        self.tracker.resume()
        log.info("Tracking resumed")
        emit(self.changed)

    def _arm(self) -> None:
        left_ms = max(0, (self.end or 0) - self.clock()) // 1_000_000
        self._timer.start(min(MAX_TIMER_MS, left_ms))

    def _on_timer_timeout(self) -> None:
        if self.end is None:
            return
        if self.clock() >= self.end:
            self.resume()
        else:
            self._arm()
