"""The SQLite event store (apsw): schema, migrations, one writer, per-thread readers."""

from activitywatch.store.store import ForgetReport, ImportReport, LogRow, Store, TokenInfo

__all__ = ["ForgetReport", "ImportReport", "LogRow", "Store", "TokenInfo"]
