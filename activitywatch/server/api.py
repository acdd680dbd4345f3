"""The `/api/0` endpoints: buckets, events, heartbeats, settings, info and log."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitywatch.core.allocation import collector_paused
from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import NS_PER_SECOND
from activitywatch.core.wire import (
    bucket_from_wire,
    bucket_to_wire,
    check_bucket_id,
    check_setting_key,
    check_value,
    event_from_wire,
    event_to_wire,
    events_from_wire,
    events_to_wire,
    json_type,
)
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import bad_request, unprocessable
from activitywatch.server.inputs import (
    parse_json,
    path_event_id,
    query_int,
    query_seconds,
    query_timestamp,
    read_body,
    read_json,
    require_json_type,
)
from activitywatch.server.operations import Operation, Param, Reply, json_body
from activitywatch.server.options import ServerOptions
from activitywatch.server.responses import empty_response, json_response
from activitywatch.server.schemas import BUCKET_ID, EVENT_ID, SETTING_KEY, TIMESTAMP, ref

log = logging.getLogger(__name__)

LOCAL_HOSTNAME = "!local"
LOG_LINES = 1000

P_BUCKET = Param("bucket_id", "path", BUCKET_ID, required=True)
P_EVENT = Param("event_id", "path", EVENT_ID, required=True)
P_KEY = Param("key", "path", SETTING_KEY, required=True)
P_START = Param("start", "query", TIMESTAMP, "Only events overlapping [start, end], clipped to it")
P_END = Param("end", "query", TIMESTAMP)


def bucket_id_of(request: Request) -> str:
    """The `{bucket_id}` path parameter, checked."""
    try:
        return check_bucket_id(request.path_params["bucket_id"])
    except InvalidInput as exc:
        raise bad_request(exc.message) from None


class Api:
    """Handlers of the core endpoints over one store."""

    def __init__(self, calls: StoreCalls, options: ServerOptions) -> None:
        self.calls = calls
        self.store = calls.store
        self.options = options

    # ------------------------------------------------------------------ info and log

    async def info(self, request: Request) -> Response:
        """Who this server is."""
        o = self.options
        info: dict[str, object] = {
            "hostname": o.hostname,
            "version": o.version,
            "testing": o.testing,
            "device_id": o.device_id,
        }
        if o.watcher_info is not None:  # an added field: which desktop backend each watcher uses, or why not
            info["watchers"] = o.watcher_info()
        return json_response(info)

    async def log(self, request: Request) -> Response:
        """The last lines of this run's log file."""
        path = self.options.log_file
        if path is None or not path.exists():
            return json_response([])
        return json_response(await self.calls.slow(_tail, path, LOG_LINES))

    async def sync_devices(self, request: Request) -> Response:
        """Every sync device: last seen, data range, errors (read-only; only this one when sync is off)."""
        o = self.options
        if o.sync_devices is not None:  # reads the sync folder's manifests: in a worker thread
            return json_response(await self.calls.slow(o.sync_devices))
        own = {"device_id": o.device_id, "hostname": o.hostname, "this_device": True, "error": None}
        return json_response({"enabled": False, "folder": None, "errors": [], "devices": [own]})

    # ------------------------------------------------------------------ buckets

    async def list_buckets(self, request: Request) -> Response:
        """All buckets by id."""
        infos = await self.calls.read(self.store.list_buckets)
        return json_response({i.bucket.id: bucket_to_wire(i) for i in infos})

    async def get_bucket(self, request: Request) -> Response:
        """One bucket."""
        info = await self.calls.read(self.store.get_bucket, bucket_id_of(request))
        return json_response(bucket_to_wire(info))

    def _bucket_from_body(self, body: Any, bucket_id: str) -> Bucket:
        try:
            bucket = bucket_from_wire(body, bucket_id, self.store.now())
        except InvalidInput as exc:
            raise unprocessable(exc) from None
        if bucket.hostname == LOCAL_HOSTNAME:
            data = {**bucket.data, "device_id": self.options.device_id}
            bucket = Bucket(
                id=bucket.id,
                type=bucket.type,
                client=bucket.client,
                hostname=self.options.hostname,
                created=bucket.created,
                data=data,
                name=bucket.name,
            )
        return bucket

    async def create_bucket(self, request: Request) -> Response:
        """Create a bucket: 200, or 304 when it already exists."""
        bucket_id = bucket_id_of(request)
        body = await read_json(request, self.options.max_body)
        bucket = self._bucket_from_body(body, bucket_id)
        raw_events = body.get("events")
        if raw_events is not None and not isinstance(raw_events, list):
            raise unprocessable(
                InvalidInput(f"bucket: 'events' must be an array of events, not {json_type(raw_events)}")
            )
        try:
            events = events_from_wire(raw_events or [])
        except InvalidInput as exc:
            raise unprocessable(exc) from None
        write = self.calls.slow if len(events) > 1000 else self.calls.write
        created = await write(self.store.create_bucket, bucket, events)
        return empty_response(200 if created else 304)

    async def update_bucket(self, request: Request) -> Response:
        """Replace a bucket's metadata."""
        bucket_id = bucket_id_of(request)
        body = await read_json(request, self.options.max_body)
        if isinstance(body, dict) and body.get("events") is not None:
            raise unprocessable(InvalidInput("PUT changes a bucket's metadata only; post events to its /events"))
        bucket = self._bucket_from_body(body, bucket_id)
        info = await self.calls.write(self.store.update_bucket, bucket)
        return json_response(bucket_to_wire(info))

    async def delete_bucket(self, request: Request) -> Response:
        """Delete a bucket and its events (`?force=1` is accepted and not needed)."""
        await self.calls.slow(self.store.delete_bucket, bucket_id_of(request))
        return empty_response()

    # ------------------------------------------------------------------ events

    async def get_events(self, request: Request) -> Response:
        """Events, newest first, clipped to [start, end]."""
        bucket_id = bucket_id_of(request)
        start = query_timestamp(request, "start")
        end = query_timestamp(request, "end")
        limit = query_int(request, "limit", minimum=-1)
        if limit == -1:
            limit = None
        events = await self.calls.slow(self.store.get_events, bucket_id, start, end, limit)
        return json_response([event_to_wire(e) for e in events])

    async def count_events(self, request: Request) -> Response:
        """How many events (overlapping [start, end] if given)."""
        bucket_id = bucket_id_of(request)
        start = query_timestamp(request, "start")
        end = query_timestamp(request, "end")
        return json_response(await self.calls.slow(self.store.count_events, bucket_id, start, end))

    async def get_event(self, request: Request) -> Response:
        """One event."""
        event = await self.calls.read(self.store.get_event, bucket_id_of(request), path_event_id(request))
        return json_response(event_to_wire(event))

    async def post_events(self, request: Request) -> Response:
        """Insert events (an object or an array); an event with an id replaces it. Returns them with ids."""
        bucket_id = bucket_id_of(request)
        require_json_type(request)
        raw = await read_body(request, self.options.max_body)
        # A batch makes thousands of objects that all die with the request: the cyclic collector's
        # passes over them find nothing (see core/allocation.py), so it waits while they are made.
        with collector_paused():
            body = parse_json(raw)
            try:
                events = events_from_wire(body)
            except InvalidInput as exc:
                raise unprocessable(exc) from None
            del body, raw
        write = self.calls.slow if len(events) > 1000 else self.calls.write
        stored = await write(self.store.insert_events, bucket_id, events)
        with collector_paused():
            return json_response(events_to_wire(stored))

    async def delete_event(self, request: Request) -> Response:
        """Delete one event."""
        deleted = await self.calls.write(self.store.delete_event, bucket_id_of(request), path_event_id(request))
        return json_response({"success": deleted})

    async def heartbeat(self, request: Request) -> Response:
        """Merge a heartbeat into the last event or start a new one."""
        return json_response(await self.heartbeat_wire(request))

    async def heartbeat_wire(self, request: Request) -> dict[str, Any]:
        """The heartbeat's work, from the request's checks to the stored event in wire form (the
        generic route and the direct one in `heartbeat_route.py` both answer with this)."""
        bucket_id = bucket_id_of(request)
        pulsetime = query_seconds(request, "pulsetime", required=True)
        assert pulsetime is not None
        body = await read_json(request, self.options.max_body)
        try:
            event = event_from_wire(body, "heartbeat")
        except InvalidInput as exc:
            raise unprocessable(exc) from None
        if event.id is not None:  # a heartbeat never replaces a stored event by id
            event = Event(timestamp=event.timestamp, duration=event.duration, data=event.data)
        result = await self.calls.write(self.store.heartbeat, bucket_id, event, round(pulsetime * NS_PER_SECOND))
        return event_to_wire(result)

    # ------------------------------------------------------------------ settings

    @staticmethod
    def _key(request: Request) -> str:
        try:
            return check_setting_key(request.path_params["key"])
        except InvalidInput as exc:
            raise bad_request(exc.message) from None

    async def get_settings(self, request: Request) -> Response:
        """All settings."""
        return json_response(await self.calls.read(self.store.get_settings))

    async def get_setting(self, request: Request) -> Response:
        """One setting (null when unset)."""
        return json_response(await self.calls.read(self.store.get_setting, self._key(request)))

    async def set_setting(self, request: Request) -> Response:
        """Store any JSON value under a key: 201."""
        key = self._key(request)
        value = await read_json(request, self.options.max_body)
        try:
            check_value(value, "setting value")
            await self.calls.write(self.store.set_setting, key, value)  # some keys have rules (privacy_filters)
        except InvalidInput as exc:
            raise unprocessable(exc) from None
        return empty_response(201)

    async def delete_setting(self, request: Request) -> Response:
        """Remove a setting."""
        await self.calls.write(self.store.delete_setting, self._key(request))
        return empty_response()

    # ------------------------------------------------------------------ the table

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        json_404 = (400, 404)
        write_errors = (400, 404, 413, 415, 422)
        events_body = json_body(
            {"oneOf": [ref("EventIn"), {"type": "array", "items": ref("EventIn")}]},
            "One event or an array of events",
        )
        return [
            Operation(
                "GET",
                "/api/0/info",
                self.info,
                "Server information",
                "info",
                replies={200: Reply("Hostname, version, testing mode, device id", ref("Info"))},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/log",
                self.log,
                "The last lines of the server log",
                "info",
                replies={200: Reply("Log lines", {"type": "array", "items": {"type": "string"}})},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/sync/devices",
                self.sync_devices,
                "Every sync device: last seen, data range, errors",
                "info",
                replies={200: Reply("Sync on or off, and each device's state", ref("SyncDevices"))},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/buckets/",
                self.list_buckets,
                "List buckets",
                "buckets",
                aliases=("/api/0/buckets",),
                replies={200: Reply("Buckets by id", {"type": "object", "additionalProperties": ref("Bucket")})},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/buckets/{bucket_id}",
                self.get_bucket,
                "Get a bucket",
                "buckets",
                params=(P_BUCKET,),
                replies={200: Reply("The bucket", ref("Bucket"))},
                errors=json_404,
            ),
            Operation(
                "POST",
                "/api/0/buckets/{bucket_id}",
                self.create_bucket,
                "Create a bucket",
                "buckets",
                params=(P_BUCKET,),
                body=json_body(ref("BucketIn")),
                replies={200: Reply("Created (empty body)", None), 304: Reply("Already exists", None)},
                errors=(400, 413, 415, 422),
            ),
            Operation(
                "PUT",
                "/api/0/buckets/{bucket_id}",
                self.update_bucket,
                "Update a bucket's metadata",
                "buckets",
                params=(P_BUCKET,),
                body=json_body(ref("BucketUpdate")),
                replies={200: Reply("The updated bucket", ref("Bucket"))},
                errors=write_errors,
            ),
            Operation(
                "DELETE",
                "/api/0/buckets/{bucket_id}",
                self.delete_bucket,
                "Delete a bucket and its events",
                "buckets",
                params=(P_BUCKET, Param("force", "query", {"type": "string"}, "Accepted; not needed")),
                replies={200: Reply("Deleted (empty body)", None)},
                errors=json_404,
            ),
            Operation(
                "GET",
                "/api/0/buckets/{bucket_id}/events",
                self.get_events,
                "Get events",
                "events",
                params=(
                    P_BUCKET,
                    P_START,
                    P_END,
                    Param(
                        "limit",
                        "query",
                        {"type": "integer", "minimum": -1},
                        "At most this many (newest first); -1 for all",
                    ),
                ),
                replies={200: Reply("Events, newest first", {"type": "array", "items": ref("Event")})},
                errors=json_404,
            ),
            Operation(
                "POST",
                "/api/0/buckets/{bucket_id}/events",
                self.post_events,
                "Insert or replace events",
                "events",
                params=(P_BUCKET,),
                body=events_body,
                replies={200: Reply("The stored events with ids", {"type": "array", "items": ref("Event")})},
                errors=write_errors,
            ),
            Operation(
                "GET",
                "/api/0/buckets/{bucket_id}/events/count",
                self.count_events,
                "Count events",
                "events",
                params=(P_BUCKET, P_START, P_END),
                replies={200: Reply("Number of events", {"type": "integer"})},
                errors=json_404,
            ),
            Operation(
                "GET",
                "/api/0/buckets/{bucket_id}/events/{event_id}",
                self.get_event,
                "Get one event",
                "events",
                params=(P_BUCKET, P_EVENT),
                replies={200: Reply("The event", ref("Event"))},
                errors=json_404,
            ),
            Operation(
                "DELETE",
                "/api/0/buckets/{bucket_id}/events/{event_id}",
                self.delete_event,
                "Delete one event",
                "events",
                params=(P_BUCKET, P_EVENT),
                replies={
                    200: Reply(
                        "Whether an event was deleted",
                        {"type": "object", "properties": {"success": {"type": "boolean"}}},
                    )
                },
                errors=json_404,
            ),
            Operation(
                "POST",
                "/api/0/buckets/{bucket_id}/heartbeat",
                self.heartbeat,
                "Send a heartbeat",
                "events",
                params=(
                    P_BUCKET,
                    Param(
                        "pulsetime",
                        "query",
                        {"type": "number", "minimum": 0, "maximum": 1e9},
                        "Seconds after the last event's end within which it merges",
                        required=True,
                    ),
                ),
                body=json_body(ref("EventIn")),
                replies={200: Reply("The merged or inserted event", ref("Event"))},
                errors=write_errors,
            ),
            Operation(
                "GET",
                "/api/0/settings",
                self.get_settings,
                "All settings",
                "settings",
                aliases=("/api/0/settings/",),
                replies={200: Reply("Settings by key", {"type": "object"})},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/settings/{key}",
                self.get_setting,
                "Get a setting",
                "settings",
                params=(P_KEY,),
                replies={200: Reply("The value, or null", {"nullable": True})},
            ),
            Operation(
                "POST",
                "/api/0/settings/{key}",
                self.set_setting,
                "Set a setting",
                "settings",
                params=(P_KEY,),
                body=json_body({"nullable": True}, "Any JSON value"),
                replies={201: Reply("Stored (empty body)", None)},
                errors=(400, 413, 415, 422),
            ),
            Operation(
                "DELETE",
                "/api/0/settings/{key}",
                self.delete_setting,
                "Delete a setting",
                "settings",
                params=(P_KEY,),
                replies={200: Reply("Deleted (empty body)", None)},
            ),
        ]


def _tail(path: Any, lines: int) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\n") for line in deque(f, maxlen=lines)]
