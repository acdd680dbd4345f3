"""Single instance over a real local socket: the first listens, a later launch hands over and the first
is told to show itself; a socket left by a crashed instance does not block the next start."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtNetwork import QLocalServer
from pytestqt.qtbot import QtBot

from activitywatch.ui.single_instance import SingleInstance, hand_over, instance_name


def test_a_later_launch_hands_over(qtbot: QtBot) -> None:
    name = f"aw-test-{uuid.uuid4().hex[:12]}"
    first = SingleInstance(name)
    assert first.listen()
    try:
        second = SingleInstance(name)
        with qtbot.waitSignal(first.activated, timeout=10_000):
            assert not second.listen()
    finally:
        first.close()
    assert not hand_over(name)  # nobody listens any more


def test_a_socket_left_behind_is_replaced(qtbot: QtBot) -> None:
    name = f"aw-test-{uuid.uuid4().hex[:12]}"
    crashed = QLocalServer()
    assert crashed.listen(name)
    path = crashed.fullServerName()
    crashed.close()
    Path(path).touch()  # what a killed process leaves: the socket file, nobody listening
    fresh = SingleInstance(name)
    assert fresh.listen()
    try:
        assert fresh.server.isListening()
    finally:
        fresh.close()


def test_names_follow_the_database(tmp_path: Path) -> None:
    a = instance_name(tmp_path / "a" / "activitywatch.db")
    assert a == instance_name(tmp_path / "a" / ".." / "a" / "activitywatch.db")
    assert a != instance_name(tmp_path / "a" / "activitywatch-testing.db")
    assert len(a) < 40
