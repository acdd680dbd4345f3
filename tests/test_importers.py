"""Importing aw-server-rust databases (schema 1 to 5, built from its published schema) and hostile files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import httpx
import pytest

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.importers import SourceError, open_source
from activitywatch.importers.awrust import open_aw_server_rust
from activitywatch.store import ImportReport, Store
from bench.awdb import add_bucket, add_events, create_rust_db, set_settings, synthetic_events
from tests.conftest import LiveServer, snapshot

T0 = 1_700_000_000 * 10**9
SEC = 10**9
CLASSES = [{"name": ["Work", "Programming"], "rule": {"type": "regex", "regex": "code|vim"}, "data": {"color": "#0f0"}}]
SETTINGS = {"classes": CLASSES, "startOfDay": "05:00", "startOfWeek": "Monday", "theme": "dark"}


def fingerprint(path: Path) -> dict[str, str]:
    """sha256 of the file and of each side file next to it (to prove the source was not written)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.parent.iterdir())
        if p.name.startswith(path.name)
    }


def make_db(path: Path, version: int, *, wal: bool = False, events: int = 3) -> dict[str, list[tuple[int, int, Any]]]:
    """A closed aw-server-rust database with a window and an AFK bucket (and settings from schema 4)."""
    window = [
        (T0 + i * 10 * SEC, T0 + i * 10 * SEC + 9 * SEC, {"app": "code", "title": f"file {i}.py"})
        for i in range(events)
    ]
    window.append((T0 + 500 * SEC, T0 + 500 * SEC, {"app": "vim", "title": "zero length"}))
    window.append((T0 + 600 * SEC, T0 + 601 * SEC, {"app": "firefox", "title": "private", "incognito": True}))
    afk = [(T0, T0 + 300 * SEC, {"status": "not-afk"}), (T0 + 300 * SEC, T0 + 900 * SEC, {"status": "afk"})]
    conn = create_rust_db(path, version, wal=wal)
    with conn:
        row = add_bucket(
            conn, "aw-watcher-window_laptop", type_="currentwindow", hostname="laptop", created_ns=T0, data={"k": 1}
        )
        add_events(conn, row, window)
        row = add_bucket(conn, "aw-watcher-afk_laptop", type_="afkstatus", hostname="laptop", created_ns=T0, data={})
        add_events(conn, row, afk)
        if version >= 4:
            set_settings(conn, SETTINGS)
    conn.close()
    return {"aw-watcher-window_laptop": window, "aw-watcher-afk_laptop": afk}


def import_path(store: Store, path: Path) -> ImportReport:
    with open_source(path) as source:
        return store.import_stream(source.buckets(), source.settings)


def stored(store: Store, bucket_id: str) -> list[tuple[int, int, dict[str, Any]]]:
    events = [(e.timestamp, e.end, dict(e.data)) for e in store.get_events(bucket_id, limit=-1)]
    return sorted(events, key=lambda e: (e[0], e[1], repr(e[2])))


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_every_schema_version_imports_whole_and_once(tmp_path: Path, store: Store, version: int) -> None:
    source = tmp_path / "sqlite.db"
    made = make_db(source, version)
    before = fingerprint(source)
    report = import_path(store, source)
    # the default privacy filter drops the incognito window
    kept = [e for e in made["aw-watcher-window_laptop"] if "incognito" not in e[2]]
    assert stored(store, "aw-watcher-window_laptop") == kept
    assert stored(store, "aw-watcher-afk_laptop") == made["aw-watcher-afk_laptop"]
    assert report.events_imported == len(kept) + 2 and report.events_filtered == 1
    assert sorted(report.buckets_created) == ["aw-watcher-afk_laptop", "aw-watcher-window_laptop"]
    bucket = store.get_bucket("aw-watcher-window_laptop").bucket
    assert (bucket.type, bucket.hostname, bucket.client, bucket.created) == ("currentwindow", "laptop", "aw-test", T0)
    # schema 2's data column held anything; 3 and later keep the bucket data
    assert bucket.data == ({"k": 1} if version >= 2 else {})
    if version >= 4:
        assert {k: store.get_setting(k) for k in SETTINGS} == SETTINGS
        assert sorted(report.settings_added) == sorted(SETTINGS)
    else:
        assert store.get_settings() == {}
    assert fingerprint(source) == before  # never written to

    again = import_path(store, source)
    assert again.events_imported == 0 and again.events_skipped == len(kept) + 2
    assert sorted(again.buckets_merged) == sorted(made) and again.settings_added == []


