"""The event store: buckets, events, heartbeats and settings in one SQLite file.

Durability promise, kept in `_transaction`: a write returns only after its transaction is committed
(acknowledged = committed), so a write the API has answered survives kill -9 of the process.

One write connection, guarded by `write_lock`, does every write; each thread reads through its own
read-only connection (WAL lets readers run beside the writer).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import apsw

from activitywatch.core.allocation import collector_paused
from activitywatch.core.errors import Conflict, InvalidInput, NotFound
from activitywatch.core.models import Bucket, BucketInfo, Event
from activitywatch.core.timestamps import MAX_NS, MIN_NS
from activitywatch.store import activity_log, report_ids, schema
from activitywatch.store.activity_log import LogFilter, LogPage, LogPosition
from activitywatch.store.bulk import BucketImport, BulkWriter, append_events
from activitywatch.store.checkpointer import Checkpointer
from activitywatch.store.columnread import EventColumns, columns_from_rows, read_columns
from activitywatch.store.database import ReaderPool, configure_writer, connect, scalar, translated_errors
from activitywatch.store.database import rows as fetch
from activitywatch.store.exchange import ExportStream
from activitywatch.store.rows import (
    SQL_BUCKET_INSERT,
    SQL_BUCKET_ROW,
    bucket_from_row,
    dump_json,
    event_from_row,
    load_json,
)
from activitywatch.store.syncforget import record_forget
from activitywatch.transforms import privacy
from activitywatch.transforms.heartbeat import heartbeat_merge
from activitywatch.transforms.privacy import PrivacyRule
from activitywatch.transforms.regexes import Deadline, RegexTimeout

log = logging.getLogger(__name__)

PRIVACY_REGEX_SECONDS = 1.0  # matching time the privacy filters may take per write
GROW_HEADROOM_MAX = 3600 * 1_000_000_000  # see Store._grow

Clock = Callable[[], int]

SQL_BUCKET_KEY = "SELECT key, max_duration FROM buckets WHERE id = ?"
SQL_BUCKET_REF = "SELECT key, max_duration, key IN (SELECT bucket_key FROM sync_buckets) FROM buckets WHERE id = ?"
SQL_BUCKET_HOSTS = "SELECT id, hostname FROM buckets ORDER BY id"
SQL_BUCKET_UPDATE = "UPDATE buckets SET type = ?, client = ?, hostname = ?, data = ?, name = ? WHERE key = ?"
SQL_BUCKET_DELETE = "DELETE FROM buckets WHERE key = ?"
SQL_BUCKET_GROW = "UPDATE buckets SET max_duration = ? WHERE key = ? AND max_duration < ?"
SQL_BUCKET_FIRST = "SELECT min(starttime) FROM events WHERE bucket_key = ?"
# The latest end lies among events starting at most max_duration before the latest start.
SQL_BUCKET_LAST = (
    "SELECT max(endtime) FROM events WHERE bucket_key = :key"
    " AND starttime >= (SELECT max(starttime) FROM events WHERE bucket_key = :key) - :maxdur"
)

# Clipped to [start, end] in SQL: (id, clipped start, clipped duration, data).
SQL_EVENTS_RANGE = (
    "SELECT id, max(starttime, :start), min(endtime, :end) - max(starttime, :start), data FROM events"
    " WHERE bucket_key = :key AND starttime <= :end AND starttime >= :lo AND endtime >= :start"
    " ORDER BY starttime DESC, id DESC LIMIT :limit"
)
SQL_EVENTS_FROM = (
    "SELECT id, starttime, endtime, data FROM events WHERE bucket_key = ? AND starttime >= ? ORDER BY starttime, id"
)
SQL_EVENTS_COUNT = (
    "SELECT count(*) FROM events"
    " WHERE bucket_key = :key AND starttime <= :end AND starttime >= :lo AND endtime >= :start"
)
SQL_EVENTS_COUNT_ALL = "SELECT count(*) FROM events WHERE bucket_key = ?"
SQL_EVENT_ONE = "SELECT id, starttime, endtime, data FROM events WHERE bucket_key = ? AND id = ?"
SQL_EVENT_OWNER = "SELECT bucket_key FROM events WHERE id = ?"
SQL_EVENT_LAST = (
    "SELECT id, starttime, endtime, data FROM events WHERE bucket_key = ? ORDER BY starttime DESC, id DESC LIMIT 1"
)
SQL_EVENT_INSERT_ROW = "INSERT INTO events (bucket_key, starttime, endtime, data, seq) VALUES (?, ?, ?, ?, ?)"
SQL_EVENT_REPLACE = "UPDATE events SET starttime = ?, endtime = ?, data = ?, seq = ? WHERE id = ?"
SQL_EVENT_EXTEND = "UPDATE events SET endtime = ?, seq = ? WHERE id = ?"
SQL_EVENT_DELETE = "DELETE FROM events WHERE bucket_key = ? AND id = ?"

SQL_SEQ_MAX = "SELECT max(seq) FROM events"
SQL_META_GET = "SELECT value FROM meta WHERE key = ?"
SQL_GENERATION_BUMP = (
    "INSERT INTO meta (key, value) VALUES ('generation', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1"
)
SQL_GENERATION = "SELECT value FROM meta WHERE key = 'generation'"
SQL_CHANGED_SINCE = (
    "SELECT b.id, e.starttime, e.endtime FROM events e JOIN buckets b ON b.key = e.bucket_key WHERE e.seq > ? LIMIT ?"
)
SQL_FORGET_CANDIDATES = (
    "SELECT id, starttime, endtime, data FROM events"
    " WHERE bucket_key = :key AND starttime >= :lo AND starttime < :end"
    " AND (endtime > :start OR starttime >= :start)"
)
SQL_EVENT_RESHAPE = "UPDATE events SET starttime = ?, endtime = ?, seq = ? WHERE id = ?"
SQL_META_SET = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"

SQL_SETTINGS_ALL = "SELECT key, value FROM settings ORDER BY key"
SQL_SETTING_GET = "SELECT value FROM settings WHERE key = ?"
SQL_SETTING_SET = (
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
SQL_SETTING_DELETE = "DELETE FROM settings WHERE key = ?"

META_SEQ_FLOOR = "seq_floor"


_EVENT_ID = itemgetter(3)
_EVENT_DURATION = itemgetter(1)
_EVENT_ORDER = itemgetter(0, 3)  # the store's order: start, then id (of stored events)


def _is_later(a: Event, b: Event) -> bool:
    """Whether `a` sorts after `b` in the store's order (start, then id)."""
    return (a.timestamp, a.id or 0) > (b.timestamp, b.id or 0)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    buckets_created: list[str]
    buckets_merged: list[str]
    events_imported: int
    events_skipped: int
    events_filtered: int = 0  # dropped by a privacy filter
    buckets: list[BucketImport] = field(default_factory=list)  # per bucket, in import order
    settings_added: list[str] = field(default_factory=list)
    settings_kept: list[str] = field(default_factory=list)  # already set here: left as they were


