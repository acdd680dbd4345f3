"""JSON Schemas (OpenAPI 3.0 dialect) of the wire format, for the API document."""

from __future__ import annotations

from activitywatch.core.timestamps import MAX_NS, NS_PER_SECOND
from activitywatch.core.wire import MAX_EVENT_ID, MAX_ID_LENGTH, MAX_SETTING_KEY_LENGTH
from activitywatch.server.operations import Schema


def ref(name: str) -> Schema:
    """A reference to a named schema."""
    return {"$ref": f"#/components/schemas/{name}"}


TIMESTAMP: Schema = {
    "type": "string",
    "format": "date-time",
    # Years 1678-2261: the span of 64-bit nanoseconds (the exact bounds are 1677-09-21 and 2262-04-11).
    "pattern": "^(16(7[89]|[89][0-9])|1[7-9][0-9]{2}|2[01][0-9]{2}|22[0-5][0-9]|226[01])-",
    "description": "RFC 3339; without an offset it is read as UTC. Supported: years 1678 to 2261.",
    "example": "2024-05-01T12:00:00Z",
}
DURATION: Schema = {
    "type": "number",
    "minimum": 0,
    "maximum": MAX_NS // NS_PER_SECOND,
    "description": "Seconds",
}
BUCKET_ID: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_ID_LENGTH,
    "pattern": "^[^/\\x00-\\x1f\\x7f]+$",
}
EVENT_ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_EVENT_ID}
SETTING_KEY: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_SETTING_KEY_LENGTH,
    "pattern": "^[^\\x00-\\x1f\\x7f]+$",
}

COMPONENTS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"}},
    },
    "EventIn": {
        "type": "object",
        "required": ["timestamp"],
        "properties": {
            "id": {
                **EVENT_ID,
                "nullable": True,
                "description": "Replaces that event of the bucket; an id of no event of this bucket is ignored",
            },
            "timestamp": TIMESTAMP,
            "duration": {**DURATION, "nullable": True, "description": "Seconds (default 0)"},
            "data": {
                "type": "object",
                "nullable": True,
                "description": 'Any JSON object, e.g. {"app": ..., "title": ...} (default {})',
            },
        },
    },
    "Event": {
        "type": "object",
        "required": ["id", "timestamp", "duration", "data"],
        "properties": {
            "id": {"type": "integer", "nullable": True},
            "timestamp": {"type": "string", "format": "date-time"},
            "duration": {"type": "number", "minimum": 0},
            "data": {"type": "object"},
        },
    },
    "BucketIn": {
        "type": "object",
        "required": ["client", "type", "hostname"],
        "properties": {
            "client": {"type": "string", "maxLength": 1024},
            "type": {"type": "string", "maxLength": 1024, "example": "currentwindow"},
            "hostname": {
                "type": "string",
                "maxLength": 1024,
                "description": "'!local' means this server's hostname (and sets data.device_id)",
            },
            "name": {"type": "string", "nullable": True, "maxLength": 1024},
            "created": {**TIMESTAMP, "nullable": True, "description": "Defaults to now"},
            "data": {"type": "object", "nullable": True},
            "events": {
                "type": "array",
                "nullable": True,
                "items": ref("EventIn"),
                "description": "Inserted with the bucket",
            },
        },
    },
    "BucketUpdate": {
        "type": "object",
        "required": ["client", "type", "hostname"],
        "properties": {
            "client": {"type": "string", "maxLength": 1024},
            "type": {"type": "string", "maxLength": 1024},
            "hostname": {"type": "string", "maxLength": 1024},
            "name": {"type": "string", "nullable": True, "maxLength": 1024},
            "data": {"type": "object", "nullable": True},
        },
    },
    "Bucket": {
        "type": "object",
        "required": ["id", "type", "client", "hostname", "created", "data", "metadata"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string", "nullable": True},
            "type": {"type": "string"},
            "client": {"type": "string"},
            "hostname": {"type": "string"},
            "created": {"type": "string", "format": "date-time"},
            "data": {"type": "object"},
            "metadata": {
                "type": "object",
                "properties": {
                    "start": {"type": "string", "format": "date-time", "nullable": True},
                    "end": {"type": "string", "format": "date-time", "nullable": True},
                },
            },
            "last_updated": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
    "SyncDevice": {
        "type": "object",
        "required": ["device_id", "hostname", "this_device", "error"],
        "properties": {
            "device_id": {"type": "string"},
            "hostname": {"type": "string"},
            "this_device": {"type": "boolean"},
            "last_push": {"type": "string", "format": "date-time", "nullable": True},
            "last_pull": {"type": "string", "format": "date-time", "nullable": True},
            "last_seen": {"type": "string", "format": "date-time", "nullable": True},
            "first_event": {"type": "string", "format": "date-time", "nullable": True},
            "last_event": {"type": "string", "format": "date-time", "nullable": True},
            "buckets": {"type": "integer", "description": "This device's buckets in this store"},
            "events_synced": {"type": "integer", "description": "Events pushed (this device) or applied from it"},
            "segments_behind": {"type": "integer"},
            "error": {"type": "string", "nullable": True},
        },
    },
    "SyncDevices": {
        "type": "object",
        "required": ["enabled", "devices"],
        "properties": {
            "enabled": {"type": "boolean", "description": "Whether this device syncs"},
            "folder": {"type": "string", "nullable": True},
            "errors": {"type": "array", "items": {"type": "string"}},
            "devices": {"type": "array", "items": ref("SyncDevice")},
        },
    },
    "Info": {
        "type": "object",
        "required": ["hostname", "version", "testing", "device_id"],
        "properties": {
            "hostname": {"type": "string"},
            "version": {"type": "string"},
            "testing": {"type": "boolean"},
            "device_id": {"type": "string"},
            "watchers": {
                "type": "object",
                "description": "Added by this edition: each built-in watcher's state, the desktop backend it "
                "uses (e.g. 'wlr-foreign-toplevel-management') and, when it cannot work, the reason",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "state": {"type": "string"},
                        "backend": {"type": "string"},
                        "reason": {"type": "string"},
                    },
                },
            },
        },
    },
    "ExportBucket": {
        "allOf": [
            ref("BucketIn"),
            {
                "type": "object",
                "required": ["events"],
                "properties": {
                    "id": {"type": "string"},
                    "events": {"type": "array", "nullable": True, "items": ref("EventIn")},
                },
            },
        ]
    },
    "Export": {
        "type": "object",
        "required": ["buckets"],
        "properties": {"buckets": {"type": "object", "additionalProperties": ref("ExportBucket")}},
    },
    "ImportResult": {
        "type": "object",
        "properties": {
            "buckets_created": {"type": "array", "items": {"type": "string"}},
            "buckets_merged": {"type": "array", "items": {"type": "string"}},
            "events_imported": {"type": "integer"},
            "events_skipped": {"type": "integer", "description": "Duplicates of stored events"},
            "events_filtered": {"type": "integer", "description": "Dropped by a privacy filter"},
        },
    },
}
