"""Setting sync up on a device (`sync init`, `join`, `leave`) and building the syncer from the settings.

What a device remembers: `<data dir>/sync.json` (the folder, and this installation's random instance
id, which tells two devices claiming one device id apart) and the sync key in the OS keyring. The
config's `[sync] folder` takes precedence over the folder in sync.json.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson

from activitywatch import keys
from activitywatch.config import Settings
from activitywatch.core.errors import AwError, InvalidInput
from activitywatch.store import Store
from activitywatch.sync.engine import MAX_MANIFEST_BYTES, Syncer
from activitywatch.sync.folder import (
    MANIFEST,
    FolderError,
    check_key,
    device_dirs,
    new_key,
    read_bounded,
    unseal,
    write_atomic,
)

STATE_FILE = "sync.json"


@dataclass(frozen=True)
class SyncSetup:
    """Where and with which key this device syncs."""

    folder: Path
    instance: str
    key: bytes


def _state_path(settings: Settings) -> Path:
    return settings.data_dir / STATE_FILE


def _read_state(settings: Settings) -> dict[str, str]:
    try:
        doc = orjson.loads(_state_path(settings).read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as exc:
        raise AwError(
            f"{_state_path(settings)} cannot be read ({exc}); run `sync leave` and set sync up again."
        ) from None
    return {k: v for k, v in doc.items() if isinstance(v, str)} if isinstance(doc, dict) else {}


def _write_state(settings: Settings, state: dict[str, str]) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(_state_path(settings), orjson.dumps(state, option=orjson.OPT_INDENT_2))


def load_setup(settings: Settings) -> SyncSetup | None:
    """This device's sync setup, or None when sync is not set up."""
    state = _read_state(settings)
    folder_text = str(settings.sync.folder) if settings.sync.folder is not None else state.get("folder")
    if not folder_text:
        return None
    key = keys.stored_sync_key(settings.data_dir)
    if key is None:
        raise AwError(
            f"Sync to {folder_text} has no key in this computer's keyring; run `sync join --folder {folder_text} "
            "--key KEY` with the key shown when sync was set up."
        )
    instance = state.get("instance")
    if not instance:
        instance = secrets.token_hex(16)
        _write_state(settings, {**state, "instance": instance})
    return SyncSetup(Path(folder_text), instance, check_key(key))


def _start(settings: Settings, folder: Path, key: str) -> None:
    state = _read_state(settings)
    if state.get("folder"):
        raise InvalidInput(f"This device already syncs through {state['folder']}; run `sync leave` first.")
    keys.keep_sync_key(settings.data_dir, key)
    _write_state(settings, {"folder": str(folder), "instance": state.get("instance") or secrets.token_hex(16)})


def _folder(path: Path, create: bool) -> Path:
    path = path.expanduser().absolute()
    try:
        if create:
            path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"The sync folder {path} cannot be created ({exc.strerror}).") from None
    if not path.is_dir():
        raise InvalidInput(f"The sync folder {path} does not exist; share it to this computer first.")
    return path


def make_folder(path: Path) -> Path:
    """Create the sync folder if needed; its absolute path."""
    return _folder(path, create=True)


def init(settings: Settings, folder: Path, device: str) -> str:
    """Set up sync on the first device; return the new key (to be entered on the others)."""
    folder = _folder(folder, create=True)
    if device_dirs(folder, device):
        raise InvalidInput(
            f"{folder} already holds other devices' data; join it with their key: sync join --folder {folder} --key KEY"
        )
    key = new_key()
    _start(settings, folder, key)
    return key


def join(settings: Settings, folder: Path, key: str, device: str) -> int:
    """Set up sync on a further device; return how many devices' files the key opened."""
    folder = _folder(folder, create=False)
    raw = check_key(key)
    others = device_dirs(folder, device)
    opened = 0
    for other in others:
        where = f"Device {other}: {folder / other / MANIFEST}"
        try:
            unseal(raw, read_bounded(folder / other / MANIFEST, where, MAX_MANIFEST_BYTES), where)
            opened += 1
        except FolderError:
            continue
    if others and not opened:
        raise InvalidInput(f"This key does not open the sync files in {folder}; check the key shown by `sync init`.")
    _start(settings, folder, key.strip().lower())
    return opened


def leave(settings: Settings) -> Path | None:
    """Stop syncing on this device (its key leaves the keyring; data already synced stays); return the
    folder it synced through."""
    state = _read_state(settings)
    folder = state.pop("folder", None)
    keys.drop_sync_key(settings.data_dir)
    if state:
        _write_state(settings, state)  # the instance id stays: a later join is the same installation
    else:
        _state_path(settings).unlink(missing_ok=True)
    return Path(folder) if folder else None


def make_syncer(settings: Settings, store: Store, device: str, hostname: str) -> Syncer | None:
    """The syncer of these settings, or None when sync is not set up."""
    setup = load_setup(settings)
    if setup is None:
        return None
    extra = [settings.sync.aw_sync_folder] if settings.sync.aw_sync_folder is not None else []
    return Syncer(store, setup.folder, setup.key, device, hostname, setup.instance, aw_sync_folders=extra)


def configured(settings: Settings) -> bool:
    """Whether sync is set up (without touching the keyring)."""
    return settings.sync.folder is not None or bool(_read_state(settings).get("folder"))
