"""Settings: defaults, then the TOML config file, then the command line; validated once, then frozen."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "activitywatch"
EDITION_DIR = "single-process"
DEFAULT_PORT = 5600
TESTING_PORT = 5666


class ConfigError(Exception):
    """A config file or option that cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class ServerConfig:
    """`[server]`: where the API listens and which extra browser origins may use it."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    cors: tuple[str, ...] = ()
    cors_regex: tuple[str, ...] = ()
    tls_cert: Path | None = None  # PEM certificate (chain) and key: serve HTTPS instead of HTTP
    tls_key: Path | None = None
    webui_dir: Path | None = None  # another web UI build (a folder with index.html) to serve at `/`


@dataclass(frozen=True)
class AfkConfig:
    """`[watchers.afk]`: seconds without input before the user counts as away, and how often to look;
    whether playing media (or an app that blocks idle) keeps the user active, and which players count
    (regexes on the MPRIS bus name; all when empty)."""

    enabled: bool = True
    timeout: float = 180.0
    poll_time: float = 5.0
    media_counts_as_active: bool = True
    media_players: tuple[str, ...] = ()


@dataclass(frozen=True)
class WindowConfig:
    """`[watchers.window]`: how often to read the active window, titles to hide and apps never to
    record (regexes, case-insensitive; apps match the whole app name)."""

    enabled: bool = True
    poll_time: float = 1.0
    exclude_titles: tuple[str, ...] = ()
    exclude_apps: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthConfig:
    """`[auth]`: require an API token from loopback clients too (other addresses always need one)."""

    require_token: bool = False


@dataclass(frozen=True)
class StorageConfig:
    """`[storage]`: encrypt a new database (its key goes into the OS keyring)."""

    encrypt: bool = False


@dataclass(frozen=True)
class SyncConfig:
    """`[sync]`: the shared folder (else the one `sync init`/`join` chose), whether the app syncs, and
    how often (seconds)."""

    folder: Path | None = None
    enabled: bool = True
    interval: float = 60.0
    aw_sync_folder: Path | None = None  # an aw-sync (v1) folder also pulled from, read-only


@dataclass(frozen=True)
class Settings:
    """Everything the app is told to do."""

    data_dir: Path
    log_dir: Path
    config_file: Path | None
    server: ServerConfig = field(default_factory=ServerConfig)
    afk: AfkConfig = field(default_factory=AfkConfig)
    window: WindowConfig = field(default_factory=WindowConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    testing: bool = False
    gui: bool = True
    watchers: bool = True
    verbose: bool = False

    @property
    def database_path(self) -> Path:
        """The SQLite file (a separate one in testing mode)."""
        return self.data_dir / ("activitywatch-testing.db" if self.testing else "activitywatch.db")

    @property
    def log_file(self) -> Path:
        """This run mode's log file."""
        return self.log_dir / ("activitywatch-testing.log" if self.testing else "activitywatch.log")


def default_data_dir() -> Path:
    """Where the database lives unless --data-dir says otherwise."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / EDITION_DIR


def default_config_file() -> Path:
    """Where the config file is looked for unless --config says otherwise."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / EDITION_DIR / "config.toml"


