"""What sync needs from the store: this device's changes since a cursor, and other devices' changes
applied in one transaction.

The store knows nothing of the sync folder. It offers a feed (`local_changes`: new and changed events
of this device's buckets by the change sequence, deletions and forgets from `sync_log`, bucket metadata,
the settings that travel) and `apply_remote`, which is idempotent: a remote event keeps its origin id
(`events.origin_id`) in a bucket tied to its device (`sync_buckets`), so applying a batch twice changes
nothing. How forgets travel (once each, naming any device's buckets) is `syncforget`'s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import apsw
import orjson

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.store import syncforget
from activitywatch.store.database import rows as fetch
from activitywatch.store.database import scalar
from activitywatch.store.rows import SQL_BUCKET_ROW, bucket_from_row, dump_json, load_json
from activitywatch.store.syncforget import Ref, RemoteForget

if TYPE_CHECKING:
    from activitywatch.store.store import Store

# Settings that travel between devices (the dashboard's categories).
TRAVELLING_SETTINGS = ("classes",)

SQL_OWN_BUCKETS = SQL_BUCKET_ROW + " WHERE key NOT IN (SELECT bucket_key FROM sync_buckets) ORDER BY id"
SQL_OWN_EVENTS = (
    "SELECT b.id, e.id, e.starttime, e.endtime, e.data, e.seq FROM events e JOIN buckets b ON b.key = e.bucket_key"
    " WHERE e.seq > ? AND e.seq <= ? AND e.bucket_key NOT IN (SELECT bucket_key FROM sync_buckets)"
    " ORDER BY e.seq LIMIT ?"
)
SQL_LOG = (
    "SELECT n, kind, bucket, event_id, start, end, buckets FROM sync_log WHERE n > ? AND n <= ? ORDER BY n LIMIT ?"
)
NO_BOUND = 2**63 - 1
# The change sequence's top, the travelling settings and how far each device's forgets are applied
# (`syncforget.acks`), in one statement: a push every minute runs this, and each statement costs.
SQL_TOP_SETTINGS_ACKS = (
    "SELECT 0, NULL, max(seq) FROM events"
    f" UNION ALL SELECT 1, key, value FROM settings WHERE key IN ({','.join('?' * len(TRAVELLING_SETTINGS))})"
    " UNION ALL SELECT 2, device, value ->> '$.n' FROM sync_cursors"
    f" WHERE device >= '{syncforget.APPLIED}' AND device < '{syncforget.APPLIED[:-1]};'"
)
SQL_REMOTE_BUCKET = (
    "SELECT b.key, b.id FROM sync_buckets s JOIN buckets b ON b.key = s.bucket_key"
    " WHERE device = ? AND origin_bucket = ?"
)
SQL_REMOTE_ALL = "SELECT b.id, s.device, s.origin_bucket FROM sync_buckets s JOIN buckets b ON b.key = s.bucket_key"
SQL_UPSERT = (
    "INSERT INTO events (bucket_key, starttime, endtime, data, seq, origin_id) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (bucket_key, origin_id) WHERE origin_id IS NOT NULL DO UPDATE SET"
    " starttime = excluded.starttime, endtime = excluded.endtime, data = excluded.data, seq = excluded.seq"
    " WHERE events.starttime != excluded.starttime OR events.endtime != excluded.endtime"
    " OR events.data != excluded.data"
)
dumps, SORT_KEYS = orjson.dumps, orjson.OPT_SORT_KEYS
SQL_DELETE_ORIGIN = "DELETE FROM events WHERE bucket_key = ? AND origin_id = ?"


@dataclass(frozen=True)
class LogEntry:
    """A change the change sequence cannot show: a deleted event or bucket, or a forgotten range."""

    n: int
    kind: str  # 'event', 'bucket' or 'forget'
    bucket: str | None = None
    event_id: int | None = None
    start: int | None = None
    end: int | None = None
    buckets: list[str] | None = None  # forget: this device's bucket ids, or None for all
    refs: list[Ref] = field(default_factory=list)  # forget: other devices' buckets (device, id there)


@dataclass(frozen=True)
class LocalChanges:
    """This device's changes after a cursor, read from one snapshot."""

    seq: int  # the change sequence reached (cursor for the next call)
    log: int  # the sync log entry reached
    buckets: list[Bucket]  # every bucket of this device, as it is now
    events: list[tuple[str, int, int, int, str]]  # (bucket id, event id, start ns, end ns, data JSON text)
    entries: list[LogEntry]
    settings: dict[str, Any]  # the travelling settings as they are now
    complete: bool  # False when `limit` cut the changes short: call again from (seq, log)
    acks: dict[str, int] = field(default_factory=dict)  # how far each device's forgets are applied here


