"""The workloads: heartbeats (one and several clients), bulk insert, a big GET, export and memory."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import activitylog, importing, queries
from bench.client import HttpError, RawHttpClient, build_request
from bench.servers import Server, cpu_seconds, memory_kib, thread_cpu_seconds

WORKLOADS = ("heartbeat", "concurrent", "bulk", "get", "export", "memory", "query", "activitylog", "import")
DEFAULT_WORKLOADS = WORKLOADS
PULSETIME = 5.0
BASE_TIME = datetime(2020, 1, 1, tzinfo=UTC)
BUCKET_BODY = json.dumps({"client": "bench", "type": "test", "hostname": "bench"}).encode()


class BenchError(Exception):
    """A server answered wrongly (bad status, wrong event count) during a workload."""


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does, and how often it is repeated."""

    heartbeats: int = 5_000
    clients: int = 4
    client_heartbeats: int = 2_000
    bulk_events: int = 100_000
    batch_size: int = 1_000
    get_events: int = 60_000
    repeat: int = 5
    bulk_repeat: int = 3
    warmup: int = 200
    peer_heartbeats: int = 1_000
    peer_client_heartbeats: int = 300
    query_days: int = 30
    year_days: int = 365
    query_repeat: int = 5
    log_days: int = 1096  # the activity log's data: three years
    import_events: int = 1_000_000
    import_repeat: int = 3

    def for_server(self, server: Server) -> Sizes:
        """The sizes for this server: a slow one gets fewer heartbeats (rates still compare)."""
        if not server.slow:
            return self
        return replace(
            self,
            heartbeats=min(self.heartbeats, self.peer_heartbeats),
            client_heartbeats=min(self.client_heartbeats, self.peer_client_heartbeats),
            warmup=min(self.warmup, 50),
            year_days=0,  # a year takes the peer minutes to load and about a minute per query
            query_repeat=min(self.query_repeat, 3),
        )

    @classmethod
    def quick(cls) -> Sizes:
        """Small sizes and two repetitions: a smoke run that takes seconds."""
        return cls(
            heartbeats=300,
            client_heartbeats=100,
            bulk_events=5_000,
            get_events=5_000,
            repeat=2,
            bulk_repeat=2,
            warmup=20,
            peer_heartbeats=100,
            peer_client_heartbeats=50,
            query_days=3,
            year_days=0,
            query_repeat=2,
            log_days=30,
            import_events=20_000,
            import_repeat=2,
        )


@dataclass(frozen=True)
class FigureSpec:
    """What one row of the results table measures."""

    key: str
    label: str
    workload: str
    higher_is_better: bool


