"""`sync init/join --syncthing` against real Syncthings on loopback (each started once for the module): one
plain, one with an HTTPS GUI whose address and API key are given to the process only (flag, environment)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from activitywatch.sync import syncthing, syncthing_overrides
from tests.conftest import cli_env, free_port
from tests.syncthing import Syncthing

KEYRING = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}


@pytest.fixture(scope="module")
def st(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Syncthing]:
    instance = Syncthing(tmp_path_factory.mktemp("syncthing"), "solo")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def st_https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Syncthing]:
    """HTTPS GUI; config.xml names a dead port and a stale key: `--gui-address` and STGUIAPIKEY are right."""
    instance = Syncthing(tmp_path_factory.mktemp("syncthing"), "https", https=True, overridden=True)
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def clean(st: Syncthing) -> Syncthing:
    """The module's Syncthing without the ActivityWatch folder (each test adds it itself)."""
    if any(f["id"] == syncthing.FOLDER_ID for f in st.get("/rest/config/folders")):
        st.http.delete(f"/rest/config/folders/{syncthing.FOLDER_ID}").raise_for_status()
    return st


def aw(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the command line for the app whose HOME is `home`."""
    return subprocess.run(
        [sys.executable, "-m", "activitywatch", "--data-dir", str(home / "aw-data"), *map(str, args)],
        env={**cli_env(home), **KEYRING},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def our_folders(st: Syncthing) -> list[dict[str, Any]]:
    return [f for f in st.get("/rest/config/folders") if f["id"] == syncthing.FOLDER_ID]


def config_copy(st: Syncthing, where: Path, edit: Any = None) -> Path:
    """A copy of the instance's config folder's config.xml under `where`, with `edit` applied to its text."""
    where.mkdir(parents=True)
    text = (st.home / "config.xml").read_text()
    (where / "config.xml").write_text(edit(text) if edit else text)
    return where


def test_init_adds_the_folder_and_again_is_harmless(clean: Syncthing, tmp_path: Path) -> None:
    folder = tmp_path / "Sync" / "activitywatch"
    result = aw(tmp_path / "A", "sync", "init", "--folder", folder, "--syncthing-home", clean.home)
    assert result.returncode == 0, result.stderr
    assert f"Added {folder} to Syncthing as folder 'ActivityWatch sync'" in result.stdout
    assert "Next: in Syncthing, share the folder 'ActivityWatch sync' with your other devices." in result.stdout
    key = result.stdout.strip().splitlines()[-1]
    [entry] = our_folders(clean)
    assert (entry["label"], entry["path"], entry["type"]) == ("ActivityWatch sync", str(folder), "sendreceive")
    assert [d["deviceID"] for d in entry["devices"]] == [clean.device_id]
    assert (folder / ".stfolder").is_dir()  # Syncthing took the folder on

    # Again (here through `join` on a second app sharing the folder): nothing changes in Syncthing.
    before = clean.get("/rest/config/folders")
    again = aw(tmp_path / "B", "sync", "join", "--folder", folder, "--key", key, "--syncthing-home", clean.home)
    assert again.returncode == 0, again.stderr
    assert f"Syncthing already syncs {folder} in its folder 'ActivityWatch sync'" in again.stdout
    assert clean.get("/rest/config/folders") == before
    # A folder inside it is synced by it too.
    inner = syncthing.add_folder(syncthing.connect(clean.home), folder / "inner")
    assert (inner.added, inner.folder_id, inner.path) == (False, syncthing.FOLDER_ID, folder)
    assert clean.get("/rest/config/folders") == before


def test_join_creates_and_adds_the_folder(clean: Syncthing, tmp_path: Path) -> None:
    folder = tmp_path / "not-yet-shared"
    key = aw(tmp_path / "A", "sync", "init", "--folder", tmp_path / "first").stdout.strip().splitlines()[-1]
    result = aw(tmp_path / "B", "sync", "join", "--folder", folder, "--key", key, "--syncthing-home", clean.home)
    assert result.returncode == 0, result.stderr
    assert "Next: in Syncthing, share the folder 'ActivityWatch sync' with your other devices" in result.stdout
    assert [f["path"] for f in our_folders(clean)] == [str(folder)]


def test_a_different_folder_gets_a_sentence_and_the_key_is_still_shown(clean: Syncthing, tmp_path: Path) -> None:
    syncthing.add_folder(syncthing.connect(clean.home), tmp_path / "elsewhere")
    folder = tmp_path / "Sync"
    result = aw(tmp_path / "A", "sync", "init", "--folder", folder, "--syncthing-home", clean.home)
    assert result.returncode == 1
    assert re.fullmatch(r"[0-9a-f]{64}", result.stdout.strip().splitlines()[-1])  # sync is set up; its key shown
    assert result.stderr.startswith(
        f"Error: Syncthing already has the folder 'ActivityWatch sync' (activitywatch-sync) at {tmp_path / 'elsewhere'}"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert [f["path"] for f in our_folders(clean)] == [str(tmp_path / "elsewhere")]


def test_found_in_the_default_location(st: Syncthing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with pytest.raises(syncthing.SyncthingError, match="No Syncthing configuration was found"):
        syncthing.connect()
    config_copy(st, tmp_path / "home" / ".local" / "state" / "syncthing")  # where Syncthing 1.27+ puts it
    assert syncthing.connect().device_id == st.device_id
    config_copy(st, tmp_path / "xdg" / "syncthing", lambda t: re.sub(r"<apikey>[^<]*<", "<apikey>old<", t))
    with pytest.raises(syncthing.SyncthingError, match="refused the API key"):
        syncthing.connect()  # the older location wins when both exist, as in Syncthing


def test_errors_are_one_sentence_and_set_nothing_up(st: Syncthing, tmp_path: Path) -> None:
    wrong_key = config_copy(st, tmp_path / "wrong", lambda t: re.sub(r"<apikey>[^<]*<", "<apikey>nope<", t))
    port = free_port()
    stopped = config_copy(
        st, tmp_path / "stopped", lambda t: re.sub(r":\d+</address>", f":{port}</address>", t, count=1)
    )
    https = config_copy(st, tmp_path / "https", lambda t: re.sub(r'<gui ([^>]*)tls="false"', r'<gui \1tls="true"', t))
    no_key = config_copy(st, tmp_path / "nokey", lambda t: re.sub(r"<apikey>[^<]*</apikey>", "", t))
    cases = {
        wrong_key: f"Syncthing at http://127.0.0.1:{st.gui_port} refused the API key from {wrong_key / 'config.xml'}",
        stopped: f"Syncthing is not running, or not at http://127.0.0.1:{port} as {stopped / 'config.xml'} says",
        https: f"Syncthing's GUI uses HTTPS, but its certificate {https / 'https-cert.pem'} cannot be read",
        no_key: "has no API key",
        tmp_path / "none": "No Syncthing configuration was found",
    }
    for home, sentence in cases.items():
        with pytest.raises(syncthing.SyncthingError) as caught:
            syncthing.connect(home)
        assert sentence in str(caught.value)
    folder = tmp_path / "Sync"
    for home in (wrong_key, stopped):
        result = aw(tmp_path / "A", "sync", "init", "--folder", folder, "--syncthing-home", home)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith(f"Error: {cases[home]}") and len(result.stderr.strip().splitlines()) == 1
    assert aw(tmp_path / "A", "sync", "init", "--folder", folder).returncode == 0


def test_https_gui_and_the_running_processs_overrides(st_https: Syncthing, tmp_path: Path) -> None:
    local = syncthing.connect(st_https.home)
    assert (local.url, local.device_id) == (f"https://127.0.0.1:{st_https.gui_port}", st_https.device_id)
    assert local.api_key == st_https.api_key and local.api_key_from.startswith("STGUIAPIKEY of syncthing process ")
    # The whole command, over HTTPS: the folder lands in Syncthing's configuration.
    folder = tmp_path / "Sync"
    result = aw(tmp_path / "A", "sync", "init", "--folder", folder, "--syncthing-home", st_https.home)
    assert result.returncode == 0, result.stderr
    assert [f["path"] for f in our_folders(st_https)] == [str(folder)]
    # What config.xml says alone is stale: a copy of it (no process runs with it) does not reach Syncthing.
    stale = config_copy(st_https, tmp_path / "stale")
    with pytest.raises(
        syncthing.SyncthingError, match=re.escape("Syncthing is not running, or not at http://127.0.0.1:")
    ):
        syncthing.connect(stale, environ={})


def test_our_own_environment_overrides_and_the_certificate_is_pinned(st_https: Syncthing, tmp_path: Path) -> None:
    env = {"STGUIADDRESS": f"https://127.0.0.1:{st_https.gui_port}", "STGUIAPIKEY": st_https.api_key}
    home = config_copy(st_https, tmp_path / "copy")
    with pytest.raises(
        syncthing.SyncthingError, match=re.escape(f"its certificate {home / 'https-cert.pem'} cannot be read")
    ):
        syncthing.connect(home, environ=env)
    # Syncthing's device certificate is not its GUI's: verification fails, and says so in one sentence.
    (home / "https-cert.pem").write_bytes((st_https.home / "cert.pem").read_bytes())
    with pytest.raises(
        syncthing.SyncthingError, match=re.escape(f"does not show the certificate in {home / 'https-cert.pem'}")
    ):
        syncthing.connect(home, environ=env)
    (home / "https-cert.pem").write_bytes((st_https.home / "https-cert.pem").read_bytes())
    local = syncthing.connect(home, environ=env)
    assert (local.device_id, local.api_key_from) == (st_https.device_id, "STGUIAPIKEY in this environment")
    with pytest.raises(syncthing.SyncthingError, match="refused the API key STGUIAPIKEY in this environment"):
        syncthing.connect(home, environ={**env, "STGUIAPIKEY": "wrong"})


def test_flags_are_read_in_every_form_syncthing_takes() -> None:
    argv = ["/usr/bin/syncthing", "serve", "--home", "/h", "-gui-address=https://0.0.0.0:1", "--gui-apikey", "k"]
    assert syncthing_overrides.parse_flags(argv) == {
        "home": "/h",
        "gui-address": "https://0.0.0.0:1",
        "gui-apikey": "k",
    }
    assert syncthing_overrides.parse_flags(["syncthing", "--config=/c", "--no-browser"]) == {"config": "/c"}


def test_overrides_of_a_process_whose_environment_cannot_be_read(tmp_path: Path) -> None:
    """Another user's syncthing: only its command line is readable (a /proc-like tree, as root reads all)."""
    proc, home = tmp_path / "proc", tmp_path / "their-syncthing"
    home.mkdir()
    for pid, argv in {
        "41": ["/usr/bin/syncthing", "serve", f"--home={tmp_path / 'other'}", "--gui-address=http://127.0.0.1:1"],
        "42": ["/usr/bin/syncthing", "serve", "--home", str(home), "--gui-apikey=from-flag"],
        "43": ["/usr/bin/syncthing-gtk", f"--home={home}", "--gui-address=http://127.0.0.1:3"],
        "self": ["/usr/bin/syncthing"],
    }.items():
        (proc / pid).mkdir(parents=True)
        (proc / pid / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    ours = {"STGUIADDRESS": "https://127.0.0.1:2", "STGUIAPIKEY": "ours"}
    found = syncthing_overrides.for_config(home, ours, proc)
    assert found == syncthing_overrides.Overrides(
        "https://127.0.0.1:2", "STGUIADDRESS in this environment", "from-flag", "--gui-apikey of syncthing process 42"
    )
    (proc / "42" / "environ").write_bytes(b"HOME=/x\0STGUIADDRESS=127.0.0.1:4\0")
    found = syncthing_overrides.for_config(home, ours, proc)
    assert (found.address, found.address_from) == ("127.0.0.1:4", "STGUIADDRESS of syncthing process 42")
    assert found.api_key == "from-flag"
    assert syncthing_overrides.for_config(tmp_path / "nobody", {}, proc) == syncthing_overrides.Overrides()
