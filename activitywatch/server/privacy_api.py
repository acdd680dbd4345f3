"""Privacy endpoints: forget a time range (`POST /api/0/forget`) and preview privacy filters on stored events."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Event
from activitywatch.core.timestamps import format_timestamp, parse_timestamp
from activitywatch.core.wire import check_bucket_id
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import unprocessable
from activitywatch.server.inputs import read_json
from activitywatch.server.operations import Operation, Reply, json_body
from activitywatch.server.options import ServerOptions
from activitywatch.server.responses import json_response
from activitywatch.store import Store
from activitywatch.transforms import privacy
from activitywatch.transforms.regexes import Deadline, RegexTimeout

DAY_NS = 24 * 3600 * 10**9
PREVIEW_MAX_EVENTS = 200_000  # events a preview looks at, newest first per bucket
PREVIEW_REGEX_SECONDS = 3.0

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
PREVIEW_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["filters"],
    "additionalProperties": False,
    "properties": {
        "filters": {"type": "array", "items": {"type": "object"}, "description": "Rules as in privacy_filters"},
        "start": {"type": "string", "format": "date-time", "description": "Default: 24 hours before end"},
        "end": {"type": "string", "format": "date-time", "description": "Default: now"},
    },
}
PREVIEW_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "checked": {"type": "integer"},
        "dropped": {"type": "integer"},
        "redacted": {"type": "integer"},
        "truncated": {"type": "boolean", "description": f"More than {PREVIEW_MAX_EVENTS} events: only those seen"},
        "samples": {"type": "array", "items": {"type": "object"}},
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


def preview_request(body: Any, now: int) -> tuple[list[privacy.PrivacyRule], int, int]:
    """(rules, start, end) of a preview request; InvalidInput naming the problem."""
    if not isinstance(body, dict):
        raise InvalidInput('The body must be {"filters": [...], "start": "<time>", "end": "<time>"}')
    unknown = set(body) - {"filters", "start", "end"}
    if unknown:
        raise InvalidInput(f"Unknown fields {sorted(unknown)}; expected filters, start and end")
    if "filters" not in body:
        raise InvalidInput("missing required field 'filters'")
    rules = privacy.parse_rules(body["filters"])
    end = parse_timestamp(body["end"], "end") if "end" in body else now
    start = parse_timestamp(body["start"], "start") if "start" in body else end - DAY_NS
    if end <= start:
        raise InvalidInput("The end of the time range must come after its start")
    return rules, start, end


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

    def _preview(self, rules: list[privacy.PrivacyRule], start: int, end: int) -> dict[str, Any]:
        batches: list[tuple[str, list[Event]]] = []
        seen = 0
        for bucket_id in sorted(self.store.bucket_hostnames()):
            events = self.store.get_events(bucket_id, start, end, PREVIEW_MAX_EVENTS + 1 - seen)
            batches.append((bucket_id, events))
            seen += len(events)
            if seen > PREVIEW_MAX_EVENTS:
                break
        truncated = seen > PREVIEW_MAX_EVENTS
        if truncated:
            bucket_id, events = batches[-1]
            batches[-1] = (bucket_id, events[: len(events) - 1])
        try:
            result = privacy.preview(rules, batches, Deadline(PREVIEW_REGEX_SECONDS))
        except RegexTimeout as exc:
            raise InvalidInput(f"The filters took too long to match; simplify the pattern ({exc.message})") from None
        return {
            "checked": result.checked,
            "dropped": result.dropped,
            "redacted": result.redacted,
            "truncated": truncated,
            "samples": [
                {
                    "bucket": sample.bucket_id,
                    "timestamp": format_timestamp(sample.event.timestamp),
                    "action": sample.action,
                    "field": sample.field,
                    "value": sample.value,
                }
                for sample in result.samples
            ],
        }

    async def preview(self, request: Request) -> Response:
        """What the given filters would have dropped or redacted among stored events (default: last 24 h)."""
        body = await read_json(request, self.options.max_body)
        try:
            rules, start, end = preview_request(body, self.store.now())
            return json_response(await self.calls.slow(self._preview, rules, start, end))
        except InvalidInput as exc:
            raise unprocessable(exc) from None

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        return [
            Operation(
                "POST",
                "/api/0/privacy/preview",
                self.preview,
                "Preview privacy filters on stored events",
                "privacy",
                body=json_body(PREVIEW_BODY),
                replies={200: Reply("How many events the filters would drop or redact, with samples", PREVIEW_RESULT)},
                errors=(400, 413, 415, 422),
            ),
            Operation(
                "POST",
                "/api/0/forget",
                self.forget,
                "Forget a time range",
                "privacy",
                body=json_body(FORGET_BODY),
                replies={200: Reply("What was removed", FORGET_RESULT)},
                errors=(400, 404, 413, 415, 422),
            ),
        ]