def default_log_dir() -> Path:
    """Where logs go unless --data-dir says otherwise."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / EDITION_DIR


# ---------------------------------------------------------------------- validation of file values


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string (got {value!r})")
    return value


def _port(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(f"{where} must be an integer from 0 to 65535 (got {value!r})")
    return value


def _positive(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 86400 * 365:
        raise ConfigError(f"{where} must be a positive number of seconds (got {value!r})")
    return float(value)


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false (got {value!r})")
    return value


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings (got {value!r})")
    return tuple(value)


def _regexes(where: str, value: Any) -> tuple[str, ...]:
    items = _strings(where, value)
    for item in items:
        try:
            re.compile(item)
        except re.error as exc:
            raise ConfigError(f"{where} has an invalid regular expression {item!r}: {exc}") from None
    return items


def _folder(where: str, value: Any) -> Path:
    text = _string(where, value)
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise ConfigError(f"{where} must be an absolute path, not '{text}'")
    return path


def _readable_file(where: str, value: Any) -> Path:
    path = Path(_string(where, value)).expanduser()
    if not path.is_file():
        raise ConfigError(f"{where}: the file {path} does not exist")
    return path


def webui_folder(where: str, value: Any) -> Path:
    """A web UI build folder: it must hold an index.html."""
    path = Path(_string(where, str(value) if isinstance(value, Path) else value)).expanduser()
    if not (path / "index.html").is_file():
        raise ConfigError(f"{where}: {path} has no index.html; give the folder of a web UI build")
    return path


Checker = Callable[[str, Any], Any]

_SECTIONS: dict[str, tuple[str, dict[str, Checker]]] = {
    "server": (
        "server",
        {
            "host": _string,
            "port": _port,
            "cors": _strings,
            "cors_regex": _regexes,
            "tls_cert": _readable_file,
            "tls_key": _readable_file,
            "webui_dir": webui_folder,
        },
    ),
    "storage": ("storage", {"encrypt": _bool}),
    "auth": ("auth", {"require_token": _bool}),
    "sync": ("sync", {"folder": _folder, "enabled": _bool, "interval": _positive, "aw_sync_folder": _folder}),
    "watchers.afk": (
        "afk",
        {
            "enabled": _bool,
            "timeout": _positive,
            "poll_time": _positive,
            "media_counts_as_active": _bool,
            "media_players": _regexes,
        },
    ),
    "watchers.window": (
        "window",
        {"enabled": _bool, "poll_time": _positive, "exclude_titles": _regexes, "exclude_apps": _regexes},
    ),
}


def _section(doc: Mapping[str, Any], dotted: str) -> Mapping[str, Any] | None:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if not isinstance(node, dict):
        raise ConfigError(f"[{dotted}] must be a table")
    return node


def _check_unknown(doc: Mapping[str, Any], path: Path) -> None:
    known_top = {"server", "storage", "auth", "watchers", "sync"}
    for key in doc:
        if key not in known_top:
            raise ConfigError(
                f"Config file {path}: unknown section or key '{key}'"
                " (known: [server], [storage], [auth], [sync], [watchers.*])"
            )
    watchers = doc.get("watchers", {})
    if not isinstance(watchers, dict):
        raise ConfigError(f"Config file {path}: [watchers] must be a table")
    for key in watchers:
        if key not in ("afk", "window"):
            raise ConfigError(f"Config file {path}: unknown section [watchers.{key}] (known: afk, window)")


def read_config_file(path: Path, settings: Settings) -> Settings:
    """Apply a TOML config file over `settings`."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist; create it or leave out --config.") from None
    except OSError as exc:
        raise ConfigError(f"Config file {path} cannot be read: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"Config file {path} is not UTF-8 text.") from None
    _check_unknown(doc, path)
    for dotted, (attr, checkers) in _SECTIONS.items():
        table = _section(doc, dotted)
        if table is None:
            continue
        changes = {}
        for key, value in table.items():
            checker = checkers.get(key)
            if checker is None:
                raise ConfigError(
                    f"Config file {path}: unknown key '{key}' in [{dotted}] (known: {', '.join(checkers)})"
                )
            changes[key] = checker(f"Config file {path}: [{dotted}] {key}", value)
        settings = replace(settings, **{attr: replace(getattr(settings, attr), **changes)})
    return settings


def load_settings(
    *,
    data_dir: Path | None = None,
    config_file: Path | None = None,
    testing: bool = False,
    host: str | None = None,
    port: int | None = None,
    gui: bool = True,
    watchers: bool = True,
    verbose: bool = False,
    webui_dir: Path | None = None,
) -> Settings:
    """Defaults, then the config file (the given one, or the default one if it exists), then these options."""
    log_dir = data_dir / "logs" if data_dir is not None else default_log_dir()
    settings = Settings(
        data_dir=data_dir if data_dir is not None else default_data_dir(),
        log_dir=log_dir,
        config_file=None,
        testing=testing,
        gui=gui,
        watchers=watchers,
        verbose=verbose,
    )
    path = config_file
    if path is None and default_config_file().is_file():
        path = default_config_file()
    if path is not None:
        settings = replace(read_config_file(path, settings), config_file=path)
    server = settings.server
    if (server.tls_cert is None) != (server.tls_key is None):
        raise ConfigError(f"Config file {path}: [server] tls_cert and tls_key go together: give both or neither")
    if testing:
        server = replace(server, port=TESTING_PORT)
    if host is not None:
        server = replace(server, host=host)
    if port is not None:
        server = replace(server, port=port)
    if webui_dir is not None:
        server = replace(server, webui_dir=webui_folder("--webui-dir", webui_dir))
    return replace(settings, server=server)
