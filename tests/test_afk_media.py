"""Media that keeps the user active, in the AFK state machine (pure: samples in, heartbeats out)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from activitywatch.core.models import Event
from activitywatch.transforms.heartbeat import heartbeat_merge
from activitywatch.watchers.afk import MEDIA, AfkSample, AfkStateMachine
from activitywatch.watchers.heartbeats import SECOND

S = SECOND
T0 = 1_700_000_000 * S
MS = 1_000_000


def beats(m: AfkStateMachine, t: float, idle: float, locked: bool = False, media: bool = False) -> list[object]:
    """(start s, duration s, data) of the heartbeats for a sample at T0 + t seconds."""
    out = m.step(AfkSample(T0 + round(t * S), idle, locked, media))
    return [((b.event.timestamp - T0) / S, b.event.duration / S, b.event.data) for b in out]


NOT_AFK = {"status": "not-afk"}
AFK = {"status": "afk"}


def silence(m: AfkStateMachine, last_input: int, until: int, media: bool = False) -> None:
    """Polls every 5 s up to `until` without input since `last_input`."""
    for t in range(last_input + 5, until + 1, 5):
        beats(m, t, t - last_input, media=media)


def test_media_continues_activity_from_the_last_input_until_it_stops() -> None:
    m = AfkStateMachine(timeout=60, poll_time=5)
    assert beats(m, 100, 0) == [(100, 0, NOT_AFK)]
    for t in range(105, 160, 5):
        assert beats(m, t, t - 100) == [(100, 0, NOT_AFK)]
    # the silence reaches the timeout while a film plays: active since the last input, for a reason
    assert beats(m, 160, 60, media=True) == [(100, 0, NOT_AFK), (100.001, 59.999, MEDIA)]
    for t in range(165, 7305, 5):  # polls every 5 s for two hours without input: still active
        assert beats(m, t, t - 100, media=True) == [(100.001, t - 100.001, MEDIA)]
    # the film ends: away from then on, with no overlap
    assert beats(m, 7305, 7205) == [(100.001, 7204.999, MEDIA), (7305.001, 0, AFK)]
    assert beats(m, 7310, 7210) == [(7305.001, 4.999, AFK)]
    assert beats(m, 7315, 1) == [(7305.001, 8.999, AFK), (7314.001, 0, NOT_AFK)]  # back at the keyboard


def test_input_during_media_ends_the_media_span_at_the_input() -> None:
    m = AfkStateMachine(timeout=60, poll_time=5)
    beats(m, 0, 0)
    silence(m, 0, 65, media=True)
    assert beats(m, 70, 2) == [(0.001, 67.999, MEDIA), (68.001, 0, NOT_AFK)]


def test_the_lock_wins_over_media() -> None:
    m = AfkStateMachine(timeout=60, poll_time=5)
    beats(m, 0, 0)
    silence(m, 0, 65, media=True)
    assert beats(m, 70, 70, locked=True, media=True) == [(0.001, 69.999, MEDIA), (70.001, 0, AFK)]
    assert not m.wants_media(500, locked=True)
    assert not m.wants_media(59, locked=False)
    assert m.wants_media(60, locked=False)


def test_media_that_starts_while_away_ends_the_afk_span() -> None:
    m = AfkStateMachine(timeout=60, poll_time=5)
    assert beats(m, 100, 100) == [(0, 100, AFK)]  # the first sample
    assert beats(m, 105, 105, media=True) == [(0, 105, AFK), (105.001, 0, MEDIA)]


samples = st.lists(
    st.tuples(st.sampled_from([1, 5, 5, 5, 30]), st.booleans(), st.booleans(), st.booleans()), max_size=60
)


@settings(max_examples=200, deadline=None)
@given(samples)
def test_stored_afk_events_never_overlap(steps: list[tuple[int, bool, bool, bool]]) -> None:
    """Whatever input, media and lock do, the merged events follow each other without overlap."""
    m = AfkStateMachine(timeout=20, poll_time=5)
    now, last_input = T0, T0
    events: list[Event] = []
    for dt, touched, media, locked in steps:
        now += dt * S
        if touched:
            last_input = now - S // 2
        for beat in m.step(AfkSample(now, (now - last_input) / S, locked, media)):
            merged = heartbeat_merge(events[-1], beat.event, beat.pulsetime) if events else None
            if merged is None:
                events.append(beat.event)
            else:
                events[-1] = merged
    for before, after in itertools.pairwise(events):
        assert after.timestamp >= before.timestamp + before.duration, events
        if after.data == before.data:
            assert after.timestamp > before.timestamp + before.duration + m.pulsetime, events  # would have merged
