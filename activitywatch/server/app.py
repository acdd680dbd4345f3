"""Builds the ASGI application from a store and the server options."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import swagger_ui_bundle
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from activitywatch.assets import AssetMissing, resource
from activitywatch.query import function_table
from activitywatch.query.functions import QueryFunction
from activitywatch.server.api import Api
from activitywatch.server.auth import TokenAuth, is_loopback
from activitywatch.server.dashboard import dashboard_routes
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import error_handler
from activitywatch.server.exchange import Exchange
from activitywatch.server.heartbeat_route import HeartbeatRoute
from activitywatch.server.openapi import ApiBrowser, build_document
from activitywatch.server.operations import Operation
from activitywatch.server.options import ServerOptions
from activitywatch.server.privacy_api import PrivacyApi
from activitywatch.server.query_api import QueryApi
from activitywatch.server.reports_api import ReportsApi
from activitywatch.server.routing import ApiRouter
from activitywatch.server.security import OriginPolicy, RequestGuard
from activitywatch.server.tokens_api import TokensApi
from activitywatch.store import Store

log = logging.getLogger(__name__)

HOT_HANDLERS = frozenset({"heartbeat", "post_events"})


def query_functions() -> dict[str, QueryFunction]:
    """The functions queries may call."""
    return function_table()


def api_operations(store: Store, options: ServerOptions, api: Api | None = None) -> list[Operation]:
    """The whole route table (`api`: the core endpoints' handlers, when the caller needs them too)."""
    calls = api.calls if api is not None else StoreCalls(store)
    return [
        *(api or Api(calls, options)).operations(),
        *Exchange(calls, options).operations(),
        *QueryApi(calls, options, query_functions()).operations(),
        *PrivacyApi(calls, options).operations(),
        *ReportsApi(calls, options).operations(),
        *TokensApi(calls, options).operations(),
    ]


async def _to_api_browser(request: object) -> Response:
    return RedirectResponse("/api/", status_code=307)


def _found(find: Callable[[], Path]) -> Path | None:
    try:
        return find()
    except AssetMissing as exc:
        log.warning("%s", exc)
        return None


def create_app(store: Store, options: ServerOptions, *, direct_heartbeats: bool = True) -> ASGIApp:
    """The ASGI app serving `/api/0` over `store`, the API browser and the dashboard.

    `direct_heartbeats=False` serves heartbeats through the route table too (tests compare the two).
    """
    api = Api(StoreCalls(store), options)
    operations = api_operations(store, options, api)
    browser = ApiBrowser(build_document(operations, options.version))
    others = Starlette(
        routes=[
            Route("/api/openapi.json", browser.openapi, methods=["GET"]),
            Route("/api/", browser.page, methods=["GET"]),
            Route("/api", _to_api_browser, methods=["GET"]),
            Route("/api/static/api-browser.js", browser.init_script, methods=["GET"]),
            Mount("/api/static", StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path))),
            *dashboard_routes(options.webui_dir or _found(lambda: resource("webui")), own=options.webui_dir is None),
        ],
        exception_handlers={Exception: error_handler, HTTPException: error_handler},
    )
    # The paths watchers hit every second are tried first.
    hot_first = sorted(operations, key=lambda o: o.handler.__name__ not in HOT_HANDLERS)
    auth = TokenAuth(store, required=options.require_token or not is_loopback(options.host))
    direct = HeartbeatRoute(api, auth) if direct_heartbeats else None
    router = ApiRouter(hot_first, fallback=others, auth=auth, direct=direct)
    policy = OriginPolicy.build(options.port, options.cors, options.cors_regex, testing=options.testing)
    return RequestGuard(router, bound_host=options.host, policy=policy)
