"""The composition root: builds the store and the API server from the settings, runs and stops them."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO

from activitywatch import __version__, keys
from activitywatch.config import Settings
from activitywatch.core.errors import AwError, InvalidInput, StorageError
from activitywatch.importers import Source, open_source
from activitywatch.importers.exportfile import ExportSource
from activitywatch.log import setup_logging
from activitywatch.server.app import create_app
from activitywatch.server.auth import is_loopback
from activitywatch.server.options import ServerOptions
from activitywatch.server.runner import ApiServer, check_tls
from activitywatch.store import ForgetReport, ImportReport, Store
from activitywatch.store.database import decrypt_file, encrypt_file, is_encrypted
from activitywatch.sync import setup as sync_setup
from activitywatch.sync.devices import devices_report
from activitywatch.sync.engine import RoundReport
from activitywatch.sync.runner import SyncThread

if TYPE_CHECKING:
    from activitywatch.watchers.host import WatcherSet

log = logging.getLogger(__name__)

VERSION = f"v{__version__} (single-process)"


class DataDirError(AwError):
    """The data folder cannot be created or written."""


def prepare_data_dir(path: Path) -> None:
    """Create the data folder and make sure it is writable."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = "permission denied" if exc.errno != errno.EROFS else "read-only file system"
        raise DataDirError(
            f"Cannot use the data folder {path}: {reason}. Choose a writable folder with --data-dir."
        ) from None


def start_logging(settings: Settings, *, to_file: bool) -> None:
    """Log to stderr and, for the app, to its log file (the folder is checked first)."""
    if not to_file:
        setup_logging(None, verbose=settings.verbose)
        return
    prepare_data_dir(settings.data_dir)
    try:
        setup_logging(settings.log_file, verbose=settings.verbose)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DataDirError(
            f"Cannot write the log file {settings.log_file}: {reason}. Choose a writable folder with --data-dir."
        ) from None


def device_id(data_dir: Path) -> str:
    """This installation's id (a UUID kept in `<data dir>/device_id`), created on first use."""
    path = data_dir / "device_id"
    try:
        existing = path.read_text(encoding="ascii").strip()
        return str(uuid.UUID(existing))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        pass
    new = str(uuid.uuid4())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new + "\n", encoding="ascii")
    os.replace(tmp, path)
    return new


def open_store(settings: Settings) -> Store:
    """The database of these settings (created if missing; encrypted when it is, or when a new one
    is to be, with its key from the keyring)."""
    prepare_data_dir(settings.data_dir)
    path = settings.database_path
    key = None
    if is_encrypted(path):
        key = keys.stored_key(path)
        if key is None:
            raise StorageError(
                f"The database {path} is encrypted and its key is not in this computer's keyring; "
                "restore the keyring entry, or start with another --data-dir."
            )
    elif settings.storage.encrypt and not path.exists():
        key = keys.new_key(path)
        log.info("Creating an encrypted database (its key is in the keyring)")
    return Store(path, key=key)


def _copy_with_progress(source: Path, target: Path, progress: Callable[[str], None]) -> None:
    total = source.stat().st_size
    with open(source, "rb") as src, open(target, "wb") as dst:
        done = 0
        while chunk := src.read(4 * 1024 * 1024):
            dst.write(chunk)
            done += len(chunk)
            progress(f"Copying: {100 * done // max(total, 1)} %")
        dst.flush()
        os.fsync(dst.fileno())


def _swap(path: Path, work: Path, backup: Path) -> None:
    """Make `work` the database, keeping the old file as `backup`."""
    os.replace(path, backup)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(work, path)


def _rewrite(
    path: Path,
    *,
    old_key: str | None,
    new_key: str | None,
    change: Callable[[Path], None],
    what: str,
    backup_suffix: str,
    progress: Callable[[str], None],
) -> Path:
    """Copy the database (with progress), `change` the copy, check it opens with `new_key` and holds
    the same rows, then swap: the original is kept under `backup_suffix`, which is returned."""
    with Store(path, key=old_key) as store:  # brings the schema up to date and folds the WAL into the file
        counts = store.row_counts()
        store.checkpoint()
    work = path.with_name(f"{path.name}.{what}")
    _copy_with_progress(path, work, progress)
    progress(f"{what.capitalize()}...")
    try:
        change(work)
        progress(f"Checking the copy after {what}...")
        if is_encrypted(work) != (new_key is not None):
            raise StorageError(f"{what.capitalize()} did not change the copy; nothing was changed.")
        with Store(work, key=new_key) as check:
            if check.row_counts() != counts:
                raise StorageError(f"The copy after {what} does not hold the same rows; nothing was changed.")
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    backup = path.with_name(path.name + backup_suffix)
    _swap(path, work, backup)
    return backup


