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
