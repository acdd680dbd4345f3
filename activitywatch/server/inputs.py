"""Reading requests: bodies with a size limit and strict JSON, and typed query parameters."""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.requests import Request

from activitywatch.core.errors import InvalidInput
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.core.wire import check_event_id
from activitywatch.server.errors import ApiError, bad_request

MIB = 1024 * 1024


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower-case ('' when absent)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json_type(kind: str) -> bool:
    """Whether a media type is JSON (`application/json` or `application/*+json`)."""
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def too_large(limit: int) -> ApiError:
    """413 with the limit in the message."""
    return ApiError(413, f"Request body is larger than the limit of {limit // MIB} MiB", "PayloadTooLarge")


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse early when Content-Length announces more than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    try:
        size = int(declared)
    except ValueError:
        raise bad_request("Content-Length is not a number") from None
    if size > limit:
        raise too_large(limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than `limit` bytes (also when it comes chunked, without Content-Length)."""
    check_declared_length(request, limit)
    if "content-length" in request.headers:
        return await request.body()  # the HTTP parser delivers exactly Content-Length bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes, what: str = "Request body") -> Any:
    """Strict JSON (RFC 8259: no NaN, no lone surrogates, at most 1024 levels) or a 400."""
    if not body.strip():
        raise bad_request(f"{what} is empty; expected JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"{what} is not valid JSON: {exc}") from None


def require_json_type(request: Request) -> None:
    """415 unless the request says it carries JSON (this also makes browsers send a CORS preflight)."""
    kind = media_type(request)
    if not is_json_type(kind):
        got = f"'{kind}'" if kind else "none"
        raise ApiError(
            415,
            f"Content-Type must be application/json (got {got}); with curl, add -H 'Content-Type: application/json'",
            "UnsupportedMediaType",
        )


async def read_json(request: Request, limit: int) -> Any:
    """The body of a JSON request, parsed."""
    require_json_type(request)
    return parse_json(await read_body(request, limit))


def query_timestamp(request: Request, name: str) -> int | None:
    """An optional RFC 3339 query parameter, in nanoseconds."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_timestamp(raw, f"query parameter '{name}'")
    except InvalidInput as exc:
        raise bad_request(exc.message) from None


def query_int(request: Request, name: str, minimum: int, maximum: int = 2**63 - 1) -> int | None:
    """An optional integer query parameter within [minimum, maximum]."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise bad_request(f"query parameter '{name}' must be an integer (got {raw[:40]!r})") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"query parameter '{name}' must be between {minimum} and {maximum}")
    return value


def query_seconds(request: Request, name: str, *, required: bool) -> float | None:
    """A number of seconds (finite, not negative) from the query string."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_request(f"Missing required parameter {name}")
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        raise bad_request(f"query parameter '{name}' must be a number of seconds (got {raw[:40]!r})") from None
    if not math.isfinite(value) or value < 0 or value > 10**9:
        raise bad_request(f"query parameter '{name}' must be a finite number of seconds from 0 to 1e9")
    return value


def path_event_id(request: Request) -> int:
    """The `{event_id}` path parameter as a positive 64-bit integer."""
    raw = request.path_params["event_id"]
    try:
        return check_event_id(int(raw))
    except (ValueError, InvalidInput):
        raise bad_request(f"event id must be a positive integer (got {raw[:40]!r})") from None
