"""`/api/0/tokens`: list, create and revoke API tokens (the dashboard's token settings use these)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.core.errors import InvalidInput
from activitywatch.core.timestamps import format_timestamp
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import ApiError, unprocessable
from activitywatch.server.inputs import read_json
from activitywatch.server.operations import Operation, Param, Reply, json_body
from activitywatch.server.options import ServerOptions
from activitywatch.server.responses import empty_response, json_response
from activitywatch.store import TOKEN_NAME, TOKEN_SCOPES, Store, TokenInfo

NAME_SCHEMA: dict[str, Any] = {"type": "string", "pattern": TOKEN_NAME.pattern, "example": "phone-sync"}
TOKEN_INFO: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": NAME_SCHEMA,
        "scope": {"type": "string", "enum": list(TOKEN_SCOPES)},
        "buckets": {"type": "string", "description": "Bucket id prefix an append token is limited to"},
        "created": {"type": "string", "format": "date-time"},
    },
}
NEW_TOKEN: dict[str, Any] = {
    "type": "object",
    "properties": {**TOKEN_INFO["properties"], "token": {"type": "string", "description": "Shown only this once"}},
}
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "scope"],
    "additionalProperties": False,
    "properties": {
        "name": NAME_SCHEMA,
        "scope": {"type": "string", "enum": list(TOKEN_SCOPES)},
        "buckets": {"type": "string", "maxLength": 1000, "description": "Bucket id prefix (append tokens)"},
    },
}
P_NAME = Param("name", "path", NAME_SCHEMA, required=True)


def token_json(info: TokenInfo) -> dict[str, Any]:
    """A token's description on the wire (never the token)."""
    return {
        "name": info.name,
        "scope": info.scope,
        "buckets": info.bucket_prefix,
        "created": format_timestamp(info.created),
    }


def create_request(body: Any) -> tuple[str, str, str]:
    """(name, scope, bucket prefix) of a create request; InvalidInput naming the problem."""
    if not isinstance(body, dict):
        raise InvalidInput('The body must be {"name": "...", "scope": "read" | "append" | "admin", "buckets": "..."}')
    unknown = set(body) - {"name", "scope", "buckets"}
    if unknown:
        raise InvalidInput(f"Unknown fields {sorted(unknown)}; expected name, scope and buckets")
    for field in ("name", "scope"):
        if not isinstance(body.get(field), str):
            raise InvalidInput(f"'{field}' is required and must be a string")
    buckets = body.get("buckets", "")
    if not isinstance(buckets, str):
        raise InvalidInput("'buckets' must be a bucket id prefix (a string; empty for all buckets)")
    return body["name"], body["scope"], buckets


class TokensApi:
    """Token management over one store (every route needs the admin scope)."""

    def __init__(self, calls: StoreCalls, options: ServerOptions) -> None:
        self.calls = calls
        self.store: Store = calls.store
        self.options = options

    async def list_tokens(self, request: Request) -> Response:
        """Every token's name, scope, prefix and creation time."""
        tokens = await self.calls.read(self.store.list_tokens)
        return json_response([token_json(info) for info in tokens])

    async def create_token(self, request: Request) -> Response:
        """A new token; its secret is in this answer only."""
        body = await read_json(request, self.options.max_body)
        try:
            name, scope, buckets = create_request(body)
            secret = await self.calls.write(self.store.create_token, name, scope, buckets)
        except InvalidInput as exc:
            raise unprocessable(exc) from None
        created = next(info for info in await self.calls.read(self.store.list_tokens) if info.name == name)
        return json_response({**token_json(created), "token": secret}, status=201)

    async def revoke_token(self, request: Request) -> Response:
        """Delete a token by name."""
        name = request.path_params["name"]
        if not TOKEN_NAME.fullmatch(name):
            raise ApiError(400, "A token name is 1 to 64 letters, digits, '.', '_' or '-'", "BadRequest")
        if not await self.calls.write(self.store.revoke_token, name):
            raise ApiError(404, f"There is no token named '{name}'", "NotFound")
        return empty_response()

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        return [
            Operation(
                "GET",
                "/api/0/tokens",
                self.list_tokens,
                "List API tokens (admin)",
                "tokens",
                replies={200: Reply("Tokens, without their secrets", {"type": "array", "items": TOKEN_INFO})},
                errors=(),
            ),
            Operation(
                "POST",
                "/api/0/tokens",
                self.create_token,
                "Create an API token (admin)",
                "tokens",
                body=json_body(CREATE_BODY),
                replies={201: Reply("The new token, with its secret shown once", NEW_TOKEN)},
                errors=(400, 413, 415, 422),
            ),
            Operation(
                "DELETE",
                "/api/0/tokens/{name}",
                self.revoke_token,
                "Revoke an API token (admin)",
                "tokens",
                params=(P_NAME,),
                replies={200: Reply("Revoked (empty body)", None)},
                errors=(400, 404),
            ),
        ]
