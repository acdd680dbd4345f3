"""Emitting Qt signals from Python: one helper that works around PySide6 6.12's lost reference to True.

In PySide6 6.12.0 every `SignalInstance.emit()` called from Python returns `True` without taking a
reference to it, so each emit costs `True` one reference; after enough emits (or at interpreter exit)
Python aborts with "bool_dealloc: deallocating True or False". Whether this build has the slip is
measured once, on a private signal nobody listens to; when it does, each emit gives the reference back.
The measurement counts True's references, so it runs under a lock (two threads' first emits must not
probe at once) and with the interpreter's thread switching held off (other threads take and drop
references to True too); a wrong answer would give back 1,000 references that were never lent.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBES = 1000
_restore_true: bool | None = None
_measuring = threading.Lock()


class _Probe(QObject):
    fired = Signal()


def _emit_drops_true() -> bool:
    """Whether an emit loses a reference to True (most of `_PROBES` emits lost one each)."""
    probe = _Probe()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(60.0)  # no other Python thread runs in between
    try:
        # lent first: early in a small process True may have fewer references than the probe would take
        _give_back(_PROBES)
        before = sys.getrefcount(True)
        for _ in range(_PROBES):
            probe.fired.emit()
        lost = before - sys.getrefcount(True)
    finally:
        sys.setswitchinterval(interval)
    if lost >= _PROBES // 2:
        return True  # the loan made up for what the probe took
    for _ in range(_PROBES):
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(True))  # nothing was lost: the loan goes back
    return False


def _give_back(count: int) -> None:
    for _ in range(count):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))


def emit(signal: SignalInstance, *args: Any) -> None:
    """`signal.emit(*args)`, keeping Python's reference count of True intact."""
    global _restore_true  # noqa: PLW0603 - measured once per process
    if _restore_true is None:
        with _measuring:
            if _restore_true is None:
                _restore_true = _emit_drops_true()
    signal.emit(*args)
    if _restore_true:
        _give_back(1)
