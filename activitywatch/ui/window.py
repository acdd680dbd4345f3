"""The dashboard window: the local server's dashboard in a QWebEngineView, other sites in the system
browser, a clear page when the server does not answer, and its geometry remembered."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QIcon
from PySide6.QtWebEngineCore import QWebEngineDownloadRequest, QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from activitywatch.qtsignals import emit
from activitywatch.ui.state import UiState

log = logging.getLogger(__name__)

WINDOW_TITLE = "ActivityWatch"
UrlOpener = Callable[[QUrl], object]
SavePath = Callable[[str, Path], "Path | None"]


def no_downloads(title: str, suggested: Path) -> Path | None:
    """Refuses every download (for windows nobody asked to save from)."""
    return None


def same_site(url: QUrl, home: QUrl) -> bool:
    """Whether `url` is on the local server (scheme, host and port)."""
    return (url.scheme(), url.host(), url.port()) == (home.scheme(), home.host(), home.port())


def unreachable_page(url: str) -> str:
    """The page shown when the server does not answer."""
    link = html.escape(url)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>ActivityWatch is not reachable</title>"
        "<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;color:#333}</style></head><body>"
        "<h1>The ActivityWatch server is not reachable</h1>"
        f"<p>The dashboard is served at <code>{link}</code>, which did not answer. Tracking may have stopped: "
        "look in the log folder (tray menu, Open log folder) for the reason, or restart ActivityWatch.</p>"
        f"<p><a href='{link}'>Try again</a></p></body></html>"
    )


class _ExternalOnly(QWebEnginePage):
    """A page for links that ask for a new window: their address goes to the system browser."""

    def __init__(self, open_url: UrlOpener, parent: QWidget) -> None:
        super().__init__(parent)
        self.open_url = open_url

    def acceptNavigationRequest(self, url: QUrl | str, kind: QWebEnginePage.NavigationType, main: bool) -> bool:
        self.open_url(QUrl(url))
        self.deleteLater()
        return False


class DashboardPage(QWebEnginePage):
    """Keeps navigation on the local server; anything else opens in the system browser."""

    def __init__(self, home: QUrl, open_url: UrlOpener, parent: QWidget) -> None:
        super().__init__(parent)
        self.home = home
        self.open_url = open_url
        self._view = parent

    def acceptNavigationRequest(self, url: QUrl | str, kind: QWebEnginePage.NavigationType, main: bool) -> bool:
        url = QUrl(url)
        if url.scheme() in ("http", "https") and not same_site(url, self.home):
            if main:
                self.open_url(url)
            return False
        return True

    def createWindow(self, kind: QWebEnginePage.WebWindowType) -> QWebEnginePage:
        return _ExternalOnly(self.open_url, self._view)


class DashboardWindow(QMainWindow):
    """The window (closing it hides it and says so; tracking goes on)."""

    closed = Signal()

    def __init__(
        self,
        url: str,
        state: UiState,
        menu: QMenu,
        icon: QIcon,
        open_url: UrlOpener = QDesktopServices.openUrl,
        *,
        save_path: SavePath = no_downloads,
    ) -> None:
        super().__init__()
        self.setWindowTitle(WINDOW_TITLE)
        self.setWindowIcon(icon)
        self.url = QUrl(url)
        self.state = state
        self.unreachable = False
        self.view = QWebEngineView(self)
        self.page = DashboardPage(self.url, open_url, self.view)
        self.view.setPage(self.page)
        self.view.loadFinished.connect(self._on_view_load_finished)
        self.save_path = save_path
        self.page.profile().downloadRequested.connect(self._on_profile_download_requested)
        # Off the record, the HTTP cache would be kept in memory (~2 MB) for files the server answers on
        # loopback, and revalidates on every use anyway (no-cache), in a process that lives one window.
        self.page.profile().setHttpCacheType(QWebEngineProfile.HttpCacheType.NoCache)
        self.setCentralWidget(self.view)
        menu.setTitle("&ActivityWatch")
        self.menu = menu
        self.menuBar().addMenu(menu)
        geometry = state.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1200, 800)
        self._loaded = False

    def open(self) -> None:
        """Show and raise the window, loading the dashboard the first time (or after a failure)."""
        if not self._loaded or self.unreachable:
            self._loaded = True
            self.view.load(self.url)
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _on_view_load_finished(self, ok: bool) -> None:
        current = self.page.url()
        if ok:
            if same_site(current, self.url):
                self.unreachable = False
                log.info("The dashboard loaded: %s", current.toString())
            return
        if current.scheme() not in ("http", "https") or not same_site(current, self.url):
            return
        log.warning("The dashboard at %s did not load", self.url.toString())
        self.unreachable = True
        self.page.setHtml(unreachable_page(self.url.toString()))

    def _on_profile_download_requested(self, download: QWebEngineDownloadRequest) -> None:
        """The dashboard's exports: saved where the user says."""
        target = self.save_path("Save", Path.home() / download.downloadFileName())
        if target is None:
            download.cancel()
            return
        download.setDownloadDirectory(str(target.parent))
        download.setDownloadFileName(target.name)
        download.accept()
        log.info("Saving %s to %s", download.url().toString(), target)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Hide instead of quitting, and remember where the window was."""
        self.state.set_geometry(self.saveGeometry())
        event.ignore()
        self.hide()
        emit(self.closed)
