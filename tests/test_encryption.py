"""Encrypted storage: a database encrypted at rest (SQLite3 Multiple Ciphers), its key in the keyring.

The keyring backend is keyrings.alt's file keyring under the test's own HOME (a real keyring backend;
the desktop ones need a logged-in session). Plain SQLite is Python's own sqlite3 module.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.store.database import is_encrypted
from tests.conftest import ServerProcess, cli_env, run_cli

S = 1_000_000_000
BASE = 1_714_521_600 * S
KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's HOME (the file keyring lives under it), for subprocesses and this process alike."""
    for name, value in {**cli_env(tmp_path), **KEYRING}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def plain_sqlite_can_read(path: Path) -> bool:
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("SELECT count(*) FROM events").fetchall()
        return True
    except sqlite3.DatabaseError:
        return False


def test_a_new_encrypted_database_survives_restarts(home: Path) -> None:
    config = home / "config.toml"
    config.write_text("[storage]\nencrypt = true\n")
    proc = ServerProcess(home, "--config", str(config), env=KEYRING)
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as http:
            http.post("/api/0/buckets/b", json={"client": "c", "type": "t", "hostname": "h"})
            beat = {"timestamp": "2024-05-01T10:00:00Z", "duration": 5, "data": {"title": "private diary"}}
            assert http.post("/api/0/buckets/b/heartbeat?pulsetime=1", json=beat).status_code == 200
    finally:
        status, output = proc.stop()
    assert status == 0, output
    db = proc.data_dir / "activitywatch.db"
    assert is_encrypted(db) and not plain_sqlite_can_read(db)
    assert b"private diary" not in db.read_bytes()
    again = ServerProcess(home, "--config", str(config), env=KEYRING, port=proc.port)
    try:
        again.wait_ready()
        events = httpx.get(f"{again.url}/api/0/buckets/b/events").json()
        assert [e["data"] for e in events] == [{"title": "private diary"}]
    finally:
        again.stop()


def test_an_existing_database_is_converted_with_progress_and_a_backup(home: Path) -> None:
    data = home / "d"
    data.mkdir()
    with Store(data / "activitywatch.db") as store:
        store.create_bucket(
            Bucket("b", "t", "c", "h", 0), [Event(BASE + i * S, S, {"i": i, "title": "bank"}) for i in range(5000)]
        )
        store.set_setting("classes", [{"name": ["Work"]}])
        before = b"".join(store.open_export())
    result = run_cli(["--data-dir", str(data), "encrypt"], home)
    assert result.returncode == 0, result.stderr
    assert "Copying: 100 %" in result.stderr and "Encrypting" in result.stderr
    db, backup = data / "activitywatch.db", data / "activitywatch.db.unencrypted.bak"
    assert "delete it once you have checked" in result.stderr and str(backup) in result.stderr
    assert is_encrypted(db) and not plain_sqlite_can_read(db)
    assert plain_sqlite_can_read(backup)  # the untouched original
    from activitywatch import keys

    key = keys.stored_key(db)
    assert key is not None
    with Store(db, key=key) as store:
        assert b"".join(store.open_export()) == before
        assert store.get_setting("classes") == [{"name": ["Work"]}]
    again = run_cli(["--data-dir", str(data), "encrypt"], home)
    assert again.returncode != 0 and "already encrypted" in again.stderr


def test_without_its_key_the_database_is_refused_with_a_sentence(home: Path) -> None:
    data = home / "d"
    data.mkdir()
    with Store(data / "activitywatch.db") as store:
        store.create_bucket(Bucket("b", "t", "c", "h", 0))
    assert run_cli(["--data-dir", str(data), "encrypt"], home).returncode == 0
    import keyring

    from activitywatch import keys

    keyring.delete_password(keys.SERVICE, str((data / "activitywatch.db").resolve()))
    result = run_cli(["--data-dir", str(data), "--no-gui", "--no-watchers", "--port", "0"], home)
    assert result.returncode != 0
    assert "is encrypted and its key is not in this computer's keyring" in result.stderr
    with pytest.raises(Exception, match="not a usable ActivityWatch database"):
        Store(data / "activitywatch.db", key="0" * 64)  # a wrong key reads nothing


def test_decrypt_turns_it_back_into_plain_sqlite(home: Path) -> None:
    data = home / "d"
    data.mkdir()
    with Store(data / "activitywatch.db") as store:
        store.create_bucket(Bucket("b", "t", "c", "h", 0), [Event(BASE + i * S, S, {"i": i}) for i in range(300)])
        before = b"".join(store.open_export())
    assert run_cli(["--data-dir", str(data), "encrypt"], home).returncode == 0
    result = run_cli(["--data-dir", str(data), "decrypt"], home)
    assert result.returncode == 0, result.stderr
    assert "Decrypting" in result.stderr and "Copying: 100 %" in result.stderr
    db = data / "activitywatch.db"
    assert not is_encrypted(db) and plain_sqlite_can_read(db)
    assert is_encrypted(data / "activitywatch.db.encrypted.bak")
    with Store(db) as store:
        assert b"".join(store.open_export()) == before
    again = run_cli(["--data-dir", str(data), "decrypt"], home)
    assert again.returncode != 0 and "is not encrypted" in again.stderr
