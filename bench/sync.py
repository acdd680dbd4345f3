"""Sync benchmark: `python -m bench.sync [--devices 5] [--events 700000] [--keep DIR]`.

Builds N devices (window and AFK events over a year each, realistic repeating titles), pushes each
into one plain folder, then measures, in this process (CPU = process time):
- a new device catching up on all of them (wall and CPU);
- an idle round (nothing new anywhere), as a share of one core at the default 60 s interval;
- a busy day pushed minute by minute (1,440 rounds of a few events, the syncer's clock a minute on
  each time), total CPU;
- the same day pushed in one round;
- the folder's size against the SQLite files holding the same events;
- an aw-sync (v1) folder of two devices: its first pull, and an idle round with it against one without;
- what `GET /api/0/sync/devices` does per request (a new syncer reading every manifest, and the
  data ranges; the keyring lookup is left out).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from activitywatch.core.models import Bucket, Event
from activitywatch.store import Store
from activitywatch.sync.devices import devices_table
from activitywatch.sync.engine import RoundReport, Syncer
from activitywatch.sync.folder import MANIFEST, check_key, new_key
from bench.awdb import add_bucket, add_events, create_rust_db, synthetic_events

S = 1_000_000_000
YEAR_START = 1_704_067_200 * S  # 2024-01-01
APPS = ["firefox", "code", "gnome-terminal", "slack", "thunderbird", "evince", "libreoffice", "spotify", "zoom"]
WORDS = [
    "report", "budget", "meeting", "notes", "draft", "review", "plan", "issue",
    "release", "build", "test", "fix", "design", "chart", "data",
]  # fmt: skip


def titles(rng: random.Random, count: int) -> list[str]:
    """Distinct window titles like a year of work produces (documents, pages, chats)."""
    return [
        f"{' '.join(rng.choices(WORDS, k=rng.randint(2, 5)))} {rng.randint(1, 999)} - {rng.choice(APPS)}"
        for _ in range(count)
    ]


def build_device(root: Path, name: str, events: int, seed: int) -> Store:
    """A device's store with `events` events over a year: 2/3 window, 1/3 AFK."""
    rng = random.Random(seed)
    store = Store(root / name / "activitywatch.db") if (root / name).mkdir(parents=True) is None else None
    assert store is not None
    window, afk = f"aw-watcher-window_{name}", f"aw-watcher-afk_{name}"
    store.create_bucket(Bucket(window, "currentwindow", "aw-watcher-window", name, YEAR_START))
    store.create_bucket(Bucket(afk, "afkstatus", "aw-watcher-afk", name, YEAR_START))
    pool = titles(rng, 5000)
    n_window = events * 2 // 3
    step = 365 * 86400 * S // max(n_window, 1)
    batch: list[Event] = []
    for i in range(n_window):
        title = pool[
            min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1) if rng.random() < 0.7 else rng.randrange(len(pool))
        ]
        batch.append(
            Event(
                YEAR_START + i * step, rng.randint(1, step // S) * S, {"app": title.rsplit(" - ", 1)[1], "title": title}
            )
        )
        if len(batch) == 20_000:
            store.insert_events(window, batch)
            batch = []
    store.insert_events(window, batch)
    n_afk = events - n_window
    step = 365 * 86400 * S // max(n_afk, 1)
    store.insert_events(
        afk,
        [Event(YEAR_START + i * step, step, {"status": "afk" if i % 2 else "not-afk"}) for i in range(n_afk)],
    )
    store.checkpoint()
    return store


def aw_sync_folder(folder: Path, devices: int, events: int) -> None:
    """An aw-sync (v1) folder as `aw-sync daemon` leaves it: `{folder}/{device id}/test.db` per device."""
    for d in range(devices):
        path = folder / str(uuid.uuid4()) / "test.db"
        path.parent.mkdir(parents=True)
        conn = create_rust_db(path)
        with conn:
            host = f"worklaptop{d}"
            row = add_bucket(
                conn, f"aw-watcher-window_{host}", type_="currentwindow", hostname=host, created_ns=YEAR_START, data={}
            )
            add_events(conn, row, synthetic_events(events, YEAR_START, seed=d))
        conn.close()


def median_cpu(action: object, times: int = 20) -> float:
    """The median CPU seconds of calling `action` `times` times."""
    return statistics.median(cpu_wall(action)[0] for _ in range(times))


def folder_bytes(folder: Path) -> int:
    """Bytes of every file in the folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cpu_wall(action: object) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of calling `action`."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()  # type: ignore[operator]
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=5)
    parser.add_argument("--events", type=int, default=700_000, help="events per device")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="aw-bench-sync-"))
    folder = root / "shared"
    folder.mkdir(parents=True)
    key = check_key(new_key())
    now = [time.time_ns()]  # the syncers' clock: the busy day moves it on a minute a round

    def clock() -> int:
        return now[0]

    try:
        db_bytes = 0
        push_cpu = []
        for d in range(args.devices):
            name = f"device{d}"
            t0 = time.perf_counter()
            store = build_device(root, name, args.events, seed=d)
            db_bytes += store.path.stat().st_size
            syncer = Syncer(store, folder, key, str(uuid.uuid4()), name, f"i{d}", clock=clock)
            cpu, _ = cpu_wall(lambda syncer=syncer: syncer.push(RoundReport()))
            push_cpu.append(cpu)
            print(
                f"{name}: {args.events:,} events built and pushed in {time.perf_counter() - t0:.1f} s"
                f" (push CPU {cpu:.1f} s)",
                flush=True,
            )
            if d > 0:
                store.close()
            else:
                first = (store, syncer)
        total = args.devices * args.events
        size = folder_bytes(folder)
        print(
            f"folder: {size / 2**20:.1f} MiB for {total:,} events; SQLite files: {db_bytes / 2**20:.1f} MiB;"
            f" ratio {size / db_bytes:.1%}"
        )

        newcomer = Store(root / "newcomer.db")
        new_syncer = Syncer(newcomer, folder, key, str(uuid.uuid4()), "newcomer", "inew")
        report = None

        def catch_up() -> None:
            nonlocal report
            report = new_syncer.round()

        cpu, wall = cpu_wall(catch_up)
        assert report is not None and not report.errors, report
        print(
            f"catch-up: {report.pulled.events_changed:,} events from {args.devices} devices in {wall:.1f} s wall,"
            f" {cpu:.1f} s CPU ({report.pulled.events_changed / wall:,.0f} events/s)"
        )

        per_round = median_cpu(new_syncer.round)
        print(
            f"idle round: {per_round * 1000:.2f} ms CPU (median of 20) = {per_round / 60:.4%} of a core"
            " at a 60 s interval"
        )

        aw_folder = root / "aw-sync"
        aw_events = max(args.events // 10, 1)
        aw_sync_folder(aw_folder, 2, aw_events)
        with_v1 = Syncer(newcomer, folder, key, new_syncer.device, "newcomer", "inew", aw_sync_folders=[aw_folder])
        cpu, wall = cpu_wall(with_v1.round)
        print(f"aw-sync (v1) folder, 2 devices x {aw_events:,} events: first pull {wall:.1f} s wall, {cpu:.1f} s CPU")
        idle_v1, idle_plain = median_cpu(with_v1.round), median_cpu(new_syncer.round)
        print(
            f"idle round with that aw-sync folder: {idle_v1 * 1000:.2f} ms CPU against {idle_plain * 1000:.2f} ms"
            f" without (median of 20; {idle_v1 / idle_plain:.1f}x) = {idle_v1 / 60:.4%} of a core"
        )

        def devices_request() -> None:
            fresh = Syncer(newcomer, folder, key, new_syncer.device, "newcomer", "inew", aw_sync_folders=[aw_folder])
            devices_table(newcomer, fresh)

        request = median_cpu(devices_request)
        print(
            f"GET /api/0/sync/devices ({args.devices + 3} devices; keyring lookup left out):"
            f" {request * 1000:.2f} ms CPU a request (median of 20)"
        )

        store, syncer = first

        def push() -> None:
            syncer.push(RoundReport())  # this device's push only (its pull of the others is catch-up)

        window = "aw-watcher-window_device0"
        day = YEAR_START + 366 * 86400 * S
        minute_cpu = 0.0
        for minute in range(1440):
            at = day + minute * 60 * S
            store.insert_events(
                window,
                [
                    Event(at + i * 20 * S, 20 * S, {"app": "code", "title": f"busy day file {minute % 50}"})
                    for i in range(3)
                ],
            )
            minute_cpu += cpu_wall(push)[0]
            now[0] += 60 * S
        own = folder / syncer.device
        print(
            f"busy day, pushed every minute: 1,440 rounds, {3 * 1440:,} events, {minute_cpu:.2f} s CPU in all"
            f" ({minute_cpu / 1440 * 1000:.2f} ms a round); afterwards {len(list(own.glob('*.seg')))} segment files,"
            f" manifest {(own / MANIFEST).stat().st_size / 1024:.1f} KiB"
        )
        store.insert_events(
            window,
            [
                Event(day + 86400 * S + i * 20 * S, 20 * S, {"app": "code", "title": f"busy day file {i % 50}"})
                for i in range(4320)
            ],
        )
        one_cpu = cpu_wall(push)[0]
        print(f"busy day, pushed in one round: {4320:,} events, {one_cpu:.3f} s CPU")
        cpu, wall = cpu_wall(new_syncer.round)
        print(f"pulling that day on another device (merged segments): {wall:.1f} s wall, {cpu:.1f} s CPU")
        store.close()
        newcomer.close()
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
