"""Reading requests: bodies with a size limit and strict JSON, and typed query parameters."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from activitywatch.core import jsontext
from activitywatch.core.errors import InvalidInput
from activitywatch.core.jsontext import MalformedJson
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.core.wire import check_event_id
from activitywatch.server.errors import ApiError, bad_request, unprocessable
from activitywatch.server.quickjson import quick_loads

MIB = 1024 * 1024
MAX_SECONDS = 1e9


def header(request: Request, name: bytes) -> str | None:
    """The first value of the request header `name` (lower-case), as Starlette's `headers.get` gives it.

    The headers are put into a dict once per request: a heartbeat looks up four of them, and each
    `request.headers.get` walks the whole list.
    """
    scope = request.scope
    found: dict[bytes, bytes] | None = scope.get("activitywatch.headers")
    if found is None:
        found = {}
        for key, value in scope["headers"]:
            found.setdefault(key, value)  # the first one wins, as with `headers.get`
        scope["activitywatch.headers"] = found
    value = found.get(name)
    return None if value is None else value.decode("latin-1")


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower-case ('' when absent)."""
    return (header(request, b"content-type") or "").split(";", 1)[0].strip().lower()


def is_json_type(kind: str) -> bool:
    """Whether a media type is JSON (`application/json` or `application/*+json`)."""
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def too_large(limit: int) -> ApiError:
    """413 with the limit in the message."""
    return ApiError(413, f"Request body is larger than the limit of {limit // MIB} MiB", "PayloadTooLarge")


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse early when Content-Length announces more than `limit` bytes."""
    declared = header(request, b"content-length")
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
    # Read from the ASGI messages as Starlette's `request.stream()` does, without its generator: a
    # heartbeat's body is one message.
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        kind = message["type"]
        if kind == "http.disconnect":
            raise ClientDisconnect()
        if kind != "http.request":
            continue
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_json(body: bytes, what: str = "Request body") -> Any:
    """Strict JSON: 400 when it is not JSON, 422 when it is JSON a parser would silently change."""
    quick, value = quick_loads(body)
    if quick:
        return value
    try:
        return jsontext.loads(body, what)
    except MalformedJson as exc:
        raise bad_request(exc.message) from None
    except InvalidInput as exc:
        raise unprocessable(exc) from None


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


_INTEGER = re.compile(r"-?[0-9]{1,30}")
_NUMBER = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?([eE][+-]?[0-9]{1,2})?")


def _query_values(request: Request) -> dict[str, list[str]]:
    """The query string's values by name (parsed once per request; plain ASCII strings take a short cut)."""
    scope = request.scope
    parsed: dict[str, list[str]] | None = scope.get("activitywatch.query")
    if parsed is None:
        parsed = {}
        raw = scope.get("query_string", b"")
        if raw.isascii() and b"%" not in raw and b"+" not in raw:
            pairs = [part.partition("=")[::2] for part in raw.decode("ascii").split("&") if part]
        else:
            pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
        for key, value in pairs:
            parsed.setdefault(key, []).append(value)
        scope["activitywatch.query"] = parsed
    return parsed


def query_text(request: Request, name: str) -> str | None:
    """A query parameter given at most once; an empty value is an error, not "absent"."""
    values = _query_values(request).get(name, [])
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(f"query parameter '{name}' is given {len(values)} times")
    if values[0] == "":
        raise bad_request(f"query parameter '{name}' is empty")
    return values[0]


def query_timestamp(request: Request, name: str) -> int | None:
    """An optional RFC 3339 query parameter, in nanoseconds."""
    raw = query_text(request, name)
    if raw is None:
        return None
    try:
        return parse_timestamp(raw, f"query parameter '{name}'")
    except InvalidInput as exc:
        raise bad_request(exc.message) from None


def query_int(request: Request, name: str, minimum: int, maximum: int = 2**63 - 1) -> int | None:
    """An optional integer query parameter (plain decimal digits) within [minimum, maximum]."""
    raw = query_text(request, name)
    if raw is None:
        return None
    if not _INTEGER.fullmatch(raw):
        raise bad_request(f"query parameter '{name}' must be an integer (got {raw[:40]!r})")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise bad_request(f"query parameter '{name}' must be between {minimum} and {maximum}")
    return value


def query_seconds(request: Request, name: str, *, required: bool) -> float | None:
    """A number of seconds (plain decimal, 0 to 1e9) from the query string."""
    raw = query_text(request, name)
    if raw is None:
        if required:
            raise bad_request(f"Missing required parameter {name}")
        return None
    if not _NUMBER.fullmatch(raw) or float(raw) > MAX_SECONDS:
        raise bad_request(f"query parameter '{name}' must be a number of seconds from 0 to 1e9 (got {raw[:40]!r})")
    return float(raw)


def path_event_id(request: Request) -> int:
    """The `{event_id}` path parameter (digits only, by the route) as a positive 64-bit integer."""
    try:
        return check_event_id(request.path_params["event_id"])
    except InvalidInput as exc:
        raise bad_request(exc.message) from None