def figure_specs(sizes: Sizes) -> list[FigureSpec]:
    """Every figure the benchmark can report, in table order."""
    get_k = _thousands(sizes.get_events)
    return [
        FigureSpec("hb_merge_raw", "heartbeats/s, merge, raw client", "heartbeat", True),
        FigureSpec("hb_new_raw", "heartbeats/s, new event, raw client", "heartbeat", True),
        FigureSpec("hb_merge_httpclient", "heartbeats/s, merge, http.client", "heartbeat", True),
        FigureSpec("hb_new_httpclient", "heartbeats/s, new event, http.client", "heartbeat", True),
        FigureSpec("hb_merge_raw_server_cpu_us", "server CPU per heartbeat, merge, raw client, us", "heartbeat", False),
        FigureSpec(
            "hb_new_raw_server_cpu_us", "server CPU per heartbeat, new event, raw client, us", "heartbeat", False
        ),
        FigureSpec("hb_concurrent", f"heartbeats/s, {sizes.clients} clients, total", "concurrent", True),
        FigureSpec("bulk", f"bulk insert, events/s (batches of {sizes.batch_size:,})", "bulk", True),
        FigureSpec("get_seconds", f"GET {get_k} events, s", "get", False),
        FigureSpec("get_mb", f"GET {get_k} events, MB", "get", False),
        FigureSpec("export_seconds", f"export {get_k} events, s", "export", False),
        FigureSpec("export_mb", f"export {get_k} events, MB", "export", False),
        FigureSpec(
            "q_canonical_cold",
            f"query first time, server's caches cold: time per app while not AFK, {sizes.query_days} days, s",
            "query",
            False,
        ),
        FigureSpec(
            "q_canonical", f"query first time: time per app while not AFK, {sizes.query_days} days, s", "query", False
        ),
        FigureSpec("q_activity", f"query first time: web-UI activity, {sizes.query_days} days, s", "query", False),
        FigureSpec(
            "q_daily", f"query first time: time per app, {sizes.query_days + 1} daily periods, s", "query", False
        ),
        FigureSpec(
            "q_canonical_year_cold",
            f"query first time, server's caches cold: time per app while not AFK, {sizes.year_days} days, s",
            "query",
            False,
        ),
        FigureSpec(
            "q_canonical_year",
            f"query first time: time per app while not AFK, {sizes.year_days} days, s",
            "query",
            False,
        ),
        *(
            FigureSpec(f"{key}_cpu", f"server CPU of the above: {what}, s", "query", False)
            for key, what in (
                ("q_canonical_cold", f"time per app, {sizes.query_days} days, caches cold"),
                ("q_canonical", f"time per app, {sizes.query_days} days"),
                ("q_activity", f"web-UI activity, {sizes.query_days} days"),
                ("q_canonical_year_cold", f"time per app, {sizes.year_days} days, caches cold"),
                ("q_canonical_year", f"time per app, {sizes.year_days} days"),
            )
        ),
        FigureSpec("q_canonical_warm", f"query again: time per app, {sizes.query_days} days, s", "query", False),
        FigureSpec("q_activity_warm", f"query again: web-UI activity, {sizes.query_days} days, s", "query", False),
        FigureSpec("q_daily_warm", f"query again: {sizes.query_days + 1} daily periods, s", "query", False),
        FigureSpec("q_canonical_year_warm", f"query again: time per app, {sizes.year_days} days, s", "query", False),
        FigureSpec("al_first", f"activity log: first page of {sizes.log_days} days, ms", "activitylog", False),
        FigureSpec("al_next", "activity log: the next page (cursor), ms", "activitylog", False),
        FigureSpec(
            "al_last_day", f"activity log: first page of the last of {sizes.log_days} days, ms", "activitylog", False
        ),
        FigureSpec(
            "import_seconds", f"import {_thousands(sizes.import_events)} events (aw-server-rust db), s", "import", False
        ),
        FigureSpec("import_rate", "import, events/s", "import", True),
        FigureSpec("import_cpu_seconds", "import, CPU time of the command, s", "import", False),
        FigureSpec("import_rss_mb", "import, peak RSS of the command, MB", "import", False),
        FigureSpec("rss_idle_mb", "RSS idle after start, MB", "memory", False),
        FigureSpec("rss_after_mb", "RSS after the workloads, MB", "memory", False),
        FigureSpec("rss_peak_mb", "peak RSS (VmHWM), MB", "memory", False),
    ]


