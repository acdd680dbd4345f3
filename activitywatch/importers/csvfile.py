"""Other trackers' CSV exports (RescueTime, Toggl, or any table with a start and an end or a duration).

The header row says which column is what, by name (case and spacing ignored): the start (`Start`,
`Timestamp`, `Date`, or Toggl's `Start date` + `Start time`), the end (`End`, `Stop`, or `End date` +
`End time`) or the duration (seconds, or `H:MM:SS`; RescueTime's `Time Spent (seconds)`), the app
(`App`, `Application`, RescueTime's `Activity`, Toggl's `Project`), the title (`Title`, `Document`,
Toggl's `Description`) and the URL. Every other column is kept in the event's data under its name. Times
without an offset are this computer's local time (these exports are written in the user's time zone).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import NS_PER_SECOND
from activitywatch.importers.source import Batcher, Batches, BucketSummary, Source, SourceError

SNIFF_LINES = 5
FIELD_LIMIT = 1 << 20

ALIASES = {
    "start": ("start", "start time", "starttime", "timestamp", "date", "begin", "from", "started"),
    "end": ("end", "end time", "endtime", "stop", "to", "ended"),
    "duration": ("duration", "duration (seconds)", "seconds", "time spent (seconds)"),
    "app": ("app", "application", "activity", "project"),
    "title": ("title", "window title", "document", "description"),
    "url": ("url",),
}
PAIRS = {"start": ("start date", "start time"), "end": ("end date", "end time")}
_HMS = re.compile(r"(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)")


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").strip().lower().split())


def _columns(header: list[str]) -> dict[str, tuple[int, ...]]:
    """Which column(s) hold each field (start and end may be a date and a time column)."""
    keys = [_key(h) for h in header]
    found: dict[str, tuple[int, ...]] = {}
    for field, (date_name, time_name) in PAIRS.items():
        if date_name in keys and time_name in keys:
            found[field] = (keys.index(date_name), keys.index(time_name))
    for field, names in ALIASES.items():
        if field not in found:
            index = next((keys.index(n) for n in names if n in keys), None)
            if index is not None:
                found[field] = (index,)
    return found


def _kind(header: list[str]) -> tuple[str, str]:
    """(what the file is, the bucket it goes to)."""
    keys = {_key(h) for h in header}
    if {"start date", "start time", "duration"} <= keys:
        return "a Toggl export (CSV)", "toggl-import"
    if {"time spent (seconds)", "activity"} <= keys:
        return "a RescueTime export (CSV)", "rescuetime-import"
    return "a CSV table of events", ""


def _time(text: str) -> int | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as the exporting tracker showed it
    return round(moment.timestamp() * 1_000_000) * 1000


def _duration(text: str) -> int | None:
    text = text.strip()
    hms = _HMS.fullmatch(text)
    try:
        seconds = int(hms[1]) * 3600 + int(hms[2]) * 60 + float(hms[3]) if hms else float(text)
    except ValueError:
        return None
    return round(seconds * NS_PER_SECOND) if 0 <= seconds < 10 * 365 * 86400 else None


def looks_like_csv(head: bytes) -> list[str] | None:
    """The header row, if the start of a file is a CSV table with a start and an end or a duration."""
    try:
        text = head.decode("utf-8-sig", "ignore")
    except UnicodeDecodeError:
        return None
    lines = text.splitlines()[:SNIFF_LINES]
    if not lines:
        return None
    try:
        header = next(csv.reader(io.StringIO(lines[0])))
    except (csv.Error, StopIteration):
        return None
    columns = _columns(header)
    return header if "start" in columns and ("end" in columns or "duration" in columns) else None


class CsvSource(Source):
    """A CSV table read row by row."""

    def __init__(self, path: Path) -> None:
        csv.field_size_limit(FIELD_LIMIT)  # a long window title is one field
        try:
            with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
                reader = csv.reader(f)
                header = next(reader)
                rows = sum(1 for _ in reader)
        except (OSError, csv.Error, StopIteration) as exc:
            raise SourceError(f"{path} cannot be read as a CSV table: {exc}.") from None
        self._columns = _columns(header)
        kind, bucket_id = _kind(header)
        taken = {i for indexes in self._columns.values() for i in indexes}
        self._extra = [(i, _key(h).replace(" ", "_")) for i, h in enumerate(header) if i not in taken and h.strip()]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-") or "csv"
        bucket = Bucket(
            id=bucket_id or f"csv-import_{slug}",
            type="currentwindow" if "app" in self._columns or "title" in self._columns else "csv.event",
            client="activitywatch-import",
            hostname="unknown",
            created=time.time_ns(),
            data={"imported_from": path.name},
        )
        super().__init__(kind, path, [BucketSummary(bucket, rows, None, None)])

    def _cell(self, row: list[str], field: str) -> str | None:
        indexes = self._columns.get(field)
        if indexes is None or max(indexes) >= len(row):
            return None
        return " ".join(row[i].strip() for i in indexes)

    def _event(self, row: list[str]) -> Event | None:
        start_text = self._cell(row, "start")
        start = _time(start_text) if start_text else None
        if start is None:
            return None
        end_text, duration_text = self._cell(row, "end"), self._cell(row, "duration")
        if duration_text:
            duration = _duration(duration_text)
        else:
            end = _time(end_text) if end_text else None
            duration = None if end is None or end < start else end - start
        if duration is None:
            return None
        data: dict[str, str] = {}
        for field in ("app", "title", "url"):
            value = self._cell(row, field)
            if value:
                data[field] = value
        for index, name in self._extra:
            if index < len(row) and row[index].strip():
                data[name] = row[index].strip()
        return Event(start, duration, data)

    def buckets(self) -> Iterator[tuple[Bucket, Batches]]:
        """The table's one bucket with its events in batches."""
        bucket = self.summaries[0].bucket
        yield bucket, self._events(bucket.id)

    def _events(self, bucket_id: str) -> Batches:
        batcher = Batcher()
        try:
            with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
                reader = csv.reader(f)
                next(reader)
                for row in reader:
                    event = self._event(row) if row else None
                    if event is None:
                        self.skip(bucket_id)
                        continue
                    full = batcher.add(event, sum(len(v) for v in row))
                    if full is not None:
                        yield full
        except (OSError, csv.Error) as exc:
            raise SourceError(f"{self.path} cannot be read as a CSV table: {exc}.") from None
        rest = batcher.rest()
        if rest is not None:
            yield rest
