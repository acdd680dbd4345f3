"""User-supplied regular expressions, compiled once and matched under a time limit.

The `regex` package accepts the syntax of `re` (and look-around, as the Rust server's fancy-regex does)
and can stop a match after a timeout, so a pattern built to backtrack cannot hang a query: every match
of one request shares a `Deadline`, and running out of it is a clear error rather than a stuck thread.
"""

from __future__ import annotations

import time
from functools import lru_cache

import regex

from activitywatch.core.errors import InvalidInput

Pattern = regex.Pattern[str]

MAX_PATTERN_CHARS = 10_000


class RegexTimeout(InvalidInput):
    """The patterns of a request used up their time (most likely one backtracks catastrophically)."""


class Deadline:
    """Seconds of matching time left for one request; shared by every match it makes (only the time
    spent matching counts, not the rest of the query). Time is the matching thread's CPU time, so
    waiting for the interpreter lock while other requests run does not use it up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.remaining = seconds

    def spent(self, seconds: float) -> None:
        """Count time spent matching."""
        self.remaining -= seconds

    def left(self) -> float:
        """Seconds left (RegexTimeout when none)."""
        left = self.remaining
        if left <= 0:
            raise RegexTimeout(
                f"The regular expressions of this query ran for more than {self.seconds:g} s; "
                "simplify the pattern (nested repetition such as (a+)+ backtracks without end)"
            )
        return left


UNLIMITED = Deadline(float("inf"))


@lru_cache(maxsize=512)
def compile_pattern(text: str, ignore_case: bool = False) -> Pattern:
    """A compiled pattern; InvalidInput naming the problem when `text` is not a valid regex."""
    if len(text) > MAX_PATTERN_CHARS:
        raise InvalidInput(f"A regular expression may have at most {MAX_PATTERN_CHARS:,} characters")
    try:
        return regex.compile(text, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise InvalidInput(f"Invalid regular expression {text[:200]!r}: {exc}") from None


def search(pattern: Pattern, text: str, deadline: Deadline) -> bool:
    """Whether `pattern` matches somewhere in `text`, within the deadline."""
    if deadline is UNLIMITED:
        return pattern.search(text) is not None
    started = time.thread_time()
    try:
        return pattern.search(text, timeout=deadline.left()) is not None
    except TimeoutError:
        raise RegexTimeout(
            f"The regular expression {pattern.pattern[:200]!r} took more than {deadline.seconds:g} s to match; "
            "simplify it (nested repetition such as (a+)+ backtracks without end)"
        ) from None
    finally:
        deadline.spent(time.thread_time() - started)
