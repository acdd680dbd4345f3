"""Watchers under their supervisor (pytest-qt, offscreen, real store): restarts after failures (at most 3
in 10 minutes), on/off, and pause — including the AFK watcher not counting a pause as activity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from activitywatch.core.models import Event
from activitywatch.store import Store
from activitywatch.watchers.afk import AfkSample, AfkStateMachine
from activitywatch.watchers.builtin import AfkWatcher, WindowWatcher
from activitywatch.watchers.heartbeats import SECOND
from activitywatch.watchers.host import WatcherSupervisor
from activitywatch.watchers.window import ActiveWindow
from tests.watcher_support import IdleStandIn, events_of

WAIT = 10_000


class Probe:
    """A window probe that works, or raises what the test sets."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.asked = 0

    def active(self) -> ActiveWindow | None:
        self.asked += 1
        if self.failure is not None:
            raise self.failure
        return ActiveWindow("editor", "notes")

    def close(self) -> None:
        pass


class Clock:
    """Monotonic seconds the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def supervisors() -> Iterator[list[WatcherSupervisor]]:
    made: list[WatcherSupervisor] = []
    yield made
    for s in made:
        assert s.stop()


def supervise(made: list[WatcherSupervisor], store: Store, probes: list[Probe], **options: object) -> WatcherSupervisor:
    """A window-watcher supervisor whose every fresh watcher takes the next probe."""

    def factory() -> WindowWatcher:
        probe = probes[min(len(created), len(probes) - 1)]
        created.append(probe)
        return WindowWatcher(store, poll_time=0.05, probe_factory=lambda: probe, host="h")

    created: list[Probe] = []
    supervisor = WatcherSupervisor("window", factory, restart_delay=0, **options)  # type: ignore[arg-type]
    supervisor.created = created  # type: ignore[attr-defined]
    made.append(supervisor)
    return supervisor


def test_a_failed_watcher_is_restarted_three_times_then_given_up(
    qtbot: QtBot, store: Store, supervisors: list[WatcherSupervisor]
) -> None:
    clock = Clock()
    broken = Probe(RuntimeError("the window system went away"))
    supervisor = supervise(supervisors, store, [broken], monotonic=clock)
    states: list[str] = []
    supervisor.state_changed.connect(lambda state, reason: states.append(state))
    with qtbot.waitSignal(supervisor.gave_up, timeout=WAIT) as blocker:
        supervisor.start()
    assert blocker.args == ["RuntimeError: the window system went away"]
    assert len(supervisor.created) == 4  # type: ignore[attr-defined]  # the first and three fresh watchers
    assert states.count("restarting") == 3
    assert (supervisor.state, supervisor.reason) == ("failed", "RuntimeError: the window system went away")
    assert supervisor.worker is None and not supervisor.active


def test_failures_further_apart_than_ten_minutes_keep_being_restarted(
    qtbot: QtBot, store: Store, supervisors: list[WatcherSupervisor]
) -> None:
    clock = Clock()
    broken = Probe(RuntimeError("flaky"))
    supervisor = supervise(supervisors, store, [broken], monotonic=clock)
    restarted: list[str] = []

    def on_state(state: str, reason: str) -> None:
        if state == "restarting":
            restarted.append(reason)
            clock.now += 601  # the next failure comes more than ten minutes later

    supervisor.state_changed.connect(on_state)
    supervisor.start()
    qtbot.waitUntil(lambda: len(restarted) >= 6, timeout=WAIT)
    assert supervisor.state != "failed"
    supervisor.stop()


def test_a_restarted_watcher_records_again(qtbot: QtBot, store: Store, supervisors: list[WatcherSupervisor]) -> None:
    supervisor = supervise(supervisors, store, [Probe(RuntimeError("once")), Probe()])
    supervisor.start()
    qtbot.waitUntil(lambda: len(supervisor.created) == 2 and supervisor.state == "running", timeout=WAIT)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(events_of(store, "aw-watcher-window_h")), timeout=WAIT)
    assert store.get_events("aw-watcher-window_h")[0].data == {"app": "editor", "title": "notes"}


def test_switched_off_and_on(qtbot: QtBot, store: Store, supervisors: list[WatcherSupervisor]) -> None:
    probe = Probe()
    supervisor = supervise(supervisors, store, [probe])
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "running"):
        supervisor.start()
    assert supervisor.stop()
    assert supervisor.state == "stopped" and not supervisor.active
    asked = probe.asked
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "running"):
        supervisor.start()
    qtbot.waitUntil(lambda: probe.asked > asked, timeout=WAIT)


def test_started_while_paused_samples_nothing_until_resumed(
    qtbot: QtBot, store: Store, supervisors: list[WatcherSupervisor]
) -> None:
    probe = Probe()
    supervisor = supervise(supervisors, store, [probe])
    supervisor.pause()
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "paused"):
        supervisor.start()
    assert probe.asked == 0
    assert events_of(store, "aw-watcher-window_h") == []
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "running"):
        supervisor.resume()
    qtbot.waitUntil(lambda: bool(events_of(store, "aw-watcher-window_h")), timeout=WAIT)


def test_the_afk_watcher_records_a_pause_as_a_gap(
    qtbot: QtBot, store: Store, supervisors: list[WatcherSupervisor]
) -> None:
    now = [1_700_000_000 * SECOND]
    probe = IdleStandIn()
    supervisor = WatcherSupervisor(
        "afk",
        lambda: AfkWatcher(
            store, timeout=180, poll_time=0.05, probe_factory=lambda: probe, clock=lambda: now[0], host="h"
        ),
        restart_delay=0,
    )
    supervisors.append(supervisor)
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "running"):
        supervisor.start()
    qtbot.waitUntil(lambda: bool(events_of(store, "aw-watcher-afk_h")), timeout=WAIT)
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "paused"):
        supervisor.pause()
    paused_at = now[0]
    now[0] += 120 * SECOND  # two minutes of pause (within the AFK merge window of 185 s), input 10 s ago
    probe.value = (10.0, False)
    with qtbot.waitSignal(supervisor.state_changed, timeout=WAIT, check_params_cb=lambda s, r: s == "running"):
        supervisor.resume()
    qtbot.waitUntil(lambda: len(events_of(store, "aw-watcher-afk_h")) == 2, timeout=WAIT)
    before, after = sorted(store.get_events("aw-watcher-afk_h"), key=lambda e: e.timestamp)
    assert before.end <= paused_at
    assert after.timestamp >= paused_at + 110 * SECOND  # from the last input, not from before the pause
    assert after.data == {"status": "not-afk"}


def test_afk_state_machine_after_a_pause_reports_nothing_before_it() -> None:
    machine = AfkStateMachine(timeout=180, poll_time=5)
    t0 = 1_000 * SECOND
    assert machine.step(AfkSample(t0, 0.0))[0].event == Event(t0, 0, {"status": "not-afk"})
    resumed = t0 + 900 * SECOND
    machine.restart(resumed)
    # away the whole pause: idle since before it; reported as away from the resume only, unmerged
    (beat,) = machine.step(AfkSample(resumed + 5 * SECOND, 905.0))
    assert beat.event == Event(resumed, 5 * SECOND, {"status": "afk"}) and beat.pulsetime == 0
    (beat,) = machine.step(AfkSample(resumed + 10 * SECOND, 910.0))
    assert beat.event.timestamp == resumed and beat.pulsetime == round(185 * SECOND)
