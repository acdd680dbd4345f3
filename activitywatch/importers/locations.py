"""Where ActivityWatch keeps its databases on this OS (both servers, normal and testing).

aw-server-rust: `{data dir}/activitywatch/aw-server-rust/sqlite[-testing].db`, where the data dir is
the OS's (on Windows both Roaming, used since 2026, and Local, used before). aw-server (python):
`{user data dir of "activitywatch"}/aw-server/peewee-sqlite[-testing].v2.db`, its settings in
`{user config dir of "activitywatch"}/aw-server/settings[-testing].json`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from activitywatch.importers.source import BucketSummary

BucketSummaries = Sequence[BucketSummary]

RUST = "aw-server-rust"
PYTHON = "aw-server"


@dataclass(frozen=True, slots=True)
class Found:
    """An ActivityWatch database in a default place."""

    server: str  # RUST or PYTHON
    testing: bool
    path: Path
    settings_file: Path | None = None  # aw-server (python)'s settings, when the file exists

    @property
    def label(self) -> str:
        """e.g. "aw-server-rust (testing)"."""
        return self.server + (" (testing)" if self.testing else "")


def _rust_dirs() -> list[Path]:
    bases = [Path(platformdirs.user_data_dir())]
    if sys.platform == "win32":
        bases.insert(0, Path(platformdirs.user_data_dir(roaming=True)))
    return [base / "activitywatch" / RUST for base in bases]


def _python_dir() -> Path:
    return Path(platformdirs.user_data_dir("activitywatch")) / PYTHON


def python_settings_file(db_path: Path) -> Path | None:
    """aw-server (python)'s settings.json for a database: beside it, or in the config folder of the default one."""
    name = "settings-testing.json" if "-testing." in db_path.name else "settings.json"
    candidates = [db_path.parent / name]
    if db_path.parent.absolute() == _python_dir().absolute():
        candidates.append(Path(platformdirs.user_config_dir("activitywatch")) / PYTHON / name)
    return next((c for c in candidates if c.is_file()), None)


def candidates() -> list[Found]:
    """Every place an ActivityWatch database may be, found or not."""
    places = []
    for folder in _rust_dirs():
        places += [Found(RUST, False, folder / "sqlite.db"), Found(RUST, True, folder / "sqlite-testing.db")]
    folder = _python_dir()
    for testing in (False, True):
        path = folder / ("peewee-sqlite-testing.v2.db" if testing else "peewee-sqlite.v2.db")
        places.append(Found(PYTHON, testing, path, python_settings_file(path)))
    return places


def find_activitywatch() -> list[Found]:
    """The ActivityWatch databases that exist in this computer's default places."""
    return [found for found in candidates() if found.path.is_file()]


def imported_by_rust(python: BucketSummaries, rust: BucketSummaries) -> bool:
    """Whether aw-server-rust already holds this aw-server (python) database: it imports the python
    database by itself when it first starts. Then every python bucket with events is in the rust
    database under the same id, starting at the same moment, with at least as many events.

    Importing both would store most events twice: the rust copy's durations are truncated to whole
    nanoseconds from the python floats, so they can differ by 1 ns from a direct reading.
    """
    theirs = {s.bucket.id: s for s in rust}
    mine = [s for s in python if s.events]
    return bool(mine) and all(
        (other := theirs.get(s.bucket.id)) is not None and other.start == s.start and other.events >= s.events
        for s in mine
    )


def already_imported(found: Sequence[tuple[Found, BucketSummaries]]) -> set[int]:
    """Which of the databases found (with their buckets) are aw-server (python) ones that an aw-server-rust
    database found beside them already holds (aw-server-rust imports the normal one, even when testing)."""
    rust = [summaries for item, summaries in found if item.server == RUST]
    return {
        i
        for i, (item, summaries) in enumerate(found)
        if item.server == PYTHON and any(imported_by_rust(summaries, other) for other in rust)
    }
