"""Pure functions over events: they never change their inputs and return new lists."""

from activitywatch.transforms.classify import categorize, tag
from activitywatch.transforms.filters import exclude_keyvals, filter_keyvals, filter_keyvals_regex
from activitywatch.transforms.grouping import (
    chunk_events_by_key,
    concat,
    limit_events,
    merge_events_by_keys,
    sort_by_duration,
    sort_by_timestamp,
    sum_durations,
)
from activitywatch.transforms.heartbeat import heartbeat_merge
from activitywatch.transforms.per_period import merge_events_by_periods
from activitywatch.transforms.periods import filter_period_intersect, flood, period_union, union_no_overlap
from activitywatch.transforms.regexes import Deadline, RegexTimeout
from activitywatch.transforms.subwatcher import merge_subwatcher_fields
from activitywatch.transforms.text import simplify_window_titles, split_url_events

__all__ = [
    "Deadline",
    "RegexTimeout",
    "categorize",
    "chunk_events_by_key",
    "concat",
    "exclude_keyvals",
    "filter_keyvals",
    "filter_keyvals_regex",
    "filter_period_intersect",
    "flood",
    "heartbeat_merge",
    "limit_events",
    "merge_events_by_keys",
    "merge_events_by_periods",
    "merge_subwatcher_fields",
    "period_union",
    "simplify_window_titles",
    "sort_by_duration",
    "sort_by_timestamp",
    "split_url_events",
    "sum_durations",
    "tag",
    "union_no_overlap",
]
