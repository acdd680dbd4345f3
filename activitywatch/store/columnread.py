"""Reading a bucket's events as columns in one SQL statement, for the cache of decoded events.

Fetching rows one at a time makes a Python tuple and four objects per event, and that, not SQLite,
is most of the cost of reading a year (730k events: about 55 ms of SQLite stepping, about 0.5 s of
row objects). Here SQLite concatenates the integer columns as fixed-width hexadecimal text and the
data texts separated by NUL (canonical JSON never holds a raw NUL: control characters are escaped),
and Python turns each whole column into an `array` or a list of byte strings with a few C calls.
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass
from operator import lt

import apsw

# A range scan of the bucket-and-time index reads the events in (start, id) order (the index ends with
# the rowid, the id), and the aggregates take the rows as the scan gives them; SQLite does not promise
# that order for an aggregate, so `read_columns` checks it. (An ORDER BY inside the aggregates would make
# SQLite sort 730k rows it already has in order: twice the time.)
SQL_EVENT_COLUMNS_FROM = (
    "SELECT count(*), group_concat(printf('%016x%016x%016x', id, starttime, endtime), ''),"
    " CAST(group_concat(data, char(0)) AS BLOB) FROM events INDEXED BY events_by_bucket_time"
    " WHERE bucket_key = ? AND starttime >= ?"
)


@dataclass(frozen=True)
class EventColumns:
    """Events in (start, id) order as columns: ids, starts, ends, data texts (UTF-8), and the positions
    whose start equals the one before."""

    ids: array[int]
    starts: array[int]
    ends: array[int]
    texts: list[bytes]
    ties: list[int]


def read_columns(conn: apsw.Connection, bucket_key: int, lo: int) -> EventColumns | None:
    """The events of a bucket starting at `lo` or later, or None when this way cannot read them (too big
    for one SQLite string, or not in the expected order): then read rows."""
    try:
        ((n, hexes, joined),) = conn.execute(SQL_EVENT_COLUMNS_FROM, (bucket_key, lo)).fetchall()
    except apsw.TooBigError:
        return None
    if n == 0:
        return EventColumns(array("q"), array("q"), array("q"), [], [])
    if not isinstance(hexes, str) or not isinstance(joined, bytes):
        return None
    packed = array("q", bytes.fromhex(hexes))
    if sys.byteorder == "little":
        packed.byteswap()  # printf wrote big-endian digits
    ids, starts, ends = packed[0::3], packed[1::3], packed[2::3]
    texts = joined.split(b"\0")
    # Rows out of order would show in their starts; equal starts in another order than by id would
    # need an aggregate that reorders rows yet keeps every start in order, and are not checked.
    ties = equal_starts(starts)
    if len(texts) != n or len(starts) != n or ties is None:
        return None
    return EventColumns(ids, starts, ends, texts, ties)


def equal_starts(starts: array[int]) -> list[int] | None:
    """The positions i > 0 whose start equals the one before, or None if some start is earlier than the
    one before (one pass over the starts: where they do not rise, they must be equal)."""
    rises = list(map(lt, starts[:-1], starts[1:]))
    ties: list[int] = []
    at = 0
    try:
        while True:
            at = rises.index(False, at) + 1  # a C scan for the next start that does not rise
            if starts[at - 1] != starts[at]:
                return None
            ties.append(at)
    except ValueError:
        return ties


def columns_from_rows(rows: list[tuple[int, int, int, str]]) -> EventColumns:
    """Columns from rows `(id, start, end, data text)` in (start, id) order."""
    starts = array("q", [row[1] for row in rows])
    return EventColumns(
        array("q", [row[0] for row in rows]),
        starts,
        array("q", [row[2] for row in rows]),
        [row[3].encode() for row in rows],
        equal_starts(starts) or [],  # SQLite sorted them
    )
