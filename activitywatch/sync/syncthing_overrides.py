"""What overrides Syncthing's GUI address and API key: STGUIADDRESS/STGUIAPIKEY in our environment, and
on Linux the running syncthing's own environment (/proc/<pid>/environ, when readable) and its
`--gui-address`/`--gui-apikey` flags. Syncthing itself takes a flag over its environment over config.xml.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ADDRESS_VAR = "STGUIADDRESS"
API_KEY_VAR = "STGUIAPIKEY"
FLAGS = ("home", "config", "gui-address", "gui-apikey")  # the flags read from a syncthing command line


@dataclass(frozen=True)
class Overrides:
    """The GUI address and API key that replace config.xml's, and where each was read (for sentences)."""

    address: str | None = None
    address_from: str = ""
    api_key: str | None = None
    api_key_from: str = ""


@dataclass(frozen=True)
class Process:
    """A running syncthing: its pid, the flags we read, and its environment (None: not readable)."""

    pid: int
    flags: dict[str, str]
    environ: dict[str, str] | None


def default_dirs(environ: Mapping[str, str]) -> list[Path]:
    """Syncthing's default configuration folders for a process with this environment (Linux, BSD)."""
    home = environ.get("HOME")
    config_home = environ.get("XDG_CONFIG_HOME") or (f"{home}/.config" if home else "")
    state_home = environ.get("XDG_STATE_HOME") or (f"{home}/.local/state" if home else "")
    return [Path(d) / "syncthing" for d in (config_home, state_home) if d]


def parse_flags(argv: list[str]) -> dict[str, str]:
    """The FLAGS given on a command line, in `--flag=V`, `--flag V` or Syncthing's older `-flag=V` form."""
    found: dict[str, str] = {}
    args = iter(argv[1:])
    for arg in args:
        if not arg.startswith("-"):
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if name in FLAGS:
            found[name] = value if eq else next(args, "")
    return found


def _read_environ(raw: bytes) -> dict[str, str]:
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}


def running(proc: Path = Path("/proc")) -> Iterator[Process]:
    """The syncthing processes this user can see (Linux only; elsewhere none)."""
    if not sys.platform.startswith("linux") or not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:  # gone meanwhile, or hidden
            continue
        if not argv or Path(argv[0]).name != "syncthing":  # not syncthing-gtk, syncthingtray and the like
            continue
        try:
            environ: dict[str, str] | None = _read_environ((entry / "environ").read_bytes())
        except OSError:  # another user's process: only its command line is readable
            environ = None
        yield Process(int(entry.name), parse_flags(argv), environ)


def _config_dirs(process: Process) -> list[Path]:
    """Where this process may keep its config.xml (empty: not knowable)."""
    for flag, var in (("config", "STCONFDIR"), ("home", "STHOMEDIR")):
        given = process.flags.get(flag) or (process.environ or {}).get(var)
        if given:
            return [Path(given).expanduser()]
    return default_dirs(process.environ) if process.environ is not None else []


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def for_config(config_dir: Path, environ: Mapping[str, str] | None = None, proc: Path = Path("/proc")) -> Overrides:
    """The overrides of the syncthing that runs with the configuration in `config_dir` (else our own)."""
    ours = os.environ if environ is None else environ
    address, address_from = ours.get(ADDRESS_VAR) or None, f"{ADDRESS_VAR} in this environment"
    api_key, api_key_from = ours.get(API_KEY_VAR) or None, f"{API_KEY_VAR} in this environment"
    process = next((p for p in running(proc) if any(_same_dir(d, config_dir) for d in _config_dirs(p))), None)
    if process is not None:
        where = f"syncthing process {process.pid}"
        if process.environ is not None:  # its own environment is what it reads, not ours
            address, address_from = process.environ.get(ADDRESS_VAR) or None, f"{ADDRESS_VAR} of {where}"
            api_key, api_key_from = process.environ.get(API_KEY_VAR) or None, f"{API_KEY_VAR} of {where}"
        if process.flags.get("gui-address"):
            address, address_from = process.flags["gui-address"], f"--gui-address of {where}"
        if process.flags.get("gui-apikey"):
            api_key, api_key_from = process.flags["gui-apikey"], f"--gui-apikey of {where}"
    return Overrides(address, address_from if address else "", api_key, api_key_from if api_key else "")
