"""The heartbeat's direct route: `POST /api/0/buckets/{bucket_id}/heartbeat` without the router's generic steps.

Watchers send a heartbeat every few seconds, so this one request is most of a server's work. The
router finds it by two string comparisons instead of trying route patterns, and the answer goes out as
two ASGI messages built here instead of through a Response object. Everything that decides the answer
is the generic route's own code: the Host, origin and CORS checks (the router sits behind them), the
token check, the handler's parameter, body and event checks (`Api.heartbeat_wire`), the store call,
and the one error mapping. Requests for any other method or path shape take the generic route.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from activitywatch.server.api import Api
from activitywatch.server.auth import TokenAuth, scope_needed
from activitywatch.server.errors import error_for

PATH = "/api/0/buckets/{bucket_id}/heartbeat"
PREFIX = "/api/0/buckets/"
SUFFIX = "/heartbeat"
JSON = (b"content-type", b"application/json")


class HeartbeatRoute:
    """Serves heartbeats for the router (`ApiRouter(direct=...)`)."""

    def __init__(self, api: Api, auth: TokenAuth | None) -> None:
        self._api = api
        self._auth = auth
        self._needed = scope_needed("POST", PATH)
        self.served = 0  # requests answered here (tests check that this route, not the table, answered)

    def match(self, scope: Scope) -> str | None:
        """The bucket id segment if `scope` is a heartbeat this route serves, else None."""
        path: str = scope["path"]
        if scope["method"] != "POST" or not path.endswith(SUFFIX) or not path.startswith(PREFIX):
            return None
        bucket = path[len(PREFIX) : -len(SUFFIX)]
        return bucket if bucket and "/" not in bucket else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, matched: str) -> None:
        """Answer one heartbeat request for the bucket id segment `matched` (as `match` returned it)."""
        self.served += 1
        params: dict[str, Any] = {"bucket_id": matched}
        scope["path_params"] = params
        request = Request(scope, receive)
        try:
            if self._auth is not None:
                self._auth.check(request, self._needed, params)
            body = orjson.dumps(await self._api.heartbeat_wire(request))
        except Exception as exc:  # mapped to 4xx for known errors, 500 (logged) for bugs, as by the router
            await error_for(request, exc)(scope, receive, send)
            return
        # The headers a JSON response of the generic route has, in its order.
        headers = [(b"content-length", str(len(body)).encode("latin-1")), JSON]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
