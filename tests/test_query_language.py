"""The query2 language through `run_query`: grammar of both dialects, semantics, error positions, limits.

The buckets are a tiny in-memory BucketSource (the real store has its own tests); every answer here
was worked out by hand.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitywatch.core.errors import NotFound
from activitywatch.core.models import Event
from activitywatch.query import (
    MAX_TIMEPERIODS,
    QueryError,
    QueryFunctionException,
    QueryInterpretException,
    QueryParseException,
    function_table,
    parse_timeperiod,
    run_query,
)
from activitywatch.query.functions import MAX_STEPS
from activitywatch.query.lexer import MAX_QUERY_CHARS
from activitywatch.query.parser import MAX_DEPTH

S = 1_000_000_000
DAY = "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"
T0 = parse_timeperiod(DAY).start


class MemoryBuckets:
    """Bucket id -> events; events overlapping [start, end] come back clipped to it, newest first."""

    def __init__(self, buckets: dict[str, list[Event]]) -> None:
        self.buckets = buckets

    def bucket_hostnames(self) -> dict[str, str]:
        return dict.fromkeys(self.buckets, "testhost")

    def events(self, bucket_id: str, start: int, end: int) -> list[Event]:
        if bucket_id not in self.buckets:
            raise NotFound(f"There is no bucket {bucket_id!r}")
        out = []
        for e in self.buckets[bucket_id]:
            if e.timestamp < end and e.end > start:
                begin, finish = max(e.timestamp, start), min(e.end, end)
                out.append(e.replace(timestamp=begin, duration=finish - begin))
        return sorted(out, key=lambda e: e.timestamp, reverse=True)

    def event_count(self, bucket_id: str, start: int, end: int) -> int:
        return len(self.events(bucket_id, start, end))


def ev(start_s: int, duration_s: int, **data: Any) -> Event:
    return Event(T0 + start_s * S, duration_s * S, data, None)


BUCKETS = MemoryBuckets(
    {
        "win": [ev(0, 60, app="term", title="vim"), ev(3600, 30, app="firefox", title="docs")],
        "afk": [ev(7200, 10, status="afk")],
    }
)


def run(source: str, periods: tuple[str, ...] = (DAY,), name: str = "q") -> list[Any]:
    return run_query(source, [parse_timeperiod(p) for p in periods], BUCKETS, function_table(), name)


def one(source: str) -> Any:
    (result,) = run(source)
    return result


def outcome(source: str) -> Any:
    """The results, or the QueryError; any other exception propagates and fails the test."""
    try:
        return run(source)
    except QueryError as exc:
        return exc


# ---------------------------------------------------------------------- grammar, both dialects

GRAMMAR = [
    # Python (aw-core) dialect
    ("assign", "RETURN = 1;", 1),
    ("double quotes", 'x = "double"; RETURN = x;', "double"),
    ("single quotes", "RETURN = 'single';", "single"),
    ("escaped double quote", r'RETURN = "a\"b";', 'a"b'),
    ("escaped single quote", r"RETURN = 'it\'s';", "it's"),
    ("other quote inside", 'RETURN = "it\'s" + \'say "hi"\';', "it's" + 'say "hi"'),
    ("other backslashes kept", r'RETURN = "C:\d+\.exe";', r"C:\d+\.exe"),
    ("; and # inside strings", 'RETURN = "a;b # c";', "a;b # c"),
    ("list of literals", "RETURN = [1, 'a', true, false, True, False];", [1, "a", True, False, True, False]),
    ("dict with string keys", "RETURN = {\"k\": 1, 'q': [2, {}]};", {"k": 1, "q": [2, {}]}),
    ("empty list and dict", "RETURN = [[], {}];", [[], {}]),
    ("trailing commas", 'RETURN = [[1, 2,], {"a": 1,}];', [[1, 2], {"a": 1}]),
    ("several lines", 'x = [1,\n  2];\ny = {\n"a": x\n};\nRETURN =\n  y;', {"a": [1, 2]}),
    ("last ; optional", "RETURN = 7", 7),
    ("empty statements", ";;RETURN = 1;;", 1),
    ("reassignment", "x = 1; x = 2; RETURN = x;", 2),
    ("call without arguments", "RETURN = query_bucket_names();", ["afk", "win"]),
    ("call", 'RETURN = sum_durations(query_bucket("win"));', 90.0),
    ("nested calls", 'RETURN = sum_durations(limit_events(sort_by_duration(query_bucket("win")), 1));', 60.0),
    ("variadic call", "RETURN = concat([1], [2], [3, 4]);", [1, 2, 3, 4]),
    # Rust (aw-server-rust) dialect
    ("return", "return 1;", 1),
    ("float", "return 2.5;", 2.5),
    ("comments", "# head\nreturn 1; # tail\n# end", 1),
    ("booleans", "return [true, false, True, False];", [True, False, True, False]),
    ("left assoc, one level", "return 2 + 3 * 4;", 20),
    ("left assoc minus", "return 10 - 2 - 3;", 5),
    ("left assoc division", "return 100 / 10 / 5;", 2.0),
    ("modulo then times", "return 7 % 4 * 2;", 6),
    ("float arithmetic", "return 0.5 + 0.25 * 2;", 1.5),
    ("parentheses", "return 2 * (3 + 4);", 14),
    ("nested parentheses", "return ((2 + 3) * (10 - (4 - 1)));", 35),
    ("negative literal", "return -3 + 5;", 2),
    ("minus without spaces", "return 1 -2;", -1),
    ("== after +", "return 1 + 1 == 2;", True),
    ("string +", 'return "ab" + "cd" + "";', "abcd"),
    ("list +", "return [1] + [2, 3] + [];", [1, 2, 3]),
    ("events +", 'return sum_durations(query_bucket("win") + query_bucket("afk"));', 100.0),
    ("bare expression statement", "nop(); return 1;", 1),
    ("if", "x = 1; if x == 1 { return 'one'; } else { return 'other'; }", "one"),
    ("elif", "x = 2; if x == 1 { return 1; } elif x == 2 { return 2; } elif x == 2 { return 3; }", 2),
    ("else", "x = 3; if x == 1 { return 1; } elif x == 2 { return 2; } else { return 9; }", 9),
    ("if false, no else", "RETURN = 0; if false { RETURN = 1; }", 0),
    ("nested if", "if true { if false { return 1; } else { if True { return 2 } } }", 2),
    ("block without ;", "if true { x = 5 }\nreturn x", 5),
    ("elif not evaluated", "if true { return 1; } elif 5 { return 2; }", 1),
    ("if over lines", "if\n  1 == 2\n{\n  return 1;\n}\nelse\n{\n  return 2;\n}", 2),
    ("function as value", 'f = sum_durations; return f(query_bucket("win"));', 90.0),
    ("function as argument value", 'g = query_bucket; events = g("afk"); return sum_durations(events);', 10.0),
]


@pytest.mark.parametrize(("source", "expected"), [g[1:] for g in GRAMMAR], ids=[g[0] for g in GRAMMAR])
def test_grammar(source: str, expected: Any) -> None:
    result = one(source)
    assert result == expected
    assert type(result) is type(expected)


EQUALITY = [
    ('"a" == "a"', True),
    ('"a" == "b"', False),
    ("1 == 1.0", True),
    ("2 == 3", False),
    ("true == false", False),
    ("false == False", True),
    ('[1, "x"] == [1, "x"]', True),
    ("[1] == [1, 2]", False),
    ('{"a": [1]} == {"a": [1]}', True),
    ('{"a": 1} == {"b": 1}', False),
    ('query_bucket("win") == query_bucket("win")', True),
    ('query_bucket("win") == query_bucket("afk")', False),
]


@pytest.mark.parametrize(("expr", "expected"), EQUALITY)
def test_equality_of_same_types(expr: str, expected: bool) -> None:
    assert one(f"return {expr};") is expected


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("TIMEINTERVAL", DAY),
        ("STARTTIME", "2024-01-01T00:00:00Z"),
        ("ENDTIME", "2024-01-02T00:00:00Z"),
        ("NAME", "q"),
    ],
)
def test_predefined_variables(variable: str, expected: str) -> None:
    assert one(f"RETURN = {variable};") == expected


def test_tag_with_nested_call_and_rule_dict() -> None:
    """The call the Python server's argument splitter fails on."""
    events = one('RETURN = tag(query_bucket("win"), [["t", {"type": "regex", "regex": "term|vim"}]]);')
    assert [(e.data["app"], e.data["$tags"]) for e in events] == [("firefox", []), ("term", ["t"])]


