"""The transforms as query functions: argument specs, and the request's regex deadline passed on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from activitywatch import transforms as t
from activitywatch.core.errors import InvalidInput
from activitywatch.core.jsontext import canonical_json
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.query.errors import QueryFunctionException
from activitywatch.query.functions import CallContext, Param, QueryFunction
from activitywatch.transforms import columnar
from activitywatch.transforms.classify import category_of, tags_of
from activitywatch.transforms.columns import Columns

EVENTS = Param("events", "events")


def _plain(transform: Callable[..., Any]) -> Callable[..., Any]:
    """An impl that ignores the call context."""

    def impl(context: CallContext, *args: Any) -> Any:
        return transform(*args)

    return impl


def _with_deadline(transform: Callable[..., Any]) -> Callable[..., Any]:
    """An impl that passes the request's regex deadline."""

    def impl(context: CallContext, *args: Any) -> Any:
        return transform(*args, deadline=context.deadline)

    return impl


def _relabeling(transform: Callable[..., Any]) -> Callable[..., Any]:
    """An impl of categorize/tag: the deadline, and a memo shared by the request's calls with equal rules."""

    def impl(context: CallContext, events: Any, classes: Any) -> Any:
        memo = context.memo.setdefault((transform.__name__, canonical_json(classes)), {})
        return transform(events, classes, deadline=context.deadline, memo=memo)

    return impl


def _relabeling_columns(field: str, labeler: Callable[..., Any], name: str) -> Callable[..., Any]:
    """The columnar impl of categorize/tag (the same memo as `_relabeling`'s)."""

    def impl(context: CallContext, events: Columns, classes: Any) -> Columns:
        memo = context.memo.setdefault((name, canonical_json(classes)), {})
        return columnar.relabel(events, field, labeler(classes, context.deadline), memo)

    return impl


def _columns_only(transform: Callable[..., Any]) -> Callable[..., Any]:
    """A columnar impl taking events as columns and the other arguments as they are."""

    def impl(context: CallContext, *args: Any) -> Any:
        return transform(*args)

    return impl


def _intersect_columns(context: CallContext, events: Any, filter_events: Any) -> Any:
    if type(events) is Columns and type(filter_events) is Columns:
        return columnar.filter_period_intersect(events, filter_events)
    return None


def _merge_columns_by_keys(context: CallContext, events: Columns, keys: Any) -> Any:
    return columnar.merge_events_by_keys(events, _keys("merge_events_by_keys", keys))


def _keys(function: str, keys: Sequence[Any]) -> Sequence[str]:
    if not all(isinstance(k, str) for k in keys):
        raise QueryFunctionException(f"{function}(): argument 2 (keys) must be a list of strings")
    return keys


def _merge_events_by_keys(context: CallContext, events: Any, keys: Any) -> Any:
    return t.merge_events_by_keys(events, _keys("merge_events_by_keys", keys))


def _merge_subwatcher_fields(context: CallContext, base: Any, sub: Any, keys: Any, conflict: str = "base_wins") -> Any:
    if not all(isinstance(k, str) for k in keys):
        raise QueryFunctionException("merge_subwatcher_fields(): argument 3 (keys) must be a list of strings")
    if conflict not in ("base_wins", "sub_wins"):
        raise QueryFunctionException(
            f'merge_subwatcher_fields(): argument 4 (conflict) must be "base_wins" or "sub_wins", got {conflict!r:.80}'
        )
    return t.merge_subwatcher_fields(base, sub, keys, conflict)


def _concat(context: CallContext, *lists: Any) -> Any:
    context.budget.spend(sum(len(items) for items in lists), "in concat()")
    return t.concat(*lists)


def _flood(context: CallContext, events: Any, pulsetime: float = 5) -> Any:
    if pulsetime < 0:
        raise QueryFunctionException(f"flood(): argument 2 (pulsetime) must not be negative, got {pulsetime}")
    if type(events) is Columns:
        return columnar.flood(events, pulsetime)
    return t.flood(events, pulsetime)


MAX_SPLIT_PERIODS = 1000


def _merge_events_by_periods(context: CallContext, events: Any, periods: Any, keys: Any) -> Any:
    """merge_events_by_periods(events, ["<start>/<end>", ...], keys): periods written as timeperiods."""
    if len(periods) > MAX_SPLIT_PERIODS:
        raise QueryFunctionException(
            f"merge_events_by_periods(): at most {MAX_SPLIT_PERIODS} periods, got {len(periods)}"
        )
    spans: list[tuple[int, int]] = []
    for text in periods:
        if not isinstance(text, str) or text.count("/") != 1:
            raise QueryFunctionException(
                f"merge_events_by_periods(): a period must be '<start>/<end>', got {str(text)[:80]!r}"
            )
        start_text, end_text = text.split("/")
        try:
            span = (parse_timestamp(start_text, "period start"), parse_timestamp(end_text, "period end"))
        except InvalidInput as exc:
            raise QueryFunctionException(f"merge_events_by_periods(): {exc.message}") from None
        if span[1] < span[0] or (spans and span[0] < spans[-1][1]):
            raise QueryFunctionException(
                f"merge_events_by_periods(): periods must be in time order and not overlap ({text!r:.80})"
            )
        spans.append(span)
    return t.merge_events_by_periods(events, spans, _keys("merge_events_by_periods", keys))


