"""The web dashboard: static files at `/` (ours, or another build such as aw-webui) and plotly.js.

Files are revalidated on every use (`Cache-Control: no-cache` with an ETag, answered by 304 when
unchanged), so an upgrade never leaves a stale page behind while a reload costs one round trip per file.
Our own pages get a Content-Security-Policy that lets them talk only to this server.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from activitywatch.server.errors import ApiError

log = logging.getLogger(__name__)

INDEX = "index.html"
PLOTLY_PATH = "/vendor/plotly.min.js"

# Plotly sets inline styles and draws its "download as PNG" through data:/blob: images.
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


class PlotlyScript:
    """Serves plotly.min.js from wherever the installation keeps it (found once, when the app is built)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    async def serve(self, request: Request) -> Response:
        """The file, or a JSON 404 if the installation lacks it."""
        if self.path is None or not self.path.is_file():
            raise ApiError(404, "plotly.min.js is not installed; reinstall the application", "NotFound")
        response = FileResponse(self.path, media_type="text/javascript", stat_result=self.path.stat())
        _harden(response, own=False)
        etag = response.headers.get("etag")
        if etag is not None and request.headers.get("if-none-match") == etag:
            kept = {k: v for k, v in response.headers.items() if k != "content-length"}
            return Response(status_code=304, headers=kept)
        return response


def dashboard_routes(folder: Path | None, plotly: Path | None, *, own: bool) -> list[BaseRoute]:
    """Routes for `/vendor/plotly.min.js` and the dashboard in `folder` (mounted last, at `/`)."""
    routes: list[BaseRoute] = [Route(PLOTLY_PATH, PlotlyScript(plotly).serve, methods=["GET", "HEAD"])]
    if folder is None or not has_index(folder):
        log.warning("No dashboard to serve (%s has no %s)", folder, INDEX)
        return routes
    log.debug("Serving the dashboard from %s", folder)
    routes.append(Mount("/", DashboardFiles(folder, own=own)))
    return routes
