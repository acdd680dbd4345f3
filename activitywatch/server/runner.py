"""Runs the ASGI app with uvicorn on its own asyncio loop in one background thread."""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import logging
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from activitywatch.core.errors import AwError

log = logging.getLogger(__name__)

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


class ServerStartError(AwError):
    """The API server could not start (port in use, address not available...)."""


def check_tls(cert: Path, key: Path) -> None:
    """Fail early, with a sentence, when the certificate and key cannot serve HTTPS."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ServerStartError(
            f"The TLS certificate {cert} and key {key} cannot be used ({exc}); "
            "give PEM files that belong together in [server] tls_cert and tls_key."
        ) from None


def check_bindable(host: str, port: int) -> None:
    """Fail early, with a sentence, when `host:port` cannot be bound."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServerStartError(f"Could not start the API server: the host '{host}' is unknown ({exc}).") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise ServerStartError(
                        f"Could not start the API server: port {port} is in use. "
                        "Quit the other ActivityWatch or set [server] port (or --port)."
                    ) from None
                raise ServerStartError(
                    f"Could not start the API server on {host}:{port}: {exc.strerror}. Check [server] host (or --host)."
                ) from None


class ApiServer:
    """uvicorn serving one app in a daemon thread; `start` returns once it listens."""

    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        *,
        write_lock: Any = None,
    ) -> None:
        """`write_lock`: the store's, which lets heartbeats run eagerly (see `http_protocol.py`)."""
        self.host = host
        self.requested_port = port
        self.tls = tls_cert is not None
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
        http: Any = "h11"
        if importlib.util.find_spec("httptools"):
            from activitywatch.server.http_protocol import CoalescingHttpToolsProtocol  # noqa: PLC0415 - needs httptools

            http = CoalescingHttpToolsProtocol.with_eager_lock(write_lock)
        self._http = http
        self._config = uvicorn.Config(
            app,
            host=host,
            port=port,
            loop=loop,
            http=http,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,  # loopback, no proxies: X-Forwarded-* must not be trusted
            timeout_keep_alive=30,
            timeout_graceful_shutdown=2,
            ssl_certfile=str(tls_cert) if tls_cert is not None else None,
            ssl_keyfile=str(tls_key) if tls_key is not None else None,
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        """The port actually listened on (useful with port 0)."""
        for server in getattr(self._server, "servers", []):
            for sock in server.sockets or ():
                return int(sock.getsockname()[1])
        return self.requested_port

    @property
    def eager_requests(self) -> int:
        """How many requests were run eagerly (heartbeats; see `http_protocol.py`)."""
        return int(getattr(self._http, "eager_runs", 0))

    @property
    def alive(self) -> bool:
        """Whether the server thread is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """The base URL of the server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def _run(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # SystemExit from uvicorn's startup, or a bug
            self._failure = exc
            if not isinstance(exc, SystemExit):
                log.exception("The API server stopped with an error")

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start serving; raise ServerStartError if it does not come up."""
        check_bindable(self.host, self.requested_port)
        self._thread = threading.Thread(target=self._run, name="api-server", daemon=True)
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise ServerStartError(
                    f"Could not start the API server on {self.host}:{self.requested_port}; see the log for why."
                )
            if waited >= timeout:
                raise ServerStartError(f"The API server did not start within {timeout:.0f} s.")
            deadline.wait(0.01)
            waited += 0.01
        log.info("Serving the ActivityWatch API on %s", self.url)

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop serving; False if the thread did not end within `timeout`."""
        if self._thread is None:
            return True
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("The API server did not stop within %.0f s", timeout)
            return False
        return True
