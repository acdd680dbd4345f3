"""The command line: run the app, or export and import without a running server."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from activitywatch import __version__
from activitywatch import cli_sync as sync_commands
from activitywatch.app import (
    App,
    decrypt_database,
    encrypt_database,
    export_buckets,
    forget_range,
    manage_tokens,
    start_logging,
)
from activitywatch.cli_import import run_import
from activitywatch.config import ConfigError, Settings, load_settings
from activitywatch.core.errors import AwError
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.gnome_extension import install_extension

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_BUG = 70


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0-65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (global options go before the subcommand)."""
    parser = argparse.ArgumentParser(
        prog="activitywatch",
        description="ActivityWatch, single-process edition: tracks what you do on your computer, privately.",
        epilog="Without a command it runs the tracker and serves the API (default http://127.0.0.1:5600/api/0).",
    )
    parser.add_argument("--version", action="version", version=f"activitywatch {__version__}")
    parser.add_argument("--no-gui", action="store_true", help="no tray or windows (servers, no display)")
    parser.add_argument("--no-watchers", action="store_true", help="do not start the built-in watchers")
    parser.add_argument("--testing", action="store_true", help="port 5666 and a separate database")
    parser.add_argument("--host", help="address to serve the API on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="port to serve the API on (default 5600; 0 picks a free one)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="folder for the database, logs and device id")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML config file to read")
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")
    parser.add_argument("--webui-dir", type=Path, metavar="DIR", help="serve this web UI build at / (e.g. aw-webui)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    export = commands.add_parser("export", help="write buckets and their events to a JSON file")
    export.add_argument("--bucket", action="append", metavar="ID", help="only this bucket (repeatable)")
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="file to write ('-' for standard output; default aw-buckets-export.json)",
    )
    imp = commands.add_parser(
        "import",
        help="import an export file or an ActivityWatch database (merged, without duplicates)",
        description="Import buckets, events and settings. PATH is recognised by its content: an ActivityWatch "
        "export, an aw-server-rust database (sqlite.db) or an aw-server database (peewee-sqlite.v2.db). The "
        "source is never written to; importing it again adds nothing.",
    )
    imp.add_argument("file", nargs="?", metavar="PATH", help="the file to import ('-': an export on standard input)")
    imp.add_argument(
        "--activitywatch", action="store_true", help="list the ActivityWatch databases in this computer's usual places"
    )
    imp.add_argument("--yes", action="store_true", help="with --activitywatch: import all of them")
    forget = commands.add_parser(
        "forget", help="delete everything recorded in a time range (events at its edges are cut)"
    )
    forget.add_argument("--start", required=True, metavar="TIME", help="RFC 3339, e.g. 2024-05-01T12:00:00+02:00")
    forget.add_argument("--end", required=True, metavar="TIME", help="RFC 3339 (exclusive)")
    forget.add_argument("--bucket", action="append", metavar="ID", help="only this bucket (repeatable)")
    token = commands.add_parser("token", help="API tokens: create, list, revoke")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_commands.add_parser("create", help="make a token (printed once, on the last line)")
    create.add_argument("--name", required=True, help="a name to list and revoke it by")
    create.add_argument("--scope", required=True, choices=("read", "append", "admin"))
    create.add_argument("--buckets", default="", metavar="PREFIX", help="append: only buckets starting with this")
    token_commands.add_parser("list", help="the tokens (names and scopes, never the tokens)")
    revoke = token_commands.add_parser("revoke", help="delete a token")
    revoke.add_argument("name")
    sync_commands.add_parser(commands)
    commands.add_parser("decrypt", help="turn an encrypted database back into a plain one (stop the app first)")
    commands.add_parser(
        "encrypt", help="encrypt the database in place, its key kept in the OS keyring (stop the app first)"
    )
    desktop = commands.add_parser("desktop", help="set up tracking on this desktop")
    desktop_commands = desktop.add_subparsers(dest="desktop_command", metavar="ACTION", required=True)
    desktop_commands.add_parser(
        "install-extension",
        help="install and enable the GNOME Shell extension that tells the focused window (then log out and in)",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        data_dir=args.data_dir,
        config_file=args.config,
        testing=args.testing,
        host=args.host,
        port=args.port,
        gui=not args.no_gui,
        watchers=not args.no_watchers,
        verbose=args.verbose,
        webui_dir=args.webui_dir,
    )