def encrypt_database(settings: Settings, progress: Callable[[str], None]) -> Path:
    """Encrypt the existing database in place (stop the app first); return the unencrypted backup."""
    path = settings.database_path
    if not path.exists():
        raise InvalidInput(f"There is no database at {path} yet; set [storage] encrypt = true to create one encrypted.")
    if is_encrypted(path):
        raise InvalidInput(f"The database {path} is already encrypted.")
    key = keys.new_key(path)
    return _rewrite(
        path,
        old_key=None,
        new_key=key,
        change=lambda work: encrypt_file(work, key),
        what="encrypting",
        backup_suffix=".unencrypted.bak",
        progress=progress,
    )


def decrypt_database(settings: Settings, progress: Callable[[str], None]) -> Path:
    """Turn the encrypted database back into a plain one (stop the app first); return the encrypted
    backup (its key stays in the keyring so the backup can still be opened)."""
    path = settings.database_path
    if not is_encrypted(path):
        raise InvalidInput(f"The database {path} is not encrypted.")
    key = keys.stored_key(path)
    if key is None:
        raise StorageError(f"The key of {path} is not in this computer's keyring, so it cannot be decrypted.")
    return _rewrite(
        path,
        old_key=key,
        new_key=None,
        change=lambda work: decrypt_file(work, key),
        what="decrypting",
        backup_suffix=".encrypted.bak",
        progress=progress,
    )


WatcherInfo = Callable[[], dict[str, dict[str, str]]]


def server_options(
    settings: Settings,
    watcher_info: WatcherInfo | None = None,
    sync_devices: Callable[[], dict[str, Any]] | None = None,
) -> ServerOptions:
    """What the API server needs from the settings (and where it reads the watchers' and devices' state)."""
    return ServerOptions(
        hostname=socket.gethostname(),
        device_id=device_id(settings.data_dir),
        version=VERSION,
        host=settings.server.host,
        port=settings.server.port,
        cors=settings.server.cors,
        cors_regex=settings.server.cors_regex,
        testing=settings.testing,
        log_file=settings.log_file,
        require_token=settings.auth.require_token,
        webui_dir=settings.server.webui_dir,
        watcher_info=watcher_info,
        sync_devices=sync_devices,
    )


def build_server(settings: Settings, store: Store, watcher_info: WatcherInfo | None = None) -> ApiServer:
    """The API server over `store` (not started); refuses settings that would expose it without tokens."""
    if not is_loopback(settings.server.host) and not store.list_tokens():
        raise InvalidInput(
            f"Serving on {settings.server.host} (not only this computer) needs API tokens, and there are none; "
            "create one with: activitywatch token create --name NAME --scope admin"
        )
    this, hostname = device_id(settings.data_dir), socket.gethostname()
    options = server_options(settings, watcher_info, lambda: devices_report(settings, store, this, hostname))
    if settings.server.tls_cert is not None and settings.server.tls_key is not None:
        check_tls(settings.server.tls_cert, settings.server.tls_key)
    return ApiServer(
        create_app(store, options),
        settings.server.host,
        settings.server.port,
        tls_cert=settings.server.tls_cert,
        tls_key=settings.server.tls_key,
        write_lock=store.write_lock,
    )


class App:
    """The headless program (`--no-gui`): store, API server and watchers, until SIGINT/SIGTERM."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self.watchers: WatcherSet | None = None

    def watcher_info(self) -> dict[str, dict[str, str]]:
        """Each built-in watcher's state, desktop backend and reason (for /api/0/info)."""
        return self.watchers.describe() if self.watchers is not None else {}

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Ask `run` to shut down (safe from signal handlers and other threads)."""
        self._stop.set()

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM; return the exit status."""
        settings = self.settings
        store = open_store(settings)
        try:
            server = build_server(settings, store, self.watcher_info if settings.watchers else None)
            server.start()
            watchers = self.watchers = self._start_watchers(store) if settings.watchers else None
            syncing = start_sync(settings, store)
            try:
                self._announce(server)
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, self.request_stop)
                while not self._stop.wait(1.0):
                    if watchers is not None:
                        watchers.process_events()  # their states, backends and restarts
                    if not server.alive:
                        log.error("The API server stopped unexpectedly; quitting")
                        return 1
                log.info("Shutting down")
            finally:
                if watchers is not None:
                    watchers.stop()
                if syncing is not None:
                    syncing.stop()  # after the watchers: their last events go out too
                server.stop()
        finally:
            store.close()
        return 0

    def _start_watchers(self, store: Store) -> WatcherSet | None:
        """Start the enabled watchers on their threads (they write into the store directly)."""
        try:
            from activitywatch.watchers.host import WatcherSet, watcher_factories  # noqa: PLC0415 - Qt only when used
        except ImportError as exc:  # PySide6 missing: the server still runs
            log.warning("The built-in watchers need PySide6 (%s); running the server only", exc)
            return None
        watchers = WatcherSet(watcher_factories(self.settings, store))
        watchers.start()
        return watchers

    def _announce(self, server: ApiServer) -> None:
        settings = self.settings
        log.info("ActivityWatch %s%s", VERSION, " (testing)" if settings.testing else "")
        log.info("Database: %s", settings.database_path)
        log.info("Data folder: %s; dashboard: %s/; API browser: %s/api/", settings.data_dir, server.url, server.url)


