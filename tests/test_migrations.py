"""store.schema: numbered migrations, a backup before migrating, refusal of a newer schema."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from activitywatch.core.errors import StorageError
from activitywatch.store import Store
from activitywatch.store.schema import MIGRATIONS, backup_path, migrate, user_version


def _conn(path: Path) -> apsw.Connection:
    return apsw.Connection(str(path))


def _tables(conn: apsw.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def test_new_database_gets_the_latest_schema_without_backup(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    conn = _conn(db)
    assert migrate(conn, db) == 0
    assert user_version(conn) == len(MIGRATIONS)
    assert {"buckets", "events", "settings", "meta"} <= _tables(conn)
    assert not backup_path(db, 0).exists()
    assert migrate(conn, db) == len(MIGRATIONS)  # already current: nothing to do
    conn.close()


def test_migrating_existing_data_backs_it_up_first(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = _conn(db)
    v1 = [lambda c: c.execute("CREATE TABLE things (x); INSERT INTO things VALUES (1)")]
    migrate(conn, db, v1)
    v2 = [*v1, lambda c: c.execute("INSERT INTO things VALUES (2)")]
    assert migrate(conn, db, v2) == 1
    assert [r[0] for r in conn.execute("SELECT x FROM things")] == [1, 2]
    conn.close()
    backup = _conn(backup_path(db, 1))
    assert [r[0] for r in backup.execute("SELECT x FROM things")] == [1]
    assert user_version(backup) == 1
    backup.close()


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "fail.db"
    conn = _conn(db)
    v1 = [lambda c: c.execute("CREATE TABLE things (x)")]
    migrate(conn, db, v1)

    def broken(c: apsw.Connection) -> None:
        c.execute("INSERT INTO things VALUES (1)")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError):
        migrate(conn, db, [*v1, broken])
    assert user_version(conn) == 1
    assert list(conn.execute("SELECT x FROM things")) == []
    conn.close()


def test_a_newer_schema_is_refused_with_a_sentence(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    conn = _conn(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(
        StorageError,
        match=rf"written by a newer version of ActivityWatch \(schema 99; this version knows up to {len(MIGRATIONS)}\)",
    ):
        Store(db)
    conn = _conn(db)
    assert user_version(conn) == 99  # untouched
    conn.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "garbage.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="is not a usable ActivityWatch database"):
        Store(db)


def test_a_version_1_database_gains_tokens_and_keeps_its_data(tmp_path: Path) -> None:
    """The real v1 schema with data, opened by this version: migrated to v2 after a backup."""
    db = tmp_path / "activitywatch.db"
    conn = _conn(db)
    migrate(conn, db, MIGRATIONS[:1])
    conn.execute("INSERT INTO buckets (id, type, client, hostname, created) VALUES ('b', 't', 'c', 'h', 0)")
    conn.execute("INSERT INTO events (bucket_key, starttime, endtime, data, seq) VALUES (1, 0, 5, '{}', 1)")
    conn.close()
    with Store(db) as store:
        assert [e.duration for e in store.get_events("b")] == [5]
        assert store.create_token("t", "read").startswith("aw_")
    assert backup_path(db, 1).exists()
    backup = _conn(backup_path(db, 1))
    assert user_version(backup) == 1 and "tokens" not in _tables(backup)
    backup.close()
