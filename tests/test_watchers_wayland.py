"""The watchers on a real wlroots compositor: sway, headless, with real Wayland clients (foot).

sway is started once for the module (as nobody: it refuses root). The app itself runs as a
subprocess in sway's session environment and is read over its HTTP API, as a user would.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from activitywatch.core.timestamps import parse_timestamp
from activitywatch.watchers.backends import choose_idle_probe, choose_window_probe
from activitywatch.watchers.window import ActiveWindow
from activitywatch.watchers.wlroots import SwayIpcWindowProbe, WaylandIdleProbe, WlrWindowProbe
from tests.conftest import ServerProcess
from tests.sway import Sway, start_sway
from tests.xserver import wait_for

pytestmark = pytest.mark.slow
MS = 1_000_000


@pytest.fixture(scope="module")
def sway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sway]:
    """One headless sway with two terminals, Alpha (term-a) and Beta (term-b)."""
    compositor = start_sway(tmp_path_factory.mktemp("sway"))
    try:
        compositor.foot("term-a", "Alpha")
        compositor.foot("term-b", "Beta")
        yield compositor
    finally:
        compositor.stop()


def test_the_activated_window_comes_from_foreign_toplevel_management(sway: Sway) -> None:
    chosen = choose_window_probe(sway.env)
    assert chosen.backend == "wlr-foreign-toplevel-management"
    assert isinstance(chosen.probe, WlrWindowProbe)
    try:
        sway.focus("term-a")
        wait_for(lambda: chosen.probe.active() == ActiveWindow("term-a", "Alpha"), "term-a through the protocol")
        sway.focus("term-b")
        wait_for(lambda: chosen.probe.active() == ActiveWindow("term-b", "Beta"), "term-b through the protocol")
    finally:
        chosen.probe.close()


def test_sway_ipc_is_the_fallback_for_the_window(sway: Sway) -> None:
    probe = SwayIpcWindowProbe(sway.env)
    try:
        sway.focus("term-a")
        assert probe.active() == ActiveWindow("term-a", "Alpha")
        sway.focus("term-b")
        assert probe.active() == ActiveWindow("term-b", "Beta")
    finally:
        probe.close()


def test_idle_comes_from_the_idle_protocol_sway_advertises(sway: Sway) -> None:
    chosen = choose_idle_probe(sway.env, 0.3, use_logind=False)
    probe = chosen.probe
    assert isinstance(probe, WaylandIdleProbe)
    assert chosen.backend == "Wayland idle notifications (org_kde_kwin_idle)"  # sway 1.7: the KDE protocol only
    try:
        sway.touch()
        wait_for(lambda: probe.idle()[0] > 0.3, "the compositor to say idle")
        assert probe.idle()[1] is False
        sway.touch()
        wait_for(lambda: probe.idle()[0] < 0.3, "the compositor to say resumed")
    finally:
        probe.close()


def events(http: httpx.Client, bucket: str) -> list[dict[str, Any]]:
    """The bucket's events, oldest first ([] until it exists)."""
    r = http.get(f"/api/0/buckets/{bucket}/events")
    return list(reversed(r.json())) if r.status_code == 200 else []


def test_the_app_records_windows_and_afk_on_sway(sway: Sway, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[watchers.afk]\ntimeout = 2\npoll_time = 0.25\n[watchers.window]\npoll_time = 0.25\n")
    sway.focus("term-a")
    env = sway.env | {"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus"}
    proc = ServerProcess(tmp_path, "--config", str(config), watchers=True, env=env)
    host = socket.gethostname()
    window_bucket, afk_bucket = f"aw-watcher-window_{host}", f"aw-watcher-afk_{host}"
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as http:
            titles = lambda: [(e["data"]["app"], e["data"]["title"]) for e in events(http, window_bucket)]  # noqa: E731
            wait_for(lambda: ("term-a", "Alpha") in titles(), "term-a in the window bucket", 30)
            sway.focus("term-b")
            wait_for(lambda: ("term-b", "Beta") in titles(), "term-b in the window bucket")
            info = lambda: http.get("/api/0/info").json()["watchers"]  # noqa: E731
            wait_for(lambda: info()["window"]["state"] == info()["afk"]["state"] == "running", "both running")
            watchers = info()
            window = {"state": "running", "backend": "wlr-foreign-toplevel-management", "reason": ""}
            assert watchers["window"] == window
            assert watchers["afk"]["backend"] == "Wayland idle notifications (org_kde_kwin_idle)"

            statuses = lambda: [e["data"]["status"] for e in events(http, afk_bucket)]  # noqa: E731
            sway.touch()
            wait_for(lambda: statuses()[-1:] == ["not-afk"], "not-afk after input")
            wait_for(lambda: statuses()[-1:] == ["afk"], "afk after 2 s without input", 30)
            sway.touch()
            wait_for(lambda: statuses()[-2:] == ["afk", "not-afk"], "not-afk again after input", 30)
            afk = events(http, afk_bucket)
    finally:
        status, output = proc.stop()
    assert status == 0, output
    start0 = _ns(afk[0]["timestamp"])
    spans = [(e["data"]["status"], _ns(e["timestamp"]) - start0, round(e["duration"] * 1e9)) for e in afk]
    for (state, start, duration), (next_state, next_start, _) in itertools.pairwise(spans):
        assert state != next_state, spans  # heartbeats merged: one event per span
        gap = next_start - (start + duration)
        assert 0 <= gap <= MS + MS // 10, spans  # no overlap; the next state starts 1 ms later (as in aw-watcher-afk)
    away = next(s for s in spans if s[0] == "afk")
    assert away[2] >= 0.5e9, spans  # the afk span lasted until the input came back


def _ns(timestamp: str) -> int:
    return parse_timestamp(timestamp)
