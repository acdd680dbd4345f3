"""What the server needs to know, handed over by the app (the server never reads config files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class ServerOptions:
    """Bind address, origins and identity of this server."""

    hostname: str
    device_id: str
    version: str
    host: str = "127.0.0.1"
    port: int = 5600
    cors: tuple[str, ...] = ()
    cors_regex: tuple[str, ...] = ()
    testing: bool = False
    log_file: Path | None = None
    require_token: bool = False  # also on loopback (any other bind address always requires one)
    max_body: int = 16 * MIB
    max_import_body: int = 256 * MIB
    webui_dir: Path | None = None  # another web UI build to serve at `/` instead of the built-in dashboard
    # the built-in watchers: name -> {"state", "backend", "reason"} (read on each /api/0/info; None: none run)
    watcher_info: Callable[[], dict[str, dict[str, str]]] | None = None
    # every sync device's state for /api/0/sync/devices (read in a worker thread; None: sync is not offered)
    sync_devices: Callable[[], dict[str, Any]] | None = None
