"""Stable report ids: the small integers the reports give each computer, user, application and website.

An id is handed out the first time a report meets the name and never changes or gets reused, so a
client may keep it (as it would keep the Live Data API's ids).
"""

from __future__ import annotations

from collections.abc import Iterable

import apsw
import orjson

from activitywatch.core.errors import InvalidInput
from activitywatch.store.database import rows as fetch

KINDS = ("computer", "user", "application", "website")

SQL_IDS_ALL = "SELECT name, id FROM report_ids WHERE kind = ? ORDER BY id"
SQL_IDS_OF = "SELECT name, id FROM report_ids WHERE kind = ? AND name IN (SELECT value FROM json_each(?))"
SQL_ID_ADD = (
    "INSERT INTO report_ids (kind, name, id)"
    " VALUES (:kind, :name, (SELECT coalesce(max(id), 0) + 1 FROM report_ids WHERE kind = :kind))"
    " ON CONFLICT DO NOTHING"
)


def check_kind(kind: str) -> None:
    """InvalidInput for a kind of id the reports do not have."""
    if kind not in KINDS:
        raise InvalidInput(f"There are no report ids of kind {kind!r}")


def known(conn: apsw.Connection, kind: str, names: Iterable[str] | None) -> dict[str, int]:
    """{name: id} of the names (None: every name) that have an id."""
    if names is None:
        return dict(fetch(conn, SQL_IDS_ALL, (kind,)))
    return dict(fetch(conn, SQL_IDS_OF, (kind, orjson.dumps(list(names)).decode())))


def assign(conn: apsw.Connection, kind: str, names: Iterable[str]) -> None:
    """Give the next free ids to the names that have none (call inside a write transaction)."""
    for name in names:
        conn.execute(SQL_ID_ADD, {"kind": kind, "name": name})
