"""The two built-in watchers: AFK and the active window, with the buckets aw-watcher-afk and
aw-watcher-window write (so queries and dashboards made for ActivityWatch read them unchanged)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from activitywatch.core.models import Bucket
from activitywatch.watchers.afk import AfkSample, AfkStateMachine
from activitywatch.watchers.backends import Choice, choose_idle_probe, choose_window_probe
from activitywatch.watchers.heartbeats import Heartbeat, HeartbeatSink, hostname, watcher_bucket
from activitywatch.watchers.media import MediaProbe
from activitywatch.watchers.probes import IdleProbe, ProbeUnavailable, WindowProbe
from activitywatch.watchers.window import WindowRules
from activitywatch.watchers.worker import NsClock, Watcher

log = logging.getLogger(__name__)


class AfkWatcher(Watcher):
    """Away from keyboard or not, from the seconds since the last input (and the screen lock); media
    that plays keeps the user active when a media probe is given."""

    name = "afk"

    def __init__(
        self,
        sink: HeartbeatSink,
        *,
        timeout: float = 180.0,
        poll_time: float = 5.0,
        probe_factory: Callable[[], IdleProbe | Choice[IdleProbe]] = choose_idle_probe,
        media_factory: Callable[[], MediaProbe] | None = None,
        clock: NsClock = time.time_ns,
        host: str | None = None,
    ) -> None:
        super().__init__(poll_time, sink, clock)
        self.machine = AfkStateMachine(timeout, poll_time)
        self.probe_factory = probe_factory
        self.media_factory = media_factory
        self.probe: IdleProbe | None = None
        self.media: MediaProbe | None = None
        self.bucket = watcher_bucket("aw-watcher-afk", "afkstatus", clock(), host or hostname())

    def open(self) -> list[Bucket]:
        """Open the idle probe (and the media probe, without which only input counts)."""
        self.probe = self._chosen(self.probe_factory())
        if self.media_factory is not None:
            try:
                self.media = self.media_factory()
            except ProbeUnavailable as exc:
                log.warning("Media cannot keep you active (only input counts): %s", exc)
        return [self.bucket]

    def sample(self, now: int) -> list[tuple[str, Heartbeat]]:
        """Read idle time and lock state (and media once the silence reaches the timeout); the heartbeats."""
        assert self.probe is not None
        idle, locked = self.probe.idle()
        media = self.media is not None and self.machine.wants_media(idle, locked) and self.media.active()
        return [(self.bucket.id, beat) for beat in self.machine.step(AfkSample(now, idle, locked, media))]

    def after_pause(self, now: int) -> None:
        """The pause is a gap: the state machine starts afresh at `now`."""
        self.machine.restart(now)

    def close(self) -> None:
        """Close the probes."""
        try:
            if self.probe is not None:
                self.probe.close()
        finally:
            if self.media is not None:
                self.media.close()


class WindowWatcher(Watcher):
    """The active window's app and title, every poll."""

    name = "window"

    def __init__(
        self,
        sink: HeartbeatSink,
        *,
        poll_time: float = 1.0,
        exclude_titles: Sequence[str] = (),
        exclude_apps: Sequence[str] = (),
        probe_factory: Callable[[], WindowProbe | Choice[WindowProbe]] = choose_window_probe,
        clock: NsClock = time.time_ns,
        host: str | None = None,
    ) -> None:
        super().__init__(poll_time, sink, clock)
        self.rules = WindowRules(poll_time, exclude_titles, exclude_apps)
        self.probe_factory = probe_factory
        self.probe: WindowProbe | None = None
        self.detached = False  # the first heartbeat after a pause must not merge across it
        self.bucket = watcher_bucket("aw-watcher-window", "currentwindow", clock(), host or hostname())

    def open(self) -> list[Bucket]:
        """Open the window probe."""
        self.probe = self._chosen(self.probe_factory())
        return [self.bucket]

    def sample(self, now: int) -> list[tuple[str, Heartbeat]]:
        """The active window as a heartbeat (none for excluded apps or no window)."""
        assert self.probe is not None
        beat = self.rules.heartbeat(now, self.probe.active())
        if beat is None:
            return []
        if self.detached:
            self.detached = False
            beat = Heartbeat(beat.event, 0)
        return [(self.bucket.id, beat)]

    def after_pause(self, now: int) -> None:
        """The pause is a gap: the next window starts a new event."""
        self.detached = True

    def close(self) -> None:
        """Close the probe."""
        if self.probe is not None:
            self.probe.close()
