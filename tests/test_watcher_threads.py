"""Watchers on their QThreads (pytest-qt, offscreen): start, pause, resume, stop, and problems reported
by signal. The probes are stand-ins (the X11 ones are tested on a real X server elsewhere); the store
is real."""

from __future__ import annotations

import threading
from typing import Any

from pytestqt.qtbot import QtBot

from activitywatch.core.errors import StorageError
from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.watchers.builtin import AfkWatcher, WindowWatcher
from activitywatch.watchers.probes import ProbeUnavailable
from activitywatch.watchers.window import ActiveWindow
from activitywatch.watchers.worker import WatcherThread
from tests.watcher_support import IdleStandIn, events_of, start

WAIT = 10_000  # ms: an upper bound for things that happen within a few polls


class WindowStandIn:
    """Reports whatever window the test sets; counts how often it was asked."""

    def __init__(self) -> None:
        self.window: ActiveWindow | None = ActiveWindow("editor", "main.py")
        self.asked = 0
        self.closed = False
        self.thread: threading.Thread | None = None

    def active(self) -> ActiveWindow | None:
        self.asked += 1
        self.thread = threading.current_thread()
        if isinstance(self.window, Exception):
            raise self.window
        return self.window

    def close(self) -> None:
        self.closed = True


def test_start_pause_resume_stop(qtbot: QtBot, store: Store, watcher_threads: list[WatcherThread]) -> None:
    probe = WindowStandIn()
    watcher = WindowWatcher(store, poll_time=0.05, probe_factory=lambda: probe, host="testhost")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        t = start(watcher_threads, watcher)
    qtbot.waitUntil(lambda: probe.asked >= 3, timeout=WAIT)
    assert probe.thread is not threading.main_thread()  # sampled on the watcher's own thread
    qtbot.waitUntil(lambda: bool(events_of(store, "aw-watcher-window_testhost")), timeout=WAIT)
    bucket = store.get_bucket("aw-watcher-window_testhost").bucket
    assert (bucket.type, bucket.client, bucket.hostname) == ("currentwindow", "aw-watcher-window", "testhost")
    qtbot.waitUntil(lambda: bool(events_of(store, bucket.id)), timeout=WAIT)
    assert [e.data for e in store.get_events(bucket.id)] == [{"app": "editor", "title": "main.py"}]

    with qtbot.waitSignal(watcher.paused, timeout=WAIT):
        t.pause()
    # paused: its timer is stopped, and a poll (as the timer would make) samples nothing
    assert watcher.state == "paused" and watcher._timer is not None and not watcher._timer.isActive()
    asked = probe.asked
    watcher.poll()
    assert probe.asked == asked

    probe.window = ActiveWindow("browser", "news")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        t.resume()
    qtbot.waitUntil(lambda: len(store.get_events(bucket.id)) == 2, timeout=WAIT)
    assert store.get_events(bucket.id)[0].data == {"app": "browser", "title": "news"}

    assert t.stop()
    assert not t.thread.isRunning() and probe.closed and watcher.state == "stopped"


def test_an_unavailable_probe_is_reported_not_crashed(
    qtbot: QtBot, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    def no_display() -> Any:
        raise ProbeUnavailable("there is no display (DISPLAY is not set)")

    watcher = WindowWatcher(store, poll_time=0.05, probe_factory=no_display, host="h")
    with qtbot.waitSignal(watcher.unavailable, timeout=WAIT) as blocker:
        t = start(watcher_threads, watcher)
    assert blocker.args == ["there is no display (DISPLAY is not set)"]
    assert watcher.state == "unavailable" and store.list_buckets() == []
    assert t.stop()


def test_a_failing_probe_is_reported_by_signal(
    qtbot: QtBot, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    probe = WindowStandIn()
    watcher = WindowWatcher(store, poll_time=0.05, probe_factory=lambda: probe, host="h")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    probe.window = RuntimeError("the window system went away")  # type: ignore[assignment]
    with qtbot.waitSignal(watcher.failed, timeout=WAIT) as blocker:
        pass
    assert blocker.args == ["RuntimeError: the window system went away"]
    assert watcher.state == "failed"
    # a failed watcher stops polling (the app decides about restarts)
    assert watcher._timer is not None and not watcher._timer.isActive()
    asked = probe.asked
    watcher.poll()
    assert probe.asked == asked


class Breakable:
    """The real store behind a switch that makes writes fail (as a full disk would)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.broken = threading.Event()

    def create_bucket(self, bucket: Bucket, events: tuple[Event, ...] = ()) -> bool:
        if self.broken.is_set():
            raise StorageError("database or disk is full")
        return self.store.create_bucket(bucket, events)

    def heartbeat(self, bucket_id: str, heartbeat: Event, pulsetime: int) -> Event:
        if self.broken.is_set():
            raise StorageError("database or disk is full")
        return self.store.heartbeat(bucket_id, heartbeat, pulsetime)


def test_write_trouble_is_reported_and_caught_up(
    qtbot: QtBot, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    probe = WindowStandIn()
    sink = Breakable(store)
    sink.broken.set()
    watcher = WindowWatcher(sink, poll_time=0.05, probe_factory=lambda: probe, host="h")
    with qtbot.waitSignal(watcher.trouble, timeout=WAIT) as blocker:
        start(watcher_threads, watcher)
    assert blocker.args == ["database or disk is full"]
    assert store.list_buckets() == []
    qtbot.waitUntil(lambda: probe.asked >= 5, timeout=WAIT)  # still sampling, keeping what it saw
    with qtbot.waitSignal(watcher.running, timeout=WAIT):  # recovered: reported as running again
        sink.broken.clear()
    events = store.get_events("aw-watcher-window_h")
    assert len(events) == 1 and events[0].data == {"app": "editor", "title": "main.py"}
    first_sample = events[0].timestamp
    assert events[0].duration > 0 and first_sample < events[0].end  # the whole outage is in the event


def test_afk_watcher_writes_the_reference_bucket(
    qtbot: QtBot, store: Store, watcher_threads: list[WatcherThread]
) -> None:
    probe = IdleStandIn()
    watcher = AfkWatcher(store, timeout=1, poll_time=0.05, probe_factory=lambda: probe, host="h")
    with qtbot.waitSignal(watcher.running, timeout=WAIT):
        start(watcher_threads, watcher)
    qtbot.waitUntil(lambda: bool(events_of(store, "aw-watcher-afk_h")), timeout=WAIT)
    probe.value = (5.0, False)
    qtbot.waitUntil(lambda: events_of(store, "aw-watcher-afk_h")[0].data == {"status": "afk"}, timeout=WAIT)
    bucket = store.get_bucket("aw-watcher-afk_h").bucket
    assert (bucket.type, bucket.client) == ("afkstatus", "aw-watcher-afk")
