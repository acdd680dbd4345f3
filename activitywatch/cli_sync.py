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
from activitywatch.sync import syncthing
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
    _syncthing_options(init)
    join = actions.add_parser("join", help="set up a further device with the key `sync init` printed")
    join.add_argument("--folder", required=True, type=Path, help="the shared folder, as it is on this computer")
    join.add_argument("--key", required=True, help="the sync key")
    _syncthing_options(join)
    actions.add_parser("now", help="push this device's changes and pull the others' now")
    actions.add_parser("status", help="every device: last push and pull, events, lag, errors")
    actions.add_parser("leave", help="stop syncing on this device (data already synced stays)")


def _syncthing_options(parser: Any) -> None:
    parser.add_argument(
        "--syncthing", action="store_true", help="also add the folder to the Syncthing running on this computer"
    )
    parser.add_argument(
        "--syncthing-home", type=Path, metavar="DIR", help="Syncthing's configuration folder (implies --syncthing)"
    )


def _local_syncthing(args: argparse.Namespace) -> syncthing.Syncthing | None:
    """The running Syncthing when asked for (checked before anything is set up), else None."""
    if not (args.syncthing or args.syncthing_home):
        return None
    return syncthing.connect(args.syncthing_home)


def _add_to_syncthing(local: syncthing.Syncthing, folder: Path, next_step: str) -> None:
    result = syncthing.add_folder(local, folder)
    if result.added:
        print(f"Added {result.path} to Syncthing as folder '{result.label}' (this device: {local.device_id}).")
    else:
        print(
            f"Syncthing already syncs {folder.expanduser().absolute()} in its folder '{result.label}' ({result.path})."
        )
    print(f"Next: {next_step.format(label=result.label)}")


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
        local = _local_syncthing(args)
        key = app.sync_init(settings, args.folder)
        failed = None
        if local is not None:
            try:
                _add_to_syncthing(
                    local, args.folder, "in Syncthing, share the folder '{label}' with your other devices."
                )
            except syncthing.SyncthingError as exc:
                failed = exc  # sync is set up already: the key must still be shown
        print(
            f"Sync is set up through {args.folder.expanduser().absolute()}. On each other computer, share that folder"
        )
        print("and run: activitywatch sync join --folder FOLDER --key KEY. The key is shown only now; keep it safe:")
        print(key)
        if failed is not None:
            print(f"Error: {failed} Sync itself is set up: add the folder in Syncthing yourself.", file=sys.stderr)
            return EXIT_ERROR
        return 0
    if action == "join":
        local = _local_syncthing(args)
        if local is not None:
            sync_setup.make_folder(args.folder)  # the other devices' files arrive once Syncthing shares it
        opened = app.sync_join(settings, args.folder, args.key)
        print(f"Joined the sync folder {args.folder}; the key opens the files of {opened} other device(s).")
        if local is not None:
            _add_to_syncthing(
                local,
                args.folder,
                "in Syncthing, share the folder '{label}' with your other devices (or accept it when they share it); "
                "their data arrives with the next sync rounds.",
            )
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
