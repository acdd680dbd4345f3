"""The activity log's reads: window events page by page, with each row's browser tab and not-afk span.

A listing first walks its date range in time order on the (bucket, start) index, up to the change
sequence reached when it began (its snapshot); then it follows the change sequence from that snapshot,
so events that arrive late or grow later come on later pages. Every row of the range comes once in
the walk, and once more for every later change. The tabs and spans of a page are found in one query
each, whatever the page's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import apsw
import orjson

from activitywatch.core.models import Event
from activitywatch.store.database import rows as fetch
from activitywatch.store.database import scalar
from activitywatch.store.rows import load_json

FAR = 2**63 - 1

SQL_LOG_BUCKETS = "SELECT key, id, type, hostname, max_duration FROM buckets"
SQL_SEQ_TOP = "SELECT coalesce(max(seq), 0) FROM events"
# One window bucket's events from a position (start, id) on, in that order, from the (bucket, start) index.
SQL_LOG_BY_TIME = (
    "SELECT id, starttime, endtime, data, seq FROM events INDEXED BY events_by_bucket_time"
    " WHERE bucket_key = :key AND starttime >= :t AND (starttime > :t OR id > :id) AND starttime < :end"
    " AND seq <= :snap AND endtime - starttime BETWEEN :mind AND :maxd"
    " ORDER BY starttime, id LIMIT :limit"
)
# The window buckets' events changed after a position of the change sequence, in that order.
SQL_LOG_BY_SEQ = (
    "SELECT id, starttime, endtime, data, seq, bucket_key FROM events INDEXED BY events_by_seq"
    " WHERE seq > :after AND bucket_key IN (SELECT value FROM json_each(:keys)) AND starttime < :end"
    " AND endtime - starttime BETWEEN :mind AND :maxd"
    " ORDER BY seq LIMIT :limit"
)
# For each probe [row, bucket key, start, end, lowest start], the event of that bucket overlapping
# [start, end) the longest; of equals the latest (as reading the bucket newest first would pick).
_OVERLAPS = (
    "SELECT i, found FROM (SELECT p.value ->> 0 AS i, {what} AS found, row_number() OVER (PARTITION BY p.value ->> 0"
    " ORDER BY min(e.endtime, p.value ->> 3) - max(e.starttime, p.value ->> 2) DESC, e.starttime DESC, e.id DESC) AS r"
    " FROM json_each(:probes) p JOIN events e ON e.bucket_key = p.value ->> 1"
    " AND e.starttime < p.value ->> 3 AND e.starttime >= p.value ->> 4 AND e.endtime > p.value ->> 2"
    " WHERE {which}) WHERE r = 1"
)
SQL_TAB_OVERLAPS = _OVERLAPS.format(what="e.data ->> '$.url'", which="json_type(e.data, '$.url') = 'text'")
SQL_SPAN_OVERLAPS = _OVERLAPS.format(what="e.id", which="e.data ->> '$.status' = 'not-afk'")


@dataclass(frozen=True)
class LogRow:
    """A window event as the activity log reads it."""

    seq: int
    bucket_id: str
    hostname: str
    event: Event


@dataclass(frozen=True)
class LogPosition:
    """Where a listing stands: walking the range in time order (`after` set) or following the changes.

    `seq` is the snapshot while walking, then the last change delivered; `end` bounds the event starts.
    """

    seq: int
    after: tuple[int, int] | None
    end: int | None


@dataclass(frozen=True)
class LogFilter:
    """Which rows a page holds: of these hosts (None: all), with durations in [shortest, longest] ns."""

    hosts: frozenset[str] | None
    shortest: int
    longest: int
    tab_apps: tuple[str, ...]  # a row whose app contains one of these (lower-case) gets a tab's URL


@dataclass(frozen=True)
class LogPage:
    """Rows, the position after them, and per row (event id) its tab's URL and not-afk span's id."""

    rows: list[LogRow]
    position: LogPosition
    urls: dict[int, str]
    spans: dict[int, int]


def start_position(conn: apsw.Connection, start: int, end: int | None) -> LogPosition:
    """A listing of the events starting in [start, end) (or from start on), as the data stands now."""
    return LogPosition(int(scalar(conn, SQL_SEQ_TOP)), (start, 0), end)


@dataclass(frozen=True)
class _Bucket:
    key: int
    id: str
    type: str
    hostname: str
    max_duration: int


def _buckets(conn: apsw.Connection) -> list[_Bucket]:
    return [_Bucket(*row) for row in fetch(conn, SQL_LOG_BUCKETS)]


def _row(bucket: _Bucket, found: Sequence[Any], datas: dict[str, Any]) -> LogRow:
    """A row from (id, starttime, endtime, data, seq); equal data texts share one object (`datas`), so
    whatever is worked out per data object (the category) is worked out once."""
    event_id, start, end, text, seq = found[:5]
    data = datas.get(text)
    if data is None:
        data = datas[text] = load_json(text)
    return LogRow(seq, bucket.id, bucket.hostname, Event(start, end - start, data, event_id))


def _by_time(
    conn: apsw.Connection, windows: Sequence[_Bucket], at: LogPosition, where: LogFilter, limit: int
) -> list[LogRow]:
    """Up to `limit` rows after `at.after` in (start, id) order: a few rows from each bucket, merged."""
    assert at.after is not None
    t, after_id = at.after
    params = {"t": t, "id": after_id, "end": FAR if at.end is None else at.end, "snap": at.seq}
    params |= {"mind": where.shortest, "maxd": where.longest, "limit": limit}
    datas: dict[str, Any] = {}
    runs = [
        [_row(b, found, datas) for found in fetch(conn, SQL_LOG_BY_TIME, {**params, "key": b.key})] for b in windows
    ]
    merged = heapq.merge(*runs, key=lambda r: (r.event.timestamp, r.event.id or 0))
    return [row for _, row in zip(range(limit), merged, strict=False)]


def _by_seq(
    conn: apsw.Connection, windows: Sequence[_Bucket], at: LogPosition, where: LogFilter, limit: int
) -> list[LogRow]:
    """Up to `limit` rows changed after `at.seq`, in change order."""
    datas: dict[str, Any] = {}
    by_key = {b.key: b for b in windows}
    params = {
        "after": at.seq,
        "keys": orjson.dumps(list(by_key)).decode(),
        "end": FAR if at.end is None else at.end,
        "mind": where.shortest,
        "maxd": where.longest,
        "limit": limit,
    }
    return [_row(by_key[found[5]], found, datas) for found in fetch(conn, SQL_LOG_BY_SEQ, params)]


def _overlaps(
    conn: apsw.Connection, sql: str, rows: Sequence[LogRow], sources: dict[str, list[_Bucket]]
) -> dict[int, object]:
    """{event id: the longest-overlapping event's value} over each row's host's `sources` buckets."""
    probes = [
        [row.event.id, b.key, row.event.timestamp, row.event.end, row.event.timestamp - b.max_duration]
        for row in rows
        for b in sources.get(row.hostname, ())
    ]
    if not probes:
        return {}
    return {int(i): value for i, value in fetch(conn, sql, {"probes": orjson.dumps(probes).decode()})}


def read_page(conn: apsw.Connection, at: LogPosition, where: LogFilter, size: int) -> LogPage:
    """One page from `at` (call inside one read transaction)."""
    buckets = [b for b in _buckets(conn) if where.hosts is None or b.hostname in where.hosts]
    windows = [b for b in buckets if b.type == "currentwindow"]
    rows: list[LogRow] = []
    if at.after is not None:
        walked = _by_time(conn, windows, at, where, size + 1)  # one more tells whether the walk goes on
        if len(walked) > size:
            rows = walked[:size]
            last = rows[-1].event
            return _finish(conn, rows, LogPosition(at.seq, (last.timestamp, last.id or 0), at.end), where, buckets)
        rows = walked
        at = LogPosition(at.seq, None, at.end)
    changed = _by_seq(conn, windows, at, where, size - len(rows))
    rows += changed
    position = LogPosition(changed[-1].seq, None, at.end) if changed else at
    return _finish(conn, rows, position, where, buckets)


def _finish(
    conn: apsw.Connection, rows: list[LogRow], position: LogPosition, where: LogFilter, buckets: list[_Bucket]
) -> LogPage:
    webs: dict[str, list[_Bucket]] = {}
    afks: dict[str, list[_Bucket]] = {}
    for b in buckets:
        if b.type in ("web.tab.current", "afkstatus"):
            (webs if b.type == "web.tab.current" else afks).setdefault(b.hostname, []).append(b)
    browsing = [r for r in rows if any(name in str(r.event.data.get("app", "")).lower() for name in where.tab_apps)]
    urls = {i: str(url) for i, url in _overlaps(conn, SQL_TAB_OVERLAPS, browsing, webs).items()}
    spans = {i: int(str(span)) for i, span in _overlaps(conn, SQL_SPAN_OVERLAPS, rows, afks).items()}
    return LogPage(rows, position, urls, spans)
