"""The AFK state machine: seconds since the last input in, heartbeats out (no clock, no platform).

It behaves as aw-watcher-afk does, so queries written for ActivityWatch read our data the same way:
every poll it sends a heartbeat of the current state starting at the last input (while away, lasting
until now); when the state flips it closes the old state at the last input and opens the new one a
millisecond later; heartbeats merge within `timeout + poll_time`, so the timeline has no gaps while
the user is there. A locked screen counts as away. A jump of the clock far beyond the poll interval
(suspend, hibernation) starts afresh, leaving a gap instead of a span nobody observed; so does a
pause of tracking (`restart`), after which nothing earlier than the restart is sent and the first
heartbeat does not merge into the event before the pause.

Media (a playing player, or an app that blocks idle) keeps the user active through input silence:
once silence reaches the timeout while media plays, a `{"status": "not-afk", "reason": "media"}`
event continues from the last input until the media stops or input comes back; the screen lock
still counts as away. Only the reason is recorded, nothing about the media.
"""

from __future__ import annotations

from dataclasses import dataclass

from activitywatch.core.models import Event
from activitywatch.watchers.heartbeats import SECOND, Heartbeat

AFK = {"status": "afk"}
NOT_AFK = {"status": "not-afk"}
MEDIA = {"status": "not-afk", "reason": "media"}
MS = 1_000_000


@dataclass(frozen=True)
class AfkSample:
    """One look at the machine: the time (ns), seconds since the last input, whether it is locked, and
    whether media keeps the user active (asked only once the silence reaches the timeout)."""

    now: int
    idle: float
    locked: bool = False
    media: bool = False


class AfkStateMachine:
    """Turns samples into heartbeats."""

    def __init__(self, timeout: float, poll_time: float) -> None:
        self.timeout = timeout
        self.poll_time = poll_time
        self.pulsetime = round((timeout + poll_time) * SECOND)
        self.afk: bool | None = None  # unknown until the first sample
        self.media = False  # not afk only because media plays (afk is False then)
        self.since = 0  # when the current span (afk, media or active) began
        self.end = 0  # how far it reaches in what was sent
        self.last_input: int | None = None
        self.last_now: int | None = None
        self.floor: int | None = None  # nothing before this (the end of a pause) is reported
        self.detached = False  # the next heartbeat must not merge into what came before the pause

    def restart(self, now: int) -> None:
        """Tracking resumes at `now` after a pause: start afresh and report nothing before `now`."""
        self.afk = None
        self.media = False
        self.last_now = None
        self.floor = now
        self.detached = True

    def _beat(self, data: dict[str, str], start: int, duration: int = 0) -> Heartbeat:
        pulsetime = self.pulsetime
        if self.detached:
            pulsetime = 0  # a pause is a gap: the first heartbeat after it starts a new event
            self.detached = False
        return Heartbeat(Event(start, max(0, duration), data), pulsetime)

    def wants_media(self, idle: float, locked: bool) -> bool:
        """Whether a sample with this idle time and lock needs to know about media (to skip asking)."""
        return not locked and idle >= self.timeout

    def step(self, sample: AfkSample) -> list[Heartbeat]:
        """The heartbeats for this sample."""
        if self.last_now is not None and sample.now - self.last_now > self._gap_limit():
            self.afk = None  # the machine slept: nothing was observed in between
            # and what follows never reaches back over what was sent before it
            self.floor = max(self.floor or 0, self.last_now + MS)
        self.last_now = sample.now
        now = sample.now
        idle_ns = max(0, round(sample.idle * SECOND))
        if self.floor is not None and now - idle_ns < self.floor:
            idle_ns = max(0, now - self.floor)  # the input before the pause is not reported
        last_input = now - idle_ns
        if self.afk is not None and self.last_input is not None and last_input < self.last_input:
            # input times never go back: a probe whose idle time comes from another clock jitters by
            # microseconds, and a heartbeat starting before the event it continues would not merge
            last_input, idle_ns = self.last_input, now - self.last_input
        self.last_input = last_input
        silent = sample.locked or sample.idle >= self.timeout
        media = silent and sample.media and not sample.locked
        away = silent and not media
        was = self._data() if self.afk is not None else None
        self.afk, self.media = away, media
        data = self._data()
        if was is None:  # the first sample: the current state since the last input
            self.since, self.end = last_input, now if silent else last_input
            return [self._beat(data, last_input, self.end - last_input)]
        if was == data:
            if silent:  # afk or media: one span from `since`, growing until now
                self.end = now
                return [self._beat(data, self.since, now - self.since)]
            self.end = max(last_input, self.since)  # active: the span ends at the last input
            return [self._beat(data, self.end)]
        # a change: the old span ends (at the input that ended a silence, or now), the new one starts 1 ms later
        if was is NOT_AFK:
            end = max(last_input, self.since)
        elif silent:
            end = now
        else:
            end = max(last_input, self.end)
        # an active span closes as aw-watcher-afk's does (a heartbeat at the last input); a silent one whole
        closing = self._beat(was, end) if was is NOT_AFK else self._beat(was, self.since, end - self.since)
        self.since = end + MS
        self.end = max(now, self.since) if silent else self.since
        return [closing, self._beat(data, self.since, self.end - self.since)]

    def _data(self) -> dict[str, str]:
        return AFK if self.afk else MEDIA if self.media else NOT_AFK

    def _gap_limit(self) -> int:
        """Polls further apart than this mean the machine was suspended."""
        return round(max(3 * self.poll_time, self.poll_time + 10) * SECOND)