# ---------------------------------------------------------------------- errors

ERRORS = [
    ('return "a" == 1;', QueryInterpretException, ["Cannot compare a string with a number"]),
    ("return true == 1;", QueryInterpretException, ["a boolean", "a number"]),
    ('return [1] == {"a": 1};', QueryInterpretException, ["a list", "a dict"]),
    ("return 2 == 1 + 1;", QueryInterpretException, ["Cannot apply +", "a boolean"]),
    ("return 1 / 0;", QueryInterpretException, ["Division by zero"]),
    ("return 1 % 0;", QueryInterpretException, ["Division by zero"]),
    ("return 1.5 / 0.0;", QueryInterpretException, ["Division by zero"]),
    ('return "a" + 1;', QueryInterpretException, ["Cannot apply +"]),
    ('return [1] + "a";', QueryInterpretException, ["Cannot apply +"]),
    ('return "a" - "b";', QueryInterpretException, ["Cannot apply -"]),
    ('return "ab" * 2;', QueryInterpretException, ["Cannot apply *"]),
    ("return true + 1;", QueryInterpretException, ["Cannot apply +"]),
    ("if 1 { return 1; }", QueryInterpretException, ["not a boolean"]),
    ('if "yes" { return 1; }', QueryInterpretException, ["not a boolean"]),
    ("if false { return 1; } elif [] { return 2; }", QueryInterpretException, ["a list, not a boolean"]),
    ("return undefined_var;", QueryInterpretException, ["'undefined_var' is not defined"]),
    ("return nosuch(1);", QueryInterpretException, ["Unknown function 'nosuch'"]),
    ("x = 1; return x(2);", QueryInterpretException, ["'x'", "not a function"]),
    ("x = 1;", QueryInterpretException, ["RETURN"]),
    ("", QueryInterpretException, ["RETURN"]),
    ("# only a comment", QueryInterpretException, ["RETURN"]),
    ("if false { return 1; }", QueryInterpretException, ["RETURN"]),
    ("return limit_events(1, 2);", QueryFunctionException, ["limit_events()", "argument 1 (events)"]),
    ('return limit_events(query_bucket("win"), "2");', QueryFunctionException, ["argument 2 (count)", "integer"]),
    ('return limit_events(query_bucket("win"), 2.5);', QueryFunctionException, ["argument 2 (count)"]),
    ('return limit_events(query_bucket("win"));', QueryFunctionException, ["limit_events() takes 2", "got 1"]),
    ('return filter_keyvals(query_bucket("win"), 1, []);', QueryFunctionException, ["argument 2 (key)"]),
    ("return query_bucket(1);", QueryFunctionException, ["query_bucket()", "argument 1 (bucket_id)"]),
    ('return query_bucket("nope");', QueryFunctionException, ["query_bucket()", "'nope'"]),
    ('return query_bucket_eventcount("nope");', QueryFunctionException, ["'nope'"]),
    ('return find_bucket("zzz");', QueryFunctionException, ["find_bucket()", "'zzz'"]),
    ("return nop(1);", QueryFunctionException, ["nop() takes 0 arguments, got 1"]),
    ('return tag(query_bucket("win"), [["t", {"regex": "("}]]);', QueryFunctionException, ["tag()"]),
    ("return [1, 2;", QueryParseException, ["Expected ',' or ']'"]),
    ('return "abc;', QueryParseException, ["Unterminated string"]),
    ("return 1 2;", QueryParseException, ["Expected ';'"]),
    ("x = = 1;", QueryParseException, ["Expected a value"]),
    ("return {1: 2};", QueryParseException, ["string key"]),
    ("return 1 < 2;", QueryParseException, ["Unexpected character <"]),
    ("return café;", QueryParseException, ["Unexpected character é"]),
    ("if true return 1;", QueryParseException, ["Expected '{'"]),
    ("if true { return 1;", QueryParseException, ["'}' closing the block"]),
    ("return (1;", QueryParseException, ["Expected ')'"]),
    ("return 1e999;", QueryParseException, ["too large"]),
    ("else { return 1; }", QueryParseException, ["Expected"]),
]


