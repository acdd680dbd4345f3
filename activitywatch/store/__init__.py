"""The SQLite event store (apsw): schema, migrations, one writer, per-thread readers."""

from activitywatch.store.store import TOKEN_NAME, TOKEN_SCOPES, ForgetReport, ImportReport, LogRow, Store, TokenInfo

__all__ = ["TOKEN_NAME", "TOKEN_SCOPES", "ForgetReport", "ImportReport", "LogRow", "Store", "TokenInfo"]