def test_settings_already_set_here_are_kept(tmp_path: Path, store: Store) -> None:
    make_db(tmp_path / "sqlite.db", 5)
    store.set_setting("startOfDay", "03:30")
    report = import_path(store, tmp_path / "sqlite.db")
    assert store.get_setting("startOfDay") == "03:30" and report.settings_kept == ["startOfDay"]
    assert store.get_setting("classes") == CLASSES


def test_events_merge_into_an_existing_bucket_without_duplicates(tmp_path: Path, store: Store) -> None:
    made = make_db(tmp_path / "sqlite.db", 5)
    first = made["aw-watcher-afk_laptop"][0]
    import_path(store, tmp_path / "sqlite.db")
    store.delete_bucket("aw-watcher-afk_laptop")
    store.create_bucket(
        Bucket("aw-watcher-afk_laptop", "afkstatus", "aw-test", "laptop", T0),
        [Event(first[0], first[1] - first[0], first[2])],
    )
    report = import_path(store, tmp_path / "sqlite.db")
    afk = next(b for b in report.buckets if b.bucket_id == "aw-watcher-afk_laptop")
    assert (afk.created, afk.imported, afk.skipped) == (False, 1, 1)
    assert stored(store, "aw-watcher-afk_laptop") == made["aw-watcher-afk_laptop"]


def test_duplicates_and_disorder_within_the_source(tmp_path: Path, store: Store) -> None:
    """A source with a repeated event (aw-sync's duplicates) and rows out of time order."""
    conn = create_rust_db(tmp_path / "sqlite.db", 4)
    with conn:
        row = add_bucket(conn, "b", type_="t", hostname="h", created_ns=T0, data={})
        evs = [
            (T0 + 5, T0 + 9, {"a": 1}),
            (T0, T0 + 2, {"a": 0}),
            (T0 + 5, T0 + 9, {"a": 1}),
            (T0 + 5, T0 + 9, {"a": 2}),
        ]
        add_events(conn, row, evs)
    conn.close()
    report = import_path(store, tmp_path / "sqlite.db")
    assert (report.events_imported, report.events_skipped) == (3, 1)
    assert stored(store, "b") == [(T0, T0 + 2, {"a": 0}), (T0 + 5, T0 + 9, {"a": 1}), (T0 + 5, T0 + 9, {"a": 2})]


def test_the_reader_is_a_reusable_stream(tmp_path: Path) -> None:
    """What aw-sync's `test.db` readers use: path in, buckets with event batches and settings out."""
    make_db(tmp_path / "test.db", 5, events=12_000)
    with open_aw_server_rust(tmp_path / "test.db") as source:
        assert source.kind == "an aw-server-rust database (schema 5)"
        assert source.event_count == 12_000 + 4 and source.settings == SETTINGS
        sizes = {bucket.id: [len(batch) for batch in batches] for bucket, batches in source.buckets()}
    assert sizes == {"aw-watcher-afk_laptop": [2], "aw-watcher-window_laptop": [5000, 5000, 2002]}


# --------------------------------------------------------------------------- hostile files


def assert_one_sentence(exc: InvalidInput, *fragments: str) -> None:
    message = exc.message
    assert "\n" not in message and "Traceback" not in message, message
    for fragment in fragments:
        assert fragment in message


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    """A store that already holds data, to prove a failed import leaves it as it was."""
    store.create_bucket(Bucket("mine", "t", "c", "h", T0), [Event(T0, SEC, {"x": 1})])
    store.set_setting("startOfDay", "06:00")
    yield store


def test_truncated_file_imports_nothing(tmp_path: Path, seeded: Store) -> None:
    source = tmp_path / "sqlite.db"
    make_db(source, 5, events=20_000)
    content = source.read_bytes()
    source.write_bytes(content[: len(content) * 2 // 3])
    before = snapshot(seeded)
    with pytest.raises(SourceError) as info:
        import_path(seeded, source)
    assert_one_sentence(info.value, str(source), "damaged")
    assert snapshot(seeded) == before


def test_another_programs_sqlite_file(tmp_path: Path) -> None:
    source = tmp_path / "places.sqlite"
    conn = apsw.Connection(str(source))
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE moz_bookmarks (id)")
    conn.close()
    with pytest.raises(SourceError) as info:
        open_source(source)
    assert_one_sentence(info.value, "not one of ActivityWatch's", "moz_bookmarks, moz_places")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"id,name\n1,x\n", "neither an ActivityWatch export nor"),
        (b"SQLite format 3\x00" + b"\x00" * 50, "damaged"),
    ],
)
def test_foreign_or_broken_files(tmp_path: Path, content: bytes, fragment: str) -> None:
    source = tmp_path / "file"
    source.write_bytes(content)
    with pytest.raises(SourceError) as info:
        open_source(source)
    assert_one_sentence(info.value, fragment)