def local_changes(
    store: Store,
    after_seq: int,
    after_log: int,
    limit: int = 100_000,
    upto: tuple[int, int] = (NO_BOUND, NO_BOUND),
) -> LocalChanges:
    """Changes of this device's own buckets after (after_seq, after_log) and up to `upto` (the same
    range again, to merge segments: an event changed since is left for the later segment that has it),
    at most about `limit` rows.

    Deletions come before the events that follow them: while the log has more than `limit` entries
    left, no events are given (so a deleted and re-created bucket is never deleted after re-creation).
    """
    with store._reading() as conn:
        log_rows = fetch(conn, SQL_LOG, (after_log, upto[1], limit + 1))
        entries = [
            LogEntry(
                n, kind, bucket, event_id, start, end, *syncforget.split_names(load_json(buckets) if buckets else None)
            )
            for n, kind, bucket, event_id, start, end, buckets in log_rows[:limit]
        ]
        log_done = len(log_rows) <= limit
        event_rows = fetch(conn, SQL_OWN_EVENTS, (after_seq, upto[0], limit + 1)) if log_done else []
        buckets = [bucket_from_row(row) for row in fetch(conn, SQL_OWN_BUCKETS)]
        top, settings, acks = 0, {}, {}
        for part, name, value in fetch(conn, SQL_TOP_SETTINGS_ACKS, TRAVELLING_SETTINGS):
            if part == 0:
                top = int(value or 0)
            elif part == 1:
                settings[name] = load_json(value)
            else:
                acks[name[len(syncforget.APPLIED) :]] = int(value)
    events = [(b, i, s, e, d) for b, i, s, e, d, _ in event_rows[:limit]]
    seq = event_rows[:limit][-1][5] if event_rows else after_seq
    if log_done and len(event_rows) <= limit and upto[0] == NO_BOUND:
        # Every row up to the top was looked at (other devices' rows too): start after them next time.
        seq = max(seq, top)
    log = entries[-1].n if entries else after_log
    return LocalChanges(seq, log, buckets, events, entries, settings, log_done and len(event_rows) <= limit, acks)


@dataclass
class RemoteBatch:
    """Changes of one other device, in the order they are applied."""

    device: str
    deleted_buckets: list[str] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    forgets: list[RemoteForget] = field(default_factory=list)
    # Per bucket id on that device, its new and changed events, each with its id there as `id`.
    events: dict[str, list[Event]] = field(default_factory=dict)
    deleted_events: list[tuple[str, int]] = field(default_factory=list)
    # key -> (value, when it was changed (ns, that device's clock), the device that changed it)
    settings: dict[str, tuple[Any, int, str]] = field(default_factory=dict)
    acks: dict[str, int] | None = None  # how far that device had applied each device's forgets (None: not said)


@dataclass
class ApplyReport:
    """What applying a batch changed here."""

    buckets_created: list[str] = field(default_factory=list)
    buckets_deleted: list[str] = field(default_factory=list)
    events_changed: int = 0
    events_deleted: int = 0
    events_filtered: int = 0

    def add(self, other: ApplyReport) -> None:
        """Fold `other` into this report."""
        self.buckets_created += other.buckets_created
        self.buckets_deleted += other.buckets_deleted
        self.events_changed += other.events_changed
        self.events_deleted += other.events_deleted
        self.events_filtered += other.events_filtered


def local_bucket_id(taken: set[str], bucket_id: str, device: str) -> str:
    """The id a remote bucket gets here: its own id, or on a collision `<id>@<first 8 characters of
    the device id>` (then the whole device id)."""
    for candidate in (bucket_id, f"{bucket_id}@{device[:8]}", f"{bucket_id}@{device}"):
        if candidate not in taken:
            return candidate
    raise InvalidInput(f"The bucket '{bucket_id}' of device {device} has no free id here")


