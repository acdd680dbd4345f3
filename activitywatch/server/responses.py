"""JSON responses encoded with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class OrjsonResponse(Response):
    """A JSON response; non-string keys and dataclasses are not expected here."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Encode with orjson."""
        return orjson.dumps(content)


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`content` as a JSON response."""
    return OrjsonResponse(content, status_code=status, headers=headers)


def empty_response(status: int = 200) -> Response:
    """A response without a body (as the reference server sends for creates and deletes)."""
    return Response(b"", status_code=status)
