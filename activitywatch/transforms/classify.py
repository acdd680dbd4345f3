"""Categories and tags from regex rules: the format aw-webui stores in its `classes` setting.

A rule is `{"type": "regex", "regex": "...", "ignore_case": bool, "select_keys": [...]}` (matched
against every string value of the event's data, or only the selected keys) or `{"type": "none"}`
(never matches). When several categories match, the deepest wins and, among equally deep ones, the
later rule; a rule's `priority` (or `weight`) replaces its depth times 10 in that comparison, as aw-core
allows. Events no rule matches are `["Uncategorized"]`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Event
from activitywatch.transforms.regexes import UNLIMITED, Deadline, Pattern, compile_pattern, search

UNCATEGORIZED = ("Uncategorized",)


@dataclass(frozen=True)
class Rule:
    """A compiled rule (pattern None: never matches)."""

    pattern: Pattern | None
    select_keys: tuple[str, ...] = ()
    priority: int | None = None

    @classmethod
    def parse(cls, spec: Any, where: str = "rule") -> Rule:
        """A rule from its JSON form; InvalidInput naming the bad field."""
        if not isinstance(spec, dict):
            raise InvalidInput(f'{where} must be an object like {{"type": "regex", "regex": "..."}}')
        kind = spec.get("type", "regex" if "regex" in spec else "none")
        if kind is None:  # aw-webui saves categories without a rule as {"type": null}
            kind = "none"
        if kind not in ("regex", "none"):
            raise InvalidInput(f'{where}: \'type\' must be "regex" or "none", got {kind!r:.80}')
        select = spec.get("select_keys") or []
        if not isinstance(select, list) or not all(isinstance(k, str) for k in select):
            raise InvalidInput(f"{where}: 'select_keys' must be a list of strings")
        priority = spec.get("priority", spec.get("weight"))
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise InvalidInput(f"{where}: 'priority' must be an integer")
        if kind == "none":
            return cls(None, tuple(select), priority)
        text = spec.get("regex")
        if text is None or text == "":
            return cls(None, tuple(select), priority)
        if not isinstance(text, str):
            raise InvalidInput(f"{where}: 'regex' must be a string")
        ignore_case = spec.get("ignore_case", False)
        if not isinstance(ignore_case, bool):
            raise InvalidInput(f"{where}: 'ignore_case' must be true or false")
        return cls(compile_pattern(text, ignore_case), tuple(select), priority)

    def matches(self, data: Any, deadline: Deadline) -> bool:
        """Whether some string value of `data` (or of its selected keys) matches."""
        if self.pattern is None:
            return False
        values = [data.get(k) for k in self.select_keys] if self.select_keys else data.values()
        return any(isinstance(v, str) and search(self.pattern, v, deadline) for v in values)


def parse_classes(classes: Sequence[Any], what: str) -> list[tuple[Any, Rule]]:
    """`[[label, rule], ...]` as labels with compiled rules."""
    parsed = []
    for i, item in enumerate(classes):
        where = f"{what} {i + 1}"
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise InvalidInput(f"{where} must be a pair [name, rule]")
        parsed.append((item[0], Rule.parse(item[1], f"{where}: the rule")))
    return parsed


Relabeled = dict[int, tuple[Any, dict[str, Any]]]
_start, _duration, _data, _id = (itemgetter(i) for i in range(4))


def relabeled_data(data: Any, field: str, label_for: Any, memo: Relabeled) -> dict[str, Any]:
    """`data` with `data[field]` set by `label_for(data)`, from `memo` when this data object was seen."""
    found = memo.get(id(data))
    if found is None:
        found = memo[id(data)] = (data, {**data, field: label_for(data)})
    return found[1]


def _relabel(events: Sequence[Event], field: str, label_for: Any, memo: Relabeled | None) -> list[Event]:
    """Events with `data[field]` set by `label_for(data)`, computed once per distinct data object.

    `memo` (id(data) -> (data, relabeled data)) carries the results over to later calls with the same
    rules, e.g. the other timeperiods of one request; it keeps each data object alive, so ids stay unique.
    """
    done: Relabeled = {} if memo is None else memo
    datas = list(map(_data, events))
    relabeled: dict[int, dict[str, Any]] = {}
    for key, data in dict(zip(map(id, datas), datas, strict=True)).items():  # each distinct data once
        relabeled[key] = relabeled_data(data, field, label_for, done)
    # Built in C: the events again, each with its data object swapped for the relabeled one.
    new_data = map(relabeled.__getitem__, map(id, datas))
    columns = zip(map(_start, events), map(_duration, events), new_data, map(_id, events), strict=True)
    return list(map(tuple.__new__, repeat(Event), columns))


def category_of(classes: Sequence[Any], deadline: Deadline = UNLIMITED) -> Callable[[Any], list[str]]:
    """The best matching category name path of a data object, by the rules in `classes`."""
    rules = []
    for i, (name, rule) in enumerate(parse_classes(classes, "category")):
        if not isinstance(name, list) or not all(isinstance(part, str) for part in name):
            raise InvalidInput(f'category {i + 1}: the name must be a list of strings like ["Work", "Email"]')
        if name:
            rules.append((name, rule, rule.priority if rule.priority is not None else 10 * len(name)))

    def best(data: Any) -> list[str]:
        chosen: Sequence[str] = UNCATEGORIZED
        rank = None
        for name, rule, name_rank in rules:
            if (rank is None or name_rank >= rank) and rule.matches(data, deadline):
                chosen, rank = name, name_rank
        return list(chosen)

    return best


def tags_of(classes: Sequence[Any], deadline: Deadline = UNLIMITED) -> Callable[[Any], list[str]]:
    """Every matching tag of a data object, in rule order, by the rules in `classes`."""
    rules = parse_classes(classes, "tag")
    for i, (name, _) in enumerate(rules):
        if not isinstance(name, str):
            raise InvalidInput(f"tag {i + 1}: the name must be a string")
    return lambda data: [name for name, rule in rules if rule.matches(data, deadline)]


def categorize(
    events: Sequence[Event], classes: Sequence[Any], deadline: Deadline = UNLIMITED, memo: Relabeled | None = None
) -> list[Event]:
    """Events with `data["$category"]` set to the best matching category name path (`memo`: see _relabel)."""
    return _relabel(events, "$category", category_of(classes, deadline), memo)


def tag(
    events: Sequence[Event], classes: Sequence[Any], deadline: Deadline = UNLIMITED, memo: Relabeled | None = None
) -> list[Event]:
    """Events with `data["$tags"]` set to every matching tag, in rule order (`memo`: see _relabel)."""
    return _relabel(events, "$tags", tags_of(classes, deadline), memo)
