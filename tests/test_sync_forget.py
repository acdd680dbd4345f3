"""Forget forgets everywhere: three devices over a plain shared folder, real stores.

A forget is applied once per (origin device, forget), even when a merged segment brings it again; a
forget naming another computer's bucket (renamed here or not) reaches that computer and every other
one; and another computer's data in a forgotten range does not come back before it forgets it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw
import httpx
import pytest

from activitywatch.core.models import Event
from activitywatch.server.app import create_app
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer
from activitywatch.store import Store
from activitywatch.store.syncfeed import forget_cursor, local_changes, remote_buckets
from activitywatch.sync import documents
from activitywatch.sync.engine import RoundReport
from activitywatch.sync.folder import unseal
from tests.sync_support import BASE, Device, S, content, devices, everything

MINUTE = 60 * S


def at(minute: int) -> int:
    """The time `minute` minutes after BASE."""
    return BASE + minute * MINUTE


def local_id(store: Store, device: Device, origin: str) -> str:
    """The id that `device`'s bucket `origin` has in `store` (its own id on `device` itself)."""
    if store is device.store:
        return origin
    return next(bucket for bucket, owner in remote_buckets(store).items() if owner == (device.id, origin))


def inside(store: Store, bucket_id: str, first: int, last: int) -> int:
    """Events overlapping the inside of minutes [first, last)."""
    return store.count_events(bucket_id, at(first) + 1, at(last) - 1)


def rounds(*order: Device) -> None:
    """Sync rounds in this order, each without an error."""
    for device in order:
        assert device.round().errors == []