@dataclass(frozen=True)
class TokenInfo:
    """An API token's description (the token itself is never stored)."""

    name: str
    scope: str
    bucket_prefix: str
    created: int


TOKEN_SCOPES = ("read", "append", "admin")
TOKEN_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class ForgetReport:
    """What a forget did."""

    events_deleted: int
    events_trimmed: int
    buckets: list[str]


@dataclass(frozen=True, slots=True)
class _BucketRef:
    key: int
    max_duration: int
    remote: bool = False  # written by another device (sync): read-only here


class Store:
    """The ActivityWatch database. Thread-safe: any thread may call any method."""

    def __init__(self, path: Path, *, clock: Clock = time.time_ns, key: str | None = None) -> None:
        """Open (creating or migrating) the database at `path`; `key` opens or creates an encrypted one."""
        self.path = path
        self._clock = clock
        self.write_lock = threading.RLock()
        with translated_errors(path):
            self._writer = connect(path, key=key)
            try:
                configure_writer(self._writer)
                schema.migrate(self._writer, path, key=key)
            except BaseException:
                self._writer.close()
                raise
        self._checkpointer = Checkpointer(path, self.write_lock, key)
        self._checkpointer.attach(self._writer)  # checkpoints in a thread, not inside a heartbeat's commit
        self._readers = ReaderPool(path, key)
        self._key = key
        self._refs: dict[str, _BucketRef] = {}
        self._last: dict[int, Event] = {}
        self._privacy: list[PrivacyRule] | None = None
        self._paused: tuple[int, int] | None = None
        self._data_version = self._read_data_version()
        self._seq = self._load_seq()
        self._seq_fresh = True
        self._closed = False

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Close every connection. Writes still queued on the lock finish first."""
        self._checkpointer.stop()  # before taking the lock: its last pass may be waiting for it
        with self.write_lock:
            if self._closed:
                return
            self._closed = True
            self._readers.close()
            self._writer.close()  # the last connection: SQLite folds the WAL in and removes it

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- internals

    def _read_data_version(self) -> int:
        return int(scalar(self._writer, "PRAGMA data_version"))

    def _load_seq(self) -> int:
        top = scalar(self._writer, SQL_SEQ_MAX) or 0
        floor = fetch(self._writer, SQL_META_GET, (META_SEQ_FLOOR,))
        return max(int(top), int(floor[0][0]) if floor else 0)

    def _forget(self) -> None:
        """Drop every cache; they are rebuilt from the database inside the next write transaction."""
        self._refs.clear()
        self._last.clear()
        self._privacy = None
        self._seq_fresh = False

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _next_seqs(self, count: int) -> range:
        """`count` new change sequence numbers at once (inside a write transaction)."""
        self._seq += count
        return range(self._seq - count + 1, self._seq + 1)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[apsw.Connection]:
        """The write transaction: BEGIN IMMEDIATE ... COMMIT, caches dropped on any failure."""
        with self.write_lock, translated_errors(self.path):
            if self._closed:
                raise InvalidInput("The database has been closed.")
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Checked while holding the write lock, so no other writer can slip in after the check.
                version = self._read_data_version()
                if version != self._data_version:
                    # Another connection committed (the CLI, the sqlite3 shell): no cache can be trusted.
                    self._data_version = version
                    self._forget()
                if not self._seq_fresh:
                    self._seq = self._load_seq()
                    self._seq_fresh = True
                yield conn
                conn.execute("COMMIT")  # acknowledged = committed: callers return after this line
            except BaseException:
                if not conn.get_autocommit():
                    conn.execute("ROLLBACK")
                self._forget()
                raise

    @contextlib.contextmanager
    def _reading(self) -> Iterator[apsw.Connection]:
        """A read transaction on this thread's reader, so several statements see one snapshot."""
        with translated_errors(self.path):
            conn = self._readers.get()
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _ref(self, conn: apsw.Connection, bucket_id: str, *, writable: bool = True) -> _BucketRef:
        """The bucket's row key, from the writer's cache (call inside a write transaction); Conflict
        for another device's bucket unless `writable` is False."""
        ref = self._refs.get(bucket_id)
        if ref is None:
            ref = self._lookup(conn, bucket_id)
            self._refs[bucket_id] = ref
        if writable and ref.remote:
            raise Conflict(
                f"The bucket '{bucket_id}' is synced from another device and is read-only here; change it there"
            )
        return ref

    @staticmethod
    def _lookup(conn: apsw.Connection, bucket_id: str) -> _BucketRef:
        rows = fetch(conn, SQL_BUCKET_REF, (bucket_id,))
        if not rows:
            raise NotFound(f"The requested bucket '{bucket_id}' does not exist")
        return _BucketRef(key=rows[0][0], max_duration=rows[0][1], remote=bool(rows[0][2]))

    def _grow(self, conn: apsw.Connection, bucket_id: str, ref: _BucketRef, duration: int) -> None:
        """Keep `max_duration` an upper bound of every event's duration in the bucket.

        It is raised with headroom (a quarter more, at most an hour), so an event that heartbeats keep
        extending rewrites the bucket's row a few dozen times rather than on every merge; range reads
        look back that much further, which costs them a few rows.
        """
        if duration > ref.max_duration:
            bound = duration + min(duration // 4, GROW_HEADROOM_MAX)
            conn.execute(SQL_BUCKET_GROW, (bound, ref.key, bound))
            self._refs[bucket_id] = _BucketRef(ref.key, bound, ref.remote)

    def _last_event(self, conn: apsw.Connection, key: int) -> Event | None:
        last = self._last.get(key)
        if last is None:
            rows = fetch(conn, SQL_EVENT_LAST, (key,))
            if rows:
                last = event_from_row(rows[0])
                self._last[key] = last
        return last

    def _privacy_rules(self, conn: apsw.Connection) -> list[PrivacyRule]:
        """The privacy filters in force (the setting, or the default), cached until it changes."""
        if self._privacy is None:
            rows = fetch(conn, SQL_SETTING_GET, (privacy.SETTING,))
            value = load_json(rows[0][0]) if rows else privacy.DEFAULT_RULES
            try:
                self._privacy = privacy.parse_rules(value)
            except InvalidInput as exc:  # written by something else: keep the default protection
                log.error("Ignoring the stored %s (%s); using the default filters", privacy.SETTING, exc.message)
                self._privacy = privacy.parse_rules(privacy.DEFAULT_RULES)
        return self._privacy

    def _filtered(self, conn: apsw.Connection, bucket_id: str, events: Sequence[Event]) -> list[Event]:
        """`events` as they may be stored: privacy filters applied (dropped ones left out)."""
        rules = self._privacy_rules(conn)
        if not rules:
            return list(events)
        try:
            return privacy.filter_events(rules, bucket_id, events, Deadline(PRIVACY_REGEX_SECONDS))
        except RegexTimeout as exc:
            raise InvalidInput(f"A privacy filter took too long to match; nothing was stored ({exc.message})") from None

    @staticmethod
    def _reshaped(conn: apsw.Connection) -> None:
        """Count a change the change sequence cannot show: events deleted or moved, buckets added,
        changed or removed (readers of `change_token` then drop whatever they derived)."""
        conn.execute(SQL_GENERATION_BUMP)

    def _mark_deleted(self, conn: apsw.Connection) -> None:
        """Remember the sequence reached, so numbers of deleted events are never handed out again."""
        conn.execute(SQL_META_SET, (META_SEQ_FLOOR, self._seq))
        self._reshaped(conn)

    # ----------------------------------------------------------------- buckets

    def list_buckets(self) -> list[BucketInfo]:
        """Every bucket with the span of its events."""
        with self._reading() as conn:
            rows = fetch(conn, SQL_BUCKET_ROW + " ORDER BY id")
            return [self._info(conn, row) for row in rows]

    def bucket_hostnames(self) -> dict[str, str]:
        """Every bucket id with its hostname (cheaper than list_buckets: no event spans)."""
        with self._reading() as conn:
            return dict(fetch(conn, SQL_BUCKET_HOSTS))

    def get_bucket(self, bucket_id: str) -> BucketInfo:
        """One bucket with the span of its events, or NotFound."""
        with self._reading() as conn:
            rows = fetch(conn, SQL_BUCKET_ROW + " WHERE id = ?", (bucket_id,))
            if not rows:
                raise NotFound(f"The requested bucket '{bucket_id}' does not exist")
            return self._info(conn, rows[0])

    @staticmethod
    def _info(conn: apsw.Connection, row: Sequence[Any]) -> BucketInfo:
        key, max_duration = row[0], row[8]
        start = scalar(conn, SQL_BUCKET_FIRST, (key,))
        end = None
        if start is not None:
            end = scalar(conn, SQL_BUCKET_LAST, {"key": key, "maxdur": max_duration})
        return BucketInfo(bucket=bucket_from_row(row), start=start, end=end)

    def create_bucket(self, bucket: Bucket, events: Sequence[Event] = ()) -> bool:
        """Create a bucket (and optionally its first events); False if it already exists."""
        data = dump_json(bucket.data, "bucket data")
        with self._transaction() as conn:
            if fetch(conn, SQL_BUCKET_KEY, (bucket.id,)):
                return False
            conn.execute(
                SQL_BUCKET_INSERT,
                (bucket.id, bucket.name, bucket.type, bucket.client, bucket.hostname, bucket.created, data),
            )
            self._reshaped(conn)
            if events:
                self._insert(conn, bucket.id, events)
        return True

    def update_bucket(self, bucket: Bucket) -> BucketInfo:
        """Replace a bucket's metadata (type, client, hostname, data, name); NotFound if missing."""
        data = dump_json(bucket.data, "bucket data")
        with self._transaction() as conn:
            ref = self._ref(conn, bucket.id)
            conn.execute(SQL_BUCKET_UPDATE, (bucket.type, bucket.client, bucket.hostname, data, bucket.name, ref.key))
            self._reshaped(conn)
        return self.get_bucket(bucket.id)

    def delete_bucket(self, bucket_id: str) -> None:
        """Delete a bucket and all its events; NotFound if missing."""
        with self._transaction() as conn:
            ref = self._ref(conn, bucket_id)
            conn.execute(SQL_BUCKET_DELETE, (ref.key,))
            self._mark_deleted(conn)
            self._refs.pop(bucket_id, None)
            self._last.pop(ref.key, None)

    # ----------------------------------------------------------------- events

    def get_events(
        self,
        bucket_id: str,
        start: int | None = None,
        end: int | None = None,
        limit: int | None = None,
        parsed: dict[str, Any] | None = None,
    ) -> list[Event]:
        """Events overlapping [start, end], clipped to it, newest first, at most `limit` of them.

        Events with equal data share one (read-only) `data` mapping; pass the same `parsed` dict (JSON
        text -> data) to several calls to share them across the calls too.
        """
        lo_bound = MIN_NS if start is None else start
        hi_bound = MAX_NS if end is None else end
        if hi_bound < lo_bound or limit == 0:
            with self._reading() as conn:
                self._lookup(conn, bucket_id)
            return []
        with self._reading() as conn:
            ref = self._lookup(conn, bucket_id)
            params = {
                "key": ref.key,
                "start": lo_bound,
                "end": hi_bound,
                "lo": max(MIN_NS, lo_bound - ref.max_duration),
                "limit": -1 if limit is None else limit,
            }
            rows = fetch(conn, SQL_EVENTS_RANGE, params)
        # Events of one bucket repeat the same data (the same app and title): parse each text once and
        # share the (read-only) result.
        if parsed is None:
            parsed = {}
        events: list[Event] = []
        append = events.append
        new = tuple.__new__  # Event(...) without the Python-level __new__ of a NamedTuple: half the time
        with collector_paused():
            for event_id, ts, duration, text in rows:
                data = parsed.get(text)
                if data is None:
                    data = parsed[text] = load_json(text)
                append(new(Event, (ts, duration, data, event_id)))
        return events

    def event_columns_from(self, bucket_id: str, start: int, widen: bool) -> tuple[int, int, EventColumns]:
        """(from, the bucket's longest duration, columns of every event starting at `from` or later, in
        (start, id) order), one snapshot; `widen` moves `from` back from `start` by the longest duration,
        so the columns hold every event that overlaps `start` or comes later."""
        with self._reading() as conn:
            ref = self._lookup(conn, bucket_id)
            lo = max(MIN_NS, start - ref.max_duration) if widen else start
            columns = read_columns(conn, ref.key, lo)
            if columns is None:
                columns = columns_from_rows(fetch(conn, SQL_EVENTS_FROM, (ref.key, lo)))
            return lo, ref.max_duration, columns

    def count_events(self, bucket_id: str, start: int | None = None, end: int | None = None) -> int:
        """Number of events overlapping [start, end] (all events when both are None)."""
        with self._reading() as conn:
            ref = self._lookup(conn, bucket_id)
            if start is None and end is None:
                return int(scalar(conn, SQL_EVENTS_COUNT_ALL, (ref.key,)))
            lo_bound = MIN_NS if start is None else start
            hi_bound = MAX_NS if end is None else end
            params = {
                "key": ref.key,
                "start": lo_bound,
                "end": hi_bound,
                "lo": max(MIN_NS, lo_bound - ref.max_duration),
            }
            return int(scalar(conn, SQL_EVENTS_COUNT, params))

    def get_event(self, bucket_id: str, event_id: int) -> Event:
        """One event of a bucket, or NotFound."""
        with self._reading() as conn:
            ref = self._lookup(conn, bucket_id)
            rows = fetch(conn, SQL_EVENT_ONE, (ref.key, event_id))
        if not rows:
            raise NotFound(f"There is no event {event_id} in bucket '{bucket_id}'")
        return event_from_row(rows[0])

    def insert_events(self, bucket_id: str, events: Sequence[Event]) -> list[Event]:
        """Insert events and return them with their ids.

        An event carrying the id of an event of this bucket replaces it (how the web UI edits events);
        any other id is ignored and the event is stored as a new one.
        """
        with collector_paused(), self._transaction() as conn:  # thousands of rows and events, no cycles
            return self._insert(conn, bucket_id, events)

    def _insert(self, conn: apsw.Connection, bucket_id: str, events: Sequence[Event]) -> list[Event]:
        ref = self._ref(conn, bucket_id)
        events = self._filtered(conn, bucket_id, events)
        key = ref.key
        replaced = False
        if any(map(_EVENT_ID, events)):  # some event names an id: it may replace an event of this bucket
            stored, replaced = self._insert_or_replace(conn, key, events)
        else:  # the usual batch: only new events, in one executemany
            stored = self._append(conn, key, events)
        self._grow(conn, bucket_id, ref, max(map(_EVENT_DURATION, events), default=0))
        last = self._last.get(key)
        if replaced:
            self._reshaped(conn)  # the replaced event's old span is not in the change sequence
            self._last.pop(key, None)
        elif last is not None and stored:
            latest = max(stored, key=_EVENT_ORDER)
            if _is_later(latest, last):
                self._last[key] = latest
        return stored

    def _insert_or_replace(self, conn: apsw.Connection, key: int, events: Sequence[Event]) -> tuple[list[Event], bool]:
        """Store `events`, an event carrying the id of one of this bucket's replacing it; (them, whether any did)."""
        stored: list[Event] = []
        run: list[Event] = []  # new events, inserted together before the next replacement and at the end
        replaced = False
        for ev in events:
            if ev.id is not None and scalar(conn, SQL_EVENT_OWNER, (ev.id,)) == key:
                stored += self._append(conn, key, run)
                run = []
                data = dump_json(ev.data, "event data")
                conn.execute(SQL_EVENT_REPLACE, (ev.timestamp, ev.end, data, self._next_seq(), ev.id))
                replaced = True
                stored.append(ev)
            else:
                # An id that names no event of this bucket is not taken over (it could be another
                # bucket's event, or a huge id that would exhaust the id space): the event is new.
                run.append(ev)
        stored += self._append(conn, key, run)
        return stored, replaced

    def _append(self, conn: apsw.Connection, key: int, events: Sequence[Event]) -> list[Event]:
        """Insert new events (see `bulk.append_events`), counting the change sequence on."""
        if not events:
            return []
        stored = append_events(conn, key, events, self._seq)
        self._seq += len(events)
        return stored

    def delete_event(self, bucket_id: str, event_id: int) -> bool:
        """Delete one event; False if the bucket has no such event."""
        with self._transaction() as conn:
            ref = self._ref(conn, bucket_id)
            conn.execute(SQL_EVENT_DELETE, (ref.key, event_id))
            deleted = conn.changes() > 0
            if deleted:
                self._mark_deleted(conn)
                last = self._last.get(ref.key)
                if last is not None and last.id == event_id:
                    del self._last[ref.key]
        return deleted

    def heartbeat(self, bucket_id: str, heartbeat: Event, pulsetime: int) -> Event:
        """Merge `heartbeat` into the bucket's last event if it continues it, else insert it.

        `pulsetime` is in nanoseconds. Returns the merged or inserted event, with its id.
        """
        with self._transaction() as conn:
            ref = self._ref(conn, bucket_id)
            last = self._last_event(conn, ref.key)
            paused = self._paused
            if paused is not None and paused[0] <= heartbeat.timestamp < paused[1]:
                return last if last is not None else heartbeat  # tracking was paused then: dropped
            allowed = self._filtered(conn, bucket_id, [heartbeat])
            if not allowed:  # dropped by a privacy filter: answer as if merged, with the last event
                return last if last is not None else heartbeat
            heartbeat = allowed[0]
            merged = None if last is None else heartbeat_merge(last, heartbeat, pulsetime)
            if last is not None and merged is not None:
                if merged.duration != last.duration:
                    conn.execute(SQL_EVENT_EXTEND, (merged.end, self._next_seq(), merged.id))
                result = merged
            else:
                data = dump_json(heartbeat.data, "event data")
                params = (ref.key, heartbeat.timestamp, heartbeat.end, data, self._next_seq())
                conn.execute(SQL_EVENT_INSERT_ROW, params)
                new_id = conn.last_insert_rowid()  # this connection's, under the write lock (cheaper than RETURNING)
                result = Event(
                    timestamp=heartbeat.timestamp, duration=heartbeat.duration, data=heartbeat.data, id=new_id
                )
            self._grow(conn, bucket_id, ref, result.duration)
            if last is None or not _is_later(last, result):
                self._last[ref.key] = result
        return result

    def pause_heartbeats(self, start: int, end: int) -> None:
        """Drop heartbeats (from any client) timed in [start, end): the user paused tracking then.

        Answered as a privacy filter's drop is. Only the latest pause is kept (in memory), so heartbeats
        a queued client delivers late are dropped too; inserted and imported events are not affected.
        """
        self._paused = (start, end)

    def import_buckets(self, items: Sequence[tuple[Bucket, Sequence[Event]]]) -> ImportReport:
        """Import buckets with their events in one transaction (see `import_stream`)."""
        return self.import_stream((bucket, [events]) for bucket, events in items)

    def import_stream(
        self,
        items: Iterable[tuple[Bucket, Iterable[Sequence[Event]]]],
        settings: Mapping[str, Any] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import buckets, each with its events in batches, and settings, in one transaction.

        A bucket that does not exist is created; into one that exists the events are merged. Either
        way an event equal to one already stored (same start, end and data) is skipped, so importing
        the same source twice stores nothing new. Settings already set here are kept. The privacy
        filters apply. `progress` is called with the number of events read so far. Any error (also
        one raised by the source while it is read) rolls everything back.
        """
        with self._transaction() as conn:
            writer = BulkWriter(conn, lambda b, evs: self._filtered(conn, b, evs), self._seq, progress)
            for bucket, batches in items:
                key, created = writer.bucket(bucket)
                if created:
                    self._reshaped(conn)
                longest = writer.events(bucket.id, key, created, batches)
                self._grow(conn, bucket.id, self._ref(conn, bucket.id), longest)
                self._last.pop(key, None)
            settings_added, settings_kept = writer.settings(
                {k: v for k, v in (settings or {}).items() if k != privacy.SETTING}
            )
            self._seq = writer.seq
        parts = writer.buckets
        return ImportReport(
            buckets_created=[p.bucket_id for p in parts if p.created],
            buckets_merged=[p.bucket_id for p in parts if not p.created],
            events_imported=sum(p.imported for p in parts),
            events_skipped=sum(p.skipped for p in parts),
            events_filtered=sum(p.filtered for p in parts),
            buckets=parts,
            settings_added=settings_added,
            settings_kept=settings_kept,
        )

    def open_export(self, bucket_ids: Sequence[str] | None = None) -> ExportStream:
        """A streamed export of some (or all) buckets from one consistent snapshot."""
        return ExportStream(self.path, bucket_ids, self._key)

    # ----------------------------------------------------------------- activity log

    def log_page(self, at: LogPosition | None, start: int, end: int | None, where: LogFilter, size: int) -> LogPage:
        """A page of the activity log from `at`, or (None) the first of a listing of events starting in
        [start, end) (end None: to now); see `store/activity_log.py`."""
        with self._reading() as conn:
            position = activity_log.start_position(conn, start, end) if at is None else at
            return activity_log.read_page(conn, position, where, size)

    def report_ids(self, kind: str, names: Sequence[str] | None = None) -> dict[str, int]:
        """{name: stable id} of one kind (computer, user, application, website); the given names that
        have no id yet get the next free ones; None: every name known."""
        report_ids.check_kind(kind)
        with self._reading() as conn:
            found = report_ids.known(conn, kind, names)
        missing = [] if names is None else [name for name in dict.fromkeys(names) if name not in found]
        if missing:
            with self._transaction() as conn:
                report_ids.assign(conn, kind, missing)
                found |= report_ids.known(conn, kind, missing)
        return found

    # ----------------------------------------------------------------- API tokens

    def create_token(self, name: str, scope: str, bucket_prefix: str = "") -> str:
        """Make a token (shown once: only its hash is kept); InvalidInput for a taken or bad name."""
        if not TOKEN_NAME.fullmatch(name):
            raise InvalidInput("A token name is 1 to 64 letters, digits, '.', '_' or '-'")
        if scope not in TOKEN_SCOPES:
            raise InvalidInput("A token's scope is read, append or admin")
        if len(bucket_prefix) > 1000:
            raise InvalidInput("The bucket prefix is too long")
        token = "aw_" + secrets.token_urlsafe(32)
        with self._transaction() as conn:
            if fetch(conn, "SELECT 1 FROM tokens WHERE name = ?", (name,)):
                raise InvalidInput(f"There is already a token named '{name}'; revoke it first or choose another name")
            conn.execute(
                "INSERT INTO tokens (name, hash, scope, bucket_prefix, created) VALUES (?, ?, ?, ?, ?)",
                (name, _token_hash(token), scope, bucket_prefix, self.now()),
            )
        return token

    def list_tokens(self) -> list[TokenInfo]:
        """Every token (names, scopes, prefixes; never the tokens)."""
        with self._reading() as conn:
            rows = fetch(conn, "SELECT name, scope, bucket_prefix, created FROM tokens ORDER BY name")
        return [TokenInfo(*row) for row in rows]

    def revoke_token(self, name: str) -> bool:
        """Delete a token; False if there is none of that name."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM tokens WHERE name = ?", (name,))
            return conn.changes() > 0

    def find_token(self, presented: str) -> TokenInfo | None:
        """The token matching `presented` (compared in constant time against every stored hash)."""
        digest = _token_hash(presented)
        with self._reading() as conn:
            rows = fetch(conn, "SELECT name, scope, bucket_prefix, created, hash FROM tokens")
        found = None
        for *info, stored in rows:
            if hmac.compare_digest(digest, bytes(stored)):
                found = TokenInfo(*info)
        return found

    # ----------------------------------------------------------------- maintenance

    def row_counts(self) -> dict[str, int]:
        """How many buckets, events and settings there are (to compare copies)."""
        with self._reading() as conn:
            return {
                table: int(scalar(conn, f"SELECT count(*) FROM {table}")) for table in ("buckets", "events", "settings")
            }

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file."""
        with self.write_lock, translated_errors(self.path):
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ----------------------------------------------------------------- forget

    def forget(self, start: int, end: int, bucket_ids: Sequence[str] | None = None) -> ForgetReport:
        """Remove everything recorded in [start, end) from every bucket (or the given ones).

        Events inside the range are deleted; events reaching into it are cut at its edges (one that
        spans the whole range keeps its parts before and after). The freed space is handed back to
        the file system.
        """
        if end <= start:
            raise InvalidInput("The end of the time range to forget must come after its start")
        deleted = trimmed = 0
        with self._transaction() as conn:
            ids = list(bucket_ids) if bucket_ids is not None else [row[0] for row in fetch(conn, SQL_BUCKET_HOSTS)]
            refs = [
                (bucket_id, self._ref(conn, bucket_id, writable=False)) for bucket_id in ids
            ]  # NotFound for unknown ids
            for _bucket_id, ref in refs:
                params = {"key": ref.key, "start": start, "end": end, "lo": max(MIN_NS, start - ref.max_duration)}
                for event_id, ev_start, ev_end, data in fetch(conn, SQL_FORGET_CANDIDATES, params):
                    if ev_start >= start and ev_end <= end:
                        conn.execute(SQL_EVENT_DELETE, (ref.key, event_id))
                        deleted += 1
                        continue
                    trimmed += 1
                    if ev_start < start:
                        conn.execute(SQL_EVENT_RESHAPE, (ev_start, start, self._next_seq(), event_id))
                        # Spans the whole range: keep the part after it too (in another device's
                        # bucket, that part comes back from its device when it forgets the range).
                        if ev_end > end and not ref.remote:
                            conn.execute(SQL_EVENT_INSERT_ROW, (ref.key, end, ev_end, data, self._next_seq()))
                    else:
                        conn.execute(SQL_EVENT_RESHAPE, (end, ev_end, self._next_seq(), event_id))
                self._last.pop(ref.key, None)
            if deleted or trimmed:
                self._mark_deleted(conn)
            record_forget(conn, start, end, bucket_ids)  # sync passes the forget on to the other devices
        if deleted or trimmed:
            self._reclaim_space()
        return ForgetReport(deleted, trimmed, [bucket_id for bucket_id, _ in refs])

    def _reclaim_space(self) -> None:
        """Hand free pages back to the file system (converting an older database on first use)."""
        with self.write_lock, translated_errors(self.path):
            conn = self._writer
            if int(scalar(conn, "PRAGMA auto_vacuum") or 0) != 2:
                log.info("Converting %s to incremental auto-vacuum (once)", self.path)
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
                conn.execute("VACUUM")
            else:
                fetch(conn, "PRAGMA incremental_vacuum")  # frees one page per step: run it to the end
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._forget()

    # ----------------------------------------------------------------- settings

    def get_settings(self) -> dict[str, Any]:
        """Every setting."""
        with self._reading() as conn:
            return {k: load_json(v) for k, v in fetch(conn, SQL_SETTINGS_ALL)}

    def get_setting(self, key: str) -> Any:
        """One setting's value, or None when it is not set."""
        with self._reading() as conn:
            rows = fetch(conn, SQL_SETTING_GET, (key,))
        return load_json(rows[0][0]) if rows else None

    def set_setting(self, key: str, value: Any) -> None:
        """Store any JSON value under `key`."""
        text = dump_json(value, "setting value")
        if key == privacy.SETTING:
            privacy.parse_rules(value)  # refuse rules that cannot work, with the reason
        with self._transaction() as conn:
            conn.execute(SQL_SETTING_SET, (key, text))
            if key == privacy.SETTING:
                self._privacy = None

    def delete_setting(self, key: str) -> bool:
        """Remove a setting; False if it was not set."""
        with self._transaction() as conn:
            conn.execute(SQL_SETTING_DELETE, (key,))
            if key == privacy.SETTING:
                self._privacy = None
            return conn.changes() > 0

    # ----------------------------------------------------------------- change sequence

    def change_token(self) -> tuple[int, int]:
        """(highest change sequence number stored, generation): read before deriving anything from the
        events, it tells later whether what was derived may have changed (see `changes_since`)."""
        with self._reading() as conn:
            return int(scalar(conn, SQL_SEQ_MAX) or 0), int(scalar(conn, SQL_GENERATION) or 0)

    def changes_since(self, seq: int, limit: int = 10_000) -> tuple[int, list[tuple[str, int, int]] | None]:
        """The generation now, and (bucket id, start, end) of every event inserted or extended after
        `seq` (None when there are more than `limit`: treat everything as changed), in one snapshot."""
        with self._reading() as conn:
            generation = int(scalar(conn, SQL_GENERATION) or 0)
            rows = fetch(conn, SQL_CHANGED_SINCE, (seq, limit + 1))
        return generation, None if len(rows) > limit else [(b, s, e) for b, s, e in rows]

    @property
    def last_seq(self) -> int:
        """The highest change sequence number handed out so far."""
        with self.write_lock:
            return self._seq

    def now(self) -> int:
        """The store's clock, in nanoseconds UTC."""
        return self._clock()
