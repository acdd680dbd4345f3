"""Runs a parsed query once per timeperiod.

Semantics follow aw-server-rust where the dialects differ: `+` adds numbers and joins lists or strings;
`- * / %` take numbers (`/` and `%` by zero are errors); `==` compares values of the same type (other
pairs are an error); `if` needs a boolean. The result is the value of RETURN. Every evaluated node,
and every item of a list or string the query builds, costs a step of a budget shared by all periods
of a request, so no query runs unbounded in time or memory. Numbers stay in the range of the
reference servers' f64: integers past 2**63 become floats, and an infinite result is an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from activitywatch.core.timestamps import format_timestamp
from activitywatch.query.errors import QueryInterpretException
from activitywatch.query.functions import CallContext, EventList, Period, QueryFunction, concrete, describe
from activitywatch.query.parser import Assign, Binary, Call, DictExpr, If, ListExpr, Literal, Name, Node
from activitywatch.transforms.columns import Columns


def _where(node: Node) -> str:
    return f"at line {node.line}, column {node.column}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_kind(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return True
    return type(a) is type(b) or (isinstance(a, list) and isinstance(b, list))


class Interpreter:
    """Evaluates statements against a namespace of variables and the function table."""

    def __init__(self, functions: Mapping[str, QueryFunction], context: CallContext) -> None:
        self.functions = functions
        self.context = context
        self.budget = context.budget

    def run(self, program: Sequence[Node], namespace: dict[str, Any]) -> Any:
        """Execute the statements; the value of RETURN."""
        self.block(program, namespace)
        if "RETURN" not in namespace:
            raise QueryInterpretException("The query never sets RETURN (end it with RETURN = ...; or return ...;)")
        return concrete(namespace["RETURN"])

    def block(self, statements: Sequence[Node], env: dict[str, Any]) -> None:
        """Execute statements in order."""
        for statement in statements:
            self.statement(statement, env)

    def statement(self, node: Node, env: dict[str, Any]) -> None:
        """Execute one statement."""
        if isinstance(node, Assign):
            env[node.name] = self.eval(node.value, env)
        elif isinstance(node, If):
            for condition, body in node.branches:
                value = self.eval(condition, env)
                if not isinstance(value, bool):
                    raise QueryInterpretException(
                        f"The condition {_where(condition)} is {describe(value)}, not a boolean"
                    )
                if value:
                    self.block(body, env)
                    return
            self.block(node.otherwise, env)
        else:
            self.eval(node, env)

    def eval(self, node: Node, env: dict[str, Any]) -> Any:
        """The value of an expression."""
        self.budget.spend(1, _where(node))
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Name):
            if node.name in env:
                return env[node.name]
            if node.name in self.functions:
                return self.functions[node.name]
            raise QueryInterpretException(f"Variable '{node.name}' is not defined {_where(node)}")
        if isinstance(node, Call):
            function = env.get(node.name, self.functions.get(node.name))
            if not isinstance(function, QueryFunction):
                if function is None:
                    raise QueryInterpretException(f"Unknown function '{node.name}' {_where(node)}")
                raise QueryInterpretException(f"'{node.name}' is {describe(function)}, not a function {_where(node)}")
            result = function(self.context, [self.eval(arg, env) for arg in node.args])
            if isinstance(result, list | Columns):
                self.budget.spend(len(result), _where(node))
            return result
        # Columns stay columns only from one function to the next: anywhere else, the list they hold.
        if isinstance(node, ListExpr):
            return [concrete(self.eval(item, env)) for item in node.items]
        if isinstance(node, DictExpr):
            return {key: concrete(self.eval(value, env)) for key, value in node.items}
        if isinstance(node, Binary):
            # `a + b + c` is a left-leaning chain: walk it with a loop, not recursion, however long it is.
            chain = []
            while isinstance(node, Binary):
                chain.append(node)
                node = node.left
                self.budget.spend(1, _where(node))
            value = concrete(self.eval(node, env))
            for link in reversed(chain):
                value = self.binary(link, value, concrete(self.eval(link.right, env)))
            return value
        raise AssertionError(f"unknown node {node!r}")

    def binary(self, node: Binary, left: Any, right: Any) -> Any:
        """Apply an operator."""
        op = node.op
        if op == "==":
            if not _same_kind(left, right):
                raise QueryInterpretException(
                    f"Cannot compare {describe(left)} with {describe(right)} using == {_where(node)}"
                )
            return bool(left == right)
        if op == "+":
            if _number(left) and _number(right):
                return _checked(left + right, node)
            if isinstance(left, str) and isinstance(right, str):
                self.budget.spend(len(left) + len(right), _where(node))
                return left + right
            if isinstance(left, list) and isinstance(right, list):
                self.budget.spend(len(left) + len(right), _where(node))
                joined = [*left, *right]
                return EventList(joined) if isinstance(left, EventList) and isinstance(right, EventList) else joined
        elif _number(left) and _number(right):
            if op == "-":
                return _checked(left - right, node)
            if op == "*":
                return _checked(left * right, node)
            if right == 0:
                raise QueryInterpretException(f"Division by zero {_where(node)}")
            try:
                return _checked(left / right if op == "/" else left % right, node)
            except OverflowError:
                raise QueryInterpretException(f"The result of {op} is too large {_where(node)}") from None
        raise QueryInterpretException(f"Cannot apply {op} to {describe(left)} and {describe(right)} {_where(node)}")


def _checked(value: float, node: Node) -> float:
    """A number in the reference servers' range: big integers as floats, never infinite or NaN."""
    if isinstance(value, int):
        if -(2**63) <= value <= 2**63:
            return value
        value = float(value)
    if not math.isfinite(value):
        raise QueryInterpretException(f"The result is too large {_where(node)}")
    return value


def namespace_for(period: Period, name: str) -> dict[str, Any]:
    """The variables every query starts with."""
    return {
        "TIMEINTERVAL": period.text,
        "STARTTIME": format_timestamp(period.start),
        "ENDTIME": format_timestamp(period.end),
        "NAME": name,
    }
