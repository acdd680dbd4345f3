"""Heartbeats waiting to be written: kept, merged and retried with backoff while the store refuses them.

Nothing a watcher observed is dropped when a write fails (disk full, database locked by another
program): the heartbeat stays here, consecutive heartbeats that continue each other are merged as the
store would merge them (so an outage of hours costs a few events, not thousands), and the next
attempt waits 1, 2, 4 ... up to 60 seconds. When the store accepts writes again everything pending is
written in order.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from activitywatch.core.models import Bucket
from activitywatch.transforms.heartbeat import heartbeat_merge
from activitywatch.watchers.heartbeats import Heartbeat, HeartbeatSink

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


class Outbox:
    """Pending bucket creations and heartbeats of one watcher (used from its thread only)."""

    def __init__(self, sink: HeartbeatSink, clock: Callable[[], float]) -> None:
        self.sink = sink
        self.clock = clock  # monotonic seconds
        self.buckets: list[Bucket] = []
        self.pending: deque[tuple[str, Heartbeat]] = deque()
        self.backoff = 0.0
        self.next_try = 0.0
        self.problem: str | None = None

    def create(self, bucket: Bucket) -> None:
        """Create this bucket before any heartbeat is written."""
        self.buckets.append(bucket)

    def add(self, bucket_id: str, beat: Heartbeat) -> None:
        """Queue a heartbeat, merged into the previous pending one of the bucket where it continues it."""
        if self.pending and self.pending[-1][0] == bucket_id:
            last = self.pending[-1][1]
            merged = heartbeat_merge(last.event, beat.event, beat.pulsetime)
            if merged is not None:
                self.pending[-1] = (bucket_id, Heartbeat(merged, beat.pulsetime))
                return
        self.pending.append((bucket_id, beat))

    def flush(self, force: bool = False) -> bool:
        """Write what is pending (unless waiting out a backoff); True when nothing is left."""
        if not self.buckets and not self.pending:
            return True
        if not force and self.clock() < self.next_try:
            return False
        try:
            while self.buckets:
                self.sink.create_bucket(self.buckets[0])
                self.buckets.pop(0)
            while self.pending:
                bucket_id, beat = self.pending[0]
                self.sink.heartbeat(bucket_id, beat.event, beat.pulsetime)
                self.pending.popleft()
        except Exception as exc:  # any failure of the store: keep the data, retry later
            self.backoff = min(MAX_BACKOFF, max(1.0, self.backoff * 2))
            self.next_try = self.clock() + self.backoff
            reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            if self.problem != reason:
                log.warning("Cannot write heartbeats (%s); keeping them and retrying in %g s", reason, self.backoff)
            self.problem = reason
            return False
        if self.problem is not None:
            log.info("Heartbeats are being written again")
        self.problem = None
        self.backoff = 0.0
        return True
