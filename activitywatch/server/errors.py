"""Every HTTP error body is built here: `{"message": ..., "type": ...}` with the fitting status."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from activitywatch.core.errors import AwError, Conflict, InvalidInput, NotFound, StorageError
from activitywatch.query.errors import QueryError
from activitywatch.server.responses import json_response

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered with `status` and `{"message": message, "type": kind}`."""

    def __init__(self, status: int, message: str, kind: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def bad_request(message: str) -> ApiError:
    """400: the request itself is malformed (query parameters, JSON syntax)."""
    return ApiError(400, message, "BadRequest")


def unprocessable(exc: InvalidInput) -> ApiError:
    """422: well-formed JSON whose content breaks the rules (types, timestamps, durations)."""
    return ApiError(422, exc.message, "InvalidInput")


_KNOWN: dict[type[AwError], tuple[int, str]] = {
    InvalidInput: (400, "BadRequest"),
    NotFound: (404, "NotFound"),
    Conflict: (409, "Conflict"),
    StorageError: (503, "StorageError"),
}

_HTTP_KINDS = {
    400: "BadRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
}


def error_response(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Response:
    """The one error body."""
    return json_response({"message": message, "type": kind}, status=status, headers=headers)


def error_for(request: Request, exc: Exception) -> Response:
    """The response for any exception raised while handling `request` (the one error mapping)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, exc.kind)
    if isinstance(exc, QueryError):  # the reference servers' `type` names for query errors
        return error_response(400, exc.message, exc.kind)
    if isinstance(exc, AwError):
        for cls, (status, kind) in _KNOWN.items():
            if isinstance(exc, cls):
                if status >= 500:
                    log.error("%s %s: %s", request.method, request.url.path, exc.message)
                return error_response(status, exc.message, kind)
        return error_response(400, exc.message, "BadRequest")
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            message = f"No such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        kind = _HTTP_KINDS.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, message, kind, headers=dict(exc.headers or {}))  # Allow on 405
    if isinstance(exc, ClientDisconnect):  # the client hung up mid-body: nothing to answer, nothing stored
        log.debug("Client disconnected during %s %s", request.method, request.url.path)
        return error_response(400, "The request body was not received completely", "ClientDisconnected")
    log.error("Unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error; the details are in the server log.", "InternalError")


async def error_handler(request: Request, exc: Exception) -> Response:
    """`error_for` as a Starlette exception handler (for the non-API routes)."""
    return error_for(request, exc)
