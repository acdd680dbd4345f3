"""The tray menu driven as a user would (pytest-qt, offscreen), over the real app: store, API server on
loopback and watcher threads (stand-in probes) in a temporary data folder."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pytestqt.qtbot import QtBot

from activitywatch.core.models import Event
from activitywatch.gui import GuiApp
from activitywatch.ui.icons import state_icon
from activitywatch.ui.pause import SECOND
from tests.ui_support import HOST, Harness, actions, harness, submenu, tray_menu
from tests.watcher_support import events_of

__all__ = ["harness"]  # the fixture

WAIT = 10_000
WINDOW_BUCKET = f"aw-watcher-window_{HOST}"
AFK_BUCKET = f"aw-watcher-afk_{HOST}"


def running(app: GuiApp, *names: str) -> bool:
    assert app.watchers is not None
    return all(app.watchers.supervisors[n].state == "running" for n in names)


def test_the_menu_has_every_entry(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start()
    qtbot.waitUntil(lambda: running(app, "afk", "window"), timeout=WAIT)
    menu = tray_menu(app)
    top = list(actions(menu))
    assert top == [
        "Open Dashboard", "Watchers", "Pause tracking", "Export", "Import", "Sync", "Forget", "Open API browser",
        "Open data folder",
        "Open config folder", "Open log folder", "Start at login", "About ActivityWatch", "Quit ActivityWatch",
    ]  # fmt: skip
    watchers = submenu(menu, "Watchers")
    assert all(a.isCheckable() and a.isChecked() for a in watchers.values()) and len(watchers) == 2
    assert list(submenu(menu, "Pause tracking")) == ["15 minutes", "1 hour", "Until tomorrow", "Resume"]
    assert not submenu(menu, "Pause tracking")["Resume"].isEnabled()
    qtbot.waitUntil(lambda: bool(events_of(app.store, WINDOW_BUCKET)), timeout=WAIT)  # type: ignore[arg-type]
    assert list(submenu(menu, "Export")) == ["All buckets…", f"{AFK_BUCKET}…", f"{WINDOW_BUCKET}…"]
    assert list(submenu(menu, "Import")) == ["From ActivityWatch…", "From a file…"]
    assert list(submenu(menu, "Forget")) == ["The last 15 minutes…", "The last hour…"]
    assert app.desktop is not None and app.desktop.status() == "tracking"
    assert app.desktop.tooltip().startswith("ActivityWatch — Tracking\nActive today: ")


def test_a_watcher_switched_off_stays_off_after_a_restart(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start()
    qtbot.waitUntil(lambda: running(app, "afk", "window"), timeout=WAIT)
    window_entry = next(a for t, a in submenu(tray_menu(app), "Watchers").items() if t.startswith("Window"))
    window_entry.trigger()  # unchecks it
    assert app.watchers is not None and app.watchers.supervisors["window"].state == "stopped"
    assert app.watchers.supervisors["window"].worker is None
    harness.stop(app)

    again = harness.start()
    qtbot.waitUntil(lambda: running(again, "afk"), timeout=WAIT)
    assert again.watchers is not None and again.watchers.supervisors["window"].state == "stopped"
    entries = submenu(tray_menu(again), "Watchers")
    assert [a.isChecked() for t, a in sorted(entries.items())] == [True, False]  # AFK on, Window off
    next(a for t, a in entries.items() if t.startswith("Window")).trigger()  # on again
    qtbot.waitUntil(lambda: running(again, "window"), timeout=WAIT)


def heartbeat(url: str, when: int) -> None:
    stamp = datetime.fromtimestamp(when / SECOND, UTC).isoformat()
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post(
            "/api/0/buckets/aw-watcher-web-firefox", json={"client": "t", "type": "web.tab.current", "hostname": "h"}
        )
        answer = client.post(
            "/api/0/buckets/aw-watcher-web-firefox/heartbeat?pulsetime=1",
            json={"timestamp": stamp, "duration": 0, "data": {"url": f"https://example.org/{when}"}},
        )
        assert answer.status_code == 200


def test_pause_then_resume(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start()
    qtbot.waitUntil(lambda: running(app, "afk", "window"), timeout=WAIT)
    assert app.desktop is not None and app.server is not None and app.store is not None
    tracking_icon = app.desktop.tray.icon().pixmap(32).toImage()  # type: ignore[union-attr]

    submenu(tray_menu(app), "Pause tracking")["15 minutes"].trigger()
    qtbot.waitUntil(
        lambda: app.watchers is not None and all(s.state == "paused" for s in app.watchers.supervisors.values()),
        timeout=WAIT,
    )
    assert app.desktop.status() == "paused"
    assert app.desktop.tray.icon().pixmap(32).toImage() != tracking_icon  # type: ignore[union-attr]
    assert app.desktop.tooltip().startswith("ActivityWatch — Paused — resumes in 15 min")
    top = list(actions(tray_menu(app)))
    assert top[0] == "Paused — 15 min left"
    assert submenu(tray_menu(app), "Pause tracking")["Resume"].isEnabled()
    windows_before = len(events_of(app.store, WINDOW_BUCKET))

    # an external watcher's heartbeat timed in the pause is dropped (answered, not stored)
    heartbeat(app.server.url, time.time_ns())
    assert events_of(app.store, "aw-watcher-web-firefox") == []

    submenu(tray_menu(app), "Pause tracking")["Resume"].trigger()
    qtbot.waitUntil(lambda: running(app, "afk", "window"), timeout=WAIT)
    assert app.desktop.status() == "tracking" and not app.desktop.pause.paused
    heartbeat(app.server.url, time.time_ns() + SECOND)
    assert len(events_of(app.store, "aw-watcher-web-firefox")) == 1
    qtbot.waitUntil(lambda: len(events_of(app.store, WINDOW_BUCKET)) > windows_before, timeout=WAIT)  # type: ignore[arg-type]


def test_a_pause_ends_by_itself_and_survives_a_restart(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start()
    qtbot.waitUntil(lambda: running(app, "afk", "window"), timeout=WAIT)
    submenu(tray_menu(app), "Pause tracking")["1 hour"].trigger()
    qtbot.waitUntil(
        lambda: app.watchers is not None and all(s.state == "paused" for s in app.watchers.supervisors.values()),
        timeout=WAIT,
    )
    assert app.store is not None
    recorded = app.store.get_events(WINDOW_BUCKET)
    harness.stop(app)

    again = harness.start()  # the pause is still on: watchers start paused
    assert again.desktop is not None and again.desktop.pause.paused
    assert 3590 < again.desktop.pause.seconds_left() <= 3600
    qtbot.waitUntil(
        lambda: again.watchers is not None and all(s.state == "paused" for s in again.watchers.supervisors.values()),
        timeout=WAIT,
    )
    assert events_of(again.store, WINDOW_BUCKET) == recorded  # type: ignore[arg-type]  # nothing while paused

    with qtbot.waitSignal(again.desktop.pause.changed, timeout=WAIT):
        again.desktop.pause.pause_until(time.time_ns() + SECOND // 10)  # a pause a tenth of a second long
    with qtbot.waitSignal(again.desktop.pause.changed, timeout=WAIT):
        pass  # resumed by its timer
    assert not again.desktop.pause.paused
    qtbot.waitUntil(lambda: running(again, "afk", "window"), timeout=WAIT)


def test_export_all_and_one_bucket_as_the_api_does(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    app = harness.start()
    assert app.server is not None and app.store is not None and app.desktop is not None
    qtbot.waitUntil(
        lambda: bool(events_of(app.store, WINDOW_BUCKET)) and bool(events_of(app.store, AFK_BUCKET)), timeout=WAIT
    )  # type: ignore[arg-type]
    submenu(tray_menu(app), "Pause tracking")["1 hour"].trigger()  # so the data stands still
    qtbot.waitUntil(
        lambda: app.watchers is not None and all(s.state == "paused" for s in app.watchers.supervisors.values()),
        timeout=WAIT,
    )

    harness.dialogs.save_to = tmp_path / "out" / "all.json"
    submenu(tray_menu(app), "Export")["All buckets…"].trigger()
    job = app.desktop.exports[-1]
    qtbot.waitUntil(lambda: job.error is not None, timeout=WAIT)
    assert job.error == "" and harness.dialogs.asked[-1][1].endswith("aw-buckets-export.json")
    with httpx.Client(base_url=app.server.url) as client:
        assert json.loads(harness.dialogs.save_to.read_bytes()) == client.get("/api/0/export").json()
        harness.dialogs.save_to = tmp_path / "window.json"
        submenu(tray_menu(app), "Export")[f"{WINDOW_BUCKET}…"].trigger()
        job = app.desktop.exports[-1]
        qtbot.waitUntil(lambda: job.error is not None, timeout=WAIT)
        one = client.get(f"/api/0/buckets/{WINDOW_BUCKET}/export").json()
        assert json.loads(harness.dialogs.save_to.read_bytes()) == one
    assert app.desktop.notifications[-1][0] == "Export finished"

    harness.dialogs.save_to = None  # cancelled: nothing happens
    count = len(app.desktop.exports)
    submenu(tray_menu(app), "Export")["All buckets…"].trigger()
    assert len(app.desktop.exports) == count


def test_export_of_many_events_shows_progress(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    app = harness.start()
    assert app.store is not None and app.desktop is not None
    from activitywatch.core.models import Bucket

    app.store.create_bucket(Bucket(id="big", type="t", client="c", hostname="h", created=0))
    app.store.insert_events("big", [Event(i * SECOND, SECOND, {"n": i}) for i in range(30_000)])
    harness.dialogs.save_to = tmp_path / "big.json"
    job = app.desktop.export(["big"])
    assert job is not None
    seen: list[tuple[int, int]] = []
    job.progressed.connect(lambda done, total: seen.append((done, total)))
    qtbot.waitUntil(lambda: job.error is not None, timeout=60_000)
    assert job.error == ""
    assert len(seen) > 3 and seen[-1] == (30_000, 30_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(json.loads(harness.dialogs.save_to.read_bytes())["buckets"]["big"]["events"]) == 30_000


def test_export_failure_is_told(qtbot: QtBot, harness: Harness, tmp_path: Path) -> None:
    app = harness.start()
    assert app.desktop is not None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    harness.dialogs.save_to = blocker / "inside" / "x.json"  # a folder inside a file cannot exist
    job = app.desktop.export(None)
    assert job is not None
    qtbot.waitUntil(lambda: job.error is not None, timeout=WAIT)
    assert job.error and app.desktop.notifications[-1][0] == "Export failed"
    assert not (blocker / "inside").exists()


def test_forget_the_last_15_minutes_after_confirmation(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start(watchers=False)
    assert app.store is not None and app.desktop is not None
    from activitywatch.core.models import Bucket

    now = time.time_ns()
    app.store.create_bucket(Bucket(id="notes", type="t", client="c", hostname="h", created=0))
    app.store.insert_events(
        "notes",
        [Event(now - 3600 * SECOND, 60 * SECOND, {"k": "old"}), Event(now - 600 * SECOND, 60 * SECOND, {"k": "new"})],
    )

    harness.dialogs.agree = False
    submenu(tray_menu(app), "Forget")["The last 15 minutes…"].trigger()
    assert len(app.store.get_events("notes")) == 2
    assert harness.dialogs.asked[-1][0] == "Forget the last 15 minutes?"

    harness.dialogs.agree = True
    submenu(tray_menu(app), "Forget")["The last 15 minutes…"].trigger()
    assert [e.data for e in app.store.get_events("notes")] == [{"k": "old"}]
    assert app.desktop.notifications[-1] == ("Forgotten", "Deleted 1 events and cut 0 at the edges in 1 buckets.")
    submenu(tray_menu(app), "Forget")["The last hour…"].trigger()  # cuts the old event at its start
    (cut,) = app.store.get_events("notes")
    assert cut.timestamp == now - 3600 * SECOND and cut.duration < 60 * SECOND


def test_folders_api_browser_about_and_quit(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start(watchers=False)
    assert app.server is not None and app.desktop is not None
    menu = tray_menu(app)
    actions(menu)["Open API browser"].trigger()
    actions(menu)["Open data folder"].trigger()
    actions(menu)["Open config folder"].trigger()
    actions(menu)["Open log folder"].trigger()
    settings = app.settings
    assert harness.opened == [
        f"{app.server.url}/api/",
        f"file://{settings.data_dir}",
        f"file://{harness.home / 'config' / 'activitywatch' / 'single-process'}",
        f"file://{settings.log_dir}",
    ]
    assert (harness.home / "config" / "activitywatch" / "single-process").is_dir()  # created to be opened

    actions(menu)["About ActivityWatch"].trigger()
    title, text = harness.dialogs.told[-1]
    assert title == "About ActivityWatch" and str(settings.data_dir) in text and app.server.url in text
    assert "v0." in text or "v1." in text

    with qtbot.waitSignal(app.desktop.quit_requested, timeout=WAIT):
        actions(menu)["Quit ActivityWatch"].trigger()


def test_start_at_login_writes_and_removes_the_entry(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start(watchers=False)
    entry = harness.home / "config" / "autostart" / "activitywatch.desktop"
    login = actions(tray_menu(app))["Start at login"]
    assert login.isCheckable() and not login.isChecked()
    login.trigger()
    assert entry.is_file()
    text = entry.read_text()
    assert "[Desktop Entry]" in text and "-m activitywatch --data-dir" in text and str(harness.data_dir) in text
    login = actions(tray_menu(app))["Start at login"]
    assert login.isChecked()
    login.trigger()
    assert not entry.exists()


def test_a_watcher_that_keeps_failing_is_told_with_its_log(qtbot: QtBot, harness: Harness) -> None:
    harness.probes.window.failure = RuntimeError("the window system went away")
    app = harness.start()
    assert app.desktop is not None
    qtbot.waitUntil(lambda: bool(app.desktop and app.desktop.notifications), timeout=WAIT)
    title, text = app.desktop.notifications[-1]
    assert title == "The Window (active application) watcher stopped"
    assert "RuntimeError: the window system went away" in text and str(app.settings.log_dir) in text
    assert app.desktop.status() == "trouble"
    assert app.desktop.tray.icon().pixmap(32).toImage() == state_icon("trouble").pixmap(32).toImage()  # type: ignore[union-attr]
    top = list(actions(tray_menu(app)))
    assert top[0] == "⚠ Window (active application) — failed: RuntimeError: the window system went away"
    assert "failed: RuntimeError" in app.desktop.tooltip()


def test_the_tray_about_and_info_name_the_backend_or_why_not(qtbot: QtBot, harness: Harness) -> None:
    harness.probes.window_backend = "wlr-foreign-toplevel-management"
    sentence = 'On GNOME (Wayland session) idle time cannot be read; log in with "GNOME on Xorg"'
    harness.probes.idle_unavailable = sentence
    app = harness.start()
    assert app.desktop is not None and app.server is not None
    qtbot.waitUntil(lambda: running(app, "window"), timeout=WAIT)
    qtbot.waitUntil(lambda: app.desktop is not None and app.desktop.status() == "trouble", timeout=WAIT)
    menu = tray_menu(app)
    assert next(iter(actions(menu))) == f"⚠ AFK (away from keyboard) — unavailable: {sentence}"
    assert "Window (active application) — via wlr-foreign-toplevel-management" in submenu(menu, "Watchers")
    assert sentence in app.desktop.tooltip()
    actions(menu)["About ActivityWatch"].trigger()
    _title, text = harness.dialogs.told[-1]
    assert "Window (active application) — via wlr-foreign-toplevel-management" in text
    assert f"AFK (away from keyboard) — unavailable: {sentence}" in text
    info = httpx.get(app.server.url + "/api/0/info", timeout=10).json()
    assert info["watchers"] == {
        "afk": {"state": "unavailable", "backend": "", "reason": sentence},
        "window": {"state": "running", "backend": "wlr-foreign-toplevel-management", "reason": ""},
    }


def test_tooltip_shows_todays_active_time(qtbot: QtBot, harness: Harness) -> None:
    app = harness.start(watchers=False)
    assert app.store is not None and app.desktop is not None and app.tracker is not None
    from activitywatch.core.models import Bucket

    app.tracker.host = HOST
    now = time.time_ns()
    app.store.create_bucket(Bucket(id=AFK_BUCKET, type="afkstatus", client="c", hostname=HOST, created=0))
    app.store.insert_events(
        AFK_BUCKET,
        [
            Event(now - 300 * SECOND, 125 * SECOND, {"status": "not-afk"}),
            Event(now - 175 * SECOND, 100 * SECOND, {"status": "afk"}),
        ],
    )
    app.store.set_setting("startOfDay", time.strftime("%H:%M", time.localtime(now / SECOND - 600)))
    assert app.desktop.tooltip().endswith("Active today: 2 min")
