"""The web dashboard: static files at `/` (ours, or another build such as aw-webui).

Files are revalidated on every use (`Cache-Control: no-cache` with an ETag, answered by 304 when
unchanged), so an upgrade never leaves a stale page behind while a reload costs one round trip per file.
Our own pages get a Content-Security-Policy that lets them talk only to this server.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

log = logging.getLogger(__name__)

INDEX = "index.html"
# ECharts sets inline styles (tooltips, chart boxes) and saves a chart as an image through data:/blob: URLs.
OWN_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)

# The platform's table may lack these or name older types; browsers insist on a JS type for modules.
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
for _suffix, _type in _TYPES.items():
    mimetypes.add_type(_type, _suffix)
mimetypes.add_type("application/json", ".map")
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("application/manifest+json", ".webmanifest")


def has_index(folder: Path) -> bool:
    """Whether `folder` looks like a web UI build (it has an index.html)."""
    return (folder / INDEX).is_file()


class DashboardFiles(StaticFiles):
    """StaticFiles with revalidation headers, `nosniff`, and (for our dashboard) a CSP."""

    def __init__(self, directory: Path, *, own: bool) -> None:
        super().__init__(directory=str(directory), html=True, check_dir=True)
        self.own = own

    def file_response(self, full_path: object, stat_result: object, scope: Scope, status_code: int = 200) -> Response:
        """The file with caching and safety headers added."""
        response = super().file_response(full_path, stat_result, scope, status_code)  # type: ignore[arg-type]
        _harden(response, own=self.own)
        return response


def _harden(response: Response, *, own: bool) -> None:
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if own and response.media_type is not None and response.media_type.startswith("text/html"):
        response.headers["Content-Security-Policy"] = OWN_POLICY


def dashboard_routes(folder: Path | None, *, own: bool) -> list[BaseRoute]:
    """The dashboard in `folder` (mounted last, at `/`), or no route when there is none to serve."""
    if folder is None or not has_index(folder):
        log.warning("No dashboard to serve (%s has no %s)", folder, INDEX)
        return []
    log.debug("Serving the dashboard from %s", folder)
    return [Mount("/", DashboardFiles(folder, own=own))]
