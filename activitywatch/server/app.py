"""Builds the ASGI application from a store and the server options."""

from __future__ import annotations

import swagger_ui_bundle
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from activitywatch.core.errors import AwError
from activitywatch.server.api import Api
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import (
    ApiError,
    api_error_handler,
    bug_handler,
    disconnect_handler,
    http_error_handler,
    known_error_handler,
)
from activitywatch.server.exchange import Exchange
from activitywatch.server.openapi import ApiBrowser, build_document
from activitywatch.server.operations import Handler, Operation
from activitywatch.server.options import ServerOptions
from activitywatch.server.security import OriginPolicy, RequestGuard
from activitywatch.store import Store

HOT_HANDLERS = frozenset({"heartbeat", "post_events"})


def route_path(path: str, op: Operation) -> str:
    """The Starlette path: integer path parameters only match digits (so `/events/count` is not an id)."""
    for param in op.params:
        if param.where == "path" and param.schema.get("type") == "integer":
            path = path.replace(f"{{{param.name}}}", f"{{{param.name}:int}}")
    return path


def api_operations(store: Store, options: ServerOptions) -> list[Operation]:
    """The whole route table."""
    calls = StoreCalls(store)
    return [*Api(calls, options).operations(), *Exchange(calls, options).operations()]


def _by_method(handlers: dict[str, Handler]) -> Handler:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


async def _to_api_browser(request: object) -> Response:
    return RedirectResponse("/api/", status_code=307)


def create_app(store: Store, options: ServerOptions) -> Starlette:
    """The ASGI app serving `/api/0` over `store`."""
    operations = api_operations(store, options)
    browser = ApiBrowser(build_document(operations, options.version))
    # One route per path with all its methods, so a 405 lists them all in `Allow`. Routes are tried in
    # order: the paths watchers hit every second come first.
    by_path: dict[str, dict[str, Handler]] = {}
    for op in sorted(operations, key=lambda o: o.handler.__name__ not in HOT_HANDLERS):
        for path in (op.path, *op.aliases):
            by_path.setdefault(route_path(path, op), {})[op.method] = op.handler
    routes: list[BaseRoute] = [
        Route(path, _by_method(handlers), methods=list(handlers)) for path, handlers in by_path.items()
    ]
    routes += [
        Route("/api/openapi.json", browser.openapi, methods=["GET"]),
        Route("/api/", browser.page, methods=["GET"]),
        Route("/api", _to_api_browser, methods=["GET"]),
        Route("/api/static/api-browser.js", browser.init_script, methods=["GET"]),
        Mount("/api/static", StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path))),
        # Until the dashboard is served here, the root leads to the API browser.
        Route("/", _to_api_browser, methods=["GET"]),
    ]
    policy = OriginPolicy.build(options.port, options.cors, options.cors_regex, testing=options.testing)
    middleware = [Middleware(RequestGuard, bound_host=options.host, policy=policy)]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            ApiError: api_error_handler,
            AwError: known_error_handler,
            HTTPException: http_error_handler,
            ClientDisconnect: disconnect_handler,
            Exception: bug_handler,
        },
    )
