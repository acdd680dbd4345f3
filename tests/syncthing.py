"""Real Syncthing instances on loopback for tests: offline (no discovery, relays, NAT or reporting),
free ports, configured through their REST API, stopped by their REST API or their PID."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port

FOLDER_ID = "awsync"

OFFLINE_OPTIONS = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "startBrowser": "false",
    "urAccepted": "-1",
    "crashReportingEnabled": "false",
    "autoUpgradeIntervalH": "0",
    "reconnectionIntervalS": "2",
}


class Syncthing:
    """One `syncthing serve` process with its own home, GUI/REST port and listening port.

    With `https`, its GUI speaks HTTPS (its self-signed https-cert.pem). With `overridden`, the GUI address
    and API key are given to the process only (`--gui-address` and STGUIAPIKEY in its environment), while its
    config.xml names a port where nothing listens and a stale key.
    """

    def __init__(self, root: Path, name: str, *, https: bool = False, overridden: bool = False) -> None:
        self.name = name
        self.home = root / f"syncthing-{name}"
        self.gui_port = free_port()
        self.listen_port = free_port()
        self.api_key = secrets.token_hex(16)
        self.scheme = "https" if https else "http"
        subprocess.run(
            ["syncthing", "generate", f"--home={self.home}", "--no-default-folder", "--skip-port-probing"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        config = self.home / "config.xml"
        text = config.read_text()
        config_port, config_key = (free_port(), "stale-key") if overridden else (self.gui_port, self.api_key)
        text = re.sub(r"<address>127\.0\.0\.1:\d+</address>", f"<address>127.0.0.1:{config_port}</address>", text)
        text = re.sub(r"<apikey>[^<]*</apikey>", f"<apikey>{config_key}</apikey>", text)
        text = text.replace(
            "<listenAddress>default</listenAddress>",
            f"<listenAddress>tcp://127.0.0.1:{self.listen_port}</listenAddress>",
        )
        for option, value in OFFLINE_OPTIONS.items():
            text = re.sub(rf"<{option}>[^<]*</{option}>", f"<{option}>{value}</{option}>", text)
        config.write_text(text)
        self.log = self.home / "log.txt"
        self.proc = subprocess.Popen(
            [
                "syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart", "--no-upgrade",
                f"--gui-address={self.scheme}://127.0.0.1:{self.gui_port}", f"--logfile={self.log}",
            ],
            env={**os.environ, "STGUIAPIKEY": self.api_key} if overridden else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        verify: ssl.SSLContext | bool = True
        if https:  # the certificate Syncthing makes at its first HTTPS start, trusted alone (no host name in it)
            cert = self.home / "https-cert.pem"
            self.wait_for(lambda: cert.is_file() and b"END CERTIFICATE" in cert.read_bytes())
            verify = ssl.create_default_context(cafile=str(self.home / "https-cert.pem"))
            verify.check_hostname = False
        self.http = httpx.Client(
            base_url=f"{self.scheme}://127.0.0.1:{self.gui_port}",
            headers={"X-API-Key": self.api_key},
            timeout=30,
            verify=verify,
        )
        self.device_id = str(self.wait_for(lambda: self.get("/rest/system/status")["myID"]))

    def get(self, path: str, **params: Any) -> Any:
        """GET a REST endpoint's JSON."""
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any) -> None:
        """POST JSON to a REST endpoint."""
        self.http.post(path, json=body).raise_for_status()

    def wait_for(self, probe: Any, timeout: float = 60) -> Any:
        """Call `probe` until it returns something truthy without raising (the process must live)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"syncthing {self.name} exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                value = probe()
                if value:
                    return value
            except (httpx.HTTPError, KeyError) as exc:
                last = exc
            time.sleep(0.1)
        raise AssertionError(f"syncthing {self.name}: condition not met in {timeout} s ({last})")

    def share(self, folder: Path, peer: Syncthing) -> None:
        """Know `peer` and share `folder` (as FOLDER_ID) with it, watched with a 1 s delay."""
        self.post(
            "/rest/config/devices",
            {"deviceID": peer.device_id, "name": peer.name, "addresses": [f"tcp://127.0.0.1:{peer.listen_port}"]},
        )
        self.post(
            "/rest/config/folders",
            {
                "id": FOLDER_ID,
                "label": FOLDER_ID,
                "path": str(folder),
                "type": "sendreceive",
                "rescanIntervalS": 10,
                "fsWatcherEnabled": True,
                "fsWatcherDelayS": 1,
                "devices": [{"deviceID": self.device_id}, {"deviceID": peer.device_id}],
            },
        )

    def connected(self, peer: Syncthing) -> bool:
        """Whether this instance is connected to `peer`."""
        return bool(self.get("/rest/system/connections")["connections"].get(peer.device_id, {}).get("connected"))

    def stop(self) -> None:
        """Shut down through the API (or kill by PID if it does not go)."""
        with contextlib.suppress(httpx.HTTPError):
            self.http.post("/rest/system/shutdown")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.http.close()