def test_a_forget_read_again_in_a_merged_segment_is_applied_only_once(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b", "c") as (folder, key, (a, b, c)):
        for device in (a, b, c):
            device.make_window_bucket()
            device.add_windows(device.window, 0, 60)
        rounds(a, b)  # c stays away
        a.store.forget(at(10), at(20))  # every bucket
        rounds(a, b)
        assert inside(b.store, b.window, 10, 20) == 0
        # b fills the range again afterwards (an import, a client inserting past events).
        b.add_windows(b.window, 12, 5, app="imported")
        rounds(b)
        # a goes on; b misses its next 14 pushes, so a's segments 1-16 (the forget in 2) are merged.
        for minute in range(60, 74):
            a.add_windows(a.window, minute, 1)
            rounds(a)
        manifest = unseal(key, (folder / a.id / "manifest").read_bytes(), "manifest")
        assert (manifest["segments"][0]["first"], manifest["segments"][0]["n"]) == (1, 16)
        rounds(b)  # b reads segment 1-16, its forget included, again
        assert inside(b.store, b.window, 10, 20) == 5
        assert content(b.store, a.window) == content(a.store, a.window)
        # c never saw the forget: it applies it, to its own data too, and keeps b's new events.
        rounds(c)
        assert inside(c.store, c.window, 10, 20) == 0
        assert inside(c.store, a.window, 10, 20) == 0
        assert content(c.store, b.window) == content(b.store, b.window)
        rounds(a, b, c, a, b, c)
        for reader in (a, b, c):
            for owner in (a, b, c):
                assert content(reader.store, owner.window) == content(owner.store, owner.window)
        assert inside(a.store, b.window, 10, 20) == 5
        assert inside(a.store, c.window, 10, 20) == 0
        # Pulling everything again (as if b had never seen a's and c's segments) changes nothing.
        before = everything(b.store)
        forget_cursor(b.store, a.id)
        forget_cursor(b.store, c.id)
        rounds(b)
        assert everything(b.store) == before


def test_a_forget_naming_another_computers_bucket_reaches_every_computer(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b", "c") as (_, _, (a, b, c)):
        a.make_window_bucket()
        a.make_window_bucket("shared-id")
        b.make_window_bucket("shared-id")
        a.add_windows(a.window, 0, 60)
        a.add_windows("shared-id", 0, 60)
        b.add_windows("shared-id", 0, 60, app="b's own")
        rounds(a, b, c)
        renamed = f"shared-id@{a.id[:8]}"
        assert remote_buckets(b.store)[renamed] == (a.id, "shared-id")
        options = ServerOptions(hostname="b", device_id=b.id, version="test", port=0, log_file=tmp_path / "log")
        server = ApiServer(create_app(b.store, options), "127.0.0.1", 0)
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for first, last, bucket in ((10, 20, a.window), (30, 40, renamed)):
                    body = {"start": f"2024-05-01T00:{first}:00Z", "end": f"2024-05-01T00:{last}:00Z"}
                    response = http.post("/api/0/forget", json={**body, "buckets": [bucket]})
                    assert response.status_code == 200, response.text
        finally:
            server.stop()
        for _ in range(2):  # and nothing comes back on the following rounds
            rounds(b, a, c, a, b, c)
            for reader in (a, b, c):
                assert inside(reader.store, local_id(reader.store, a, a.window), 10, 20) == 0
                assert inside(reader.store, local_id(reader.store, a, "shared-id"), 30, 40) == 0
                assert inside(reader.store, local_id(reader.store, a, "shared-id"), 10, 20) == 10
                assert inside(reader.store, local_id(reader.store, b, "shared-id"), 30, 40) == 10
                assert content(reader.store, local_id(reader.store, a, a.window)) == content(a.store, a.window)
                assert content(reader.store, local_id(reader.store, b, "shared-id")) == content(b.store, "shared-id")
        assert a.store.count_events(a.window) == 50
        assert a.store.count_events("shared-id") == 50
        assert b.store.count_events("shared-id") == 60


@pytest.mark.parametrize("named", [True, False], ids=["naming-its-bucket", "every-bucket"])
def test_a_recording_computers_data_does_not_come_back_before_it_forgets_too(tmp_path: Path, named: bool) -> None:
    with devices(tmp_path, "a", "b", "c") as (_, _, (a, b, c)):
        a.make_window_bucket()
        beat = {"app": "editor", "title": "a secret title"}
        for minute in (0, 11):  # one event over the range to be forgotten
            a.store.heartbeat(a.window, Event(at(minute), 0, beat), 3600 * S)
        rounds(a, b, c)
        b.store.forget(at(5), at(10), [a.window] if named else None)
        # Here, a's event keeps its part before the range; its part after comes from a, once a forgets.
        assert content(b.store, a.window) == [(at(0), at(5), beat)]
        rounds(b, c)
        # a is still recording: its event grows over the forgotten range, and a pushes it before it
        # has pulled the forget.
        a.store.heartbeat(a.window, Event(at(12), 0, beat), 3600 * S)
        push = RoundReport()
        a.syncer.push(push)
        assert push.push_error is None and push.pushed_events == 1
        rounds(b, c)
        for reader in (b, c):
            assert content(reader.store, a.window) == [(at(0), at(5), beat)]
        rounds(a)  # a pulls the forget: its own event is cut
        assert content(a.store, a.window) == [(at(0), at(5), beat), (at(10), at(12), beat)]
        rounds(b, c, a, b, c)
        for reader in (a, b, c):
            assert content(reader.store, a.window) == [(at(0), at(5), beat), (at(10), at(12), beat)]
        # What a records in that range afterwards (a client inserting past events) stays everywhere.
        a.store.insert_events(a.window, [Event(at(6), MINUTE, {"app": "later"})])
        rounds(a, b, c)
        for reader in (b, c):
            assert content(reader.store, a.window) == content(a.store, a.window)
            assert inside(reader.store, a.window, 5, 10) == 1


def test_a_forget_logged_by_the_previous_version_is_held_too(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.make_window_bucket()
        beat = {"app": "editor", "title": "a secret title"}
        for minute in (0, 4):
            a.store.heartbeat(a.window, Event(at(minute), 0, beat), 3600 * S)
        rounds(a, b)
        b.store.forget(at(5), at(10))
        conn = apsw.Connection(str(b.store.path))  # as the previous version left it: the log entry only
        try:
            conn.execute("DELETE FROM sync_cursors WHERE device = 'forgets-own'")
        finally:
            conn.close()
        rounds(b)
        a.store.heartbeat(a.window, Event(at(12), 0, beat), 3600 * S)
        a.syncer.push(RoundReport())
        rounds(b)
        assert content(b.store, a.window) == [(at(0), at(5), beat)]


def test_segments_of_older_versions_are_read_and_read_the_new_ones(tmp_path: Path) -> None:
    with devices(tmp_path, "a", "b") as (_, _, (a, b)):
        a.make_window_bucket()
        b.make_window_bucket()
        rounds(a, b)
        b.store.forget(at(1), at(2), [a.window])
        b.store.forget(at(3), at(4), [b.window])
        changes = local_changes(b.store, 0, 0)
        doc: dict[str, Any] = documents.segment_doc(b.id, 1, changes, {})
        # What an older reader uses: three fields per forget, only the sender's own buckets (none of
        # the first one: an empty list, never null, which would mean every bucket).
        assert doc["forgets"] == [[at(1), at(2), []], [at(3), at(4), [b.window]]]
        assert [f[3:] for f in doc["forget_log"]] == [[[], [(a.id, a.window)]], [[b.window], []]]
        assert doc["acks"] == {}  # b has applied no forget of a's
        new = documents.read_segment(doc, b.id, (1, 1), "test")
        numbers = [f[0] for f in doc["forget_log"]]
        assert numbers[0] < numbers[1]
        assert [(f.n, f.refs) for f in new.forgets] == [(numbers[0], [(a.id, a.window)]), (numbers[1], [])]
        assert new.acks == doc["acks"]
        del doc["forget_log"], doc["acks"]  # a segment written by an older version
        old = documents.read_segment(doc, b.id, (1, 1), "test")
        assert [(f.start, f.end, f.buckets, f.refs, f.n) for f in old.forgets] == [
            (at(1), at(2), [], [], None),
            (at(3), at(4), [b.window], [], None),
        ]
        assert old.acks is None
