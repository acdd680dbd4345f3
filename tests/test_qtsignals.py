"""Signals emitted through the helper keep Python's reference count of True intact (PySide6 6.12 slip)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from activitywatch.qtsignals import emit


class Sender(QObject):
    changed = Signal(str, str)


def test_emitting_keeps_true_alive() -> None:
    sender = Sender()
    received: list[tuple[str, str]] = []
    sender.changed.connect(lambda a, b: received.append((a, b)))
    emit(sender.changed, "warm", "up")  # the first emit measures the slip once
    before = sys.getrefcount(True)
    for _ in range(5000):
        emit(sender.changed, "state", "reason")
    assert abs(sys.getrefcount(True) - before) < 100  # unfixed, it drops by 5000
    assert len(received) == 5001


def test_first_emits_from_several_threads_at_once_measure_once() -> None:
    """Threads whose first emits meet measure the slip once, between them: True keeps its references."""
    import subprocess
    import textwrap

    script = textwrap.dedent(
        """
        import sys, threading
        from PySide6.QtCore import QObject, Signal
        from activitywatch.qtsignals import emit

        class Sender(QObject):
            changed = Signal(str)

        senders = [Sender() for _ in range(6)]
        start = threading.Barrier(len(senders))
        flags = []

        def run(sender):
            start.wait()
            for _ in range(200):
                flags.append([True] * 50)  # other threads take and drop references to True meanwhile
                emit(sender.changed, "x")
                flags.pop()

        before = sys.getrefcount(True)
        threads = [threading.Thread(target=run, args=(s,)) for s in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(sys.getrefcount(True) - before)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert abs(int(result.stdout.strip())) < 500, result.stdout  # a wrong measurement is off by 1,000 or more