def start_sync(settings: Settings, store: Store) -> SyncThread | None:
    """Sync every `[sync] interval` seconds when it is set up and enabled (a problem is logged, and the
    app runs on without syncing)."""
    if not settings.sync.enabled or not sync_setup.configured(settings):
        return None
    try:
        syncer = sync_setup.make_syncer(settings, store, device_id(settings.data_dir), socket.gethostname())
    except AwError as exc:
        log.error("Not syncing: %s", exc.message)
        return None
    if syncer is None:
        return None
    log.info("Syncing through %s every %g s", syncer.folder, settings.sync.interval)
    thread = SyncThread(syncer, settings.sync.interval)
    thread.start()
    return thread


def sync_round(settings: Settings, *, status_only: bool = False) -> RoundReport:
    """One push and pull now (`sync now`), or only every device's state (`sync status`)."""
    store = open_store(settings)
    try:
        syncer = sync_setup.make_syncer(settings, store, device_id(settings.data_dir), socket.gethostname())
        if syncer is None:
            raise InvalidInput("Sync is not set up on this device; run `sync init --folder F` or `sync join`.")
        return syncer.status() if status_only else syncer.round()
    finally:
        store.close()


def sync_status(settings: Settings) -> RoundReport:
    """Every device's sync state, changing nothing."""
    return sync_round(settings, status_only=True)


def sync_init(settings: Settings, folder: Path) -> str:
    """Set up sync on the first device; return its key."""
    prepare_data_dir(settings.data_dir)
    return sync_setup.init(settings, folder, device_id(settings.data_dir))


def sync_join(settings: Settings, folder: Path, key: str) -> int:
    """Set up sync on a further device; return how many devices' files the key opened."""
    prepare_data_dir(settings.data_dir)
    return sync_setup.join(settings, folder, key, device_id(settings.data_dir))


def export_buckets(settings: Settings, bucket_ids: Sequence[str] | None, output: Path | None) -> Path | None:
    """Write an export document to `output` (stdout when None); return the file written."""
    store = open_store(settings)
    try:
        stream = store.open_export(bucket_ids)
        if output is None:
            out = sys.stdout.buffer
            for chunk in stream:
                out.write(chunk)
            out.flush()
            return None
        return write_export(stream, output)
    finally:
        store.close()


def write_export(stream: Iterable[bytes], output: Path, progress: Callable[[bytes], None] | None = None) -> Path:
    """Write an export document to `output` atomically (a temporary file renamed into place)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in stream:
                f.write(chunk)
                if progress is not None:
                    progress(chunk)
        os.replace(tmp_name, output)
    except BaseException:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return output


def open_import(source: Path | None) -> Source:
    """Open a file to import (by its content; standard input when None, which must be an export)."""
    if source is not None:
        return open_source(source)
    return ExportSource(Path("-"), _read_all(sys.stdin.buffer), "The input")


def import_sources(
    settings: Settings, sources: Sequence[Source], progress: Callable[[int], None] | None = None
) -> list[ImportReport]:
    """Import each source in its own transaction; `progress` gets the events read so far (per source)."""
    store = open_store(settings)
    try:
        return [store.import_stream(src.buckets(), src.settings, progress) for src in sources]
    finally:
        store.close()


def forget_range(settings: Settings, start: int, end: int, bucket_ids: Sequence[str] | None) -> ForgetReport:
    """Remove everything recorded in [start, end) (from the given buckets, or all)."""
    store = open_store(settings)
    try:
        return store.forget(start, end, bucket_ids)
    finally:
        store.close()


def manage_tokens(settings: Settings, action: str, **details: str) -> Any:
    """Create ("create": name, scope, buckets), list or revoke ("revoke": name) API tokens."""
    store = open_store(settings)
    try:
        if action == "create":
            return store.create_token(details["name"], details["scope"], details.get("buckets", ""))
        if action == "revoke":
            return store.revoke_token(details["name"])
        return store.list_tokens()
    finally:
        store.close()


def _read_all(stream: BinaryIO) -> bytes:
    return stream.read()
