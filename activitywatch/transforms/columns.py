"""A list of events held as columns, so the transforms queries chain most need no event objects.

A query over a year reads 730k events; building an `Event` for each and walking them one at a time is
most of its time. `Columns` holds the same list as arrays (start, end, id and an index into a list of
shared data objects), stored in time order; `newest_first` says the list is the arrays reversed (as
`query_bucket` answers). The functions in `columnar.py` work on these arrays and return new columns (or
None when their input is outside what they handle: then the caller uses the event functions on
`events()`), so results are the same event for event.

The arrays may be built only when first asked for: merging by keys, summing durations and relabelling
need just totals per data object (a `Summary`), which filter_period_intersect can find without
building its pieces, and columns that differ only in their data objects share one `Rows`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from itertools import compress, count, islice, repeat
from operator import eq, sub
from typing import TYPE_CHECKING, Any, NamedTuple

from activitywatch.core.allocation import collector_paused
from activitywatch.core.models import Event

if TYPE_CHECKING:
    IntColumn = array[int]  # "q": nanoseconds and ids; refs may use "l"


Arrays = tuple["IntColumn", "IntColumn", "IntColumn", "IntColumn"]  # starts, ends, ids, refs


class Summary(NamedTuple):
    """What merging by keys and summing durations need of a list of events, per data object."""

    totals: dict[int, int]  # total duration by ref, in the order of each ref's first event in the list
    first_starts: dict[int, int]  # the start of each ref's first event in the list
    length: int  # how many events


class Rows:
    """The arrays of columns, or how to build them when first asked, and their summary; shared by
    columns that differ only in their data objects (categorize and tag keep the rows)."""

    __slots__ = ("_arrays", "_build", "_summarize", "_summary", "newest_first", "ties")

    def __init__(
        self,
        arrays: Arrays | None,
        newest_first: bool,
        build: Callable[[], Arrays] | None = None,
        summarize: Callable[[], Summary] | None = None,
        ties: list[int] | None = None,
    ) -> None:
        self._arrays = arrays
        self.newest_first = newest_first
        self.ties = ties  # where known: the positions i > 0 whose start equals the one before
        self._build = build
        self._summarize = summarize  # cheaper than building the arrays, for a summary alone
        self._summary: Summary | None = None

    def built(self) -> bool:
        """Whether the arrays are there (no work to ask for them)."""
        return self._arrays is not None

    def arrays(self) -> Arrays:
        """(starts, ends, ids, refs), built on first use."""
        if self._arrays is None:
            assert self._build is not None
            self._arrays = self._build()
            self._build = None
        return self._arrays

    def summary(self) -> Summary:
        """The summary, computed on first use (without building the arrays when it can)."""
        if self._summary is None:
            if self._arrays is None and self._summarize is not None:
                self._summary = self._summarize()
            else:
                self._summary = _summary_of(self.arrays(), self.newest_first)
            self._summarize = None
        return self._summary


def _summary_of(arrays: Arrays, newest_first: bool) -> Summary:
    starts, ends, _, refs = arrays
    if newest_first:
        starts, ends, refs = starts[::-1], ends[::-1], refs[::-1]
    totals = dict.fromkeys(refs, 0)  # in the order of each ref's first event
    for ref, duration in zip(refs, map(sub, ends, starts), strict=True):
        totals[ref] += duration
    first_starts = dict(zip(reversed(refs), reversed(starts), strict=True))  # the earliest event wins
    return Summary(totals, first_starts, len(starts))


class Columns:
    """Events as columns in time order (non-decreasing start); read-only once built."""

    __slots__ = ("_events", "datas", "rows")

    def __init__(
        self,
        starts: IntColumn,
        ends: IntColumn,
        ids: IntColumn,
        refs: IntColumn,
        datas: Sequence[Any],
        *,
        newest_first: bool = False,
        ties: list[int] | None = None,
    ) -> None:
        self.rows = Rows((starts, ends, ids, refs), newest_first, ties=ties)
        self.datas = datas  # data objects by ref, shared with other columns: never changed
        self._events: list[Event] | None = None

    @classmethod
    def of(cls, rows: Rows, datas: Sequence[Any]) -> Columns:
        """Columns of these rows with these data objects."""
        columns = cls.__new__(cls)
        columns.rows = rows
        columns.datas = datas
        columns._events = None
        return columns

    @property
    def starts(self) -> IntColumn:
        """Start of each event, nanoseconds."""
        return self.rows.arrays()[0]

    @property
    def ends(self) -> IntColumn:
        """End of each event, nanoseconds."""
        return self.rows.arrays()[1]

    @property
    def ids(self) -> IntColumn:
        """Id of each event."""
        return self.rows.arrays()[2]

    @property
    def refs(self) -> IntColumn:
        """Index of each event's data object in `datas`."""
        return self.rows.arrays()[3]

    @property
    def newest_first(self) -> bool:
        """Whether the list is the arrays reversed."""
        return self.rows.newest_first

    def summary(self) -> Summary:
        """Totals and first starts per data object (see Summary)."""
        return self.rows.summary()

    def __len__(self) -> int:
        rows = self.rows
        return len(rows.arrays()[0]) if rows.built() else rows.summary().length

    def events(self) -> list[Event]:
        """The list of events these columns hold (built once; do not change it)."""
        if self._events is None:
            starts, ends, ids, refs = self.rows.arrays()
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
        ties = self.rows.ties
        if ties is None:
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
