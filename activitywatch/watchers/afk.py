"""The AFK state machine: seconds since the last input in, heartbeats out (no clock, no platform).

It behaves as aw-watcher-afk does, so queries written for ActivityWatch read our data the same way:
every poll it sends a heartbeat of the current state starting at the last input (while away, lasting
until now); when the state flips it closes the old state at the last input and opens the new one a
millisecond later; heartbeats merge within `timeout + poll_time`, so the timeline has no gaps while
the user is there. A locked screen counts as away. A jump of the clock far beyond the poll interval
(suspend, hibernation) starts afresh, leaving a gap instead of a span nobody observed; so does a
pause of tracking (`restart`), after which nothing earlier than the restart is sent and the first
heartbeat does not merge into the event before the pause.
"""

from __future__ import annotations

from dataclasses import dataclass

from activitywatch.core.models import Event
from activitywatch.watchers.heartbeats import SECOND, Heartbeat

AFK = {"status": "afk"}
NOT_AFK = {"status": "not-afk"}
MS = 1_000_000


@dataclass(frozen=True)
class AfkSample:
    """One look at the machine: the time (ns), seconds since the last input, and whether it is locked."""

    now: int
    idle: float
    locked: bool = False


class AfkStateMachine:
    """Turns samples into heartbeats."""

    def __init__(self, timeout: float, poll_time: float) -> None:
        self.timeout = timeout
        self.poll_time = poll_time
        self.pulsetime = round((timeout + poll_time) * SECOND)
        self.afk: bool | None = None  # unknown until the first sample
        self.last_now: int | None = None
        self.floor: int | None = None  # nothing before this (the end of a pause) is reported
        self.detached = False  # the next heartbeat must not merge into what came before the pause

    def restart(self, now: int) -> None:
        """Tracking resumes at `now` after a pause: start afresh and report nothing before `now`."""
        self.afk = None
        self.last_now = None
        self.floor = now
        self.detached = True

    def _beat(self, afk: bool, start: int, duration: int = 0) -> Heartbeat:
        pulsetime = self.pulsetime
        if self.detached:
            pulsetime = 0  # a pause is a gap: the first heartbeat after it starts a new event
            self.detached = False
        return Heartbeat(Event(start, max(0, duration), AFK if afk else NOT_AFK), pulsetime)

    def step(self, sample: AfkSample) -> list[Heartbeat]:
        """The heartbeats for this sample."""
        if self.last_now is not None and sample.now - self.last_now > self._gap_limit():
            self.afk = None  # the machine slept: nothing was observed in between
        self.last_now = sample.now
        idle_ns = max(0, round(sample.idle * SECOND))
        if self.floor is not None and sample.now - idle_ns < self.floor:
            idle_ns = max(0, sample.now - self.floor)  # the input before the pause is not reported
        last_input = sample.now - idle_ns
        away = sample.locked or sample.idle >= self.timeout
        if self.afk is None:
            self.afk = away
            return [self._beat(away, last_input, idle_ns if away else 0)]
        if self.afk and not away:
            self.afk = False
            return [self._beat(True, last_input), self._beat(False, last_input + MS)]
        if not self.afk and away:
            self.afk = True
            return [self._beat(False, last_input), self._beat(True, last_input + MS, idle_ns)]
        if self.afk:
            return [self._beat(True, last_input, idle_ns)]
        return [self._beat(False, last_input)]

    def _gap_limit(self) -> int:
        """Polls further apart than this mean the machine was suspended."""
        return round(max(3 * self.poll_time, self.poll_time + 10) * SECOND)
