"""The command line: `python -m bench [--peer aw-server] [--only ...] [--quick] [--json FILE]`."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench import report
from bench.servers import (
    PEER_LABEL,
    Server,
    ServerError,
    connect,
    ensure_peer_venv,
    start_ours,
    start_peer,
    stop,
)
from bench.workloads import DEFAULT_WORKLOADS, WORKLOADS, Bench, Results, Sizes, figure_specs, progress

SIZE_OPTIONS = {
    "heartbeats": "heartbeats per run, one client",
    "peer_heartbeats": "the same for the peer and for --server aw-server (slow)",
    "clients": "concurrent client processes",
    "client_heartbeats": "heartbeats per concurrent client and run",
    "peer_client_heartbeats": "the same for the peer and for --server aw-server",
    "bulk_events": "events per bulk-insert run",
    "batch_size": "events per bulk POST",
    "get_events": "events in the bucket that is fetched and exported",
    "repeat": "runs of each workload (bulk: see --bulk-repeat)",
    "bulk_repeat": "runs of the bulk insert",
    "query_days": "days of window and AFK events the queries read (2,000 events a day)",
    "year_days": "days for the year-long query (0 to skip; the peer always skips it)",
    "query_repeat": "runs of each query (and of the activity log's pages)",
    "log_days": "days of data the activity log pages through",
    "import_events": "events in the aw-server-rust database the import workload imports",
    "import_repeat": "runs of the import",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark an ActivityWatch REST API server (/api/0), alone or beside another.",
        epilog="Without options it starts our server (.venv/bin/activitywatch) on a free port with a fresh "
        "data folder. Sizes default to the full benchmark; --quick is a smoke run.",
    )
    main = parser.add_mutually_exclusive_group()
    main.add_argument(
        "--server",
        choices=("ours", "aw-server"),
        default="ours",
        help="the server to start and measure (default: ours)",
    )
    main.add_argument("--url", help="measure a server already running there instead (no memory figures)")
    peer = parser.add_mutually_exclusive_group()
    peer.add_argument("--peer", choices=("aw-server",), help="also start and measure aw-server 0.12")
    peer.add_argument("--peer-url", metavar="URL", help="also measure a server already running there")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="COMMAND",
        help="also start and measure another build's `activitywatch` command (say, an older checkout's), "
        "between ours and the peer",
    )
    parser.add_argument("--setup-peer", action="store_true", help="only set up bench/.peer-venv")
    parser.add_argument(
        "--only",
        metavar="LIST",
        help=f"comma-separated workloads to run, of: {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and 2 runs each: a smoke run")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to this JSON file")
    parser.add_argument("--keep-data", action="store_true", help="keep the temp folders of started servers")
    sizes = parser.add_argument_group("sizes (defaults: the full benchmark, or the --quick ones)")
    for name, text in SIZE_OPTIONS.items():
        sizes.add_argument(f"--{name.replace('_', '-')}", type=int, metavar="N", help=text)
    return parser


def _sizes(args: argparse.Namespace) -> Sizes:
    sizes = Sizes.quick() if args.quick else Sizes()
    overrides = {name: getattr(args, name) for name in SIZE_OPTIONS if getattr(args, name) is not None}
    if "repeat" in overrides and "bulk_repeat" not in overrides:
        overrides["bulk_repeat"] = overrides["repeat"]
    if any(value < (0 if name == "year_days" else 1) for name, value in overrides.items()):
        raise SystemExit("sizes must be at least 1 (--year-days may be 0)")
    return replace(sizes, **overrides)


def _workloads(args: argparse.Namespace) -> list[str]:
    if not args.only:
        return list(DEFAULT_WORKLOADS)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    return chosen


def _start(kind: str, args: argparse.Namespace) -> Server:
    if kind == "aw-server":
        return start_peer()
    if kind == "baseline":
        return start_ours(args.baseline, "baseline")
    return start_ours()


def _measure(kind: str | None, url: str | None, label: str, slow: bool, args: argparse.Namespace) -> Results:
    """Start (or connect to) one server, run the workloads on it, stop it."""
    server = connect(url, label, slow) if url else _start(kind or "ours", args)
    progress(
        f"[{server.label}] {server.info.get('version', '?')} at {server.url}"
        + (f", pid {server.pid}" if server.pid else "")
    )
    try:
        return Bench(server, _sizes(args), cleanup=server.process is None).run(_workloads(args))
    finally:
        stop(server, keep_files=args.keep_data)
        if args.keep_data and server.workdir is not None:
            progress(f"[{server.label}] kept its files in {server.workdir}")


def _plan(args: argparse.Namespace) -> list[tuple[str | None, str | None, str, bool]]:
    """The servers to measure, in order: (kind to start, or URL to connect to, label, slow)."""
    plan: list[tuple[str | None, str | None, str, bool]] = []
    if args.url:
        plan.append((None, args.url, args.url.removeprefix("http://"), False))
    elif args.server == "aw-server":
        plan.append(("aw-server", None, PEER_LABEL, True))
    else:
        plan.append(("ours", None, "ours", False))
    if args.baseline:
        plan.append(("baseline", None, "baseline", False))
    if args.peer:
        plan.append((args.peer, None, PEER_LABEL, True))
    elif args.peer_url:
        plan.append((None, args.peer_url, "peer", True))
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.setup_peer:
            print(ensure_peer_venv())
            return 0
        if args.peer == "aw-server" or args.server == "aw-server":
            ensure_peer_venv()
    except (ServerError, OSError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    runs: list[Results] = []
    failures: list[str] = []
    for kind, url, label, slow in _plan(args):
        try:
            runs.append(_measure(kind, url, label, slow, args))
        except ServerError as exc:
            failures.append(f"ERROR, {label}: {exc}")
            progress(failures[-1])
    if not runs:
        return 1
    specs = figure_specs(runs[0].sizes)
    print()
    print(report.table(specs, runs))
    print()
    print(report.footer(runs))
    for failure in failures:
        print(failure)
    if args.json:
        document = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": sys.version.split()[0],
            "machine": platform.platform(),
            "workloads": _workloads(args),
            "servers": [results.to_json() for results in runs],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        progress(f"wrote {args.json}")
    return 1 if failures or any(results.errors for results in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