def _export(args: argparse.Namespace, settings: Settings) -> int:
    buckets: list[str] | None = args.bucket
    if args.output == "-":
        output = None
    elif args.output:
        output = Path(args.output)
    elif buckets and len(buckets) == 1:
        output = Path(f"aw-bucket-export_{buckets[0]}.json")
    else:
        output = Path("aw-buckets-export.json")
    written = export_buckets(settings, buckets, output)
    if written is not None:
        print(f"Exported to {written}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    if (args.file is None) == (not args.activitywatch):
        print("Error: give either a PATH to import or --activitywatch.", file=sys.stderr)
        return EXIT_ERROR
    return run_import(settings, args.file, args.activitywatch, args.yes)


def _forget(args: argparse.Namespace, settings: Settings) -> int:
    start = parse_timestamp(args.start, "--start")
    end = parse_timestamp(args.end, "--end")
    report = forget_range(settings, start, end, args.bucket)
    print(
        f"Forgot {report.events_deleted} events and cut {report.events_trimmed} at the edges"
        f" in {len(report.buckets)} buckets.",
        file=sys.stderr,
    )
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    if args.token_command == "create":
        token = manage_tokens(settings, "create", name=args.name, scope=args.scope, buckets=args.buckets)
        prefix = f" for buckets starting with '{args.buckets}'" if args.buckets else ""
        print(f"Created the {args.scope} token '{args.name}'{prefix}. It is shown only now; keep it safe:")
        print(token)
        return 0
    if args.token_command == "revoke":
        if not manage_tokens(settings, "revoke", name=args.name):
            print(f"Error: there is no token named '{args.name}'.", file=sys.stderr)
            return EXIT_ERROR
        print(f"Revoked the token '{args.name}'.", file=sys.stderr)
        return 0
    for info in manage_tokens(settings, "list"):
        prefix = f"  buckets: {info.bucket_prefix}*" if info.bucket_prefix else ""
        print(f"{info.name}  {info.scope}{prefix}")
    return 0


def _encrypt(settings: Settings) -> int:
    backup = encrypt_database(settings, lambda step: print(step, file=sys.stderr, flush=True))
    print(
        f"Encrypted {settings.database_path}; its key is in the keyring. The unencrypted original is kept as "
        f"{backup}: delete it once you have checked that everything is there.",
        file=sys.stderr,
    )
    return 0


def missing_display() -> str | None:
    """Why no window can be shown here (no X11 or Wayland display reachable), or None when one can."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    name = os.environ.get("DISPLAY")
    if not name:
        return "there is no display (DISPLAY and WAYLAND_DISPLAY are not set)"
    try:
        from Xlib.display import Display  # noqa: PLC0415 - only where an X display is expected
    except ImportError:
        return None  # cannot check: let Qt try
    try:
        Display(name).close()
    except Exception as exc:  # python-xlib raises several kinds for a display it cannot reach
        return f"the display {name} cannot be reached ({exc})"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = _settings(args)
        if args.command is None and settings.gui and (problem := missing_display()) is not None:
            print(
                f"Running without the tray and dashboard window: {problem}. The server and the watchers "
                f"that can work run; the dashboard is in your browser. (--no-gui says this is intended.)",
                file=sys.stderr,
            )
            settings = dataclasses.replace(settings, gui=False)
        if args.command is None and settings.gui:
            from activitywatch.gui import run_gui  # noqa: PLC0415 - Qt widgets only for the desktop app

            return run_gui(settings)
        if args.command is None:
            start_logging(settings, to_file=True)
            return App(settings).run()
        start_logging(settings, to_file=False)
        if args.command == "export":
            return _export(args, settings)
        if args.command == "forget":
            return _forget(args, settings)
        if args.command == "encrypt":
            return _encrypt(settings)
        if args.command == "decrypt":
            backup = decrypt_database(settings, lambda step: print(step, file=sys.stderr, flush=True))
            print(
                f"Decrypted {settings.database_path}. The encrypted original is kept as {backup} "
                "(its key stays in the keyring): delete both once you no longer need them.",
                file=sys.stderr,
            )
            return 0
        if args.command == "token":
            return _token(args, settings)
        if args.command == "sync":
            return sync_commands.run(args, settings)
        if args.command == "desktop":
            print(install_extension().sentence())
            return 0
        return _import(args, settings)
    except (ConfigError, AwError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        if isinstance(exc, ConfigError) and args.command is None and not args.no_gui and missing_display() is None:
            from activitywatch.gui import show_start_error  # noqa: PLC0415 - Qt widgets only for the desktop app

            show_start_error(str(exc))  # started from a menu or at login, nobody reads stderr
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.exception("Unexpected error")
        where = f" The details are in {settings.log_file}." if settings is not None else ""
        print(f"ActivityWatch stopped because of a bug: {exc!r}.{where}", file=sys.stderr)
        return EXIT_BUG