def test_wrong_types_in_columns_leave_out_those_rows(tmp_path: Path, store: Store) -> None:
    conn = create_rust_db(tmp_path / "sqlite.db", 5)
    with conn:
        row = add_bucket(conn, "b", type_="t", hostname="h", created_ns=T0, data={})
        add_events(
            conn,
            row,
            [
                (T0, T0 + SEC, {"ok": 1}),
                ("yesterday", T0, {"bad": "start"}),
                (T0, 1.5e18, {"bad": "end"}),
                (T0 + SEC, T0, {"bad": "ends before it starts"}),
                (T0, T0 + SEC, "[1, 2]"),
                (T0, T0 + SEC, "not json"),
                (T0, T0 + SEC, b"\x00\x01"),
            ],
        )
        conn.execute("INSERT INTO buckets (name, type, client, hostname, created) VALUES (42, 't', 'c', 'h', 'x')")
        conn.execute("INSERT INTO key_value VALUES ('settings.theme', 'not json', 0), ('settings.x', '[1]', 0)")
    conn.close()
    with open_source(tmp_path / "sqlite.db") as source:
        report = store.import_stream(source.buckets(), source.settings)
        assert source.unreadable == {"b": 6}
        assert len(source.unreadable_buckets) == 1 and "bucket '42'" in source.unreadable_buckets[0]
    assert stored(store, "b") == [(T0, T0 + SEC, {"ok": 1})] and report.events_imported == 1
    assert store.get_settings() == {"x": [1]}


