"""The desktop tracker's import side: finding ActivityWatch's databases and importing files into the store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from activitywatch.importers import (
    BucketSummary,
    Found,
    Source,
    SourceError,
    already_imported,
    find_activitywatch,
    open_source,
)
from activitywatch.store import ImportReport, Store
from activitywatch.ui.backend import FoundData, Progress

log = logging.getLogger(__name__)


def summary_sentence(reports: Sequence[ImportReport]) -> str:
    """'Imported 1,204,311 events into 6 buckets; 12 were already there.'"""
    imported = sum(r.events_imported for r in reports)
    skipped = sum(r.events_skipped for r in reports)
    filtered = sum(r.events_filtered for r in reports)
    buckets = len({b.bucket_id for r in reports for b in r.buckets})
    settings = sorted({k for r in reports for k in r.settings_added})
    return (
        f"Imported {imported:,} events into {buckets} bucket{'s' if buckets != 1 else ''}; "
        f"{skipped:,} were already there"
        + (f", {filtered:,} were dropped by privacy filters" if filtered else "")
        + (f". Settings imported: {', '.join(settings)}." if settings else ".")
    )


def _shifted(progress: Progress, offset: int, total: int, done: int) -> None:
    progress(offset + done, total)


class TrackerImports:
    """Tracker methods (ui.backend.Tracker) for importing; mixed into the desktop tracker, which has `store`."""

    store: Store

    def find_activitywatch(self) -> list[FoundData]:
        """The ActivityWatch databases in this computer's usual places, with their events and span."""
        opened: list[tuple[Found, list[BucketSummary]]] = []
        for item in find_activitywatch():
            try:
                with open_source(item.path, item.settings_file) as source:
                    opened.append((item, source.summaries))
            except SourceError as exc:
                log.warning("Not offering %s: %s", item.path, exc.message)
        held = already_imported(opened)
        found = []
        for n, (item, summaries) in enumerate(opened):
            if n in held:
                log.info("Not offering %s: aw-server-rust's database already holds it", item.path)
                continue
            starts = [s.start for s in summaries if s.start is not None]
            ends = [s.end for s in summaries if s.end is not None]
            events = sum(s.events for s in summaries)
            found.append(FoundData(item.label, item.path, events, min(starts, default=None), max(ends, default=None)))
        return found

    def import_files(self, paths: Sequence[Path], progress: Progress) -> str:
        """Import each file in its own transaction (all checked to open first); what was stored, as a sentence."""
        sources: list[Source] = []
        try:
            for path in paths:
                sources.append(open_source(path))
            total = sum(source.event_count for source in sources)
            reports = []
            before = 0
            for source in sources:
                shifted = partial(_shifted, progress, before, total)
                reports.append(self.store.import_stream(source.buckets(), source.settings, shifted))
                before += source.event_count
            progress(total, total)
        finally:
            for source in sources:
                source.close()
        return summary_sentence(reports)
