"""Rows to models and data to canonical JSON text, shared by the store's modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event

SQL_BUCKET_INSERT = "INSERT INTO buckets (id, name, type, client, hostname, created, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
SQL_BUCKET_ROW = "SELECT key, id, name, type, client, hostname, created, data, max_duration FROM buckets"


def dump_json(value: Any, what: str = "data") -> str:
    """Canonical JSON text (sorted keys, compact): equal data is stored as equal text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise InvalidInput(f"{what} cannot be stored as JSON: {exc}") from None


def load_json(text: str | bytes) -> Any:
    """Parse JSON text stored by `dump_json`."""
    return orjson.loads(text)


def event_from_row(row: Sequence[Any]) -> Event:
    """An event from `SELECT id, starttime, endtime, data`."""
    return Event(id=row[0], timestamp=row[1], duration=row[2] - row[1], data=load_json(row[3]))


def bucket_from_row(row: Sequence[Any]) -> Bucket:
    """A bucket from `SQL_BUCKET_ROW`."""
    return Bucket(
        id=row[1],
        name=row[2],
        type=row[3],
        client=row[4],
        hostname=row[5],
        created=row[6],
        data=load_json(row[7]),
    )
