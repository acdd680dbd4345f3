"""Other trackers' CSV exports (samples in tests/samples/ in the trackers' own formats): Toggl's detailed
report, RescueTime's interval data, and a plain table with start, end, app, title and url."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from activitywatch.importers import open_source
from activitywatch.store import Store
from tests.conftest import LiveServer, run_cli

SAMPLES = Path(__file__).parent / "samples"
SEC = 10**9


def local(text: str) -> int:
    """A time written without an offset, read as this computer's local time."""
    return round(datetime.fromisoformat(text).astimezone().timestamp()) * SEC


def stored(store: Store, bucket_id: str) -> list[tuple[int, int, dict[str, Any]]]:
    return sorted((e.timestamp, e.duration, dict(e.data)) for e in store.get_events(bucket_id, limit=-1))


def test_toggl_detailed_report(store: Store) -> None:
    with open_source(SAMPLES / "toggl-detailed.csv") as source:
        assert source.kind == "a Toggl export (CSV)" and source.event_count == 3
        report = store.import_stream(source.buckets(), source.settings)
    assert report.buckets_created == ["toggl-import"] and report.events_imported == 3
    events = stored(store, "toggl-import")
    assert [(s, d) for s, d, _ in events] == [
        (local("2024-05-06T09:00:00"), 5400 * SEC),
        (local("2024-05-06T11:15:00"), 1530 * SEC),
        (local("2024-05-06T14:05:00"), 900 * SEC),
    ]
    assert events[1][2] == {
        "app": "Engine notes",
        "title": "Translating Menabrea",
        "user": "Ada Lovelace",
        "email": "ada@example.org",
        "client": "Analytical Engines Ltd",
        "billable": "Yes",
        "tags": "writing, translation",
    }
    assert events[2][2]["title"] == 'Letter to Babbage, on the "operations"'
    assert store.get_bucket("toggl-import").bucket.type == "currentwindow"


def test_rescuetime_interval_data(store: Store) -> None:
    with open_source(SAMPLES / "rescuetime-interval.csv") as source:
        assert source.kind == "a RescueTime export (CSV)"
        store.import_stream(source.buckets(), source.settings)
    events = stored(store, "rescuetime-import")
    assert len(events) == 4
    nine, ten = local("2024-05-06T09:00:00"), local("2024-05-06T10:00:00")
    assert [e[:2] for e in events] == [(nine, 540 * SEC), (nine, 1260 * SEC), (ten, 95 * SEC), (ten, 300 * SEC)]
    code = next(e for e in events if e[2]["app"] == "Visual Studio Code")
    assert code == (
        local("2024-05-06T09:00:00"),
        1260 * SEC,
        {"app": "Visual Studio Code", "category": "Editing & IDEs", "productivity": "2", "number_of_people": "1"},
    )


def test_a_plain_table_by_the_command_line(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "d"), "import", str(SAMPLES / "generic.csv")]
    result = run_cli(args, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Importing a CSV table of events" in result.stderr
    assert "csv-import_generic: 2 imported, 0 already stored, 0 filtered, 2 unreadable rows left out" in result.stderr
    again = run_cli(args, tmp_path)
    assert "Imported 0 events into 1 buckets (0 created, 1 merged); skipped 2 already stored." in again.stderr
    with Store(tmp_path / "d" / "activitywatch.db") as store:
        assert stored(store, "csv-import_generic") == [
            (1714975500 * SEC, 60 * SEC, {"app": "Terminal", "title": "make test"}),  # 08:05+02:00
            (
                1714982400 * SEC,
                300 * SEC,
                {"app": "Firefox", "title": "Release notes", "url": "https://example.org/notes"},
            ),
        ]


def test_the_dashboard_upload_takes_a_csv(http: httpx.Client, live_server: LiveServer) -> None:
    files = {"file": ("toggl.csv", (SAMPLES / "toggl-detailed.csv").read_bytes(), "text/csv")}
    reply = http.post("/api/0/import", files=files)
    assert reply.status_code == 200, reply.text
    assert reply.json()["buckets_created"] == ["toggl-import"] and reply.json()["events_imported"] == 3
    assert live_server.store.count_events("toggl-import") == 3