@pytest.mark.parametrize(("source", "error", "fragments"), ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_errors(source: str, error: type[QueryError], fragments: list[str]) -> None:
    with pytest.raises(error) as info:
        run(source)
    assert type(info.value) is error
    assert info.value.kind == error.__name__
    for fragment in fragments:
        assert fragment in info.value.message


POSITIONS = [
    ("a = 1;\nb = 2;\nc = 1 ?", 3, 7),
    ('x = 1;\n  y = "abc', 2, 7),
    ("return 1;\nreturn [1,\n  2 3];", 3, 5),
    ("x = ((1)\n\n;", 3, 1),
    ('x = 1;\n\n   return x + "a";', 3, 13),
    ("a = 1;\nreturn  b;", 2, 9),
    ("\n\nif 5 { return 1; }", 3, 4),
    ("return 1 /\n 0;", 1, 10),
    ("RETURN = 1;\n\n  RETURN = 1 == 'x';", 3, 14),
]


@pytest.mark.parametrize(("source", "line", "column"), POSITIONS)
def test_errors_name_line_and_column(source: str, line: int, column: int) -> None:
    with pytest.raises(QueryError) as info:
        run(source)
    assert f"at line {line}, column {column}" in info.value.message


# ---------------------------------------------------------------------- timeperiods


def test_one_result_per_period_in_order_with_clipped_events() -> None:
    periods = (
        "2024-01-01T00:00:00Z/2024-01-01T00:00:30Z",  # the first 30 s of the 60 s "term" event
        "2024-01-01T00:00:30Z/2024-01-01T01:00:10Z",  # its last 30 s and the first 10 s of "firefox"
        "2024-01-01T02:00:00Z/2024-01-01T03:00:00Z",  # nothing in "win"
        DAY,
    )
    query = 'events = query_bucket("win");\nRETURN = [TIMEINTERVAL, STARTTIME, sum_durations(events), events];'
    results = run(query, periods)
    assert [r[0] for r in results] == list(periods)
    assert [r[1] for r in results] == [p.split("/")[0] for p in periods]
    assert [r[2] for r in results] == [30.0, 40.0, 0.0, 90.0]
    assert [(e.timestamp - T0) // S for e in results[1][3]] == [3600, 30]


def test_no_periods_no_results_but_still_parsed() -> None:
    assert run("return 1;", ()) == []
    with pytest.raises(QueryParseException):
        run("return (;", ())


def test_period_count_limit() -> None:
    assert run("return NAME;", (DAY,) * MAX_TIMEPERIODS) == ["q"] * MAX_TIMEPERIODS
    with pytest.raises(QueryParseException, match=str(MAX_TIMEPERIODS)):
        run("return 1;", (DAY,) * (MAX_TIMEPERIODS + 1))


@pytest.mark.parametrize("text", ["2024-01-01T00:00:00Z", "a/b", "2024-01-02T00:00:00Z/2024-01-01T00:00:00Z", 5])
def test_bad_timeperiods(text: Any) -> None:
    with pytest.raises(QueryParseException):
        parse_timeperiod(text)


# ---------------------------------------------------------------------- limits

NESTINGS = [
    ("parentheses", "(", "1", ")"),
    ("lists", "[", "", "]"),
    ("dicts", '{"a": ', "1", "}"),
    ("calls", "print(", "", ")"),
]


@pytest.mark.parametrize(("opening", "inner", "closing"), [n[1:] for n in NESTINGS], ids=[n[0] for n in NESTINGS])
def test_nesting_limit(opening: str, inner: str, closing: str) -> None:
    def nested(depth: int) -> str:
        return "RETURN = " + opening * depth + inner + closing * depth + ";"

    run(nested(MAX_DEPTH))
    for depth in (MAX_DEPTH + 1, 50_000):
        with pytest.raises(QueryParseException, match="nested more than"):
            run(nested(depth))


def test_nested_if_blocks_limit() -> None:
    with pytest.raises(QueryParseException, match="nested more than"):
        run("if true { " * 50_000 + "return 1;" + " }" * 50_000)


def test_query_length_limit() -> None:
    with pytest.raises(QueryParseException, match="longer than"):
        run("RETURN = 1;" + " " * MAX_QUERY_CHARS)


def test_step_budget_is_shared_by_all_periods() -> None:
    """Each period takes a little over MAX_STEPS / MAX_TIMEPERIODS steps: together they are too many."""
    items = MAX_STEPS // MAX_TIMEPERIODS + 1
    with pytest.raises(QueryInterpretException, match="steps"):
        run("RETURN = [" + "1," * items + "];", (DAY,) * MAX_TIMEPERIODS)


BIG = "1" + "0" * 400
PATHOLOGICAL = [
    ("long flat + chain", "RETURN = " + "1 + " * 100_000 + "1;", 100_001),
    ("long flat list + chain", "RETURN = " + "[1] + " * 5_000 + "[];", [1] * 5_000),
    ("5000-digit integer", "RETURN = 1" + "0" * 5000 + ";", 10**5000),
    ("huge integer divided", f"RETURN = {BIG} / 4;", 25 * 10**398),
    ("huge integer plus float", f"RETURN = {BIG} + 0.5;", None),
    ("1 MiB string", 'RETURN = "' + "x" * 2**20 + '";', "x" * 2**20),
    ("string at the length limit", 'RETURN = "' + "y" * (MAX_QUERY_CHARS - 12) + '";', "y" * (MAX_QUERY_CHARS - 12)),
    ("control characters in a string", "RETURN = '\x00\x1b\u2028';", "\x00\x1b\u2028"),
    ("unicode in a string", "RETURN = 'é😀';", "é😀"),
    ("unterminated after backslashes", 'RETURN = "' + "\\" * 100_001 + '";', None),
]


@pytest.mark.parametrize(("source", "expected"), [p[1:] for p in PATHOLOGICAL], ids=[p[0] for p in PATHOLOGICAL])
def test_pathological_input_gives_the_value_or_a_query_error(source: str, expected: Any) -> None:
    result = outcome(source)
    assert isinstance(result, QueryError) or result == [expected]


# ---------------------------------------------------------------------- fuzzing

TOKENS = [
    "RETURN", "return", "x", "y", "=", "==", ";", ",", ":", "(", ")", "[", "]", "{", "}",
    "+", "-", "*", "/", "%", "0", "1", "2.5", '"a"', "'b'", '"win"', r'"q\""', "true", "False",
    "if", "elif", "else", "#c\n", "\n", "TIMEINTERVAL", "NAME", "query_bucket", "sum_durations",
    "limit_events", "tag", "concat", "nop", "contains", "flood", "x = 1;", "return x;", "[]", "{}",
]  # fmt: skip


def assert_only_query_errors(source: str) -> None:
    result = outcome(source)
    assert isinstance(result, QueryError | list)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=200))
def test_random_text_only_raises_query_errors(source: str) -> None:
    assert_only_query_errors(source)


@settings(max_examples=600, deadline=None, database=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from([" ", "", "\n"]))
def test_random_token_sequences_only_raise_query_errors(tokens: list[str], separator: str) -> None:
    assert_only_query_errors(separator.join(tokens))
