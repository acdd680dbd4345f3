"""The SQLite event store (apsw): schema, migrations, one writer, per-thread readers."""

from activitywatch.store.activity_log import LogFilter, LogPage, LogPosition, LogRow
from activitywatch.store.store import TOKEN_NAME, TOKEN_SCOPES, ForgetReport, ImportReport, Store, TokenInfo

__all__ = [
    "TOKEN_NAME",
    "TOKEN_SCOPES",
    "ForgetReport",
    "ImportReport",
    "LogFilter",
    "LogPage",
    "LogPosition",
    "LogRow",
    "Store",
    "TokenInfo",
]
