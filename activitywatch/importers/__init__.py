"""Reading other trackers' databases and files (ActivityWatch's servers, exports) as bucket and event streams.

`open_source(path)` tells by the content what a file is and opens it; `find_activitywatch()` lists the
ActivityWatch databases in this computer's default places. Only `core` is imported: the caller writes
what it reads into the store.
"""

from activitywatch.importers.detect import open_source
from activitywatch.importers.locations import Found, already_imported, find_activitywatch, imported_by_rust
from activitywatch.importers.source import BucketSummary, Source, SourceError

__all__ = [
    "BucketSummary",
    "Found",
    "Source",
    "SourceError",
    "already_imported",
    "find_activitywatch",
    "imported_by_rust",
    "open_source",
]
