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
        self.since = 0  # when the current afk or media span began
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
        was_afk, was_media = self.afk, self.media
        self.afk, self.media = away, media
        if was_afk is None:  # the first sample: the current state since the last input
            self.since = last_input
            return [self._beat(self._data(), last_input, idle_ns if silent else 0)]
        out: list[Heartbeat] = []
        if was_media and not media:  # media stopped (or input came): its span ends now, or at the input
            end = now if silent else max(last_input, self.since)
            out.append(self._beat(MEDIA, self.since, end - self.since))
            if away:
                self.since = end + MS
                return [*out, self._beat(AFK, self.since, now - self.since)]
            return [*out, self._beat(NOT_AFK, end + MS)]
        if media:
            if was_media:
                return [self._beat(MEDIA, self.since, now - self.since)]
            if was_afk:  # media started while away: away until now
                out.append(self._beat(AFK, self.since, now - self.since))
                self.since = now + MS
            else:  # silence reached the timeout while media plays: active since the last input
                out.append(self._beat(NOT_AFK, last_input))
                self.since = last_input + MS
            return [*out, self._beat(MEDIA, self.since, now - self.since)]
        if was_afk and not away:
            return [self._beat(AFK, last_input), self._beat(NOT_AFK, last_input + MS)]
        if not was_afk and away:
            # aw-watcher-afk sends the later afk heartbeats from the last input, a millisecond before this
            # event starts, so the store cannot merge them into it (two overlapping events); ours continue it
            self.since = last_input + MS
            return [self._beat(NOT_AFK, last_input), self._beat(AFK, self.since, idle_ns - MS)]
        if away:
            self.since = max(self.since, last_input)
            return [self._beat(AFK, self.since, now - self.since)]
        return [self._beat(NOT_AFK, last_input)]

    def _data(self) -> dict[str, str]:
        return AFK if self.afk else MEDIA if self.media else NOT_AFK

    def _gap_limit(self) -> int:
        """Polls further apart than this mean the machine was suspended."""
        return round(max(3 * self.poll_time, self.poll_time + 10) * SECOND)
