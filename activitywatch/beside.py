"""Living beside ActivityWatch: when our port is held by an ActivityWatch server, say so and offer a way out.

The holder is recognised through its `/api/0/info`. If it serves this very data folder (its device id is
ours), it is this app running without a window: one sentence, no choices. Otherwise the user may quit the
other ActivityWatch and continue, or use another port from now on (remembered in the UI state, for the
port that was taken).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, replace

from activitywatch.app import WatcherInfo, build_server, device_id
from activitywatch.config import Settings
from activitywatch.core.errors import AwError
from activitywatch.server.runner import ApiServer, ServerStartError, check_bindable
from activitywatch.store import Store
from activitywatch.ui.dialogs import Dialogs
from activitywatch.ui.state import UiState

log = logging.getLogger(__name__)

INFO_TIMEOUT = 2.0
QUIT_AND_CONTINUE, OTHER_PORT = 0, 1
CHOICES = ("Quit ActivityWatch, then continue", "Use another port")
PORTS_TRIED = 50


class AlreadyRunning(AwError):
    """This data folder is already served by a running ActivityWatch (started with --no-gui)."""


@dataclass(frozen=True)
class Holder:
    """The ActivityWatch server answering on a port."""

    version: str
    hostname: str
    device_id: str


def holder_of(host: str, port: int) -> Holder | None:
    """The ActivityWatch server on host:port, recognised by its /api/0/info (None: not one)."""
    address = "127.0.0.1" if host in ("0.0.0.0", "::", "localhost", "") else host
    if ":" in address:
        address = f"[{address}]"
    try:
        with urllib.request.urlopen(f"http://{address}:{port}/api/0/info", timeout=INFO_TIMEOUT) as reply:
            info = json.loads(reply.read())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("version"), str) or "hostname" not in info:
        return None
    return Holder(info["version"], str(info.get("hostname")), str(info.get("device_id") or ""))


def free_port_after(host: str, port: int) -> int:
    """The first port after `port` that can be bound (0, any free one, if none of the next few can)."""
    for candidate in range(port + 1, min(port + PORTS_TRIED, 65535) + 1):
        try:
            check_bindable(host, candidate)
        except ServerStartError:
            continue
        return candidate
    return 0


def question(holder: Holder, port: int, other: int) -> str:
    """What the dialog says: who holds the port, and the two ways on."""
    return (
        f"Port {port} is used by ActivityWatch {holder.version} (the ActivityWatch server on {holder.hostname}), "
        "which is already running. This app has its own server and needs the port too.\n\n"
        "Quit ActivityWatch (its tray icon ▸ Quit), then continue here; or let this app use port "
        f"{other or 'a free'} from now on. Your ActivityWatch history can be imported with Import ▸ From "
        "ActivityWatch… in the tray menu."
    )


def with_port(settings: Settings, port: int) -> Settings:
    """The settings with another server port."""
    return replace(settings, server=replace(settings.server, port=port))


def start_server_beside(
    settings: Settings, store: Store, dialogs: Dialogs, state: UiState, watcher_info: WatcherInfo | None = None
) -> ApiServer:
    """Start the API server; a port held by ActivityWatch is explained, with the user's way out."""
    remembered = state.port_instead_of(settings.server.port)
    if remembered is not None:
        log.info("Using port %d instead of %d, as chosen earlier", remembered, settings.server.port)
        settings = with_port(settings, remembered)
    own_id = device_id(settings.data_dir)
    while True:
        server = build_server(settings, store, watcher_info)
        try:
            server.start()
            return server
        except ServerStartError:
            host, port = settings.server.host, settings.server.port
            holder = holder_of(host, port) if port else None
            if holder is None:
                raise
            if holder.device_id == own_id:
                raise AlreadyRunning(
                    f"ActivityWatch already runs without a window (--no-gui) for this data folder; "
                    f"its dashboard is at http://127.0.0.1:{port}/."
                ) from None
            other = free_port_after(host, port)
            log.info("Port %d is held by ActivityWatch %s; asking the user", port, holder.version)
            choice = dialogs.choose("ActivityWatch is already running", question(holder, port, other), CHOICES)
            if choice is None:
                raise
            if choice == OTHER_PORT:
                state.set_port_instead_of(port, other)
                settings = with_port(settings, other)
            # QUIT_AND_CONTINUE: try again; if ActivityWatch still runs, the user is asked again
