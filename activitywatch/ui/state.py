"""The UI's own state, kept between runs in a small INI file in the data folder (never the real home
in tests): watcher switches, the end of a pause, the window's geometry, notices already shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

FILE_NAME = "desktop.ini"


class UiState:
    """Read and write the UI state (each change is written at once)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _write(self, key: str, value: object) -> None:
        self._settings.setValue(key, value)
        self._settings.sync()

    def watcher_enabled(self, name: str) -> bool:
        """Whether the user left this watcher switched on (the default)."""
        return bool(self._settings.value(f"watchers/{name}", True, type=bool))

    def set_watcher_enabled(self, name: str, enabled: bool) -> None:
        """Remember the watcher's switch."""
        self._write(f"watchers/{name}", enabled)

    def pause_end(self) -> int | None:
        """When the current pause ends (ns since the epoch), or None."""
        value = self._settings.value("pause/end", "", type=str)
        return int(value) if isinstance(value, str) and value.isdigit() else None

    def set_pause_end(self, end: int | None) -> None:
        """Remember the end of a pause (None: not paused)."""
        if end is None:
            self._settings.remove("pause/end")
            self._settings.sync()
        else:
            self._write("pause/end", str(end))

    def geometry(self) -> QByteArray | None:
        """The dashboard window's saved geometry."""
        value = self._settings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, geometry: QByteArray) -> None:
        """Remember the dashboard window's geometry."""
        self._write("window/geometry", geometry)

    def notice_shown(self, name: str) -> bool:
        """Whether a once-only notice was shown."""
        return bool(self._settings.value(f"notices/{name}", False, type=bool))

    def set_notice_shown(self, name: str) -> None:
        """Remember that a once-only notice was shown."""
        self._write(f"notices/{name}", True)

    def port_instead_of(self, port: int) -> int | None:
        """The port the user chose to use when `port` was taken by ActivityWatch, if any."""
        value = self._settings.value(f"ports/{port}", "", type=str)
        return int(value) if isinstance(value, str) and value.isdigit() else None

    def set_port_instead_of(self, port: int, other: int) -> None:
        """Remember to use `other` whenever `port` is asked for."""
        self._write(f"ports/{port}", str(other))
