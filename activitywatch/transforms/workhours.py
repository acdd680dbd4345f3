"""Working hours of one day on one computer: first and last activity, active and passive time split
by productivity (from the categories' scores), computed from window and AFK events.

Active time is window time while not AFK; passive time is window time while AFK, between the first
and the last activity of the day. Productivity comes from the category a window event falls into
(the `classes` setting aw-webui writes): score > 0 productive, < 0 unproductive, 0, none or
Uncategorized undefined; a category without a score takes its parent's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Event
from activitywatch.transforms.classify import categorize
from activitywatch.transforms.filters import filter_keyvals
from activitywatch.transforms.periods import filter_period_intersect, flood
from activitywatch.transforms.regexes import UNLIMITED, Deadline

KINDS = ("productive", "unproductive", "undefined")


@dataclass
class Split:
    """Seconds by productivity."""

    productive: float = 0.0
    unproductive: float = 0.0
    undefined: float = 0.0

    @property
    def total(self) -> float:
        """All of it."""
        return self.productive + self.unproductive + self.undefined

    def add(self, kind: str, seconds: float) -> None:
        """Count seconds of one kind."""
        setattr(self, kind, getattr(self, kind) + seconds)

    def as_dict(self) -> dict[str, float]:
        """The JSON form (seconds, rounded to milliseconds)."""
        return {k: round(getattr(self, k), 3) for k in KINDS} | {"total": round(self.total, 3)}


@dataclass
class DayReport:
    """One day of one computer."""

    first_activity: int
    last_activity: int
    last_activity_log: int
    active: Split = field(default_factory=Split)
    passive: Split = field(default_factory=Split)


class Productivity:
    """Category rules with scores, from the `classes` setting."""

    def __init__(self, classes: Any) -> None:
        if classes is None:
            classes = []
        if not isinstance(classes, list):
            raise InvalidInput("The 'classes' setting must be a list of categories")
        self.rules: list[list[Any]] = []
        self.scores: dict[tuple[str, ...], float] = {}
        for i, item in enumerate(classes):
            if not isinstance(item, dict) or not isinstance(item.get("name"), list):
                raise InvalidInput(f"classes[{i}] must be an object with a name list")
            name = tuple(str(part) for part in item["name"])
            rule = item.get("rule") or {"type": "none"}
            self.rules.append([list(name), rule])
            score = (item.get("data") or {}).get("score")
            if isinstance(score, int | float) and not isinstance(score, bool):
                self.scores[name] = float(score)

    def score(self, category: Sequence[str]) -> float | None:
        """The category's score, or its nearest ancestor's."""
        path = tuple(category)
        while path:
            if path in self.scores:
                return self.scores[path]
            path = path[:-1]
        return None

    def kind(self, category: Sequence[str]) -> str:
        """productive, unproductive or undefined."""
        score = self.score(category)
        if score is None or score == 0:
            return "undefined"
        return "productive" if score > 0 else "unproductive"

    def split(self, events: Sequence[Event], deadline: Deadline = UNLIMITED) -> Split:
        """Seconds of `events` by productivity."""
        out = Split()
        for event in categorize(events, self.rules, deadline):
            out.add(self.kind(event.data["$category"]), event.duration / 1e9)
        return out


def day_report(
    window: Sequence[Event], afk: Sequence[Event], productivity: Productivity, deadline: Deadline = UNLIMITED
) -> DayReport | None:
    """The day's report from its window and AFK events (clipped to the day), or None if idle all day."""
    afk_flooded = flood(afk)
    present = filter_keyvals(afk_flooded, "status", ["not-afk"])
    if not present:
        return None
    first = min(e.timestamp for e in present)
    last = max(e.end for e in present)
    windows = flood(window)
    away = [e for e in filter_keyvals(afk_flooded, "status", ["afk"]) if e.end > first and e.timestamp < last]
    bounds = [Event(first, last - first, {})]
    report = DayReport(first, last, max(e.end for e in (*window, *afk)))
    report.active = productivity.split(filter_period_intersect(windows, present), deadline)
    report.passive = productivity.split(
        filter_period_intersect(filter_period_intersect(windows, away), bounds), deadline
    )
    return report