def remote_buckets(store: Store) -> dict[str, tuple[str, str]]:
    """Every bucket written by another device: local id -> (device id, its id on that device)."""
    with store._reading() as conn:
        return {b: (d, o) for b, d, o in fetch(conn, SQL_REMOTE_ALL)}


def cursor(store: Store, device: str) -> str | None:
    """How far `device`'s changes have been applied (the text given to `apply_remote`), or None."""
    with store._reading() as conn:
        value = scalar(conn, "SELECT value FROM sync_cursors WHERE device = ?", (device,))
    return None if value is None else str(value)


def forget_cursor(store: Store, device: str) -> None:
    """Forget how far `device` was applied (its data stays)."""
    with store._transaction() as conn:
        conn.execute("DELETE FROM sync_cursors WHERE device = ?", (device,))


def apply_remote(store: Store, batch: RemoteBatch, new_cursor: str, here: str | None = None) -> ApplyReport:
    """Apply another device's changes and record `new_cursor`, all in one transaction (`here`: this
    device's id, which forgets may name)."""
    report = ApplyReport()
    device = batch.device
    with store._transaction() as conn:
        for origin in batch.deleted_buckets:
            gone = _lookup(conn, device, origin)
            if gone is not None:
                conn.execute("DELETE FROM buckets WHERE key = ?", (gone[0],))
                report.buckets_deleted.append(gone[1])
        keys: dict[str, tuple[int, str]] = {}  # origin bucket -> (local key, local id)
        for bucket in batch.buckets:
            keys[bucket.id] = _remote_bucket(conn, device, bucket, report)
        report.events_deleted += syncforget.apply_forgets(store, conn, device, here, batch.forgets)
        report.add(_upsert(store, conn, device, batch.events, keys))
        report.events_deleted += syncforget.hold(store, conn, device, here, batch.acks)
        for origin, event_id in batch.deleted_events:
            found = keys.get(origin) or _lookup(conn, device, origin)
            if found is not None:
                conn.execute(SQL_DELETE_ORIGIN, (found[0], event_id))
                report.events_deleted += conn.changes()
        for key, (value, changed, by) in batch.settings.items():
            if key not in TRAVELLING_SETTINGS:
                continue
            text = dump_json(value)
            known = _setting_record(conn, key)
            if known is not None and (known["changed"], known["by"]) >= (changed, by):
                continue  # the last change wins (by its time, then device id): every device converges
            conn.execute(SQL_SETTING_UPSERT, (key, text))
            _set_cursor(conn, SETTING_RECORD + key, {"hash": sha256_text(text), "changed": changed, "by": by})
        _set_cursor_text(conn, device, new_cursor)
        if report.buckets_created or report.buckets_deleted or report.events_deleted or batch.buckets:
            store._mark_deleted(conn)  # tells derived caches (query results, log cursors) to start again
        store._forget()  # the writer's caches (bucket keys, last events) may be stale now
    return report