def _limit_events(context: CallContext, events: Any, count: int) -> Any:
    if count < 0:
        raise QueryFunctionException(f"limit_events(): argument 2 (count) must not be negative, got {count}")
    return t.limit_events(events, count)


_TRANSFORMS: tuple[QueryFunction, ...] = (
    QueryFunction(
        "filter_keyvals",
        (EVENTS, Param("key", "str"), Param("vals", "list")),
        _plain(t.filter_keyvals),
        columnar=lambda context, events, key, vals: columnar.keep_by_value(events, key, vals, True),
    ),
    QueryFunction(
        "exclude_keyvals",
        (EVENTS, Param("key", "str"), Param("vals", "list")),
        _plain(t.exclude_keyvals),
        columnar=lambda context, events, key, vals: columnar.keep_by_value(events, key, vals, False),
    ),
    QueryFunction(
        "filter_keyvals_regex",
        (EVENTS, Param("key", "str"), Param("regex", "str")),
        _with_deadline(t.filter_keyvals_regex),
    ),
    QueryFunction(
        "filter_period_intersect",
        (EVENTS, Param("filter_events", "events")),
        _plain(t.filter_period_intersect),
        columnar=_intersect_columns,
    ),
    QueryFunction("period_union", (Param("events1", "events"), Param("events2", "events")), _plain(t.period_union)),
    QueryFunction(
        "union_no_overlap", (Param("events1", "events"), Param("events2", "events")), _plain(t.union_no_overlap)
    ),
    QueryFunction("flood", (EVENTS, Param("pulsetime", "number", optional=True)), _flood, columnar=_flood),
    QueryFunction(
        "merge_events_by_keys", (EVENTS, Param("keys", "list")), _merge_events_by_keys, columnar=_merge_columns_by_keys
    ),
    QueryFunction(
        "merge_events_by_periods",
        (EVENTS, Param("periods", "list"), Param("keys", "list")),
        _merge_events_by_periods,
    ),
    QueryFunction("chunk_events_by_key", (EVENTS, Param("key", "str")), _plain(t.chunk_events_by_key)),
    QueryFunction("sort_by_duration", (EVENTS,), _plain(t.sort_by_duration)),
    QueryFunction("sort_by_timestamp", (EVENTS,), _plain(t.sort_by_timestamp)),
    QueryFunction("limit_events", (EVENTS, Param("count", "int")), _limit_events),
    QueryFunction("sum_durations", (EVENTS,), _plain(t.sum_durations), columnar=_columns_only(columnar.sum_durations)),
    QueryFunction("concat", (Param("list1", "list"), Param("list2", "list", optional=True)), _concat, variadic=True),
    QueryFunction("split_url_events", (EVENTS,), _plain(t.split_url_events)),
    QueryFunction(
        "simplify_window_titles", (EVENTS, Param("key", "str", optional=True)), _plain(t.simplify_window_titles)
    ),
    QueryFunction(
        "merge_subwatcher_fields",
        (
            Param("base_events", "events"),
            Param("sub_events", "events"),
            Param("keys", "list"),
            Param("conflict", "str", optional=True),
        ),
        _merge_subwatcher_fields,
    ),
    QueryFunction(
        "categorize",
        (EVENTS, Param("classes", "list")),
        _relabeling(t.categorize),
        columnar=_relabeling_columns("$category", category_of, "categorize"),
    ),
    QueryFunction(
        "tag",
        (EVENTS, Param("classes", "list")),
        _relabeling(t.tag),
        columnar=_relabeling_columns("$tags", tags_of, "tag"),
    ),
)


RETURN_EVENTS = frozenset(
    {
        "filter_keyvals",
        "exclude_keyvals",
        "filter_keyvals_regex",
        "filter_period_intersect",
        "period_union",
        "union_no_overlap",
        "flood",
        "merge_events_by_keys",
        "merge_events_by_periods",
        "chunk_events_by_key",
        "sort_by_duration",
        "sort_by_timestamp",
        "limit_events",
        "split_url_events",
        "simplify_window_titles",
        "merge_subwatcher_fields",
        "categorize",
        "tag",
    }
)
TRANSFORMS: tuple[QueryFunction, ...] = tuple(
    dataclasses.replace(f, returns_events=f.name in RETURN_EVENTS) for f in _TRANSFORMS
)
