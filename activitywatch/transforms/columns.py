"""A list of events held as columns, so the transforms queries chain most need no event objects.

A query over a year reads 730k events; building an `Event` for each and walking them one at a time is
most of its time. `Columns` holds the same list as arrays (start, end, id and an index into a list of
shared data objects), stored in time order; `newest_first` says the list is the arrays reversed (as
`query_bucket` answers). The functions in `columnar.py` work on these arrays and return new columns (or
None when their input is outside what they handle: then the caller uses the event functions on
`events()`), so results are the same event for event.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import compress, count, islice, repeat
from operator import eq, sub
from typing import TYPE_CHECKING, Any

from activitywatch.core.allocation import collector_paused
from activitywatch.core.models import Event

if TYPE_CHECKING:
    IntColumn = array[int]  # "q": nanoseconds and ids; refs may use "l"


class Columns:
    """Events as columns in time order (non-decreasing start); read-only once built."""

    __slots__ = ("_events", "datas", "ends", "ids", "newest_first", "refs", "starts")

    def __init__(
        self,
        starts: IntColumn,
        ends: IntColumn,
        ids: IntColumn,
        refs: IntColumn,
        datas: Sequence[Any],
        *,
        newest_first: bool = False,
    ) -> None:
        self.starts = starts
        self.ends = ends
        self.ids = ids
        self.refs = refs
        self.datas = datas  # data objects by ref, shared with other columns: never changed
        self.newest_first = newest_first
        self._events: list[Event] | None = None

    def __len__(self) -> int:
        return len(self.starts)

    def events(self) -> list[Event]:
        """The list of events these columns hold (built once; do not change it)."""
        if self._events is None:
            starts, ends, ids, refs = self.starts, self.ends, self.ids, self.refs
            if self.newest_first:
                starts, ends, ids, refs = starts[::-1], ends[::-1], ids[::-1], refs[::-1]
            fields = zip(starts, map(sub, ends, starts), map(self.datas.__getitem__, refs), ids, strict=True)
            with collector_paused():  # many tuples, no cycles (see core/allocation.py)
                self._events = list(map(tuple.__new__, repeat(Event), fields))
        return self._events

    def in_time_order(self, by_duration: bool = False) -> tuple[IntColumn, IntColumn, IntColumn, IntColumn]:
        """(starts, ends, ids, refs) of the list sorted stably by start (as `sorted(key=start)` does), or
        by (start, duration) when `by_duration`."""
        starts = self.starts
        if not self.newest_first and not by_duration:
            return starts, self.ends, self.ids, self.refs
        ties = list(compress(count(1), map(eq, starts, islice(starts, 1, None))))
        if not ties:
            return starts, self.ends, self.ids, self.refs
        # Only events starting together move: each run of them in the list's order, then by duration.
        old_ends, old_ids, old_refs = self.ends, self.ids, self.refs
        ends, ids, refs = (array(c.typecode, c) for c in (old_ends, old_ids, old_refs))
        run_start = previous = ties[0]
        for i in (*ties[1:], -1):
            if i != previous + 1:
                order = list(range(run_start - 1, previous + 1))
                if self.newest_first:
                    order.reverse()
                if by_duration:
                    order.sort(key=old_ends.__getitem__)  # the same start: by end is by duration
                cut = slice(run_start - 1, previous + 1)
                ends[cut] = array(ends.typecode, map(old_ends.__getitem__, order))
                ids[cut] = array(ids.typecode, map(old_ids.__getitem__, order))
                refs[cut] = array(refs.typecode, map(old_refs.__getitem__, order))
                run_start = i
            previous = i
        return starts, ends, ids, refs
