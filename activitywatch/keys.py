"""The key of an encrypted database, kept in the operating system's keyring (never in a file of ours).

macOS Keychain, Windows Credential Locker, the Secret Service (GNOME Keyring, KWallet) on Linux,
through the `keyring` package. One entry per database file.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from activitywatch.core.errors import AwError

SERVICE = "ActivityWatch (single-process) database key"


class KeyringError(AwError):
    """The keyring cannot be used here (none installed, locked, refused)."""


def _keyring() -> Any:
    import keyring  # noqa: PLC0415 - imported on use: most runs never touch the keyring
    import keyring.errors  # noqa: PLC0415

    return keyring


def _account(db_path: Path) -> str:
    return str(db_path.resolve())


def _read(service: str, account: str) -> str | None:
    """A secret from the keyring, or None when it has none (KeyringError when it cannot be read)."""
    keyring = _keyring()
    try:
        value = keyring.get_password(service, account)
    except keyring.errors.KeyringError as exc:
        raise KeyringError(
            f"The keyring cannot be read ({exc}); unlock it or install one (e.g. GNOME Keyring)."
        ) from None
    return str(value) if value is not None else None


def stored_key(db_path: Path) -> str | None:
    """The key of this database, or None when the keyring has none."""
    return _read(SERVICE, _account(db_path))


def new_key(db_path: Path) -> str:
    """Make a random key for this database and keep it in the keyring."""
    keyring = _keyring()
    key = secrets.token_hex(32)
    try:
        keyring.set_password(SERVICE, _account(db_path), key)
    except keyring.errors.KeyringError as exc:
        raise KeyringError(
            f"The database key cannot be kept in the keyring ({exc}); encryption needs a working keyring "
            "(GNOME Keyring, KWallet, macOS Keychain or Windows Credential Locker)."
        ) from None
    if stored_key(db_path) != key:
        raise KeyringError("The keyring did not keep the database key; encryption was not turned on.")
    return key


SYNC_SERVICE = "ActivityWatch (single-process) sync key"


def _sync_account(data_dir: Path) -> str:
    return str(data_dir.resolve())


def stored_sync_key(data_dir: Path) -> str | None:
    """The sync key of this data folder, or None when the keyring has none."""
    return _read(SYNC_SERVICE, _sync_account(data_dir))


def keep_sync_key(data_dir: Path, key: str) -> None:
    """Keep the sync key of this data folder in the keyring."""
    keyring = _keyring()
    try:
        keyring.set_password(SYNC_SERVICE, _sync_account(data_dir), key)
    except keyring.errors.KeyringError as exc:
        raise KeyringError(
            f"The sync key cannot be kept in the keyring ({exc}); sync needs a working keyring "
            "(GNOME Keyring, KWallet, macOS Keychain or Windows Credential Locker)."
        ) from None
    if stored_sync_key(data_dir) != key:
        raise KeyringError("The keyring did not keep the sync key; sync was not set up.")


def drop_sync_key(data_dir: Path) -> None:
    """Remove the sync key of this data folder from the keyring (if it is there)."""
    keyring = _keyring()
    try:
        keyring.delete_password(SYNC_SERVICE, _sync_account(data_dir))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise KeyringError(f"The sync key cannot be removed from the keyring ({exc}).") from None
