"""Where store calls run: short writes on the event loop when the writer is free, the rest in threads.

A heartbeat commits in tens of microseconds; handing it to a worker thread costs more than that (two
thread wake-ups), so when nobody else holds the write lock it runs right on the loop. When the lock is
busy (a watcher or an import is writing), the call waits in a worker thread instead, never on the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from activitywatch.store import Store

T = TypeVar("T")


class StoreCalls:
    """Runs store methods from async handlers."""

    def __init__(self, store: Store, threads: int = 8) -> None:
        self.store = store
        self._threads = threads
        self._limiter: CapacityLimiter | None = None

    async def _in_thread(self, fn: Callable[..., T], *args: object) -> T:
        # A few worker threads suffice for one user's desktop; each holds a database reader.
        if self._limiter is None:
            self._limiter = CapacityLimiter(self._threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def write(self, fn: Callable[..., T], *args: object) -> T:
        """A short write: inline if the writer is free, else in a worker thread."""
        lock = self.store.write_lock
        if lock.acquire(blocking=False):
            try:
                return fn(*args)
            finally:
                lock.release()
        return await self._in_thread(fn, *args)

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        """A short read (one bucket, one event, settings): inline on this thread's reader."""
        return fn(*args)

    async def slow(self, fn: Callable[..., T], *args: object) -> T:
        """Anything that may take long (many events, export, import): in a worker thread."""
        return await self._in_thread(fn, *args)
