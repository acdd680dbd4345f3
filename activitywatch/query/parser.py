"""The query2 parser: tokens to a small tree of frozen nodes.

Grammar (the union of both dialects; `;` may be left out after the last statement):

    program    := { statement }
    statement  := if_stmt | simple ";"
    if_stmt    := "if" expr block { "elif" expr block } [ "else" block ]
    block      := "{" { statement } "}"
    simple     := "return" expr | NAME "=" expr | expr
    expr       := operand { ("+" | "-" | "*" | "/" | "%" | "==") operand }
    operand    := ["-"] NUMBER | STRING | "true" | "false" | "True" | "False" | NAME
                | NAME "(" [ expr { "," expr } [","] ] ")"
                | "[" [ expr { "," expr } [","] ] "]"
                | "{" [ STRING ":" expr { "," STRING ":" expr } [","] ] "}"
                | "(" expr ")"

As in aw-server-rust, all binary operators share one precedence level and associate to the left
(`1 + 2 * 3` is 9). `return x;` is `RETURN = x;`. Nesting deeper than MAX_DEPTH is refused with a
QueryParseException rather than exhausting the interpreter's stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from activitywatch.query.errors import QueryParseException
from activitywatch.query.lexer import Token, tokenize

MAX_DEPTH = 100
BINARY_OPERATORS = frozenset({"+", "-", "*", "/", "%", "=="})


@dataclass(frozen=True, slots=True)
class Node:
    """Base of the tree; `line` and `column` locate it in the query text."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, string or boolean."""

    value: object


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A variable (or function) name."""

    name: str


@dataclass(frozen=True, slots=True)
class ListExpr(Node):
    """`[a, b, ...]`."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class DictExpr(Node):
    """`{"k": v, ...}`."""

    items: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """`name(args...)`."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """`left op right`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Assign(Node):
    """`NAME = expr` (and `return expr`, which assigns RETURN)."""

    name: str
    value: Node


@dataclass(frozen=True, slots=True)
class If(Node):
    """`if c {..} elif c {..} else {..}`: (condition, body) branches and an optional else body."""

    branches: tuple[tuple[Node, tuple[Node, ...]], ...]
    otherwise: tuple[Node, ...]


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # ------------------------------------------------------------------ helpers

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def error(self, token: Token, expected: str) -> QueryParseException:
        found = "the end of the query" if token.kind == "end" else repr(token.text[:40])
        return QueryParseException(f"Expected {expected} at line {token.line}, column {token.column}, found {found}")

    def expect_op(self, text: str) -> Token:
        token = self.next()
        if token.kind != "op" or token.text != text:
            raise self.error(token, repr(text))
        return token

    def is_op(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.text == text

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryParseException(
                f"The query is nested more than {MAX_DEPTH} levels deep at line {token.line}, column {token.column}"
            )

    # ------------------------------------------------------------------ statements

    def program(self) -> tuple[Node, ...]:
        statements = []
        while self.peek().kind != "end":
            if self.is_op(";"):
                self.next()
                continue
            statements.append(self.statement())
        return tuple(statements)

    def block(self) -> tuple[Node, ...]:
        start = self.expect_op("{")
        self.enter(start)
        statements = []
        while not self.is_op("}"):
            if self.peek().kind == "end":
                raise self.error(self.peek(), "'}' closing the block")
            if self.is_op(";"):
                self.next()
                continue
            statements.append(self.statement())
        self.next()
        self.depth -= 1
        return tuple(statements)

    def statement(self) -> Node:
        token = self.peek()
        if token.kind == "keyword" and token.text == "if":
            return self.if_statement()
        node = self.simple()
        end = self.peek()
        if end.kind == "end" or (end.kind == "op" and end.text == "}"):
            return node  # the last statement of the query or of a block may omit its ';'
        self.expect_op(";")
        return node

    def if_statement(self) -> Node:
        first = self.next()
        branches = [(self.expr(), self.block())]
        otherwise: tuple[Node, ...] = ()
        while self.peek().kind == "keyword" and self.peek().text in ("elif", "else"):
            keyword = self.next().text
            if keyword == "elif":
                branches.append((self.expr(), self.block()))
            else:
                otherwise = self.block()
                break
        return If(first.line, first.column, tuple(branches), otherwise)

    def simple(self) -> Node:
        token = self.peek()
        if token.kind == "keyword" and token.text == "return":
            self.next()
            return Assign(token.line, token.column, "RETURN", self.expr())
        if token.kind == "name" and self.is_op("=", 1):
            self.next()
            self.next()
            return Assign(token.line, token.column, token.text, self.expr())
        return self.expr()

    # ------------------------------------------------------------------ expressions

    def expr(self) -> Node:
        node = self.operand()
        while self.peek().kind == "op" and self.peek().text in BINARY_OPERATORS:
            op = self.next()
            node = Binary(op.line, op.column, op.text, node, self.operand())
        return node

    def operand(self) -> Node:
        token = self.next()
        kind, text = token.kind, token.text
        if kind == "number":
            return Literal(token.line, token.column, token.value)
        if kind == "op" and text == "-" and self.peek().kind == "number":
            number = self.next()
            return Literal(token.line, token.column, -number.value)  # type: ignore[operator]
        if kind == "string":
            return Literal(token.line, token.column, token.value)
        if kind == "keyword" and text in ("true", "True"):
            return Literal(token.line, token.column, True)
        if kind == "keyword" and text in ("false", "False"):
            return Literal(token.line, token.column, False)
        if kind == "name":
            if self.is_op("("):
                self.next()
                return Call(token.line, token.column, text, self.sequence(token, ")"))
            return Name(token.line, token.column, text)
        if kind == "op" and text == "[":
            return ListExpr(token.line, token.column, self.sequence(token, "]"))
        if kind == "op" and text == "{":
            return self.dict_items(token)
        if kind == "op" and text == "(":
            self.enter(token)
            node = self.expr()
            self.expect_op(")")
            self.depth -= 1
            return node
        raise self.error(token, "a value (number, string, name, call, list or dict)")

    def sequence(self, opening: Token, closing: str) -> tuple[Node, ...]:
        self.enter(opening)
        items = []
        while not self.is_op(closing):
            items.append(self.expr())
            if self.is_op(","):
                self.next()
            elif not self.is_op(closing):
                raise self.error(self.peek(), f"',' or '{closing}'")
        self.next()
        self.depth -= 1
        return tuple(items)

    def dict_items(self, opening: Token) -> Node:
        self.enter(opening)
        items = []
        while not self.is_op("}"):
            key = self.next()
            if key.kind != "string":
                raise self.error(key, "a string key")
            self.expect_op(":")
            items.append((str(key.value), self.expr()))
            if self.is_op(","):
                self.next()
            elif not self.is_op("}"):
                raise self.error(self.peek(), "',' or '}'")
        self.next()
        self.depth -= 1
        return DictExpr(opening.line, opening.column, tuple(items))


def parse(source: str) -> tuple[Node, ...]:
    """The statements of a query."""
    return _Parser(tokenize(source)).program()