def test_a_50_mb_data_string(tmp_path: Path, store: Store) -> None:
    title = "x" * (50 << 20)
    conn = create_rust_db(tmp_path / "sqlite.db", 5)
    with conn:
        row = add_bucket(conn, "b", type_="t", hostname="h", created_ns=T0, data={})
        add_events(conn, row, [(T0, T0 + SEC, {"title": title}), (T0 + SEC, T0 + 2 * SEC, {"title": "small"})])
    conn.close()
    report = import_path(store, tmp_path / "sqlite.db")
    assert report.events_imported == 2
    [big] = store.get_events("b", start=T0, end=T0 + SEC // 2)
    assert big.data["title"] == title


def test_text_that_is_not_utf8(tmp_path: Path, store: Store) -> None:
    conn = create_rust_db(tmp_path / "sqlite.db", 5)
    with conn:
        conn.execute(
            "INSERT INTO buckets (name, type, client, hostname, created, data)"
            " VALUES (CAST(? AS TEXT), 't', 'c', CAST(? AS TEXT), '2024-01-01 00:00:00+00:00', '{}')",
            (b"win_caf\xe9", b"h\xff"),
        )
        conn.execute(
            "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (1, ?, ?, CAST(? AS TEXT))",
            (T0, T0 + SEC, b'{"title": "caf\xe9 menu"}'),
        )
    conn.close()
    report = import_path(store, tmp_path / "sqlite.db")
    assert report.buckets_created == ["win_caf\ufffd"] and report.events_imported == 1
    assert store.get_bucket("win_caf\ufffd").bucket.hostname == "h\ufffd"
    assert stored(store, "win_caf\ufffd") == [(T0, T0 + SEC, {"title": "caf\ufffd menu"})]


def test_a_database_open_in_a_writer_wal(tmp_path: Path, store: Store) -> None:
    """aw-server-rust running: committed events are in the -wal, one more is being written. The copy
    read gives what was committed, and the files of the running server are not touched."""
    source = tmp_path / "sqlite.db"
    conn = create_rust_db(source, 5, wal=True)
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep the commits in the -wal, as a busy server would
    with conn:
        row = add_bucket(conn, "b", type_="t", hostname="h", created_ns=T0, data={})
        add_events(conn, row, synthetic_events(100, T0))
    conn.execute("BEGIN IMMEDIATE")
    add_events(conn, row, [(T0 - 10 * SEC, T0 - 5 * SEC, {"uncommitted": True})])
    try:
        assert Path(f"{source}-wal").stat().st_size > 0
        before = fingerprint(source)
        report = import_path(store, source)
        assert fingerprint(source) == before
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert report.events_imported == 100 and store.count_events("b") == 100


def test_a_database_locked_by_a_writer_rollback_journal(tmp_path: Path, store: Store) -> None:
    """An older aw-server-rust (rollback journal) in the middle of a write: the hot journal is copied with
    the file, so the copy shows the last committed state."""
    source = tmp_path / "sqlite.db"
    conn = create_rust_db(source, 4)
    with conn:
        row = add_bucket(conn, "b", type_="t", hostname="h", created_ns=T0, data={})
        add_events(conn, row, synthetic_events(50, T0))
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("DELETE FROM events")
    conn.execute("PRAGMA cache_size = 1")  # spill: the deletion reaches the file, the old pages the journal
    add_events(conn, row, synthetic_events(3000, T0 + 10**12))
    try:
        before = fingerprint(source)
        assert f"{source.name}-journal" in before
        report = import_path(store, source)
        assert fingerprint(source) == before
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert report.events_imported == 50 and store.count_events("b") == 50


# --------------------------------------------------------------------------- the dashboard's upload


def test_the_import_endpoint_takes_databases(tmp_path: Path, http: httpx.Client, live_server: LiveServer) -> None:
    make_db(tmp_path / "sqlite.db", 5)
    export = {
        "buckets": {
            "e": {"type": "t", "client": "c", "hostname": "h", "events": [{"timestamp": "2024-01-01T00:00:00Z"}]}
        }
    }
    files = [
        ("file", ("sqlite.db", (tmp_path / "sqlite.db").read_bytes(), "application/octet-stream")),
        ("other", ("export.json", json.dumps(export).encode(), "application/json")),
    ]
    reply = http.post("/api/0/import", files=files)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert sorted(body["buckets_created"]) == ["aw-watcher-afk_laptop", "aw-watcher-window_laptop", "e"]
    assert body["events_imported"] == 7 and body["events_filtered"] == 1
    assert live_server.store.get_setting("startOfWeek") == "Monday"
    again = http.post("/api/0/import", files=files).json()
    assert again["events_imported"] == 0 and again["events_skipped"] == 7


def test_a_damaged_uploaded_database_is_a_422_and_stores_nothing(
    tmp_path: Path, http: httpx.Client, live_server: LiveServer
) -> None:
    make_db(tmp_path / "sqlite.db", 5, events=20_000)
    content = (tmp_path / "sqlite.db").read_bytes()
    before = snapshot(live_server.store)
    for broken in (content[: len(content) // 2], content[:4096] + b"\x00" * 4096):
        reply = http.post("/api/0/import", files={"file": ("sqlite.db", broken)})
        assert reply.status_code == 422, reply.text
        assert reply.json()["message"].startswith("Uploaded field 'file' ")
        assert "/tmp" not in reply.json()["message"]
    foreign = tmp_path / "foreign.db"
    conn = apsw.Connection(str(foreign))
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    reply = http.post("/api/0/import", files={"file": ("notes.db", foreign.read_bytes())})
    assert reply.status_code == 422 and "not one of ActivityWatch's" in reply.json()["message"]
    assert snapshot(live_server.store) == before


def test_a_closed_wal_database_gets_no_side_files(tmp_path: Path, store: Store) -> None:
    """aw-server-rust stopped (its file stays in WAL mode): read where it is, nothing created beside it."""
    folder = tmp_path / "aw-server-rust"
    folder.mkdir()
    make_db(folder / "sqlite.db", 5, wal=True)
    assert sorted(p.name for p in folder.iterdir()) == ["sqlite.db"]
    before = fingerprint(folder / "sqlite.db")
    report = import_path(store, folder / "sqlite.db")
    assert report.events_imported == 6
    assert sorted(p.name for p in folder.iterdir()) == ["sqlite.db"] and fingerprint(folder / "sqlite.db") == before


def test_a_database_held_exclusively_is_one_sentence(tmp_path: Path, seeded: Store) -> None:
    """A writer holding an exclusive lock before writing anything (no journal yet): nothing can be read."""
    source = tmp_path / "sqlite.db"
    make_db(source, 4)
    conn = apsw.Connection(str(source))
    conn.execute("BEGIN EXCLUSIVE")
    before = snapshot(seeded)
    try:
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("sqlite.db")) == ["sqlite.db"]
        with pytest.raises(SourceError) as info:
            import_path(seeded, source)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert_one_sentence(info.value, str(source), "is locked by the program writing it; quit that program")
    assert snapshot(seeded) == before
