"""Adding the sync folder to a local Syncthing through its REST API (address and API key from its config.xml)."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activitywatch.core.errors import AwError

FOLDER_ID = "activitywatch-sync"
FOLDER_LABEL = "ActivityWatch sync"
TIMEOUT = 10.0


class SyncthingError(AwError):
    """Syncthing cannot be found, reached or asked (one sentence for the user)."""


@dataclass(frozen=True)
class Syncthing:
    """A running local Syncthing: its REST address, API key, config file and device id."""

    url: str
    api_key: str
    config: Path
    device_id: str


@dataclass(frozen=True)
class FolderResult:
    """What `add_folder` did: the Syncthing folder that syncs the sync folder, and whether it is new."""

    folder_id: str
    label: str
    path: Path
    added: bool


def config_candidates(home: Path | None = None) -> list[Path]:
    """Where Syncthing's config.xml may be, in the order Syncthing itself looks."""
    if home is not None:
        return [home.expanduser() / "config.xml"]
    user = Path.home()
    dirs: list[Path] = []
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("LOCALAPPDATA", user / "AppData" / "Local")) / "Syncthing")
    elif sys.platform == "darwin":
        dirs.append(user / "Library" / "Application Support" / "Syncthing")
    else:
        # Syncthing 1.27+ keeps using the old config location when it exists, else the XDG state one.
        dirs.append(Path(os.environ.get("XDG_CONFIG_HOME") or user / ".config") / "syncthing")
        dirs.append(Path(os.environ.get("XDG_STATE_HOME") or user / ".local" / "state") / "syncthing")
    return [d / "config.xml" for d in dirs]


def _local_url(address: str, tls: bool, config: Path) -> str:
    """The http:// URL of the GUI `address` (a listen address like 0.0.0.0:8384 is reached on loopback)."""
    if address.startswith(("unix://", "/")):
        raise SyncthingError(f"Syncthing's GUI listens on a Unix socket ({address}, {config}), which is not supported.")
    if tls or address.startswith("https://"):
        raise SyncthingError(
            f"Syncthing's GUI uses HTTPS ({config}), which is not supported; turn off "
            "'Use HTTPS for GUI' in Syncthing's settings or add the folder in Syncthing yourself."
        )
    hostport = address.removeprefix("http://").rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise SyncthingError(f"Syncthing's GUI address {address!r} in {config} is not host:port.")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("[::]", "::"):
        host = "[::1]"
    return f"http://{host}:{port}"


def read_config(home: Path | None = None) -> tuple[str, str, Path]:
    """The GUI URL, API key and config path of the local Syncthing (found as `config_candidates` says)."""
    candidates = config_candidates(home)
    config = next((c for c in candidates if c.is_file()), None)
    if config is None:
        where = " or ".join(str(c) for c in candidates)
        raise SyncthingError(
            f"No Syncthing configuration was found ({where}); start Syncthing once, or name its folder with "
            "--syncthing-home DIR."
        )
    try:
        root = ET.parse(config).getroot()  # the user's own file, written by Syncthing
    except (OSError, ET.ParseError) as exc:
        raise SyncthingError(f"Syncthing's configuration {config} cannot be read ({exc}).") from None
    gui = root.find("gui")
    address = (gui.findtext("address") or "").strip() if gui is not None else ""
    api_key = (gui.findtext("apikey") or "").strip() if gui is not None else ""
    if gui is None or not address:
        raise SyncthingError(f"Syncthing's configuration {config} names no GUI address.")
    if not api_key:
        raise SyncthingError(
            f"Syncthing's configuration {config} has no API key; generate one in Syncthing's settings (GUI tab)."
        )
    tls = gui.get("tls", "false").lower() == "true"
    return _local_url(address, tls, config), api_key, config


def _call(st: Syncthing, method: str, path: str, body: Any = None) -> Any:
    """One REST call; its JSON answer (None when empty)."""
    url, api_key, config = st.url, st.api_key, st.config
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"X-API-Key": api_key})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise SyncthingError(
                f"Syncthing at {url} refused the API key from {config}; is that the running Syncthing's configuration?"
            ) from None
        detail = exc.read().decode(errors="replace").strip()[:200]
        raise SyncthingError(f"Syncthing at {url} answered {method} {path} with {exc.code} ({detail}).") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SyncthingError(
            f"Syncthing is not running, or not at {url} as {config} says ({reason}); start it and try again."
        ) from None
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise SyncthingError(f"What answers at {url} is not Syncthing's REST API.") from None


def connect(home: Path | None = None) -> Syncthing:
    """The running local Syncthing, checked through `/rest/system/status`."""
    url, api_key, config = read_config(home)
    status = _call(Syncthing(url, api_key, config, ""), "GET", "/rest/system/status")
    device_id = status.get("myID") if isinstance(status, dict) else None
    if not isinstance(device_id, str):
        raise SyncthingError(f"What answers at {url} is not Syncthing's REST API.")
    return Syncthing(url, api_key, config, device_id)


def _same_or_inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def add_folder(syncthing: Syncthing, folder: Path) -> FolderResult:
    """Make Syncthing sync `folder` (as FOLDER_ID); nothing changes when a Syncthing folder already covers it."""
    folder = folder.expanduser().resolve()
    existing = _call(syncthing, "GET", "/rest/config/folders") or []
    known = [(entry, Path(str(entry.get("path", ""))).expanduser().resolve()) for entry in existing]
    for entry, path in known:
        if _same_or_inside(folder, path):  # already synced by this folder or by a folder around it
            return FolderResult(str(entry.get("id")), str(entry.get("label") or entry.get("id")), path, added=False)
    for entry, path in known:
        if entry.get("id") == FOLDER_ID:
            raise SyncthingError(
                f"Syncthing already has the folder '{entry.get('label')}' ({FOLDER_ID}) at {path}; sync through "
                "that folder or remove it from Syncthing first."
            )
    body = {
        "id": FOLDER_ID,
        "label": FOLDER_LABEL,
        "path": str(folder),
        "type": "sendreceive",
        "fsWatcherEnabled": True,
        "fsWatcherDelayS": 1,  # segments are small and few: pass them on at once
        "devices": [{"deviceID": syncthing.device_id}],
    }
    _call(syncthing, "POST", "/rest/config/folders", body)
    return FolderResult(FOLDER_ID, FOLDER_LABEL, folder, added=True)
