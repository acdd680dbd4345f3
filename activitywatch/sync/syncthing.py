"""Adding the sync folder to a local Syncthing through its REST API (address and API key from its config.xml,
or the overrides it runs with; an HTTPS GUI is trusted through its own certificate only)."""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from activitywatch.core.errors import AwError
from activitywatch.sync import syncthing_overrides

FOLDER_ID = "activitywatch-sync"
FOLDER_LABEL = "ActivityWatch sync"
TIMEOUT = 10.0
HTTPS_CERT = "https-cert.pem"  # beside config.xml: the GUI's certificate (Syncthing makes a self-signed one)


class SyncthingError(AwError):
    """Syncthing cannot be found, reached or asked (one sentence for the user)."""


@dataclass(frozen=True)
class Syncthing:
    """A running local Syncthing: its REST address, API key, config file and device id."""

    url: str
    api_key: str
    config: Path
    device_id: str
    tls: ssl.SSLContext | None = field(default=None, repr=False)  # for an HTTPS GUI: trusts its certificate only
    api_key_from: str = ""  # where the key was read ("from …/config.xml", "STGUIAPIKEY of syncthing process 12")


@dataclass(frozen=True)
class FolderResult:
    """What `add_folder` did: the Syncthing folder that syncs the sync folder, and whether it is new."""

    folder_id: str
    label: str
    path: Path
    added: bool


def config_candidates(home: Path | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where Syncthing's config.xml may be, in the order Syncthing itself looks."""
    if home is not None:
        return [home.expanduser() / "config.xml"]
    env = os.environ if environ is None else environ
    user = Path.home()
    if sys.platform == "win32":
        dirs = [Path(env.get("LOCALAPPDATA", user / "AppData" / "Local")) / "Syncthing"]
    elif sys.platform == "darwin":
        dirs = [user / "Library" / "Application Support" / "Syncthing"]
    else:
        # Syncthing 1.27+ keeps using the old config location when it exists, else the XDG state one.
        dirs = syncthing_overrides.default_dirs({"HOME": str(user), **env})
    return [d / "config.xml" for d in dirs]


def find_config(environ: Mapping[str, str] | None = None) -> Path | None:
    """The local Syncthing's config.xml in its usual places, if there is one (a few stat calls: cheap)."""
    return next((c for c in config_candidates(None, environ) if c.is_file()), None)


def _local_url(address: str, tls: bool, where: str) -> str:
    """The URL of the GUI `address` (a listen address like 0.0.0.0:8384 is reached on loopback)."""
    if address.startswith(("unix", "/")):
        raise SyncthingError(f"Syncthing's GUI listens on a Unix socket ({address}, {where}), which is not supported.")
    # As Syncthing reads it: an explicit scheme decides TLS, else the config's "Use HTTPS for GUI".
    if address.startswith("https://"):
        tls = True
    elif address.startswith("http://"):
        tls = False
    hostport = address.partition("://")[2] if "://" in address else address
    hostport = hostport.split("/", 1)[0]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise SyncthingError(f"Syncthing's GUI address {address!r} ({where}) is not host:port.")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("[::]", "::"):
        host = "[::1]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


def _tls_context(cert: Path) -> ssl.SSLContext:
    """Trust only the GUI's own certificate (self-signed by Syncthing, or the user's): it is pinned, so the
    host name is not checked (the GUI is reached on loopback, under no name it was issued for)."""
    try:
        context = ssl.create_default_context(cafile=str(cert))
    except (OSError, ssl.SSLError) as exc:
        raise SyncthingError(
            f"Syncthing's GUI uses HTTPS, but its certificate {cert} cannot be read ({exc}); open Syncthing's GUI once "
            "so it writes one, or add the folder in Syncthing yourself."
        ) from None
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the file's own certificate is the trust anchor
    return context


def read_config(home: Path | None = None, environ: Mapping[str, str] | None = None) -> Syncthing:
    """The local Syncthing's GUI URL, API key and config path (device id still empty), from its config.xml
    (found as `config_candidates` says) with the overrides the running syncthing uses."""
    candidates = config_candidates(home, environ)
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
    overrides = syncthing_overrides.for_config(config.parent, environ)
    address = overrides.address or ((gui.findtext("address") or "").strip() if gui is not None else "")
    api_key = overrides.api_key or ((gui.findtext("apikey") or "").strip() if gui is not None else "")
    if not address:
        raise SyncthingError(f"Syncthing's configuration {config} names no GUI address.")
    if not api_key:
        raise SyncthingError(
            f"Syncthing's configuration {config} has no API key; generate one in Syncthing's settings (GUI tab)."
        )
    tls = gui is not None and gui.get("tls", "false").lower() == "true"
    url = _local_url(address, tls, overrides.address_from or f"in {config}")
    context = _tls_context(config.parent / HTTPS_CERT) if url.startswith("https:") else None
    key_from = overrides.api_key_from or f"from {config}"
    return Syncthing(url, api_key, config, "", context, key_from)


def _call(st: Syncthing, method: str, path: str, body: Any = None) -> Any:
    """One REST call; its JSON answer (None when empty)."""
    url, config = st.url, st.config
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"X-API-Key": st.api_key})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=st.tls) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise SyncthingError(
                f"Syncthing at {url} refused the API key {st.api_key_from}; is that the running Syncthing's "
                "configuration?"
            ) from None
        detail = exc.read().decode(errors="replace").strip()[:200]
        raise SyncthingError(f"Syncthing at {url} answered {method} {path} with {exc.code} ({detail}).") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLError):
            raise SyncthingError(
                f"Syncthing's GUI at {url} does not show the certificate in {config.parent / HTTPS_CERT} ({reason}); "
                "is that the running Syncthing's configuration?"
            ) from None
        raise SyncthingError(
            f"Syncthing is not running, or not at {url} as {config} says ({reason}); start it and try again."
        ) from None
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise SyncthingError(f"What answers at {url} is not Syncthing's REST API.") from None


def connect(home: Path | None = None, environ: Mapping[str, str] | None = None) -> Syncthing:
    """The running local Syncthing, checked through `/rest/system/status`."""
    found = read_config(home, environ)
    status = _call(found, "GET", "/rest/system/status")
    device_id = status.get("myID") if isinstance(status, dict) else None
    if not isinstance(device_id, str):
        raise SyncthingError(f"What answers at {found.url} is not Syncthing's REST API.")
    return replace(found, device_id=device_id)


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
