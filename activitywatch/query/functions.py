"""The functions a query can call: one table, with argument specs checked the same way for all of them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from activitywatch.core.errors import InvalidInput, NotFound
from activitywatch.core.models import Event
from activitywatch.core.wire import json_type
from activitywatch.query.errors import QueryError, QueryFunctionException, QueryInterpretException
from activitywatch.transforms.columns import Columns
from activitywatch.transforms.regexes import UNLIMITED, Deadline

log = logging.getLogger(__name__)


class BucketSource(Protocol):
    """What a query reads: bucket ids with their hostnames, and events of one bucket in a period."""

    def bucket_hostnames(self) -> Mapping[str, str]:
        """Every bucket id with its hostname."""
        ...

    def events(self, bucket_id: str, start: int, end: int) -> list[Event]:
        """Events overlapping [start, end] clipped to it, newest first; NotFound for an unknown bucket."""
        ...

    def event_count(self, bucket_id: str, start: int, end: int) -> int:
        """How many events overlap [start, end]; NotFound for an unknown bucket."""
        ...


@runtime_checkable
class ColumnSource(Protocol):
    """A BucketSource that can also answer a read as columns (see transforms/columns.py)."""

    def event_columns(self, bucket_id: str, start: int, end: int) -> Columns | None:
        """`events(...)` as columns, or None when this source has none (then `events` is asked)."""
        ...


@dataclass(frozen=True)
class Period:
    """One timeperiod of a request: nanoseconds UTC, and the text it came from."""

    start: int
    end: int
    text: str


MAX_STEPS = 10_000_000  # a year of window and AFK events through the web UI's activity query takes ~2.5M


class Budget:
    """Steps left for one request: one per evaluated node, plus one per item of every list or string a
    query builds, so neither time nor memory is unbounded."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps

    def spend(self, steps: int, where: str) -> None:
        """Take steps; QueryInterpretException when there are not enough left."""
        self.left -= steps
        if self.left < 0:
            raise QueryInterpretException(f"The query takes more than {MAX_STEPS:,} steps (stopped {where})")


@dataclass(frozen=True)
class CallContext:
    """What a function may use besides its arguments."""

    buckets: BucketSource
    period: Period
    deadline: Deadline = UNLIMITED
    budget: Budget = field(default_factory=Budget)
    # Results worth keeping for the request's other timeperiods (e.g. categories per distinct data).
    memo: dict[Any, Any] = field(default_factory=dict)


class EventList(list[Event]):
    """A list of events produced by a function (so later calls need not check every item again)."""


def concrete(value: Any) -> Any:
    """`value`, with columns (which only the functions that take them see) as the list they hold."""
    if type(value) is Columns:
        return EventList(value.events())
    return value


@dataclass(frozen=True)
class Param:
    """One parameter: its name and kind (events, list, dict, str, int, number, any)."""

    name: str
    kind: str
    optional: bool = False


@dataclass(frozen=True)
class QueryFunction:
    """A callable of the language: `impl(context, *args)`; `variadic` repeats the last parameter."""

    name: str
    params: tuple[Param, ...]
    impl: Callable[..., Any]
    variadic: bool = False
    returns_events: bool = False  # the result is always a list of events (no need to check each item)
    # The same function for arguments that may be Columns where an events parameter is (None: cannot
    # answer these, then `impl` gets the lists); only the events parameters may be Columns.
    columnar: Callable[..., Any] | None = None

    def __call__(self, context: CallContext, args: Sequence[Any]) -> Any:
        """Check the arguments against the specs, then run."""
        required = sum(1 for p in self.params if not p.optional)
        if len(args) < required or (not self.variadic and len(args) > len(self.params)):
            expected = f"{required}" if required == len(self.params) else f"{required} to {len(self.params)}"
            if self.variadic:
                expected = f"at least {required}"
            raise QueryFunctionException(f"{self.name}() takes {expected} arguments, got {len(args)}")
        params = [self.params[min(i, len(self.params) - 1)] for i in range(len(args))]
        if self.columnar is None or not any(type(a) is Columns for a in args):
            args = [concrete(a) for a in args]
        else:
            args = [a if p.kind == "events" else concrete(a) for a, p in zip(args, params, strict=True)]
        checked = [
            _check(self.name, i, param, value) for i, (param, value) in enumerate(zip(params, args, strict=True))
        ]
        try:
            result = None
            if self.columnar is not None and any(type(a) is Columns for a in checked):
                result = self.columnar(context, *checked)
                if result is None:
                    checked = [concrete(a) for a in checked]
            if result is None:
                result = self.impl(context, *checked)
        except QueryError:
            raise
        except (NotFound, InvalidInput) as exc:
            raise QueryFunctionException(f"{self.name}(): {exc.message}") from None
        except (ValueError, TypeError, KeyError) as exc:  # known failures of transforms on odd input
            raise QueryFunctionException(f"{self.name}() failed: {exc}") from None
        if (
            isinstance(result, list)
            and not isinstance(result, EventList)
            and (self.returns_events or _all_events(result))
        ):
            return EventList(result)
        return result


