"""Tokens of query2: the union of the Python (aw-core) and Rust (aw-server-rust) dialects.

Strings take single or double quotes; as in both reference implementations, only a backslash before
the string's own quote is an escape (`"a \\" b"`): every other backslash is kept, so regexes in
category rules arrive as the web UI wrote them. `#` starts a comment to the end of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from activitywatch.query.errors import QueryParseException

MAX_INT_DIGITS = 18  # beyond this the reference servers' numbers (f64) are not exact anyway
MAX_QUERY_CHARS = 1_000_000

KEYWORDS = frozenset({"if", "elif", "else", "return", "true", "false", "True", "False"})

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\n]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|[-+*/%=(){}\[\],:;])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (`number`, `name`, `string`, `keyword`, `op`, `end`), text and position."""

    kind: str
    text: str
    line: int
    column: int
    value: object = None


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _string_value(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace("\\" + quote, quote)


def tokenize(source: str) -> list[Token]:
    """The tokens of a query, ending with an `end` token; QueryParseException for anything else."""
    if len(source) > MAX_QUERY_CHARS:
        raise QueryParseException(f"The query is longer than {MAX_QUERY_CHARS:,} characters")
    tokens: list[Token] = []
    offset = 0
    line, line_start = 1, 0
    n = len(source)
    while offset < n:
        m = _TOKEN.match(source, offset)
        if m is None:
            char = source[offset]
            shown = char if char.isprintable() else repr(char)
            if char in "\"'":
                raise QueryParseException(f"Unterminated string at line {line}, column {offset - line_start + 1}")
            raise QueryParseException(f"Unexpected character {shown} at line {line}, column {offset - line_start + 1}")
        kind = m.lastgroup or ""
        text = m.group()
        column = offset - line_start + 1
        if kind == "number":
            is_float = "." in text or "e" in text or "E" in text
            if not is_float and len(text) > MAX_INT_DIGITS:
                raise QueryParseException(f"The number {text[:30]}... at line {line}, column {column} is too large")
            value: object = float(text) if is_float else int(text)
            if isinstance(value, float) and value in (float("inf"), float("-inf")):
                raise QueryParseException(f"The number {text[:30]} at line {line}, column {column} is too large")
            tokens.append(Token("number", text, line, column, value))
        elif kind == "name":
            tokens.append(Token("keyword" if text in KEYWORDS else "name", text, line, column))
        elif kind == "string":
            tokens.append(Token("string", text, line, column, _string_value(text)))
        elif kind == "op":
            tokens.append(Token("op", text, line, column))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = offset + text.rfind("\n") + 1
        offset = m.end()
    tokens.append(Token("end", "", line, offset - line_start + 1))
    return tokens