def _thousands(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else f"{n:,}"


@dataclass
class Results:
    """The samples of every figure measured on one server, with notes on what was seen."""

    label: str
    url: str
    version: str
    sizes: Sizes
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        """Record one sample of a figure."""
        self.samples.setdefault(key, []).append(value)

    def median(self, key: str) -> float | None:
        """The median of a figure's samples (None when not measured)."""
        values = self.samples.get(key)
        return statistics.median(values) if values else None

    def to_json(self) -> dict[str, Any]:
        """The results as plain JSON-able data."""
        figures = {
            key: {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
                "samples": values,
            }
            for key, values in self.samples.items()
        }
        return {
            "label": self.label,
            "url": self.url,
            "version": self.version,
            "sizes": asdict(self.sizes),
            "figures": figures,
            "notes": self.notes,
            "errors": self.errors,
        }


def iso(offset_seconds: float) -> str:
    """An ISO 8601 UTC timestamp offset_seconds after the benchmark's base time."""
    return (BASE_TIME + timedelta(seconds=offset_seconds)).isoformat()


def progress(message: str) -> None:
    """A progress line on standard error."""
    print(message, file=sys.stderr, flush=True)


class Bench:
    """Runs the workloads against one server and collects the figures."""

    def __init__(self, server: Server, sizes: Sizes, cleanup: bool) -> None:
        self.server = server
        self.sizes = sizes.for_server(server)
        self.cleanup = cleanup
        self.run_id = uuid.uuid4().hex[:8]
        self.host_header = f"{server.host}:{server.port}"
        self.created: list[str] = []
        self.results = Results(server.label, server.url, str(server.info.get("version", "?")), self.sizes)
        self.do_get = self.do_export = True

    # -- helpers ---------------------------------------------------------------------------

    def client(self) -> RawHttpClient:
        """A new raw keep-alive client for this server."""
        return RawHttpClient(self.server.host, self.server.port)

    def request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        """Pre-built bytes of one request to this server."""
        return build_request(method, path, self.host_header, body)

    def bucket_id(self, name: str) -> str:
        """A bucket id unique to this run."""
        return f"aw-bench-{self.run_id}-{name}"

    def create_bucket(self, client: RawHttpClient, name: str) -> str:
        """Create a fresh bucket; return its id."""
        bucket = self.bucket_id(name)
        status, body = client.request(self.request("POST", f"/api/0/buckets/{bucket}", BUCKET_BODY))
        if status not in (200, 201, 304):
            raise BenchError(f"POST /api/0/buckets/{bucket} -> {status}: {body[:300]!r}")
        if status == 304:
            raise BenchError(f"bucket {bucket} already existed (304): bucket ids must be fresh")
        self.created.append(bucket)
        return bucket

    def heartbeat_requests(self, bucket: str, count: int, merge: bool, start: float = 0.0) -> list[bytes]:
        """Pre-built heartbeats 1 s apart: same data (merge) or different data every time (new events)."""
        path = f"/api/0/buckets/{bucket}/heartbeat?pulsetime={PULSETIME:g}"
        return [self.request("POST", path, _heartbeat_body(i, start, merge)) for i in range(count)]

    def fetch_events(self, client: RawHttpClient, bucket: str) -> list[dict[str, Any]]:
        """All events of a bucket (`?limit=-1`)."""
        body = client.expect(self.request("GET", f"/api/0/buckets/{bucket}/events?limit=-1"))
        events: list[dict[str, Any]] = json.loads(body)
        return events

    def count_events(self, client: RawHttpClient, bucket: str) -> int:
        """The number of events in a bucket (`/events/count`, else by fetching them)."""
        status, body = client.request(self.request("GET", f"/api/0/buckets/{bucket}/events/count"))
        if status == 200:
            return int(json.loads(body))
        return len(self.fetch_events(client, bucket))

    def insert_events(self, client: RawHttpClient, bucket: str, count: int) -> None:
        """Fill a bucket with count events (not timed)."""
        for batch in _event_batches(count, self.sizes.batch_size):
            client.expect(self.request("POST", f"/api/0/buckets/{bucket}/events", batch))

    def _note_connections(self, what: str, client: RawHttpClient, requests: int) -> None:
        if client.connections > 1:
            note = (
                f"{what}: the server closed the connection after responses ({client.connections:,} "
                f"connections for {requests:,} requests), so its keep-alive figures include TCP connects"
            )
            if note not in self.results.notes:
                self.results.notes.append(note)

    def _note(self, text: str) -> None:
        if text not in self.results.notes:
            self.results.notes.append(text)

    # -- workloads -------------------------------------------------------------------------

    def run(self, workloads: Sequence[str]) -> Results:
        """Run the selected workloads in order; a failing workload is recorded and the rest go on."""
        steps: list[tuple[str, Callable[[], None]]] = [
            ("warmup", self.warm_up),
            ("heartbeat", self.heartbeats),
            ("concurrent", self.concurrent),
            ("bulk", self.bulk),
            ("get", self.get_and_export),
            ("query", self.queries),
            ("activitylog", self.activity_log),
            ("import", self.import_database),
        ]
        self.do_get, self.do_export = "get" in workloads, "export" in workloads
        pid = self.server.pid
        if "memory" in workloads and pid is not None:
            idle = memory_kib(pid)
            if "VmRSS" in idle:
                self.results.add("rss_idle_mb", idle["VmRSS"] / 1024)
        for name, step in steps:
            selected = name in workloads or name == "warmup" or (name == "get" and "export" in workloads)
            if not selected or (name != "warmup" and "warmup" in self.results.errors):
                continue
            try:
                step()
            except (BenchError, HttpError, OSError) as exc:
                self.results.errors[name] = str(exc)
                progress(f"[{self.server.label}] {name} FAILED: {exc}")
        if "memory" in workloads and pid is not None:
            after = memory_kib(pid)
            if "VmRSS" in after:
                self.results.add("rss_after_mb", after["VmRSS"] / 1024)
            if "VmHWM" in after:
                self.results.add("rss_peak_mb", after["VmHWM"] / 1024)
        if self.cleanup:
            try:
                self.delete_buckets()
            except (HttpError, OSError) as exc:
                progress(f"[{self.server.label}] could not delete the benchmark's buckets: {exc}")
        return self.results

    def import_database(self) -> None:
        """`activitywatch import sqlite.db` of an aw-server-rust database (ours only: a command, not an API)."""
        if self.server.label != "ours":
            self._note("the import workload runs our command only; skipped")
            return
        events, repeat = self.sizes.import_events, self.sizes.import_repeat
        try:
            runs = importing.measure(events, repeat)
        except importing.ImportBenchError as exc:
            raise BenchError(str(exc)) from None
        for n, run in enumerate(runs):
            self.results.add("import_seconds", run.seconds)
            self.results.add("import_rate", run.rate)
            self.results.add("import_rss_mb", run.peak_mb)
            self.results.add("import_cpu_seconds", run.cpu_seconds)
            progress(
                f"[{self.server.label}] import rep {n + 1}/{repeat}: {events:,} events in {run.seconds:.1f} s "
                f"({run.rate:,.0f}/s, {run.cpu_seconds:.1f} s CPU), peak RSS {run.peak_mb:.0f} MB"
            )

    def warm_up(self) -> None:
        """A few heartbeats, one small bulk insert and a GET, so no figure pays for first use."""
        with self.client() as client:
            bucket = self.create_bucket(client, "warmup")
            for raw in self.heartbeat_requests(bucket, self.sizes.warmup, merge=False):
                client.expect(raw)
            self.insert_events(client, bucket, min(self.sizes.batch_size, 1000))
            self.fetch_events(client, bucket)

    def heartbeats(self) -> None:
        """One client, keep-alive: merging and new-event heartbeats, raw client and http.client."""
        n = self.sizes.heartbeats
        for rep in range(self.sizes.repeat):
            for merge in (True, False):
                path_name = "merge" if merge else "new"
                for kind in ("raw", "httpclient"):
                    key = f"hb_{path_name}_{kind}"
                    with self.client() as client:
                        bucket = self.create_bucket(client, f"hb-{path_name}-{kind}-{rep}")
                        requests = self.heartbeat_requests(bucket, n, merge)
                        pid = self.server.pid
                        server_cpu = cpu_seconds(pid) if pid is not None else None
                        if kind == "raw":
                            elapsed, cpu = _send_raw(client, requests)
                            self._note_connections("heartbeats", client, n + 1)
                        else:
                            elapsed, cpu = self._send_httpclient(bucket, n, merge)
                        if server_cpu is not None and pid is not None:
                            # CPU per heartbeat moves less with the machine's load than the rate does
                            spent = (cpu_seconds(pid) or server_cpu) - server_cpu
                            self.results.add(f"{key}_server_cpu_us", spent / n * 1e6)
                        rate = n / elapsed
                        self.results.add(key, rate)
                        self.results.add(f"{key}_client_cpu", cpu / elapsed)
                        self._verify_heartbeats(client, bucket, n, merge)
                    progress(
                        f"[{self.server.label}] heartbeats {path_name:5} {kind:10} rep {rep + 1}/"
                        f"{self.sizes.repeat}: {rate:,.0f}/s (client CPU {cpu / elapsed:.0%})"
                    )

    def _send_httpclient(self, bucket: str, n: int, merge: bool) -> tuple[float, float]:
        path = f"/api/0/buckets/{bucket}/heartbeat?pulsetime={PULSETIME:g}"
        bodies = [_heartbeat_body(i, 0.0, merge) for i in range(n)]
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        try:
            cpu0, t0 = time.process_time(), time.perf_counter()
            for body in bodies:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    raise BenchError(f"POST {path} -> {response.status}: {data[:300]!r}")
            return time.perf_counter() - t0, time.process_time() - cpu0
        finally:
            conn.close()

    def _verify_heartbeats(self, client: RawHttpClient, bucket: str, n: int, merge: bool) -> None:
        events = self.fetch_events(client, bucket)
        if merge:
            if len(events) != 1:
                raise BenchError(f"{n} merging heartbeats left {len(events)} events in {bucket}, expected 1")
            duration = float(events[0]["duration"])
            if abs(duration - (n - 1)) > 1e-3:
                raise BenchError(f"{n} merging heartbeats made an event of {duration} s, expected {n - 1} s")
        elif len(events) != n:
            raise BenchError(f"{n} new-event heartbeats left {len(events)} events in {bucket}, expected {n}")

    def concurrent(self) -> None:
        """Several client processes, each with its own bucket and keep-alive connection, all at once."""
        clients, n = self.sizes.clients, self.sizes.client_heartbeats
        context = multiprocessing.get_context("spawn")
        for rep in range(self.sizes.repeat):
            with self.client() as client:
                buckets = [self.create_bucket(client, f"conc-{rep}-{i}") for i in range(clients)]
            barrier = context.Barrier(clients)
            queue: multiprocessing.Queue[tuple[str, float, float, int]] = context.Queue()
            workers = [
                context.Process(
                    target=_concurrent_worker,
                    kwargs={
                        "host": self.server.host,
                        "port": self.server.port,
                        "host_header": self.host_header,
                        "bucket": bucket,
                        "count": n,
                        "barrier": barrier,
                        "queue": queue,
                    },
                    daemon=True,
                )
                for bucket in buckets
            ]
            for worker in workers:
                worker.start()
            try:
                reports = [queue.get(timeout=600) for _ in workers]
            finally:
                for worker in workers:
                    worker.join(timeout=30)
                    if worker.is_alive():
                        worker.terminate()
            failures = [error for error, *_ in reports if error]
            if failures:
                raise BenchError(f"concurrent heartbeats failed: {failures[0]}")
            start = min(report[1] for report in reports)
            end = max(report[2] for report in reports)
            connections = sum(report[3] for report in reports)
            if connections > clients:
                self._note(
                    f"concurrent: {connections:,} connections for {clients * n:,} heartbeats "
                    "(the server closes connections)"
                )
            rate = clients * n / (end - start)
            self.results.add("hb_concurrent", rate)
            with self.client() as client:
                for bucket in buckets:
                    self._verify_heartbeats(client, bucket, n, merge=True)
            done = f"rep {rep + 1}/{self.sizes.repeat}"
            progress(f"[{self.server.label}] heartbeats, {clients} clients, {done}: {rate:,.0f}/s")

    def bulk(self) -> None:
        """POST events in batches to a fresh bucket; events/s."""
        total, batch_size = self.sizes.bulk_events, self.sizes.batch_size
        for rep in range(self.sizes.bulk_repeat):
            with self.client() as client:
                bucket = self.create_bucket(client, f"bulk-{rep}")
                path = f"/api/0/buckets/{bucket}/events"
                requests = [self.request("POST", path, batch) for batch in _event_batches(total, batch_size)]
                elapsed, _cpu = _send_raw(client, requests)
                count = self.count_events(client, bucket)
                if count != total:
                    raise BenchError(f"bulk insert of {total:,} events left {count:,} in {bucket}")
            rate = total / elapsed
            self.results.add("bulk", rate)
            progress(
                f"[{self.server.label}] bulk insert rep {rep + 1}/{self.sizes.bulk_repeat}: "
                f"{rate:,.0f} events/s ({elapsed:.2f} s for {total:,})"
            )

    def get_and_export(self) -> None:
        """Fill one bucket, then time `GET .../events?limit=-1` and `GET .../export` of it."""
        total = self.sizes.get_events
        with self.client() as client:
            bucket = self.create_bucket(client, "get")
            t0 = time.perf_counter()
            self.insert_events(client, bucket, total)
            fill_seconds = time.perf_counter() - t0
            progress(f"[{self.server.label}] filled a bucket with {total:,} events in {fill_seconds:.1f} s")
            get_request = self.request("GET", f"/api/0/buckets/{bucket}/events?limit=-1")
            export_request = self.request("GET", f"/api/0/buckets/{bucket}/export")
            for rep in range(self.sizes.repeat if self.do_get else 0):
                t0 = time.perf_counter()
                body = client.expect(get_request)
                elapsed = time.perf_counter() - t0
                events = json.loads(body)
                if len(events) != total:
                    raise BenchError(f"GET {bucket}/events returned {len(events):,} events, not {total:,}")
                self.results.add("get_seconds", elapsed)
                self.results.add("get_mb", len(body) / 1e6)
                progress(
                    f"[{self.server.label}] GET {total:,} events rep {rep + 1}/{self.sizes.repeat}: "
                    f"{elapsed:.3f} s, {len(body) / 1e6:.1f} MB"
                )
            for rep in range(self.sizes.repeat if self.do_export else 0):
                t0 = time.perf_counter()
                body = client.expect(export_request)
                elapsed = time.perf_counter() - t0
                exported = json.loads(body)["buckets"][bucket]["events"]
                if len(exported) != total:
                    raise BenchError(f"export of {bucket} held {len(exported):,} events, not {total:,}")
                self.results.add("export_seconds", elapsed)
                self.results.add("export_mb", len(body) / 1e6)
                progress(
                    f"[{self.server.label}] export {total:,} events rep {rep + 1}/{self.sizes.repeat}: "
                    f"{elapsed:.3f} s, {len(body) / 1e6:.1f} MB"
                )

    def seed_query_buckets(self, client: RawHttpClient, days: int, tag: str) -> queries.QueryBuckets:
        """A window and an AFK bucket holding `days` days of events (not timed)."""
        buckets = queries.QueryBuckets(self.bucket_id(f"window-{tag}"), self.bucket_id(f"afk-{tag}"))
        window, afk = queries.generate(days)
        for bucket, events in ((buckets.window, window), (buckets.afk, afk)):
            status, body = client.request(self.request("POST", f"/api/0/buckets/{bucket}", BUCKET_BODY))
            if status != 200:
                raise BenchError(f"POST /api/0/buckets/{bucket} -> {status}: {body[:300]!r}")
            self.created.append(bucket)
            for first in range(0, len(events), self.sizes.batch_size):
                batch = json.dumps(events[first : first + self.sizes.batch_size]).encode()
                client.expect(self.request("POST", f"/api/0/buckets/{bucket}/events", batch))
        return buckets

    def queries(self) -> None:
        """POST /api/0/query/: the canonical query, the web UI's activity query and daily periods."""
        days = self.sizes.query_days
        with self.client() as client:
            buckets = self.seed_query_buckets(client, days, "month")
            whole = [queries.period(0, days)]
            plan = [
                ("q_canonical", queries.canonical_query(buckets), whole),
                ("q_activity", queries.activity_query(buckets), whole),
                ("q_daily", queries.canonical_query(buckets), queries.daily_periods(days)),
            ]
            if self.sizes.year_days:
                year = self.seed_query_buckets(client, self.sizes.year_days, "year")
                plan.append(
                    ("q_canonical_year", queries.canonical_query(year), [queries.period(0, self.sizes.year_days)])
                )
            nonce = time.time_ns()
            for key, query, periods in plan:
                # First runs: a query text never sent before (a leading no-op statement with a counter)
                # and a new name, so no server can answer from results it kept; then the same request
                # again and again, as a dashboard sends it. The first query over just written buckets
                # also finds the server's caches of events cold: it is reported on its own.
                cold = key in ("q_canonical", "q_canonical_year")
                for rep in range(self.sizes.query_repeat + cold):
                    name = f"first-{nonce}-{rep}"
                    first = queries.first_time(query, f"{nonce}_{rep}")
                    pid = self.server.pid
                    cpu_before = _query_cpu(pid)
                    elapsed, answer = queries.post_query(client, self.request, first, periods, name)
                    if len(answer) != len(periods):
                        raise BenchError(f"{key}: {len(answer)} results for {len(periods)} periods")
                    figure = f"{key}_cold" if cold and rep == 0 else key
                    self.results.add(figure, elapsed)
                    cpu_after = _query_cpu(pid)
                    if cpu_before is not None and cpu_after is not None:
                        # CPU time does not grow with the load other programs put on the machine. The
                        # threads' own counters are exact but lose threads that ended (aw-server answers
                        # each request on a new thread); the process's count has them, in clock ticks.
                        spent = max(after - before for before, after in zip(cpu_before, cpu_after, strict=True))
                        if spent > 0:
                            self.results.add(f"{figure}_cpu", spent)
                    progress(f"[{self.server.label}] {figure} rep {rep + 1}: {elapsed:.3f} s")
                repeated = f"again-{nonce}"
                queries.post_query(client, self.request, query, periods, repeated)
                for rep in range(self.sizes.query_repeat):
                    elapsed, again = queries.post_query(client, self.request, query, periods, repeated)
                    if again != answer:
                        raise BenchError(f"{key}: a repeated query gave another answer")
                    self.results.add(f"{key}_warm", elapsed)
                    progress(f"[{self.server.label}] {key} again {rep + 1}/{self.sizes.query_repeat}: {elapsed:.4f} s")
                if key == "q_canonical":
                    totals = queries.app_totals(answer[0])
                    self._note(f"query answer, seconds per app over {days} days: {json.dumps(totals, sort_keys=True)}")

    def activity_log(self) -> None:
        """GET /api/0/reports/activitylog over years of data (our server only: the reports are ours)."""
        with self.client() as client:
            status, _ = client.request(self.request("GET", "/api/0/reports/computers"))
            if status != 200:
                self._note("activity log: not measured, the server has no reports")
                return
            buckets = activitylog.seed(client, self.request, self.run_id, self.sizes.log_days, 5_000)
            self.created += buckets.values()
            progress(f"[{self.server.label}] activity log: {self.sizes.log_days} days stored")
            try:
                notes = activitylog.measure(
                    client, self.request, self.sizes.log_days, self.sizes.query_repeat, self.results.add
                )
            except ValueError as exc:  # a page that does not hold what it should
                raise BenchError(str(exc)) from None
            for note in notes:
                self._note(note)
        for key in ("al_first", "al_next", "al_last_day"):
            progress(f"[{self.server.label}] {key}: median {self.results.median(key) or 0:.1f} ms")

    def delete_buckets(self) -> None:
        """Delete the buckets this run created (for servers the benchmark did not start)."""
        with self.client() as client:
            for bucket in self.created:
                status, body = client.request(self.request("DELETE", f"/api/0/buckets/{bucket}?force=1"))
                if status not in (200, 204):
                    progress(f"[{self.server.label}] could not delete {bucket}: {status} {body[:200]!r}")


def _query_cpu(pid: int | None) -> tuple[float, float] | None:
    """(CPU seconds of the process in clock ticks, of its running threads to the nanosecond), or None."""
    if pid is None:
        return None
    ticks, threads = cpu_seconds(pid), thread_cpu_seconds(pid)
    if ticks is None or threads is None:
        return None
    return ticks, threads


def _heartbeat_body(i: int, start: float, merge: bool) -> bytes:
    data = {"app": "bench", "title": "same window"} if merge else {"app": "bench", "title": f"window {i}"}
    return json.dumps({"timestamp": iso(start + i), "duration": 0, "data": data}).encode()


def _event_batches(total: int, batch_size: int) -> list[bytes]:
    batches = []
    for first in range(0, total, batch_size):
        events = [
            {"timestamp": iso(i), "duration": 1.0, "data": {"app": "bench", "title": f"window {i % 100}"}}
            for i in range(first, min(first + batch_size, total))
        ]
        batches.append(json.dumps(events).encode())
    return batches


def _send_raw(client: RawHttpClient, requests: list[bytes]) -> tuple[float, float]:
    """Send pre-built requests one after another, each must answer 200; (wall seconds, client CPU seconds)."""
    send = client.request
    cpu0, t0 = time.process_time(), time.perf_counter()
    for raw in requests:
        status, body = send(raw)
        if status != 200:
            first_line = raw.split(b"\r\n", 1)[0].decode("latin-1")
            raise BenchError(f"{first_line} -> {status}: {body[:300]!r}")
    return time.perf_counter() - t0, time.process_time() - cpu0


def _concurrent_worker(
    *,
    host: str,
    port: int,
    host_header: str,
    bucket: str,
    count: int,
    barrier: Any,
    queue: Any,
) -> None:
    """One client process: merging heartbeats to its own bucket; reports (error, start, end, connections)."""
    start = end = 0.0
    error = ""
    client = RawHttpClient(host, port)
    try:
        path = f"/api/0/buckets/{bucket}/heartbeat?pulsetime={PULSETIME:g}"
        bodies = [_heartbeat_body(i, 0.0, True) for i in range(count)]
        requests = [build_request("POST", path, host_header, body) for body in bodies]
        barrier.wait(timeout=120)
        start = time.monotonic()
        _send_raw(client, requests)
        end = time.monotonic()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    queue.put((error, start, end, client.connections))
