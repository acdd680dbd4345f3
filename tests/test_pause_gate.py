"""The store's pause gate: heartbeats timed in a pause of tracking are dropped (from every client),
answered with the last stored event; inserted events and heartbeats outside the pause are kept."""

from __future__ import annotations

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store

S = 1_000_000_000


def test_heartbeats_timed_in_a_pause_are_dropped(store: Store) -> None:
    store.create_bucket(Bucket(id="web", type="web.tab.current", client="c", hostname="h", created=0))
    before = store.heartbeat("web", Event(100 * S, 0, {"url": "a"}), 5 * S)
    store.pause_heartbeats(200 * S, 300 * S)

    answer = store.heartbeat("web", Event(250 * S, 0, {"url": "b"}), 5 * S)
    assert answer == before  # answered as a drop is, with the last stored event
    store.heartbeat("web", Event(299 * S, 0, {"url": "a"}), 500 * S)  # would have merged across the pause
    assert store.get_events("web") == [before]

    kept = store.heartbeat("web", Event(300 * S, 0, {"url": "c"}), 5 * S)  # the pause's end is not in it
    store.heartbeat("web", Event(199 * S, 0, {"url": "d"}), 0)  # a queued one from before the pause
    assert {e.data["url"] for e in store.get_events("web")} == {"a", "c", "d"} and kept.id is not None

    inserted = store.insert_events("web", [Event(250 * S, S, {"url": "edited by hand"})])
    assert inserted[0].id is not None  # inserts (the web UI's edits, imports) are not gated


def test_a_late_heartbeat_from_the_pause_is_dropped_after_it(store: Store) -> None:
    store.create_bucket(Bucket(id="editor", type="app.editor.activity", client="c", hostname="h", created=0))
    store.pause_heartbeats(200 * S, 300 * S)
    store.pause_heartbeats(200 * S, 260 * S)  # resumed early: the pause is cut short
    store.heartbeat("editor", Event(230 * S, 0, {"file": "x"}), 5 * S)  # delivered late by a queue
    store.heartbeat("editor", Event(270 * S, 0, {"file": "y"}), 5 * S)
    assert [e.data for e in store.get_events("editor")] == [{"file": "y"}]
