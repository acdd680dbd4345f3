"""API tokens: who may call what.

A request may carry `Authorization: Bearer <token>` or `x-api-key: <token>`. A token's scope decides
what it can do: `read` the GET routes and queries; `append` create buckets and add events and
heartbeats to buckets whose id starts with its prefix; `admin` everything. Without a token a request
is allowed only when tokens are not required (loopback and `[auth] require_token` off);
`/api/0/info` never needs one. A wrong token is a 401, a token outside its scope a 403.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from starlette.requests import Request

from activitywatch.server.errors import ApiError
from activitywatch.server.inputs import header
from activitywatch.store import Store, TokenInfo

OPEN_PATHS = frozenset({"/api/0/info"})
APPEND_ROUTES = frozenset(
    {
        ("POST", "/api/0/buckets/{bucket_id}"),
        ("POST", "/api/0/buckets/{bucket_id}/events"),
        ("POST", "/api/0/buckets/{bucket_id}/heartbeat"),
    }
)
READ_POSTS = frozenset({"/api/0/query/"})
# Reads that reveal who may do what: admin only.
ADMIN_READS = frozenset({"/api/0/tokens"})


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or address to bind) only reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scope_needed(method: str, path: str) -> str:
    """The least scope that may call this route."""
    if path in ADMIN_READS:
        return "admin"
    if method in ("GET", "HEAD") or (method == "POST" and path in READ_POSTS):
        return "read"
    if (method, path) in APPEND_ROUTES:
        return "append"
    return "admin"


def presented_token(request: Request) -> str | None:
    """The token a request carries, if any."""
    authorization = header(request, b"authorization")
    if authorization is not None:
        kind, _, value = authorization.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise ApiError(401, "The Authorization header must be 'Bearer <token>'", "Unauthorized")
        return value.strip()
    return header(request, b"x-api-key")


class TokenAuth:
    """Checks requests against the tokens in the store."""

    def __init__(self, store: Store, required: bool) -> None:
        self.store = store
        self.required = required

    def check(self, request: Request, needed: str, path_params: dict[str, Any]) -> None:
        """Nothing if the request may proceed; ApiError 401/403 otherwise."""
        if request.scope["path"] in OPEN_PATHS:  # (request.url would build a whole URL)
            return
        token = presented_token(request)
        if token is None:
            if self.required:
                raise ApiError(
                    401,
                    "This server needs an API token: send 'Authorization: Bearer <token>' "
                    "(create one with: activitywatch token create --name NAME --scope read)",
                    "Unauthorized",
                )
            return
        info = self.store.find_token(token)
        if info is None:
            raise ApiError(401, "The API token is not valid (mistyped or revoked)", "Unauthorized")
        if not allowed(info, needed, path_params):
            raise ApiError(
                403, f"The token '{info.name}' (scope {info.scope}) may not do this: it needs {needed}", "Forbidden"
            )


def allowed(info: TokenInfo, needed: str, path_params: dict[str, Any]) -> bool:
    """Whether a token's scope (and bucket prefix) covers a route."""
    if info.scope == "admin":
        return True
    if info.scope == "read":
        return needed == "read"
    bucket = path_params.get("bucket_id")
    return needed == "append" and isinstance(bucket, str) and bucket.startswith(info.bucket_prefix)