SETTING_RECORD = "setting:"  # sync_cursors rows recording the last change of each travelling setting
SQL_SETTING_UPSERT = (
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
SQL_CURSOR_SET = (
    "INSERT INTO sync_cursors (device, value) VALUES (?, ?) ON CONFLICT(device) DO UPDATE SET value = excluded.value"
)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a setting's JSON text (what tells a local change from the last one recorded)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _set_cursor_text(conn: apsw.Connection, name: str, text: str) -> None:
    conn.execute(SQL_CURSOR_SET, (name, text))


def _set_cursor(conn: apsw.Connection, name: str, value: dict[str, Any]) -> None:
    _set_cursor_text(conn, name, dump_json(value))


def _setting_record(conn: apsw.Connection, key: str) -> dict[str, Any] | None:
    text = scalar(conn, "SELECT value FROM sync_cursors WHERE device = ?", (SETTING_RECORD + key,))
    return None if text is None else dict(load_json(text))


def settings_to_push(store: Store, settings: dict[str, Any], device: str, now: int) -> dict[str, tuple[Any, int, str]]:
    """The travelling settings changed here since last pushed or applied, stamped (now, device), and
    recorded as pushed (call after they are safely written)."""
    changed: dict[str, tuple[Any, int, str]] = {}
    if not settings:
        return changed
    with store._reading() as conn:
        for key, value in settings.items():
            known = _setting_record(conn, key)
            if known is None or known["hash"] != sha256_text(dump_json(value)):
                changed[key] = (value, now, device)
    return changed


def setting_stamps(store: Store, settings: dict[str, Any]) -> dict[str, tuple[Any, int, str]]:
    """The travelling settings as last pushed or applied, with their stamps (for a merged segment)."""
    stamped: dict[str, tuple[Any, int, str]] = {}
    with store._reading() as conn:
        for key, value in settings.items():
            known = _setting_record(conn, key)
            if known is not None and known["hash"] == sha256_text(dump_json(value)):
                stamped[key] = (value, int(known["changed"]), str(known["by"]))
    return stamped


def record_settings(store: Store, pushed: dict[str, tuple[Any, int, str]]) -> None:
    """Remember settings as pushed (so they are not pushed again until they change)."""
    with store._transaction() as conn:
        for key, (value, changed, by) in pushed.items():
            _set_cursor(
                conn, SETTING_RECORD + key, {"hash": sha256_text(dump_json(value)), "changed": changed, "by": by}
            )


def _lookup(conn: apsw.Connection, device: str, origin: str) -> tuple[int, str] | None:
    found = fetch(conn, SQL_REMOTE_BUCKET, (device, origin))
    return (found[0][0], found[0][1]) if found else None


def _remote_bucket(conn: apsw.Connection, device: str, bucket: Bucket, report: ApplyReport) -> tuple[int, str]:
    """The local (key, id) of another device's bucket, created or its metadata brought up to date."""
    data = dump_json(bucket.data, "bucket data")
    found = _lookup(conn, device, bucket.id)
    if found is not None:
        conn.execute(
            "UPDATE buckets SET type = ?, client = ?, hostname = ?, data = ?, name = ? WHERE key = ?",
            (bucket.type, bucket.client, bucket.hostname, data, bucket.name, found[0]),
        )
        return found
    taken = {row[0] for row in fetch(conn, "SELECT id FROM buckets")}
    local_id = local_bucket_id(taken, bucket.id, device)
    key = scalar(
        conn,
        "INSERT INTO buckets (id, name, type, client, hostname, created, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING key",
        (local_id, bucket.name, bucket.type, bucket.client, bucket.hostname, bucket.created, data),
    )
    conn.execute(
        "INSERT INTO sync_buckets (bucket_key, device, origin_bucket) VALUES (?, ?, ?)", (key, device, bucket.id)
    )
    report.buckets_created.append(local_id)
    return int(key), local_id


def _upsert(
    store: Store,
    conn: apsw.Connection,
    device: str,
    events: dict[str, list[Event]],
    keys: dict[str, tuple[int, str]],
) -> ApplyReport:
    report = ApplyReport()
    for origin, candidates in events.items():
        found = keys.get(origin) or _lookup(conn, device, origin)
        if found is None:
            continue  # an event of a bucket the device no longer has: its deletion follows
        key, local_id = found
        kept = store._filtered(conn, local_id, candidates)  # this device's privacy filters
        if len(kept) != len(candidates):  # dropped by a filter here: not stored (and removed if it was)
            kept_ids = {ev.id for ev in kept}
            for candidate in candidates:
                if candidate.id not in kept_ids:
                    conn.execute(SQL_DELETE_ORIGIN, (key, candidate.id))
                    report.events_filtered += 1
        seqs = store._next_seqs(len(kept))
        try:  # dump_json inlined: a million calls add up
            rows = [
                (key, start, start + duration, dumps(data, option=SORT_KEYS).decode(), seq, event_id)
                for (start, duration, data, event_id), seq in zip(kept, seqs, strict=True)
            ]
        except (orjson.JSONEncodeError, TypeError) as exc:
            raise InvalidInput(f"data cannot be stored as JSON: {exc}") from None
        before = conn.total_changes()
        conn.executemany(SQL_UPSERT, rows)
        report.events_changed += conn.total_changes() - before
        longest = max((row[2] - row[1] for row in rows), default=0)
        conn.execute("UPDATE buckets SET max_duration = ? WHERE key = ? AND max_duration < ?", (longest, key, longest))
    return report
