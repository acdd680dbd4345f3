"""One app per data folder: the first launch listens on a local socket named after its database; a later
launch hands over (the first shows its dashboard window) and exits."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from activitywatch.qtsignals import emit

log = logging.getLogger(__name__)

SHOW = b"show\n"
WAIT_MS = 2000
READ_WAIT_MS = 500


def instance_name(database: Path) -> str:
    """The socket's name for this database (short: socket paths are limited)."""
    digest = hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:16]
    return f"activitywatch-{digest}"


def hand_over(name: str) -> bool:
    """Ask a running instance to show itself; False when none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(WAIT_MS):
        return False
    socket.write(SHOW)
    socket.flush()
    socket.waitForBytesWritten(WAIT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(WAIT_MS)
    return True


class SingleInstance(QObject):
    """The running instance's socket; `activated` when a later launch hands over."""

    activated = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_server_new_connection)

    def listen(self) -> bool:
        """Start listening; False when another instance already does (it was told to show itself)."""
        if hand_over(self.name):
            return False
        if not self.server.listen(self.name):
            QLocalServer.removeServer(self.name)  # left behind by an instance that crashed
            if not self.server.listen(self.name):
                log.warning("Cannot listen for later launches (%s)", self.server.errorString())
        return True

    def close(self) -> None:
        """Stop listening."""
        self.server.close()

    def _on_server_new_connection(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            # a later launch writes at once after connecting; a client that does not is dropped
            arrived = bool(socket.bytesAvailable()) or socket.waitForReadyRead(READ_WAIT_MS)
            if arrived and bytes(socket.readAll().data()).startswith(SHOW.strip()):
                log.info("Another launch handed over; showing the dashboard")
                emit(self.activated)
            socket.abort()
            socket.deleteLater()
