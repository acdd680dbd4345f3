"""`POST /api/0/query/`: runs a query2 program over the store, one result per timeperiod."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from activitywatch.core.allocation import collector_paused
from activitywatch.core.models import Event
from activitywatch.core.wire import event_to_wire
from activitywatch.query import Period, QueryParseException, parse_timeperiod, run_periods
from activitywatch.query.cache import Entry, RecordingSource, ResultCache
from activitywatch.query.functions import QueryFunction
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.inputs import read_json
from activitywatch.server.operations import Operation, Param, Reply, json_body
from activitywatch.server.options import ServerOptions
from activitywatch.store import Store
from activitywatch.store.eventcache import EventCache
from activitywatch.transforms.columns import Columns


class StoreBuckets:
    """The store as a query's BucketSource (bucket hostnames read once per request; events through the
    cache of decoded events when one is given)."""

    def __init__(self, store: Store, events: EventCache | None = None) -> None:
        self.store = store
        self.cache = events
        self._hostnames: dict[str, str] | None = None
        self._parsed: dict[str, Any] = {}  # data shared by all reads of the request (see Store.get_events)

    def bucket_hostnames(self) -> Mapping[str, str]:
        """Every bucket id with its hostname."""
        if self._hostnames is None:
            self._hostnames = self.store.bucket_hostnames()
        return self._hostnames

    def events(self, bucket_id: str, start: int, end: int) -> list[Event]:
        """Events of a bucket in [start, end], clipped, newest first."""
        if self.cache is not None:
            return self.cache.events(bucket_id, start, end)
        return self.store.get_events(bucket_id, start, end, parsed=self._parsed)

    def event_columns(self, bucket_id: str, start: int, end: int) -> Columns | None:
        """Events of a bucket in [start, end] as columns, when reading through the cache."""
        if self.cache is None:
            return None
        return self.cache.columns(bucket_id, start, end)

    def event_count(self, bucket_id: str, start: int, end: int) -> int:
        """How many events of a bucket overlap [start, end]."""
        return self.store.count_events(bucket_id, start, end)


def to_wire(value: Any) -> Any:
    """A query result as JSON values: events in the wire format, everything else as it is."""
    if isinstance(value, Event):
        return event_to_wire(value)
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if callable(value):
        return None  # a function value (e.g. RETURN = flood;) has no JSON form
    return value


QUERY_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["query", "timeperiods"],
    "properties": {
        "query": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
            "description": "The program, as lines (joined with newlines) or one string",
        },
        "timeperiods": {
            "type": "array",
            "items": {"type": "string", "example": "2024-05-01T00:00:00+02:00/2024-05-02T00:00:00+02:00"},
        },
    },
}


class QueryApi:
    """The query endpoint over one store, with a cache of results per (query, timeperiod, name)."""

    def __init__(self, calls: StoreCalls, options: ServerOptions, functions: Mapping[str, QueryFunction]) -> None:
        self.calls = calls
        self.store = calls.store
        self.options = options
        self.functions = dict(functions)
        self.cache = ResultCache()
        self.events = EventCache(self.store)

    def _run(self, source: str, periods: list[Period], name: str) -> bytes:
        """The encoded JSON array of results: cached ones where still valid, the others computed."""
        keys = [(source, period.text, name) for period in periods]
        encoded = self.cache.valid(keys, self.store)
        missing = [period for period, key in zip(periods, keys, strict=True) if key not in encoded]
        if missing or not periods:
            seq, generation = self.store.change_token()  # before reading: later changes invalidate
            shared = StoreBuckets(self.store, self.events)
            recorders: list[RecordingSource] = []

            def recording(period: Period) -> RecordingSource:
                recorders.append(RecordingSource(shared))
                return recorders[-1]

            results = run_periods(source, missing, recording, self.functions, name)
            with collector_paused():
                computed = [
                    (period, to_wire(result), recorders[-1].reads)
                    for period, result in zip(missing, results, strict=True)
                ]
            for period, wire, reads in computed:
                key = (source, period.text, name)
                encoded[key] = orjson.dumps(wire)
                self.cache.put(key, Entry(seq, generation, tuple(reads), encoded[key]))
        return b"[" + b",".join(encoded[key] for key in keys) + b"]"

    async def query(self, request: Request) -> Response:
        """Run a query for each timeperiod."""
        body = await read_json(request, self.options.max_body)
        if not isinstance(body, dict):
            raise QueryParseException('The body must be {"query": [...], "timeperiods": [...]}')
        lines = body.get("query")
        if isinstance(lines, str):
            source = lines
        elif isinstance(lines, list) and all(isinstance(line, str) for line in lines):
            source = "\n".join(lines)
        else:
            raise QueryParseException("'query' must be a list of strings (the lines of the program)")
        raw_periods = body.get("timeperiods")
        if not isinstance(raw_periods, list):
            raise QueryParseException("'timeperiods' must be a list of '<start>/<end>' strings")
        periods = [parse_timeperiod(text) for text in raw_periods]
        name = request.query_params.get("name", "")
        body = await self.calls.slow(self._run, source, periods, name)
        return Response(body, media_type="application/json")

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        return [
            Operation(
                "POST",
                "/api/0/query/",
                self.query,
                "Run a query",
                "query",
                aliases=("/api/0/query",),
                params=(Param("name", "query", {"type": "string"}, "A label (ignored)"),),
                body=json_body(QUERY_BODY),
                replies={200: Reply("One result per timeperiod", {"type": "array", "items": {}})},
                errors=(400, 413, 415, 422),
            )
        ]
