"""Protection of a loopback API from web pages: the Host-header check and the origin allowlist.

* DNS rebinding: when bound to loopback, a request whose Host is not a loopback name (or the configured
  host) is refused with 400, on every route.
* CORS: only the allowlisted origins may read responses (own origin, Firefox extensions, the official
  Chrome web watcher, and the configured `cors` / `cors_regex`).
* Cross-site writes: browsers send some POSTs without a preflight (forms, `text/plain`); a request that
  changes data and carries an `Origin` outside the allowlist is refused with 403 before it runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from activitywatch.server.errors import error_response

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CHROME_WEB_WATCHER = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_GOOD_HOSTS = 64


@dataclass(frozen=True)
class OriginPolicy:
    """Which browser origins may use the API."""

    origins: frozenset[str]
    regex: str

    @classmethod
    def build(
        cls, port: int, cors: Iterable[str] = (), cors_regex: Iterable[str] = (), *, testing: bool = False
    ) -> OriginPolicy:
        """The allowlist of compat §1.4 plus configured extras."""
        origins = {f"http://127.0.0.1:{port}", f"http://localhost:{port}", *cors}
        patterns = [r"moz-extension://[^/]+", re.escape(CHROME_WEB_WATCHER), *cors_regex]
        if testing:
            origins |= {"http://127.0.0.1:27180", "http://localhost:27180"}
            patterns.append(r"chrome-extension://[^/]+")
        regex = "|".join(f"(?:{p})" for p in patterns)
        return cls(frozenset(origins), regex)

    def allows(self, origin: str) -> bool:
        """Whether a browser page or extension from `origin` may call the API."""
        return origin in self.origins or re.fullmatch(self.regex, origin) is not None


def host_of(header: str) -> str:
    """The host part of a Host header (`[::1]:5600` -> `::1`, `localhost:80` -> `localhost`)."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class RequestGuard:
    """ASGI middleware: Host check (when bound to loopback), refusal of cross-site writes, then CORS.

    Requests without an `Origin` header (aw-client, watchers, curl) skip the CORS layer entirely.
    """

    def __init__(self, app: ASGIApp, *, bound_host: str, policy: OriginPolicy) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(policy.origins),
            allow_origin_regex=policy.regex,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["*"],
        )
        self.policy = policy
        self.check_host = bound_host.lower() in LOOPBACK_HOSTS
        self.hosts = LOOPBACK_HOSTS | {bound_host.lower()}
        self._good_hosts: set[bytes] = set()  # Host headers already found good (a client sends the same one)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse bad requests; pass the rest on untouched."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts: list[bytes] = []
        origin = None
        for name, value in scope["headers"]:
            if name == b"host":
                hosts.append(value)
            elif name == b"origin":
                origin = value
        refusal = self._check_host(hosts) or _check_path(scope.get("raw_path"))
        if refusal is None and origin is not None:
            refusal = self._check_origin(scope, origin.decode("latin-1"), hosts)
        if refusal is not None:
            await refusal(scope, receive, send)
        elif origin is None:
            await self.app(scope, receive, send)
        else:
            await self.cors(scope, receive, send)

    def _check_host(self, hosts: list[bytes]) -> Response | None:
        if not self.check_host or (len(hosts) == 1 and hosts[0] in self._good_hosts):
            return None
        if len(hosts) != 1 or host_of(hosts[0].decode("latin-1")) not in self.hosts:
            return error_response(400, "Host header is invalid", "InvalidHost")
        if len(self._good_hosts) < MAX_GOOD_HOSTS:
            self._good_hosts.add(hosts[0])
        return None

    def _check_origin(self, scope: Scope, origin: str, hosts: list[bytes]) -> Response | None:
        if self.policy.allows(origin):
            return None
        same_origin = len(hosts) == 1 and origin == "http://" + hosts[0].decode("latin-1")
        if same_origin:
            return None
        method = scope["method"]
        if method == "OPTIONS":
            return error_response(400, f"Origin {origin} is not allowed to use this API (CORS)", "ForbiddenOrigin")
        if method not in SAFE_METHODS:
            return error_response(403, f"Origin {origin} may not change data here", "ForbiddenOrigin")
        return None


def _check_path(raw_path: bytes | None) -> Response | None:
    """Percent-encoding may not smuggle a '/' into a path segment or produce invalid UTF-8."""
    if not raw_path or b"%" not in raw_path:
        return None
    if b"%2f" in raw_path.lower():
        return error_response(
            400, "The path contains an encoded '/' (%2F); bucket ids and setting keys cannot contain '/'", "BadRequest"
        )
    try:
        unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "The path is not valid UTF-8 once percent-decoded", "BadRequest")
    return None
