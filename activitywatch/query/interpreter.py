"""Runs a parsed query once per timeperiod.

Semantics follow aw-server-rust where the dialects differ: `+` adds numbers and joins lists or strings;
`- * / %` take numbers (`/` and `%` by zero are errors); `==` compares values of the same type (other
pairs are an error); `if` needs a boolean. The result is the value of RETURN. Every evaluated node
costs one step of a budget shared by all periods of a request, so no query runs unbounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activitywatch.core.timestamps import format_timestamp
from activitywatch.query.errors import QueryInterpretException
from activitywatch.query.functions import CallContext, EventList, Period, QueryFunction, describe
from activitywatch.query.parser import Assign, Binary, Call, DictExpr, If, ListExpr, Literal, Name, Node

MAX_STEPS = 2_000_000


class Budget:
    """Steps left for one request."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps

    def spend(self, node: Node) -> None:
        """Take one step; QueryInterpretException when none are left."""
        self.left -= 1
        if self.left < 0:
            raise QueryInterpretException(
                f"The query takes more than {MAX_STEPS:,} steps (stopped at line {node.line}, column {node.column})"
            )


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

    def __init__(self, functions: Mapping[str, QueryFunction], context: CallContext, budget: Budget) -> None:
        self.functions = functions
        self.context = context
        self.budget = budget

    def run(self, program: Sequence[Node], namespace: dict[str, Any]) -> Any:
        """Execute the statements; the value of RETURN."""
        self.block(program, namespace)
        if "RETURN" not in namespace:
            raise QueryInterpretException("The query never sets RETURN (end it with RETURN = ...; or return ...;)")
        return namespace["RETURN"]

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
        self.budget.spend(node)
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
            return function(self.context, [self.eval(arg, env) for arg in node.args])
        if isinstance(node, ListExpr):
            return [self.eval(item, env) for item in node.items]
        if isinstance(node, DictExpr):
            return {key: self.eval(value, env) for key, value in node.items}
        if isinstance(node, Binary):
            return self.binary(node, self.eval(node.left, env), self.eval(node.right, env))
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
                return left + right
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            if isinstance(left, list) and isinstance(right, list):
                joined = [*left, *right]
                return EventList(joined) if isinstance(left, EventList) and isinstance(right, EventList) else joined
        elif _number(left) and _number(right):
            if op == "-":
                return left - right
            if op == "*":
                return left * right
            if right == 0:
                raise QueryInterpretException(f"Division by zero {_where(node)}")
            if op == "/":
                return left / right
            return left % right
        raise QueryInterpretException(f"Cannot apply {op} to {describe(left)} and {describe(right)} {_where(node)}")


def namespace_for(period: Period, name: str) -> dict[str, Any]:
    """The variables every query starts with."""
    return {
        "TIMEINTERVAL": period.text,
        "STARTTIME": format_timestamp(period.start),
        "ENDTIME": format_timestamp(period.end),
        "NAME": name,
    }
