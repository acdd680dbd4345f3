"""The documents inside the sync folder's files (manifest, segment), built and checked.

A segment holds one range of a device's changes: its buckets as they are, deleted buckets, forgotten
ranges, new and changed events (`[bucket index, id delta, start delta, duration, data]`, deltas against
the row before, for size), deleted events and the travelling settings. Everything read is checked
field by field before it reaches the store; a document that fails is refused whole.
"""

from __future__ import annotations

from typing import Any

import orjson

from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import MAX_NS, MIN_NS
from activitywatch.store.syncfeed import LocalChanges, RemoteBatch
from activitywatch.store.syncforget import RemoteForget
from activitywatch.sync.folder import SEGMENT_NAME, VERSION, FolderError, sha256

MAX_ID_LENGTH = 1000
MAX_EVENT_ID = 2**62


def _bucket_doc(bucket: Bucket) -> dict[str, Any]:
    return {
        "id": bucket.id,
        "name": bucket.name,
        "type": bucket.type,
        "client": bucket.client,
        "hostname": bucket.hostname,
        "created": bucket.created,
        "data": bucket.data,
    }


def buckets_hash(buckets: list[Bucket]) -> str:
    """A fingerprint of the bucket list (a changed bucket needs a segment even without events)."""
    return sha256(orjson.dumps([_bucket_doc(b) for b in buckets], option=orjson.OPT_SORT_KEYS))


def segment_doc(
    device: str, n: int, changes: LocalChanges, settings: dict[str, tuple[Any, int, str]], first: int | None = None
) -> dict[str, Any]:
    """The document of segment `n` (or of `first`..`n` merged) holding `changes`."""
    index = {b.id: i for i, b in enumerate(changes.buckets)}
    rows: list[list[Any]] = []
    prev_id = prev_start = 0
    for bucket_id, event_id, start, end, data in changes.events:
        if bucket_id not in index:  # the bucket went after the events were read: its deletion travels
            continue
        rows.append([index[bucket_id], event_id - prev_id, start - prev_start, end - start, orjson.Fragment(data)])
        prev_id, prev_start = event_id, start
    entries = changes.entries
    return {
        "v": VERSION,
        "device": device,
        "n": n,
        "first": n if first is None else first,
        "buckets": [_bucket_doc(b) for b in changes.buckets],
        "deleted_buckets": [e.bucket for e in entries if e.kind == "bucket"],
        # Read by older versions only (this device's own buckets, not numbered): `forget_log` replaces it.
        "forgets": [[e.start, e.end, e.buckets] for e in entries if e.kind == "forget"],
        "forget_log": [[e.n, e.start, e.end, e.buckets, e.refs] for e in entries if e.kind == "forget"],
        "acks": changes.acks,
        "events": rows,
        "deleted_events": [[e.bucket, e.event_id] for e in entries if e.kind == "event"],
        "settings": {key: list(item) for key, item in settings.items()},
    }


def _fail(where: str, what: str) -> FolderError:
    return FolderError(f"{where} is not a valid sync document: {what}.")


def _int(value: Any, lo: int, hi: int) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise ValueError(f"{value!r} is not an integer in [{lo}, {hi}]")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _str(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{value!r:.80} is not a short text")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{value!r:.80} is not an object")
    return value


