"""`POST /api/0/forget`: remove everything recorded in a time range, from all buckets or chosen ones."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.core.errors import InvalidInput
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.core.wire import check_bucket_id
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import unprocessable
from activitywatch.server.inputs import read_json
from activitywatch.server.operations import Operation, Reply, json_body
from activitywatch.server.options import ServerOptions
from activitywatch.server.responses import json_response
from activitywatch.store import Store

FORGET_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["start", "end"],
    "additionalProperties": False,
    "properties": {
        "start": {"type": "string", "format": "date-time", "example": "2024-05-01T12:00:00Z"},
        "end": {"type": "string", "format": "date-time", "example": "2024-05-01T12:15:00Z"},
        "buckets": {"type": "array", "items": {"type": "string"}, "description": "Only these (default: all)"},
    },
}
FORGET_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "events_deleted": {"type": "integer"},
        "events_trimmed": {"type": "integer", "description": "Events cut at the edges of the range"},
        "buckets": {"type": "array", "items": {"type": "string"}},
    },
}


def forget_request(body: Any) -> tuple[int, int, list[str] | None]:
    """(start, end, bucket ids or None) of a forget request; InvalidInput naming the problem."""
    if not isinstance(body, dict):
        raise InvalidInput('The body must be {"start": "<time>", "end": "<time>", "buckets": [...]}')
    unknown = set(body) - {"start", "end", "buckets"}
    if unknown:
        raise InvalidInput(f"Unknown fields {sorted(unknown)}; expected start, end and buckets")
    for field in ("start", "end"):
        if field not in body:
            raise InvalidInput(f"missing required field '{field}'")
    start = parse_timestamp(body["start"], "start")
    end = parse_timestamp(body["end"], "end")
    if end <= start:
        raise InvalidInput("The end of the time range to forget must come after its start")
    buckets = None
    if "buckets" in body:  # leave it out for all buckets
        if not isinstance(body["buckets"], list):
            raise InvalidInput("'buckets' must be a list of bucket ids (leave it out for all buckets)")
        buckets = [check_bucket_id(b, "bucket id in 'buckets'") for b in body["buckets"]]
    return start, end, buckets


class PrivacyApi:
    """Privacy endpoints over one store."""

    def __init__(self, calls: StoreCalls, options: ServerOptions) -> None:
        self.calls = calls
        self.store: Store = calls.store
        self.options = options

    async def forget(self, request: Request) -> Response:
        """Delete and trim the events of a time range."""
        body = await read_json(request, self.options.max_body)
        try:
            start, end, buckets = forget_request(body)
        except InvalidInput as exc:
            raise unprocessable(exc) from None
        report = await self.calls.slow(self.store.forget, start, end, buckets)
        return json_response(
            {
                "events_deleted": report.events_deleted,
                "events_trimmed": report.events_trimmed,
                "buckets": report.buckets,
            }
        )

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        return [
            Operation(
                "POST",
                "/api/0/forget",
                self.forget,
                "Forget a time range",
                "privacy",
                body=json_body(FORGET_BODY),
                replies={200: Reply("What was removed", FORGET_RESULT)},
                errors=(400, 404, 413, 415, 422),
            )
        ]
