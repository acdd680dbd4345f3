"""Forgets between devices: applied once per (origin device, forget), naming any device's buckets, and
held against another device's data until that device has applied them too.

A forget is numbered by its origin's sync log (`n`). Each device keeps, per origin, the last number it
applied and those forgets (`sync_cursors` rows `forgets:<device>`; its own forgets in `forgets-own`),
and its segments tell the others how far it has applied each origin's forgets (`acks`). So:
- a merged segment read again does not forget a second time what was added to the range since;
- a forget names buckets as (device, its id there), so it reaches another computer's bucket, renamed
  or not;
- applying changes of a device X, the forgets X has not applied yet cut them again: X's data in a
  forgotten range cannot come back before X forgets it too, and what X adds there afterwards is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import apsw

from activitywatch.core.timestamps import MIN_NS
from activitywatch.store.database import rows as fetch
from activitywatch.store.database import scalar
from activitywatch.store.rows import dump_json, load_json

if TYPE_CHECKING:
    from activitywatch.store.store import Store

APPLIED = "forgets:"  # + origin device: {"n": last applied, "list": [[n, start, end, names, refs], ...]}
OWN = "forgets-own"  # this device's forgets, as above (outside the `forgets:` range on purpose)
SEEN = "forget-acks:"  # + device: the acks of the last segment applied from it
SQL_LOG_FORGET = "INSERT INTO sync_log (kind, start, end, buckets) VALUES ('forget', ?, ?, ?)"
SQL_LOG_FORGETS = "SELECT n, start, end, buckets FROM sync_log WHERE kind = 'forget' ORDER BY n"
SQL_ORIGIN_OF = (
    "SELECT s.device, s.origin_bucket FROM sync_buckets s JOIN buckets b ON b.key = s.bucket_key WHERE b.id = ?"
)
SQL_REMOTE_BUCKET = (
    "SELECT b.key, b.max_duration FROM sync_buckets s JOIN buckets b ON b.key = s.bucket_key"
    " WHERE s.device = ? AND s.origin_bucket = ?"
)
SQL_DEVICE_BUCKETS = (
    "SELECT b.key, b.max_duration FROM sync_buckets s JOIN buckets b ON b.key = s.bucket_key WHERE s.device = ?"
)
SQL_OWN_BUCKET = (
    "SELECT key, max_duration FROM buckets WHERE id = ? AND key NOT IN (SELECT bucket_key FROM sync_buckets)"
)
SQL_ALL_BUCKETS = (
    "SELECT b.key, b.max_duration, s.device FROM buckets b LEFT JOIN sync_buckets s ON s.bucket_key = b.key"
)
SQL_RECORDS = "SELECT device, value FROM sync_cursors WHERE device >= 'forgets:' AND device < 'forgets;'"
SQL_RECORD = "SELECT value FROM sync_cursors WHERE device = ?"
SQL_RECORD_SET = (
    "INSERT INTO sync_cursors (device, value) VALUES (?, ?) ON CONFLICT(device) DO UPDATE SET value = excluded.value"
)
SQL_FORGET_ROWS = (
    "SELECT id, starttime, endtime, data FROM events WHERE bucket_key = :key AND starttime >= :lo"
    " AND starttime < :end AND (endtime > :start OR starttime >= :start)"
)

Ref = tuple[str, str]  # a bucket named across devices: (device id, the bucket's id on that device)
Target = tuple[int, int, str | None]  # a bucket's key, max_duration, and its device (None: this one)


@dataclass(frozen=True)
class RemoteForget:
    """A forgotten range as another device sent it."""

    start: int
    end: int
    buckets: list[str] | None  # the sender's own buckets it names (None: every bucket)
    refs: list[Ref] = field(default_factory=list)  # other devices' buckets it names
    n: int | None = None  # its number in the sender's sync log (None: an older sender that does not say)


def split_names(names: list[Any] | None) -> tuple[list[str] | None, list[Ref]]:
    """A logged forget's bucket list as (own bucket ids or None for all, other devices' buckets)."""
    if names is None:
        return None, []
    return [x for x in names if isinstance(x, str)], [(str(x[0]), str(x[1])) for x in names if isinstance(x, list)]


def record_forget(conn: apsw.Connection, start: int, end: int, bucket_ids: Sequence[str] | None) -> None:
    """Log a forget so that sync passes it on (call inside the forget's write transaction).

    Another device's bucket is logged as [device, its id there]: its id here may be a rename.
    """
    names: list[Any] | None = None
    if bucket_ids is not None:
        names = []
        for bucket_id in bucket_ids:
            origin = fetch(conn, SQL_ORIGIN_OF, (bucket_id,))
            names.append(list(origin[0]) if origin else bucket_id)
    own = _own(conn)
    conn.execute(SQL_LOG_FORGET, (start, end, dump_json(names) if names is not None else None))
    own["n"] = conn.last_insert_rowid()
    own["list"].append([own["n"], start, end, *split_names(names)])
    conn.execute(SQL_RECORD_SET, (OWN, dump_json(own)))


def apply_forgets(
    store: Store, conn: apsw.Connection, device: str, here: str | None, forgets: Sequence[RemoteForget]
) -> int:
    """Apply `device`'s forgets not applied before (a numbered one at most once); events deleted."""
    record = _record(conn, APPLIED + device)
    deleted = 0
    for forget in forgets:
        if forget.n is not None and forget.n <= record["n"]:
            continue  # applied already: what was added to the range since stays
        targets = _targets(conn, device, here, forget.buckets, forget.refs)
        if forget.n is not None:  # a third device that applied it already sends what it keeps there now
            done = {other for other in _devices(conn) if _seen(conn, other).get(device, 0) >= forget.n}
            targets = [target for target in targets if target[2] not in done]
        deleted += _cut(store, conn, targets, forget.start, forget.end)
        if forget.n is not None:
            record["n"] = forget.n
            record["list"].append([forget.n, forget.start, forget.end, forget.buckets, forget.refs])
    if any(forget.n is not None for forget in forgets):
        conn.execute(SQL_RECORD_SET, (APPLIED + device, dump_json(record)))
    return deleted


def hold(store: Store, conn: apsw.Connection, device: str, here: str | None, device_acks: dict[str, int] | None) -> int:
    """Cut `device`'s data here again with every forget known here that it had not applied when it
    wrote these changes (`device_acks`: None from a sender that does not say); events deleted."""
    if device_acks is None or here is None:
        return 0
    conn.execute(SQL_RECORD_SET, (SEEN + device, dump_json(device_acks)))
    records = [(here, _own(conn))]
    records += [(name[len(APPLIED) :], load_json(value)) for name, value in fetch(conn, SQL_RECORDS)]
    deleted = 0
    for origin, record in records:
        if origin == device or record["n"] <= device_acks.get(origin, 0):
            continue
        for n, start, end, names, refs in record["list"]:
            if n <= device_acks.get(origin, 0):
                continue
            if names is None:  # every bucket: here, `device`'s are the ones it sends
                targets: list[Target] = [
                    (int(k), int(m), device) for k, m in fetch(conn, SQL_DEVICE_BUCKETS, (device,))
                ]
            else:
                targets = _targets(conn, device, here, [], [(d, b) for d, b in refs if d == device])
            deleted += _cut(store, conn, targets, start, end)
    return deleted


def _record(conn: apsw.Connection, name: str) -> dict[str, Any]:
    text = scalar(conn, SQL_RECORD, (name,))
    return {"n": 0, "list": []} if text is None else dict(load_json(text))


def _own(conn: apsw.Connection) -> dict[str, Any]:
    """This device's forgets, the record made from the sync log once (forgets logged before it existed)."""
    text = scalar(conn, SQL_RECORD, (OWN,))
    if text is not None:
        return dict(load_json(text))
    own: dict[str, Any] = {"n": 0, "list": []}
    for n, start, end, names in fetch(conn, SQL_LOG_FORGETS):
        own["n"] = n
        own["list"].append([n, start, end, *split_names(load_json(names) if names else None)])
    conn.execute(SQL_RECORD_SET, (OWN, dump_json(own)))
    return own


def _seen(conn: apsw.Connection, device: str) -> dict[str, int]:
    text = scalar(conn, SQL_RECORD, (SEEN + device,))
    return {} if text is None else dict(load_json(text))


def _devices(conn: apsw.Connection) -> list[str]:
    return [str(row[0]) for row in fetch(conn, "SELECT DISTINCT device FROM sync_buckets")]


def _targets(
    conn: apsw.Connection, device: str, here: str | None, names: list[str] | None, refs: Sequence[Ref]
) -> list[Target]:
    """The buckets a forget of `device` names here: every bucket (None), copies of its own buckets,
    and other devices' buckets (this device's own ones included)."""
    if names is None:
        return [(int(k), int(m), d) for k, m, d in fetch(conn, SQL_ALL_BUCKETS)]
    found: list[tuple[list[tuple[Any, ...]], str | None]] = [
        (fetch(conn, SQL_REMOTE_BUCKET, (device, origin)), device) for origin in names
    ]
    for owner, origin in refs:
        if owner == here:
            found.append((fetch(conn, SQL_OWN_BUCKET, (origin,)), None))
        else:
            found.append((fetch(conn, SQL_REMOTE_BUCKET, (owner, origin)), owner))
    return [(int(rows[0][0]), int(rows[0][1]), owner) for rows, owner in found if rows]


def _cut(store: Store, conn: apsw.Connection, targets: Sequence[Target], start: int, end: int) -> int:
    """Remove [start, end) from these buckets; events deleted.

    This device's own buckets are cut as `Store.forget` cuts them (their deletions then travel on);
    in other devices' buckets an event spanning the range keeps only its part before it (its part
    after arrives from its device as a new event).
    """
    remote = {int(row[0]) for row in fetch(conn, "SELECT bucket_key FROM sync_buckets")}
    deleted = 0
    for key, max_duration, _owner in targets:
        params = {"key": key, "start": start, "end": end, "lo": max(MIN_NS, start - max_duration)}
        for event_id, ev_start, ev_end, data in fetch(conn, SQL_FORGET_ROWS, params):
            if ev_start >= start and ev_end <= end:
                conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
                deleted += 1
            elif ev_start < start:
                conn.execute(
                    "UPDATE events SET endtime = ?, seq = ? WHERE id = ?", (start, store._next_seq(), event_id)
                )
                if ev_end > end and key not in remote:
                    conn.execute(
                        "INSERT INTO events (bucket_key, starttime, endtime, data, seq) VALUES (?, ?, ?, ?, ?)",
                        (key, end, ev_end, data, store._next_seq()),
                    )
            else:
                conn.execute(
                    "UPDATE events SET starttime = ?, seq = ? WHERE id = ?", (end, store._next_seq(), event_id)
                )
    return deleted
