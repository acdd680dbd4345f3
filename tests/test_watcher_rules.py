"""The watchers' rules without Qt or a platform: the AFK state machine, window rules, the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from activitywatch.core.errors import StorageError
from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.watchers.afk import AFK, NOT_AFK, AfkSample, AfkStateMachine
from activitywatch.watchers.heartbeats import SECOND, Heartbeat
from activitywatch.watchers.outbox import Outbox
from activitywatch.watchers.window import ActiveWindow, WindowRules, window_pulsetime

S = SECOND
T0 = 1_700_000_000 * S


def beats(machine: AfkStateMachine, t: float, idle: float, locked: bool = False) -> list[tuple[float, float, str]]:
    """(start s, duration s, status) of the heartbeats for a sample at T0 + t seconds."""
    out = machine.step(AfkSample(T0 + round(t * S), idle, locked))
    return [((b.event.timestamp - T0) / S, b.event.duration / S, b.event.data["status"]) for b in out]


def test_afk_state_machine_follows_aw_watcher_afk() -> None:
    m = AfkStateMachine(timeout=180, poll_time=5)
    assert m.pulsetime == 185 * S
    assert beats(m, 100, 3) == [(97, 0, "not-afk")]  # first sample: the state at the last input
    assert beats(m, 105, 8) == [(97, 0, "not-afk")]
    for t in range(110, 280, 5):  # polls every 5 s without input
        assert beats(m, t, t - 97) == [(97, 0, "not-afk")]
    assert beats(m, 280, 183) == [(97, 0, "not-afk"), (97.001, 182.999, "afk")]  # became afk at the last input
    assert beats(m, 285, 188) == [(97.001, 187.999, "afk")]  # afk lasts until now (one event: it merges)
    assert beats(m, 290, 0.5) == [(97.001, 192.499, "afk"), (289.501, 0, "not-afk")]  # back
    assert beats(m, 295, 1) == [(294, 0, "not-afk")]


def test_the_first_sample_may_be_afk() -> None:
    m = AfkStateMachine(timeout=60, poll_time=5)
    assert beats(m, 1000, 400) == [(600, 400, "afk")]


def test_a_locked_screen_is_afk_even_with_recent_input() -> None:
    m = AfkStateMachine(timeout=180, poll_time=5)
    beats(m, 10, 1)
    assert beats(m, 15, 2, locked=True) == [(13, 0, "not-afk"), (13.001, 1.999, "afk")]  # until now
    assert beats(m, 20, 3, locked=False) == [(13.001, 3.999, "afk"), (17.001, 0, "not-afk")]


def test_a_suspend_leaves_a_gap() -> None:
    m = AfkStateMachine(timeout=180, poll_time=5)
    beats(m, 0, 0)
    # Two hours later (the machine slept): a fresh start, no transition pings reaching back in time.
    assert beats(m, 7200, 1) == [(7199, 0, "not-afk")]
    m2 = AfkStateMachine(timeout=180, poll_time=5)
    beats(m2, 0, 0)
    assert beats(m2, 12, 0) == [(12, 0, "not-afk")]  # 12 s apart is not a suspend


def test_heartbeats_merge_into_one_span_while_present() -> None:
    """Stored through the real store, the samples of a present user make one gapless event."""
    m = AfkStateMachine(timeout=10, poll_time=1)
    events: list[Event] = []
    for t in range(30):
        for b in m.step(AfkSample(T0 + t * S, 0.2)):
            if events and events[-1].data == b.event.data and b.event.timestamp <= events[-1].end + b.pulsetime:
                events[-1] = events[-1].replace(duration=max(events[-1].end, b.event.end) - events[-1].timestamp)
            else:
                events.append(b.event)
    # from the first sample's last input (-0.2 s) to the last one's (28.8 s)
    assert len(events) == 1 and events[0].data == NOT_AFK and events[0].duration == 29 * S


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (ActiveWindow("firefox", "Inbox - Mail"), {"app": "firefox", "title": "Inbox - Mail"}),
        (ActiveWindow("firefox", "My BANK account"), {"app": "firefox", "title": "excluded"}),
        (ActiveWindow("KeePassXC", "passwords.kdbx"), None),
        (ActiveWindow("keepassxc", "x"), None),
        (ActiveWindow("keepassxc-helper", "x"), {"app": "keepassxc-helper", "title": "x"}),
        (None, None),
    ],
)
def test_window_rules(window: ActiveWindow | None, expected: dict[str, str] | None) -> None:
    rules = WindowRules(1.0, exclude_titles=["bank"], exclude_apps=["keepassxc"])
    beat = rules.heartbeat(T0, window)
    assert (beat.event.data if beat else None) == expected
    if beat:
        assert beat.event.timestamp == T0 and beat.event.duration == 0 and beat.pulsetime == 2 * S


@pytest.mark.parametrize(("poll", "pulse"), [(1.0, 2.0), (0.5, 1.5), (5.0, 7.5), (2.0, 3.0)])
def test_window_pulsetime(poll: float, pulse: float) -> None:
    assert window_pulsetime(poll) == round(pulse * S)


class FlakyStore:
    """A real store behind a switch that makes writes fail as a full disk would."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.broken = False
        self.calls = 0

    def create_bucket(self, bucket: Bucket, events: tuple[Event, ...] = ()) -> bool:
        self.calls += 1
        if self.broken:
            raise StorageError("database or disk is full")
        return self.store.create_bucket(bucket, events)

    def heartbeat(self, bucket_id: str, heartbeat: Event, pulsetime: int) -> Event:
        self.calls += 1
        if self.broken:
            raise StorageError("database or disk is full")
        return self.store.heartbeat(bucket_id, heartbeat, pulsetime)


def test_outbox_keeps_merges_and_retries_with_backoff(tmp_path: Path) -> None:
    now = [0.0]
    with Store(tmp_path / "db.sqlite") as store:
        sink = FlakyStore(store)
        outbox = Outbox(sink, lambda: now[0])
        outbox.create(Bucket("b", "t", "c", "h", 0))
        sink.broken = True
        for i in range(100):  # 100 s of heartbeats while the disk is full
            now[0] = float(i)
            outbox.add("b", Heartbeat(Event(T0 + i * S, 0, {"app": "x"}), 2 * S))
            outbox.flush()
        assert outbox.problem == "database or disk is full"
        assert len(outbox.pending) == 1  # merged while waiting, as the store would merge them
        assert sink.calls < 12  # backoff 1, 2, 4 ... 60 s: a handful of attempts, not 100
        assert outbox.backoff == 60
        outbox.add("b", Heartbeat(Event(T0 + 100 * S, 0, {"app": "y"}), 2 * S))
        sink.broken = False
        now[0] = 1000.0
        assert outbox.flush()
        assert outbox.problem is None and not outbox.pending
        stored = store.get_events("b")
        assert [(e.data["app"], (e.timestamp - T0) // S, e.duration // S) for e in stored] == [
            ("y", 100, 0),
            ("x", 0, 99),
        ]


def test_outbox_writes_buckets_before_heartbeats(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        outbox = Outbox(store, lambda: 0.0)
        outbox.create(Bucket("b", "t", "c", "h", 0))
        outbox.add("b", Heartbeat(Event(T0, S, {"a": 1}), S))
        assert outbox.flush()
        assert [e.data for e in store.get_events("b")] == [{"a": 1}]
        assert AFK != NOT_AFK