def _all_events(value: list[Any]) -> bool:
    return all(type(item) is Event for item in value)


def describe(value: Any) -> str:
    """The query-language name of a value's type, for messages (JSON's names for plain values)."""
    if isinstance(value, Event):
        return "an event"
    if isinstance(value, EventList | Columns):
        return "a list of events"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, QueryFunction):
        return "a function"
    return json_type(value)


def _check(function: str, index: int, param: Param, value: Any) -> Any:
    kind = param.kind
    ok: bool
    if kind == "any":
        ok = True
    elif kind == "events":
        ok = isinstance(value, EventList | Columns) or (isinstance(value, list) and _all_events(value))
    elif kind == "list":
        ok = isinstance(value, list)
    elif kind == "dict":
        ok = isinstance(value, dict)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "int":
        ok = not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
        if ok:
            value = int(value)
    elif kind == "number":
        ok = not isinstance(value, bool) and isinstance(value, int | float)
    else:
        raise AssertionError(f"unknown parameter kind {kind}")
    if not ok:
        wanted = {"events": "a list of events", "int": "an integer", "number": "a number", "str": "a string"}
        raise QueryFunctionException(
            f"{function}(): argument {index + 1} ({param.name}) must be {wanted.get(kind, 'a ' + kind)}, "
            f"got {describe(value)}"
        )
    return value


# ---------------------------------------------------------------------- the built-in functions


def _query_bucket(context: CallContext, bucket_id: str) -> list[Event] | Columns:
    period = context.period
    buckets = context.buckets
    try:
        if isinstance(buckets, ColumnSource):
            columns = buckets.event_columns(bucket_id, period.start, period.end)
            if columns is not None:
                return columns
        return buckets.events(bucket_id, period.start, period.end)
    except NotFound:
        raise QueryFunctionException(f"query_bucket(): there is no bucket named '{bucket_id}'") from None


def _query_bucket_eventcount(context: CallContext, bucket_id: str) -> int:
    period = context.period
    try:
        return context.buckets.event_count(bucket_id, period.start, period.end)
    except NotFound:
        raise QueryFunctionException(f"query_bucket_eventcount(): there is no bucket named '{bucket_id}'") from None


def _query_bucket_names(context: CallContext) -> list[str]:
    return sorted(context.buckets.bucket_hostnames())


def _find_bucket(context: CallContext, prefix: str, hostname: str | None = None) -> str:
    """aw-server-rust's rule: the exact id if it exists, else the first id starting with the filter."""
    hostnames = context.buckets.bucket_hostnames()
    candidates = sorted(b for b in hostnames if hostname is None or hostnames[b] == hostname)
    if prefix in candidates:
        return prefix
    for bucket_id in candidates:
        if bucket_id.startswith(prefix):
            return bucket_id
    host = f" on host '{hostname}'" if hostname is not None else ""
    raise QueryFunctionException(f"find_bucket(): no bucket id starts with '{prefix}'{host}")


def _contains(context: CallContext, container: Any, value: Any) -> bool:
    if isinstance(container, dict):
        return value in container
    if isinstance(container, list):
        return value in container
    raise QueryFunctionException(f"contains(): argument 1 must be a list or a dict, got {describe(container)}")


def _nop(context: CallContext) -> int:
    return 1


def _print(context: CallContext, *values: Any) -> None:
    log.info("query print: %s", " ".join(repr(v)[:500] for v in values))


BUILTINS: tuple[QueryFunction, ...] = (
    QueryFunction("query_bucket", (Param("bucket_id", "str"),), _query_bucket, returns_events=True),
    QueryFunction("query_bucket_eventcount", (Param("bucket_id", "str"),), _query_bucket_eventcount),
    QueryFunction("query_bucket_names", (), _query_bucket_names),
    QueryFunction("find_bucket", (Param("filter", "str"), Param("hostname", "str", optional=True)), _find_bucket),
    QueryFunction("contains", (Param("container", "any"), Param("value", "any")), _contains),
    QueryFunction("nop", (), _nop),
    QueryFunction("print", (Param("value", "any", optional=True),), _print, variadic=True),
)
