"""The query2 language of ActivityWatch: parse once, run once per timeperiod over a BucketSource."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from activitywatch.core.errors import InvalidInput
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.query.errors import (
    QueryError,
    QueryFunctionException,
    QueryInterpretException,
    QueryParseException,
)
from activitywatch.query.functions import BUILTINS, BucketSource, Budget, CallContext, EventList, Period, QueryFunction
from activitywatch.query.interpreter import Interpreter, namespace_for
from activitywatch.query.parser import parse
from activitywatch.query.transform_functions import TRANSFORMS
from activitywatch.transforms.regexes import Deadline

__all__ = [
    "BucketSource",
    "EventList",
    "Period",
    "QueryError",
    "QueryFunctionException",
    "QueryInterpretException",
    "QueryParseException",
    "function_table",
    "parse_timeperiod",
    "run_periods",
    "run_query",
]

MAX_TIMEPERIODS = 1000
REGEX_SECONDS = 3.0


def function_table(extra: Iterable[QueryFunction] = ()) -> dict[str, QueryFunction]:
    """The built-in functions and transforms, plus `extra`, by name."""
    return {f.name: f for f in (*BUILTINS, *TRANSFORMS, *extra)}


def parse_timeperiod(text: Any) -> Period:
    """A `"<start>/<end>"` timeperiod (RFC 3339 each; start not after end)."""
    if not isinstance(text, str) or text.count("/") != 1:
        raise QueryParseException(f"A timeperiod must be a string '<start>/<end>', got {str(text)[:80]!r}")
    start_text, end_text = text.split("/")
    try:
        start = parse_timestamp(start_text, "timeperiod start")
        end = parse_timestamp(end_text, "timeperiod end")
    except InvalidInput as exc:
        raise QueryParseException(exc.message) from None
    if end < start:
        raise QueryParseException(f"The timeperiod {text!r} ends before it starts")
    return Period(start, end, text)


def run_query(
    source: str,
    periods: Sequence[Period],
    buckets: BucketSource,
    functions: Mapping[str, QueryFunction],
    name: str = "",
) -> list[Any]:
    """Parse the query once and run it for each period; one result per period, in order."""
    return list(run_periods(source, periods, lambda period: buckets, functions, name))


def run_periods(
    source: str,
    periods: Sequence[Period],
    buckets_for: Callable[[Period], BucketSource],
    functions: Mapping[str, QueryFunction],
    name: str = "",
) -> Iterator[Any]:
    """Parse the query once (before the first result), then yield its result for each period, reading
    events from `buckets_for(period)`; the step budget and regex deadline cover all periods together."""
    if len(periods) > MAX_TIMEPERIODS:
        raise QueryParseException(f"A query may have at most {MAX_TIMEPERIODS} timeperiods, got {len(periods)}")
    program = parse(source)
    budget = Budget()
    deadline = Deadline(REGEX_SECONDS)
    memo: dict[Any, Any] = {}

    def results() -> Iterator[Any]:
        for period in periods:
            interpreter = Interpreter(functions, CallContext(buckets_for(period), period, deadline, budget, memo))
            yield interpreter.run(program, namespace_for(period, name))

    return results()
