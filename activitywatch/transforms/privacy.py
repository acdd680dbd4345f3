"""Privacy filters: rules that drop or redact events before anything reaches the database.

A rule (the `privacy_filters` setting holds a list of them):
    {"enabled": true, "bucket_prefix": "aw-watcher-web", "field": "url", "pattern": "bank\\.example",
     "action": "drop" | "redact", "replacement": "redacted"}
`field` is a dotted path into the event's data (`"url"`, `"meta.host"`); `pattern` a regular
expression searched in the value (non-string values as JSON text, so `true` matches "^true$");
`bucket_prefix` limits the rule to buckets whose id starts with it ("" = all). `drop` keeps the
event out entirely; `redact` replaces the whole value with `replacement`. Without the setting, the
default drops events whose `incognito` is true (private browsing) — a rule the user can switch off.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from activitywatch.core.errors import InvalidInput
from activitywatch.core.jsontext import canonical_json
from activitywatch.core.models import Event
from activitywatch.transforms.regexes import Deadline, Pattern, compile_pattern, search

SETTING = "privacy_filters"
DEFAULT_RULES: list[dict[str, Any]] = [
    {"enabled": True, "bucket_prefix": "", "field": "incognito", "pattern": "^true$", "action": "drop"}
]
ACTIONS = ("drop", "redact")
MAX_RULES = 500


@dataclass(frozen=True)
class PrivacyRule:
    """One compiled rule."""

    bucket_prefix: str
    path: tuple[str, ...]
    pattern: Pattern
    action: str
    replacement: Any


def parse_rules(value: Any) -> list[PrivacyRule]:
    """The enabled rules of a `privacy_filters` value; InvalidInput naming the bad rule and field."""
    if not isinstance(value, list):
        raise InvalidInput(f"{SETTING} must be a list of rules")
    if len(value) > MAX_RULES:
        raise InvalidInput(f"{SETTING} may hold at most {MAX_RULES} rules")
    rules = []
    for i, spec in enumerate(value):
        where = f"{SETTING}[{i}]"
        if not isinstance(spec, dict):
            raise InvalidInput(f"{where} must be an object with field, pattern and action")
        unknown = set(spec) - {"enabled", "bucket_prefix", "field", "pattern", "action", "replacement", "name"}
        if unknown:
            raise InvalidInput(f"{where} has unknown keys {sorted(unknown)}")
        enabled = spec.get("enabled", True)
        prefix = spec.get("bucket_prefix", "")
        field = spec.get("field")
        pattern = spec.get("pattern")
        action = spec.get("action", "drop")
        if not isinstance(enabled, bool):
            raise InvalidInput(f"{where}.enabled must be true or false")
        if not isinstance(prefix, str):
            raise InvalidInput(f"{where}.bucket_prefix must be a string")
        if not isinstance(field, str) or not field or any(not part for part in field.split(".")):
            raise InvalidInput(f'{where}.field must be a dotted path into the event data, like "url"')
        if not isinstance(pattern, str):
            raise InvalidInput(f"{where}.pattern must be a regular expression")
        if action not in ACTIONS:
            raise InvalidInput(f'{where}.action must be "drop" or "redact"')
        try:
            compiled = compile_pattern(pattern)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}.pattern: {exc.message}") from None
        if enabled:
            rules.append(
                PrivacyRule(prefix, tuple(field.split(".")), compiled, action, spec.get("replacement", "redacted"))
            )
    return rules


def _lookup(data: Any, path: Sequence[str]) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False, None
        data = data[part]
    return True, data


def _replaced(data: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of `data` with the value at `path` replaced (the inputs are not changed)."""
    head, *rest = path
    return {**data, head: _replaced(data[head], rest, value) if rest else value}


def _hit(rule: PrivacyRule, bucket_id: str, data: Any, deadline: Deadline) -> tuple[bool, Any]:
    """Whether `rule` applies to an event of `bucket_id` with `data`, and the value it matched."""
    if not bucket_id.startswith(rule.bucket_prefix):
        return False, None
    found, value = _lookup(data, rule.path)
    if not found:
        return False, None
    text = value if isinstance(value, str) else canonical_json(value)
    return search(rule.pattern, text, deadline), value


def apply_rules(rules: Sequence[PrivacyRule], bucket_id: str, event: Event, deadline: Deadline) -> Event | None:
    """The event as it may be stored (redacted), or None when a rule drops it."""
    data = event.data
    for rule in rules:
        hit, _ = _hit(rule, bucket_id, data, deadline)
        if not hit:
            continue
        if rule.action == "drop":
            return None
        data = _replaced(dict(data), rule.path, rule.replacement)
    return event if data is event.data else event.replace(data=data)


def filter_events(
    rules: Sequence[PrivacyRule], bucket_id: str, events: Sequence[Event], deadline: Deadline
) -> list[Event]:
    """The events of one bucket as they may be stored (redacted; dropped ones left out).

    The same as `apply_rules` per event, with the rules of other buckets set aside once, and events that
    lack every rule's first field (most of them: the default rule looks for `incognito`) passed on at once.
    """
    mine = [rule for rule in rules if bucket_id.startswith(rule.bucket_prefix)]
    if not mine:
        return list(events)
    heads = {rule.path[0] for rule in mine}
    kept = []
    for event in events:
        if heads.isdisjoint(event.data):
            kept.append(event)
            continue
        allowed = apply_rules(mine, bucket_id, event, deadline)
        if allowed is not None:
            kept.append(allowed)
    return kept


@dataclass(frozen=True)
class PreviewSample:
    """One event a set of rules would have dropped or redacted: which rule field and what value."""

    bucket_id: str
    event: Event
    action: str
    field: str
    value: Any


@dataclass
class Preview:
    """What a set of rules would have done to stored events."""

    checked: int = 0
    dropped: int = 0
    redacted: int = 0
    samples: list[PreviewSample] = field(default_factory=list)


def preview(
    rules: Sequence[PrivacyRule],
    batches: Iterable[tuple[str, Sequence[Event]]],
    deadline: Deadline,
    max_samples: int = 20,
) -> Preview:
    """Count the events of each (bucket id, events) batch that `rules` would drop or redact."""
    result = Preview()
    for bucket_id, events in batches:
        for event in events:
            result.checked += 1
            data = event.data
            acted = None
            for rule in rules:
                hit, value = _hit(rule, bucket_id, data, deadline)
                if not hit:
                    continue
                if acted is None:
                    acted = PreviewSample(bucket_id, event, rule.action, ".".join(rule.path), value)
                if rule.action == "drop":
                    acted = PreviewSample(bucket_id, event, "drop", ".".join(rule.path), value)
                    break
                data = _replaced(dict(data), rule.path, rule.replacement)
            if acted is None:
                continue
            if acted.action == "drop":
                result.dropped += 1
            else:
                result.redacted += 1
            if len(result.samples) < max_samples:
                result.samples.append(acted)
    return result
