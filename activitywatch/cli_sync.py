"""The `sync` command: init, join, now, status, leave."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from activitywatch import app
from activitywatch.config import Settings
from activitywatch.sync import setup as sync_setup
from activitywatch.sync.engine import RoundReport

EXIT_ERROR = 1


def add_parser(commands: Any) -> None:
    """Add `sync …` to the command line."""
    sync = commands.add_parser(
        "sync", help="sync through a shared folder (Syncthing...): init, join, now, status, leave"
    )
    actions = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="set up the first device (prints the sync key on its last line)")
    init.add_argument("--folder", required=True, type=Path, help="the shared folder")
    join = actions.add_parser("join", help="set up a further device with the key `sync init` printed")
    join.add_argument("--folder", required=True, type=Path, help="the shared folder, as it is on this computer")
    join.add_argument("--key", required=True, help="the sync key")
    actions.add_parser("now", help="push this device's changes and pull the others' now")
    actions.add_parser("status", help="every device: last push and pull, events, lag, errors")
    actions.add_parser("leave", help="stop syncing on this device (data already synced stays)")


def _when(ns: int | None) -> str:
    if ns is None:
        return "never"
    return datetime.fromtimestamp(ns / 1e9, UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _print_devices(report: RoundReport) -> None:
    for d in report.devices:
        if d.this_device:
            line = f"{d.hostname} ({d.device}, this device): last push {_when(d.last_push)}, {d.events} events pushed"
            print(line + (f"; error: {d.error}" if d.error else ""))
            continue
        line = (
            f"{d.hostname} ({d.device}): last push {_when(d.last_push)}, last pull {_when(d.last_pull)}, "
            f"{d.events} events, {d.lag} segments behind"
        )
        print(line + (f"; error: {d.error}" if d.error else ""))


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one `sync` action; the exit status."""
    action = args.sync_command
    if action == "init":
        key = app.sync_init(settings, args.folder)
        print(
            f"Sync is set up through {args.folder.expanduser().absolute()}. On each other computer, share that folder"
        )
        print("and run: activitywatch sync join --folder FOLDER --key KEY. The key is shown only now; keep it safe:")
        print(key)
        return 0
    if action == "join":
        opened = app.sync_join(settings, args.folder, args.key)
        print(f"Joined the sync folder {args.folder}; the key opens the files of {opened} other device(s).")
        return 0
    if action == "leave":
        folder = sync_setup.leave(settings)
        print(f"This device no longer syncs{f' through {folder}' if folder else ''}; data already synced stays.")
        return 0
    if action == "status":
        report = app.sync_status(settings)
        _print_devices(report)
        return 0 if not report.errors else EXIT_ERROR
    report = app.sync_round(settings)
    pulled = report.pulled
    print(
        f"Pushed {report.pushed_events} events in {report.pushed_segments} segments; applied "
        f"{pulled.events_changed} new or changed events and {pulled.events_deleted} deletions"
        f" from {len(report.devices)} other device(s)"
        + (f"; new buckets: {', '.join(pulled.buckets_created)}" if pulled.buckets_created else "")
        + (f"; deleted buckets: {', '.join(pulled.buckets_deleted)}" if pulled.buckets_deleted else "")
        + "."
    )
    for error in report.errors:
        print(f"Error: {error}", file=sys.stderr)
    return 0 if not report.errors else EXIT_ERROR
