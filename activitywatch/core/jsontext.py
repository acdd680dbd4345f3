"""Strict JSON text: RFC 8259 only, and nothing a parser would silently change.

Refused as malformed: invalid UTF-8, NaN/Infinity, numbers that overflow to infinity, lone surrogate
escapes, nesting deeper than the interpreter allows. Refused as invalid content: duplicate keys in one
object (most parsers keep the last one silently, losing the other).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from activitywatch.core.errors import InvalidInput


class MalformedJson(InvalidInput):
    """Text that is not JSON at all (a syntax error rather than a rule broken by valid JSON)."""


class _DuplicateKey(Exception):
    pass


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float, parse_constant=_constant)


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(data: bytes | str, what: str = "The input") -> Any:
    """Parse strict JSON; MalformedJson for bad syntax, InvalidInput for duplicate keys."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJson(
                f"{what} is not valid JSON: it is not UTF-8 ({exc.reason} at byte {exc.start})"
            ) from None
    else:
        text = data
    if not text.strip():
        raise MalformedJson(f"{what} is empty; expected JSON")
    try:
        value = _DECODER.decode(text)
    except _DuplicateKey as exc:
        raise InvalidInput(f"{what} has the duplicate key {exc.args[0]!r} in one object") from None
    except RecursionError:
        raise MalformedJson(f"{what} is not valid JSON: it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError, as are _float's and _constant's
        raise MalformedJson(f"{what} is not valid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise MalformedJson(f"{what} is not valid JSON: it contains an unpaired surrogate escape (\\uD800-\\uDFFF)")
    return value


def canonical_json(value: Any) -> str:
    """One text per JSON value regardless of key order (for grouping and comparing values)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
