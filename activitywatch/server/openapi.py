"""The OpenAPI document, generated from the route table, and the API browser (Swagger UI, served locally)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from activitywatch.server.operations import Operation
from activitywatch.server.responses import json_response
from activitywatch.server.schemas import COMPONENTS, ref

ERROR_TEXT = {
    400: "Malformed request (bad parameter, invalid JSON, invalid Host)",
    403: "Origin not allowed to change data",
    404: "No such bucket, event or endpoint",
    413: "Body too large",
    415: "Wrong Content-Type",
    422: "JSON content breaks the rules (types, timestamps, durations)",
    503: "The database cannot be used (locked, disk full)",
}

SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ActivityWatch API</title>
<link rel="stylesheet" href="/api/static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/static/swagger-ui-bundle.js"></script>
<script src="/api/static/api-browser.js"></script>
</body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise send our document's address to validator.swagger.io.
SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null
});
"""


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": f"{op.method.lower()}_{op.handler.__name__.strip('_')}",
    }
    if op.params:
        doc["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "schema": p.schema,
                **({"description": p.description} if p.description else {}),
            }
            for p in op.params
        ]
    if op.body is not None:
        doc["requestBody"] = {
            "required": op.body.required,
            "content": {kind: {"schema": schema} for kind, schema in op.body.content.items()},
            **({"description": op.body.description} if op.body.description else {}),
        }
    responses: dict[str, Any] = {}
    for status, reply in op.replies.items():
        entry: dict[str, Any] = {"description": reply.description}
        if reply.schema is not None:
            entry["content"] = {reply.media_type: {"schema": reply.schema}}
        if reply.headers:
            entry["headers"] = {name: {"schema": schema} for name, schema in reply.headers.items()}
        responses[str(status)] = entry
    errors = set(op.errors) | {503}
    if op.body is not None:
        errors |= {403}
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_TEXT[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    doc["responses"] = responses
    return doc


def build_document(operations: Sequence[Operation], version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document describing `operations`."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ActivityWatch API",
            "version": version,
            "description": "The ActivityWatch REST API (`/api/0`), compatible with aw-server and aw-server-rust.",
        },
        "paths": paths,
        "components": {"schemas": COMPONENTS},
    }


class ApiBrowser:
    """Serves the OpenAPI document and the Swagger UI page."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI document."""
        return json_response(self.document)

    async def page(self, request: Request) -> Response:
        """The Swagger UI page."""
        return HTMLResponse(SWAGGER_PAGE)

    async def init_script(self, request: Request) -> Response:
        """Swagger UI's start-up script (kept out of the page so no inline script is needed)."""
        return Response(SWAGGER_INIT, media_type="text/javascript")
