"""The sync folder's files: sealed (encrypted, compressed) documents, written atomically, read warily.

Layout: `<folder>/<device id>/manifest` and `<folder>/<device id>/<n:08>.seg`. Each file is
`MAGIC` + version byte + a PyNaCl SecretBox (XSalsa20-Poly1305, random nonce) of the zstandard-
compressed JSON document. Version 2 (written now) lets a manifest carry small segments inline; version
1 files are read alike. Whoever hosts the folder sees only ciphertext, sizes and times. Every file is
untrusted input: sizes are bounded before reading and after decompressing, and every failure is a
`FolderError` naming the device and the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.secret
import orjson
import zstandard

from activitywatch.core.errors import AwError

MAGIC = b"AWSYNC"
VERSION = 2  # written; 2: a manifest may hold small segments inline
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest"
SEGMENT_NAME = re.compile(r"[0-9]{8}(-[0-9]{8})?\.seg")
DEVICE_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
MAX_FILE_BYTES = 128 * 1024 * 1024  # a segment holds at most ~100k events: far below this
MAX_PLAIN_BYTES = 512 * 1024 * 1024
ZSTD_LEVEL = 9  # ~3x the speed of 19 for a few % more bytes; decompression speed is the same
SMALL_LEVEL = 1  # small documents (a manifest, a minute's segment): level 3 costs ~20% more CPU for no fewer bytes
SMALL_BYTES = 64 * 1024
_compressors = threading.local()  # a compressor keeps its tables between calls (not thread-safe: one per thread)


class FolderError(AwError):
    """A file of the sync folder cannot be used (missing, damaged, wrong key, hostile)."""


class UnknownVersion(FolderError):
    """A file written by a newer version of the format: skipped, not an error of the device."""


def new_key() -> str:
    """A random sync key (64 hex digits)."""
    return secrets.token_hex(nacl.secret.SecretBox.KEY_SIZE)


def check_key(text: str) -> bytes:
    """The key's bytes, or FolderError with a sentence."""
    text = text.strip().lower()
    if not KEY_PATTERN.fullmatch(text):
        raise FolderError("A sync key is 64 hexadecimal digits, as `sync init` printed it.")
    return bytes.fromhex(text)


def _compressor(level: int) -> zstandard.ZstdCompressor:
    found: dict[int, zstandard.ZstdCompressor] | None = getattr(_compressors, "by_level", None)
    if found is None:
        found = _compressors.by_level = {}
    if level not in found:
        found[level] = zstandard.ZstdCompressor(level=level)
    return found[level]


def seal(key: bytes, doc: Any) -> bytes:
    """The file bytes of a document."""
    text = orjson.dumps(doc)
    plain = _compressor(ZSTD_LEVEL if len(text) > SMALL_BYTES else SMALL_LEVEL).compress(text)
    return MAGIC + bytes([VERSION]) + bytes(nacl.secret.SecretBox(key).encrypt(plain))


def unseal(key: bytes, blob: bytes, where: str) -> Any:
    """The document in file bytes (`where` names the device and file in errors)."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise FolderError(f"{where} is not a sync file (damaged or foreign).")
    version = blob[len(MAGIC)]
    if version not in READABLE_VERSIONS:
        raise UnknownVersion(
            f"{where} has format version {version}; this version reads {', '.join(map(str, READABLE_VERSIONS))}."
        )
    try:
        plain = nacl.secret.SecretBox(key).decrypt(blob[len(MAGIC) + 1 :])
    except nacl.exceptions.CryptoError:
        raise FolderError(
            f"{where} cannot be opened with this device's sync key (a different key, or the file is damaged)."
        ) from None
    try:
        with zstandard.ZstdDecompressor().stream_reader(plain) as reader:
            text = reader.read(MAX_PLAIN_BYTES + 1)
    except zstandard.ZstdError as exc:
        raise FolderError(f"{where} does not decompress ({exc}).") from None
    if len(text) > MAX_PLAIN_BYTES:
        raise FolderError(f"{where} is larger than {MAX_PLAIN_BYTES >> 20} MiB unpacked; skipped.")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise FolderError(f"{where} holds no valid document ({exc}).") from None


def read_bounded(path: Path, where: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes if it is a regular file of at most `limit` bytes."""
    try:
        with open(path, "rb") as f:
            if not os.path.isfile(f.name) or os.fstat(f.fileno()).st_size > limit:
                raise FolderError(f"{where} is missing or larger than {limit >> 20} MiB; skipped.")
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise FolderError(f"{where} is missing (not synced yet, or deleted).") from None
    except OSError as exc:
        raise FolderError(f"{where} cannot be read ({exc.strerror}).") from None
    if len(data) > limit:
        raise FolderError(f"{where} is larger than {limit >> 20} MiB; skipped.")
    return data


def write_atomic(path: Path, data: bytes, sync_dir: bool = True) -> os.stat_result:
    """Write `path` so that a reader sees the old file or the new one, never a part: a temp file, its
    data on disk (fsync), then renamed over `path`. `sync_dir` also makes the rename itself durable
    (fsync of the folder); without it the next `sync_folder` of that folder does (a power cut before
    then leaves the old file). Returns the file's stat."""
    head, name = os.path.split(path)
    tmp = os.path.join(head, f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            st = os.fstat(fd)  # a rename keeps the inode, size and mtime
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir:
        sync_folder(path.parent)
    return st


def sync_folder(folder: Path) -> None:
    """Make the renames and deletions done in `folder` durable (POSIX; elsewhere a no-op)."""
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sha256(data: bytes) -> str:
    """Hex SHA-256 (a segment's hash in the manifest)."""
    return hashlib.sha256(data).hexdigest()


def device_dirs(folder: Path, own: str) -> list[str]:
    """The other devices' subfolders (named by a device id; anything else is ignored)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise FolderError(f"The sync folder {folder} cannot be read ({exc.strerror}).") from None
    return [n for n in names if n != own and DEVICE_NAME.fullmatch(n) and (folder / n / MANIFEST).is_file()]