def read_segment(doc: Any, device: str, span: tuple[int, int], where: str) -> RemoteBatch:
    """The changes in a segment document, checked (FolderError naming `where` otherwise)."""
    try:
        doc = _dict(doc)
        if doc.get("device") != device or (doc.get("first"), doc.get("n")) != span:
            raise ValueError(
                f"it claims to be segment {doc.get('first')!r}-{doc.get('n')!r} of device {doc.get('device')!r:.60}"
            )
        buckets = []
        for raw in doc["buckets"]:
            item = _dict(raw)
            buckets.append(
                Bucket(
                    id=_str(item["id"]),
                    name=_optional_str(item.get("name")),
                    type=_str(item["type"]),
                    client=_str(item["client"]),
                    hostname=_str(item["hostname"]),
                    created=_int(item["created"], MIN_NS, MAX_NS),
                    data=_dict(item["data"]),
                )
            )
        ids = [b.id for b in buckets]
        groups: list[list[Event]] = [[] for _ in ids]
        prev_id = prev_start = 0
        for row in doc["events"]:
            b, id_delta, start_delta, duration, data = row
            # Checked inline (a catch-up reads millions of rows); the helpers below say what is wrong.
            if (
                type(b) is int
                and 0 <= b < len(ids)
                and type(id_delta) is int
                and type(start_delta) is int
                and type(duration) is int
                and 1 <= prev_id + id_delta <= MAX_EVENT_ID
                and MIN_NS <= prev_start + start_delta <= MAX_NS
                and 0 <= duration <= MAX_NS - prev_start - start_delta
                and type(data) is dict
            ):
                prev_id += id_delta
                prev_start += start_delta
            else:
                _int(b, 0, len(ids) - 1)
                prev_id = _int(prev_id + id_delta, 1, MAX_EVENT_ID)
                prev_start = _int(prev_start + start_delta, MIN_NS, MAX_NS)
                _int(prev_start + duration, prev_start, MAX_NS)
                _dict(data)
            groups[b].append(Event(prev_start, duration, data, prev_id))
        forgets = _forgets(doc)
        acks = doc.get("acks")
        return RemoteBatch(
            device=device,
            deleted_buckets=[_str(x) for x in doc["deleted_buckets"]],
            buckets=buckets,
            forgets=forgets,
            events={bucket_id: group for bucket_id, group in zip(ids, groups, strict=True) if group},
            deleted_events=[(_str(b), _int(i, 1, MAX_EVENT_ID)) for b, i in doc["deleted_events"]],
            settings={
                _str(key): (value, _int(changed, MIN_NS, MAX_NS), _str(by))
                for key, (value, changed, by) in _dict(doc["settings"]).items()
            },
            acks=None if acks is None else {_str(k): _int(v, 0, 2**62) for k, v in _dict(acks).items()},
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise _fail(where, str(exc) or type(exc).__name__) from None


def _forgets(doc: dict[str, Any]) -> list[RemoteForget]:
    """A segment's forgets: numbered, naming any device's buckets (`forget_log`), or as segments of
    older versions have them (`forgets`: the sender's own buckets, not numbered: always applied)."""
    if "forget_log" not in doc:
        return [
            RemoteForget(
                _int(start, MIN_NS, MAX_NS),
                _int(end, MIN_NS, MAX_NS),
                None if names is None else [_str(x) for x in names],
            )
            for start, end, names in doc["forgets"]
        ]
    forgets = []
    for n, start, end, names, refs in doc["forget_log"]:
        forgets.append(
            RemoteForget(
                _int(start, MIN_NS, MAX_NS),
                _int(end, MIN_NS, MAX_NS),
                None if names is None else [_str(x) for x in names],
                [(_str(owner), _str(bucket)) for owner, bucket in refs],
                _int(n, 1, 2**62),
            )
        )
    return forgets


def manifest_doc(
    device: str, hostname: str, instance: str, written_at: int, *, segments: list[dict[str, Any]], state: dict[str, str]
) -> dict[str, Any]:
    """A manifest document."""
    return {
        "v": VERSION,
        "device": device,
        "hostname": hostname,
        "instance": instance,
        "written_at": written_at,
        "segments": segments,
        "state": state,
    }


def segment_file(first: int, last: int) -> str:
    """The file name of the segment holding changes `first`..`last` (one number: not merged)."""
    return f"{last:08}.seg" if first == last else f"{first:08}-{last:08}.seg"


def read_manifest(doc: Any, device: str, where: str) -> dict[str, Any]:
    """A manifest document, checked: it names its own device, and segments covering 1..N in order,
    each by a plain file name in the device's folder (no paths) or inline (`doc`: a segment document)."""
    try:
        doc = _dict(doc)
        if doc.get("device") != device:
            raise ValueError(f"it claims to be device {doc.get('device')!r:.60}")
        _str(doc["hostname"])
        _str(doc["instance"])
        _int(doc["written_at"], MIN_NS, MAX_NS)
        _dict(doc["state"])
        last = 0
        for raw in doc["segments"]:
            entry = _dict(raw)
            n = _int(entry.get("n"), last + 1, 2**40)
            first = _int(entry.setdefault("first", n), last + 1, n)
            if first != last + 1:
                raise ValueError(f"segment {first} follows segment {last}")
            if "doc" in entry:  # a small segment carried inline (checked whole when it is applied)
                _dict(entry["doc"])
            else:
                name = _str(entry["file"])
                if not SEGMENT_NAME.fullmatch(name) or name != segment_file(first, n):
                    raise ValueError(f"segment {n} names the file {name!r:.80}")
                _str(entry["sha256"])
                _int(entry["size"], 0, 2**40)
            last = n
            _int(entry["events"], 0, 2**40)
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(where, str(exc) or type(exc).__name__) from None
    return dict(doc)
