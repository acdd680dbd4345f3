"""The SQLite event store (apsw): schema, migrations, one writer, per-thread readers."""

from activitywatch.store.store import ImportReport, Store

__all__ = ["ImportReport", "Store"]
