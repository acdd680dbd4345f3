"""The one route table: each operation's path, handler and documentation (the OpenAPI source)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]
Schema = dict[str, Any]


@dataclass(frozen=True)
class Param:
    """A path or query parameter."""

    name: str
    where: str  # "path" or "query"
    schema: Schema
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Body:
    """A request body: the schema of its content per media type."""

    content: dict[str, Schema]
    description: str = ""
    required: bool = True


def json_body(schema: Schema, description: str = "") -> Body:
    """A JSON request body."""
    return Body({"application/json": schema}, description)


@dataclass(frozen=True)
class Reply:
    """A documented response."""

    description: str
    schema: Schema | None = None
    media_type: str = "application/json"
    headers: dict[str, Schema] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One method on one path."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    params: tuple[Param, ...] = ()
    body: Body | None = None
    replies: dict[int, Reply] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    errors: tuple[int, ...] = (400,)
