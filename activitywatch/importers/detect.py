"""Telling what a file is by its content (never its name) and opening it for import."""

from __future__ import annotations

from pathlib import Path

from activitywatch.importers import awpython, awrust
from activitywatch.importers.csvfile import CsvSource, looks_like_csv
from activitywatch.importers.exportfile import open_export
from activitywatch.importers.locations import python_settings_file
from activitywatch.importers.source import Source, SourceError
from activitywatch.importers.sqlitefile import SQLITE_HEADER, ReadOnlyDatabase

SNIFF_BYTES = 4096


def open_source(path: Path, settings_file: Path | None = None) -> Source:
    """Open `path` for import: an export, an aw-server-rust or an aw-server (python) database, a CSV table.

    `settings_file`: aw-server (python)'s settings.json (looked up beside the database when not given).
    Anything else is a SourceError with one sentence.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder; give the database or export file in it.") from None
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror}.") from None
    if head.startswith(SQLITE_HEADER):
        return _open_database(path, settings_file)
    if head.lstrip()[:1] == b"{":
        return open_export(path)
    if not head:
        raise SourceError(f"{path} is empty.")
    if looks_like_csv(head) is not None:
        return CsvSource(path)
    raise SourceError(
        f"{path} is neither an ActivityWatch export nor an ActivityWatch database (aw-server or aw-server-rust),"
        " nor a CSV table with a start and an end or a duration column."
    )


def _open_database(path: Path, settings_file: Path | None) -> Source:
    db = ReadOnlyDatabase(path)
    try:
        tables = db.tables()
        if awrust.matches(tables):
            return awrust.AwServerRustSource(db, tables)
        if awpython.matches(tables):
            return awpython.AwServerPythonSource(db, tables, settings_file or python_settings_file(path))
        names = ", ".join(sorted(tables)) or "none"
        raise SourceError(f"{path} is an SQLite database, but not one of ActivityWatch's (its tables: {names}).")
    except BaseException:
        db.close()
        raise
