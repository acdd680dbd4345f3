"""`activitywatch import`: a file or every ActivityWatch database found, with a progress bar and a summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from activitywatch.app import import_sources, open_import
from activitywatch.config import Settings
from activitywatch.core.timestamps import format_timestamp
from activitywatch.importers import Found, Source, SourceError, already_imported, find_activitywatch, open_source
from activitywatch.store import ImportReport

BAR_WIDTH = 30
EXIT_NOTHING = 1  # --activitywatch found databases, and none of them can be read
REDRAW_SECONDS = 0.2


def progress_bar(total: int, out: TextIO) -> Callable[[int], None] | None:
    """A callback drawing `[####----]  52%  520,000 / 1,000,000 events` on a terminal (None elsewhere)."""
    if not out.isatty() or total <= 0:
        return None
    last = 0.0

    def draw(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < REDRAW_SECONDS and done < total:
            return
        last = now
        share = min(done / total, 1.0)
        filled = round(share * BAR_WIDTH)
        end = "\n" if done >= total else ""
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        out.write(f"\r[{bar}] {share:4.0%}  {done:,} / {total:,} events{end}")
        out.flush()

    return draw


def summary(source: Source, report: ImportReport) -> list[str]:
    """What an import did, per bucket, then the settings, then one line in total."""
    lines = []
    for part in report.buckets:
        unreadable = source.unreadable.get(part.bucket_id, 0)
        lines.append(
            f"  {part.bucket_id}: {part.imported:,} imported, {part.skipped:,} already stored, "
            f"{part.filtered:,} filtered" + (f", {unreadable:,} unreadable rows left out" if unreadable else "")
        )
    lines += [f"  left out: {reason}" for reason in source.unreadable_buckets]
    if report.settings_added or report.settings_kept:
        added = ", ".join(report.settings_added) or "none"
        kept = f"; kept as set here: {', '.join(report.settings_kept)}" if report.settings_kept else ""
        lines.append(f"  settings imported: {added}{kept}")
    total = len(report.buckets_created) + len(report.buckets_merged)
    lines.append(
        f"Imported {report.events_imported} events into {total} buckets ({len(report.buckets_created)} created,"
        f" {len(report.buckets_merged)} merged); skipped {report.events_skipped} already stored"
        + (f" and {report.events_filtered} dropped by privacy filters." if report.events_filtered else ".")
    )
    return lines


def _day(ns: int | None) -> str:
    return "?" if ns is None else format_timestamp(ns)[:10]


def describe(found: Found, source: Source) -> str:
    """One line about a database found: where, which server, how many events over which days."""
    start, end = source.span
    return (
        f"{found.label}: {found.path}\n    {source.event_count:,} events in {len(source.summaries)} buckets, "
        f"{_day(start)} to {_day(end)}" + (", with settings" if source.settings else "")
    )


def import_one(settings: Settings, source: Source, err: TextIO) -> None:
    """Import an opened source with a progress bar, then print its summary."""
    print(f"Importing {source.kind}: {source.path}", file=err, flush=True)
    bar = progress_bar(source.event_count, err)
    [report] = import_sources(settings, [source], bar)
    if bar is not None:  # rows left out as unreadable never reach the count: show the end
        bar(source.event_count)
    print("\n".join(summary(source, report)), file=err)


def run_import(settings: Settings, path: str | None, activitywatch: bool, yes: bool) -> int:
    """The `import` command; return the exit status."""
    err = sys.stderr
    if not activitywatch:
        with open_import(None if path == "-" else Path(str(path))) as source:
            import_one(settings, source, err)
        return 0
    found = find_activitywatch()
    if not found:
        print("No ActivityWatch database was found in this computer's usual places.", file=err)
        return 0
    opened: list[tuple[Found, Source]] = []
    try:
        for item in found:
            try:
                opened.append((item, open_source(item.path, item.settings_file)))
            except SourceError as exc:  # one damaged database does not hide the others
                print(f"{item.label}: {item.path}\n    cannot be imported: {exc.message}", file=sys.stdout)
        held = already_imported([(item, source.summaries) for item, source in opened])
        sources = []
        for n, (item, source) in enumerate(opened):
            print(describe(item, source), file=sys.stdout)
            if n in held:
                print("    already in aw-server-rust's database (it imported this one itself): left out")
            else:
                sources.append(source)
        if not sources:
            return EXIT_NOTHING if not opened else 0
        if not yes:
            print("Run `activitywatch import --activitywatch --yes` to import them all.", file=err)
            return 0
        for source in sources:
            import_one(settings, source, err)
    finally:
        for _, source in opened:
            source.close()
    return 0
