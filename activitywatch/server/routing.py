"""The `/api/0` router: the route table matched by path, then method, with every error mapped in one place.

Starlette's router and its two exception layers cost about 25 µs per request, a tenth of a heartbeat's
round trip; this router does the same job for the API in one step and hands other paths (API browser,
static files) to a Starlette app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from activitywatch.server.auth import TokenAuth, scope_needed
from activitywatch.server.errors import error_for
from activitywatch.server.operations import Handler, Operation

API_PREFIX = "/api/0/"
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    handlers: dict[str, Handler]
    convert: Callable[[dict[str, str]], dict[str, Any]]
    scopes: dict[str, str] = field(default_factory=dict)  # method -> the token scope it needs

    @property
    def allow(self) -> str:
        methods = set(self.handlers) | ({"HEAD"} if "GET" in self.handlers else set())
        return ", ".join(sorted(methods))


def _compile(path: str, integer_params: set[str]) -> re.Pattern[str]:
    """A path template as a regex: integer parameters match digits, others one segment; a trailing '/' is optional."""
    regex = ""
    last = 0
    for m in _PARAM.finditer(path):
        name = m.group(1)
        regex += re.escape(path[last : m.start()]) + f"(?P<{name}>{'[0-9]+' if name in integer_params else '[^/]+'})"
        last = m.end()
    regex += re.escape(path[last:].rstrip("/")) + "/?"
    return re.compile(regex)


def _converter(integer_params: set[str]) -> Callable[[dict[str, str]], dict[str, Any]]:
    def convert(params: dict[str, str]) -> dict[str, Any]:
        return {k: int(v) if k in integer_params else v for k, v in params.items()}

    return convert


class DirectRoute(Protocol):
    """A route the router tries before its table (see `heartbeat_route.py`)."""

    def match(self, scope: Scope) -> str | None:
        """Something (not None) to hand to `__call__` if this route serves `scope`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send, matched: str) -> None:
        """Answer the request."""


class ApiRouter:
    """ASGI app: serves the operations under `/api/0/`, passes everything else to `fallback`."""

    def __init__(
        self,
        operations: Sequence[Operation],
        fallback: ASGIApp,
        auth: TokenAuth | None = None,
        direct: DirectRoute | None = None,
    ) -> None:
        routes: dict[str, _Route] = {}
        for op in operations:
            integer_params = {p.name for p in op.params if p.where == "path" and p.schema.get("type") == "integer"}
            for path in (op.path, *op.aliases):
                key = path.rstrip("/")
                if key not in routes:
                    routes[key] = _Route(_compile(path, integer_params), {}, _converter(integer_params))
                routes[key].handlers[op.method] = op.handler
                routes[key].scopes[op.method] = scope_needed(op.method, op.path)
        self._routes = list(routes.values())
        self._fallback = fallback
        self._auth = auth
        self._direct = direct

    @property
    def direct(self) -> DirectRoute | None:
        """The route tried before the table, if any."""
        return self._direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one request."""
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self._fallback(scope, receive, send)
            return
        if self._direct is not None:
            matched = self._direct.match(scope)
            if matched is not None:
                await self._direct(scope, receive, send, matched)
                return
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request, scope)
        except Exception as exc:  # mapped to 4xx for known errors, 500 (logged) for bugs
            response = error_for(request, exc)
        await response(scope, receive, send)

    async def _dispatch(self, request: Request, scope: Scope) -> Any:
        path = scope["path"]
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            method = scope["method"]
            handler = route.handlers.get("GET" if method == "HEAD" else method)
            if handler is None:
                raise HTTPException(405, headers={"Allow": route.allow})
            scope["path_params"] = route.convert(match.groupdict())
            if self._auth is not None:
                self._auth.check(request, route.scopes["GET" if method == "HEAD" else method], scope["path_params"])
            return await handler(request)
        raise HTTPException(404)
