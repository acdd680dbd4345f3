"""Bad input over every endpoint: a clear JSON error with the right status, nothing stored, the server still up.

`CASES` is one table of hostile requests (malformed, oversized, wrongly typed, misrouted). Each row is sent
to a live server over a seeded store and must get exactly its status with the error body
`{"message": <sentence>, "type": <kind>}`, leave every bucket, event and setting as it was, log no server
error (an unhandled exception is logged at ERROR and answered 500) and leave the server answering.
"""

from __future__ import annotations

import http.client
import logging
import random
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from activitywatch.core.models import Bucket, Event
from activitywatch.core.timestamps import parse_timestamp
from activitywatch.server.runner import ApiServer
from activitywatch.store import Store
from tests.conftest import LiveServer, snapshot, start_server

MIB = 1024 * 1024
S = 1_000_000_000
T = "2024-05-01T12:00:00Z"

Headers = tuple[tuple[str, str], ...]
JSON: Headers = (("Content-Type", "application/json"),)
BOUNDARY = "aw-test-boundary-7d1c"
MULTIPART: Headers = (("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),)
Content = bytes | Callable[[], bytes | Iterator[bytes]] | None

# What the seeded store holds (a fresh database numbers events from 1).
B1_EVENTS = (1, 2, 3)
B2_EVENT = 4
SETTINGS = {"theme": "dark", "classes": [{"name": ["Work"], "rule": {"type": "regex", "regex": "Code"}}]}


def seed(store: Store) -> None:
    """Two buckets with events, and settings."""
    created = parse_timestamp("2024-01-01T00:00:00Z")
    start = parse_timestamp(T)
    b1 = Bucket(id="b1", type="currentwindow", client="seed", hostname="h", created=created, data={"k": 1})
    b2 = Bucket(id="b2", type="afkstatus", client="seed", hostname="h", created=created)
    store.create_bucket(
        b1, [Event(timestamp=start + i * 10 * S, duration=5 * S, data={"app": f"a{i}"}) for i in range(3)]
    )
    store.create_bucket(b2, [Event(timestamp=start, duration=60 * S, data={"status": "not-afk"})])
    for key, value in SETTINGS.items():
        store.set_setting(key, value)
    assert [e.id for e in store.get_events("b1")] == sorted(B1_EVENTS, reverse=True)
    assert [e.id for e in store.get_events("b2")] == [B2_EVENT]


# ---------------------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One hostile request and the error it must get."""

    name: str
    method: str
    path: str
    status: int
    match: str  # a regular expression searched (ignoring case) in the error message
    content: Content = None
    headers: Headers = JSON
    raw: bool = False  # sent over a plain socket exactly as given: no Host added, Content-Length as declared

    def body(self) -> bytes | Iterator[bytes] | None:
        """The request body (built only when sent: some are tens of MiB)."""
        return self.content() if callable(self.content) else self.content


def upload_parts() -> tuple[bytes, bytes]:
    """The multipart framing around one uploaded file: (before, after)."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="buckets.json"; filename="aw-buckets-export.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    )
    return head.encode(), b"\r\n"


def upload(*docs: bytes) -> bytes:
    """A multipart/form-data body with each document as an uploaded file (as the web UI sends it)."""
    before, after = upload_parts()
    return b"".join(before + doc + after for doc in docs) + f"--{BOUNDARY}--\r\n".encode()


def nested(levels: int, kind: str) -> bytes:
    """A JSON value nested `levels` deep: `[[[...]]]` or `{"a":{"a":...}}`."""
    if kind == "array":
        return b"[" * levels + b"]" * levels
    return b'{"a":' * levels + b"1" + b"}" * levels


def padded(template: bytes, size: int) -> Callable[[], bytes]:
    """An otherwise valid body whose `data` holds a string making the body about `size` bytes long."""
    return lambda: template % (b'{"pad":"' + b"x" * size + b'"}')


def streamed(template: bytes, size: int, frame: tuple[bytes, bytes] = (b"", b"")) -> Callable[[], Iterator[bytes]]:
    """Like `padded`, sent chunked (no Content-Length) in 1 MiB pieces."""
    before, after = template.split(b"%s")

    def chunks() -> Iterator[bytes]:
        yield frame[0] + before + b'{"pad":"'
        piece = b"x" * MIB
        for _ in range(size // MIB):
            yield piece
        yield b'"}' + after + frame[1]

    return chunks


@dataclass(frozen=True)
class Target:
    """An endpoint taking a JSON document, with an otherwise valid document around a `data` value (`%s`)."""

    label: str
    method: str
    path: str
    template: bytes
    upload: bool = False  # the document goes in a multipart upload
    limit_mib: int = 16

    @property
    def headers(self) -> Headers:
        return MULTIPART if self.upload else JSON

    def wrap(self, doc: bytes) -> bytes:
        """The request body carrying `doc`."""
        return upload(doc) if self.upload else doc

    def with_data(self, data: bytes) -> bytes:
        """The request body of the valid document with `data` as its data value."""
        return self.wrap(self.template % data)

    def case(self, what: str, status: int, match: str, content: Content, headers: Headers | None = None) -> Case:
        """A row for this endpoint."""
        h = self.headers if headers is None else headers
        return Case(f"{self.label} | {what}", self.method, self.path, status, match, content, h)


EV_OK = b'{"timestamp":"2024-05-01T12:00:00Z","duration":1,"data":{"app":"fine"}}'
BUCKET_OK = b'{"client":"c","type":"t","hostname":"h"}'
IMPORT_TEMPLATE = (
    b'{"buckets":{"imported":{"client":"c","type":"t","hostname":"h","events":['
    + EV_OK
    + b',{"timestamp":"2024-05-01T13:00:00Z","duration":1,"data":%s}]}}}'
)
TARGETS = [
    Target("create bucket", "POST", "/api/0/buckets/fresh", b'{"client":"c","type":"t","hostname":"h","data":%s}'),
    Target("update bucket", "PUT", "/api/0/buckets/b1", b'{"client":"c","type":"changed","hostname":"h","data":%s}'),
    Target(
        "post events",
        "POST",
        "/api/0/buckets/b1/events",
        b"[" + EV_OK + b',{"timestamp":"2024-05-01T13:00:00Z","duration":1,"data":%s}]',
    ),
    Target(
        "heartbeat",
        "POST",
        "/api/0/buckets/b1/heartbeat?pulsetime=60",
        b'{"timestamp":"2024-05-01T13:00:00Z","duration":1,"data":%s}',
    ),
    Target("set setting", "POST", "/api/0/settings/fresh", b'{"data":%s}'),
    Target("import json", "POST", "/api/0/import", IMPORT_TEMPLATE, limit_mib=256),
    Target("import upload", "POST", "/api/0/import", IMPORT_TEMPLATE, upload=True, limit_mib=256),
]
BY_LABEL = {t.label: t for t in TARGETS}

HUGE_INT = "integer|number|64.bit"


def body_cases() -> Iterator[Case]:
    """Malformed, oversized and wrongly typed documents on every endpoint that reads one."""
    for t in TARGETS:
        if not t.upload:
            valid = t.with_data(b"{}")
            yield t.case(
                "Content-Type text/plain", 415, "application/json", valid, headers=(("Content-Type", "text/plain"),)
            )
            form = (("Content-Type", "application/x-www-form-urlencoded"),)
            yield t.case("Content-Type form-urlencoded", 415, "application/json", valid, headers=form)
            yield t.case("no Content-Type", 415, "application/json", valid, headers=())
        yield t.case("empty body", 400, "empty", t.wrap(b""))
        yield t.case("whitespace body", 400, "empty", t.wrap(b" \r\n\t "))
        yield t.case("truncated JSON", 400, "not valid JSON", t.wrap(b'{"timestamp": '))
        yield t.case("single-quoted JSON", 400, "not valid JSON", t.wrap(b"{'a': 1}"))
        yield t.case("trailing comma", 400, "not valid JSON", t.wrap(b'{"a": 1,}'))
        yield t.case("trailing garbage", 400, "not valid JSON", t.wrap(t.template % b"{}" + b" x"))
        yield t.case("comment", 400, "not valid JSON", t.wrap(b"// hi\n" + t.template % b"{}"))
        yield t.case("NaN document", 400, "not valid JSON", t.wrap(b"NaN"))
        for kind in ("array", "object"):
            yield t.case(f"body nested 50000 deep ({kind})", 400, "not valid JSON", t.wrap(nested(50_000, kind)))
            yield t.case(f"data nested 50000 deep ({kind})", 400, "not valid JSON", t.with_data(nested(50_000, kind)))
        if t.label != "set setting":  # a setting is any JSON value; the depth rule is about `data`
            yield t.case("data nested 65 levels", 422, "nested more than 64", t.with_data(nested(65, "object")))
        yield t.case("lone high surrogate escape", 400, "not valid JSON", t.with_data(b'{"s":"\\ud800"}'))
        yield t.case("lone low surrogate escape", 400, "not valid JSON", t.with_data(b'{"s":"\\udc00"}'))
        yield t.case("surrogate encoded as UTF-8", 400, "not valid JSON", t.with_data(b'{"s":"\xed\xa0\x80"}'))
        yield t.case("invalid UTF-8 byte", 400, "not valid JSON", t.with_data(b'{"s":"\xff"}'))
        yield t.case("number 1e400", 400, "not valid JSON", t.with_data(b'{"n":1e400}'))
        # Beyond 64 bits, orjson silently turns integers into floats: the value stored is not the value sent.
        yield t.case("integer 2**64", 422, HUGE_INT, t.with_data(b'{"n":18446744073709551616}'))
        yield t.case("integer 10**30", 422, HUGE_INT, t.with_data(b'{"n":1000000000000000000000000000000}'))
        yield t.case("integer -2**63-1", 422, HUGE_INT, t.with_data(b'{"n":-9223372036854775809}'))
        # Duplicate keys: orjson keeps the last one and silently drops the other.
        yield t.case("duplicate keys in data", 422, "duplicate", t.with_data(b'{"a":1,"a":2}'))
        # Size limits: the otherwise valid body would be stored if the limit were not enforced.
        big = t.limit_mib * MIB + MIB
        frame = upload_parts() if t.upload else (b"", b"")
        yield t.case(f"{big // MIB} MiB chunked", 413, f"{t.limit_mib} MiB", streamed(t.template, big, frame))
        if t.limit_mib == 16:
            yield t.case("30 MiB with Content-Length", 413, "16 MiB", padded(t.template, 30 * MIB))
            yield t.case("30 MiB chunked", 413, "16 MiB", streamed(t.template, 30 * MIB))
        declared = (*t.headers, ("Host", "127.0.0.1"), ("Content-Length", str(big)))
        yield Case(
            f"{t.label} | declares {big // MIB} MiB, sends nothing",
            t.method,
            t.path,
            413,
            f"{t.limit_mib} MiB",
            headers=declared,
            raw=True,
        )
    for label in ("post events", "set setting"):
        t = BY_LABEL[label]
        yield t.case("Content-Type multipart", 415, "application/json", upload(t.template % b"{}"), headers=MULTIPART)
    yield BY_LABEL["heartbeat"].case(
        "duplicate timestamp key",
        422,
        "duplicate",
        b'{"timestamp":"2024-05-01T13:00:00Z","timestamp":"2030-01-01T00:00:00Z"}',
    )
    yield BY_LABEL["create bucket"].case(
        "duplicate client key", 422, "duplicate", b'{"client":"a","client":"b","type":"t","hostname":"h"}'
    )
    yield BY_LABEL["set setting"].case("duplicate keys in value", 422, "duplicate", b'{"a":1,"a":2}')
    yield BY_LABEL["set setting"].case("integer 2**64 as value", 422, HUGE_INT, b"18446744073709551616")
    yield BY_LABEL["set setting"].case("NaN value", 400, "not valid JSON", b"NaN")
    yield BY_LABEL["set setting"].case("Infinity value", 400, "not valid JSON", b"Infinity")
    yield BY_LABEL["set setting"].case("lone surrogate value", 400, "not valid JSON", b'"\\ud800"')


# Event fields: (what, the bad event, status, message)
BAD_EVENTS: list[tuple[str, bytes, int, str]] = [
    ("timestamp missing", b'{"duration":1,"data":{}}', 422, "missing required field 'timestamp'"),
    ("timestamp unparsable", b'{"timestamp":"yesterday"}', 422, "RFC 3339"),
    ("timestamp empty", b'{"timestamp":""}', 422, "RFC 3339"),
    ("timestamp 100 chars", b'{"timestamp":"2024-05-01T12:00:00' + b"0" * 80 + b'Z"}', 422, "RFC 3339"),
    ("timestamp February 30", b'{"timestamp":"2024-02-30T00:00:00Z"}', 422, "not a valid date"),
    ("timestamp hour 25", b'{"timestamp":"2024-05-01T25:00:00Z"}', 422, "out of range"),
    ("timestamp offset +25:00", b'{"timestamp":"2024-05-01T12:00:00+25:00"}', 422, "offset out of range"),
    ("timestamp year 0001", b'{"timestamp":"0001-01-01T00:00:00Z"}', 422, "outside the supported range"),
    ("timestamp year 9999", b'{"timestamp":"9999-12-31T23:59:59Z"}', 422, "outside the supported range"),
    ("timestamp number 1e30", b'{"timestamp":1e30}', 422, "RFC 3339"),
    ("timestamp boolean", b'{"timestamp":true}', 422, "RFC 3339"),
    ("timestamp null", b'{"timestamp":null}', 422, "RFC 3339"),
    ("duration NaN", b'{"timestamp":"2024-05-01T13:00:00Z","duration":NaN}', 400, "not valid JSON"),
    ("duration Infinity", b'{"timestamp":"2024-05-01T13:00:00Z","duration":Infinity}', 400, "not valid JSON"),
    ("duration -Infinity", b'{"timestamp":"2024-05-01T13:00:00Z","duration":-Infinity}', 400, "not valid JSON"),
    ("duration 1e400", b'{"timestamp":"2024-05-01T13:00:00Z","duration":1e400}', 400, "not valid JSON"),
    ("duration negative", b'{"timestamp":"2024-05-01T13:00:00Z","duration":-1}', 422, "negative"),
    ("duration string", b'{"timestamp":"2024-05-01T13:00:00Z","duration":"5"}', 422, "number of seconds"),
    ("duration boolean", b'{"timestamp":"2024-05-01T13:00:00Z","duration":true}', 422, "number of seconds"),
    ("duration array", b'{"timestamp":"2024-05-01T13:00:00Z","duration":[1]}', 422, "number of seconds"),
    ("duration 1e30", b'{"timestamp":"2024-05-01T13:00:00Z","duration":1e30}', 422, "too long"),
    ("duration past 2262", b'{"timestamp":"2024-05-01T13:00:00Z","duration":9.2e9}', 422, "latest supported time"),
    ("data string", b'{"timestamp":"2024-05-01T13:00:00Z","data":"app"}', 422, "data must be a JSON object"),
    ("data array", b'{"timestamp":"2024-05-01T13:00:00Z","data":[1]}', 422, "data must be a JSON object"),
    ("data number", b'{"timestamp":"2024-05-01T13:00:00Z","data":1}', 422, "data must be a JSON object"),
    ("data boolean", b'{"timestamp":"2024-05-01T13:00:00Z","data":true}', 422, "data must be a JSON object"),
    ("id string", b'{"timestamp":"2024-05-01T13:00:00Z","id":"7"}', 422, "id must be an integer"),
    ("id boolean", b'{"timestamp":"2024-05-01T13:00:00Z","id":true}', 422, "id must be an integer"),
    ("id float", b'{"timestamp":"2024-05-01T13:00:00Z","id":1.5}', 422, "id must be an integer"),
    ("id zero", b'{"timestamp":"2024-05-01T13:00:00Z","id":0}', 422, "between 1 and"),
    ("id negative", b'{"timestamp":"2024-05-01T13:00:00Z","id":-3}', 422, "between 1 and"),
    ("id beyond int64", b'{"timestamp":"2024-05-01T13:00:00Z","id":9223372036854775808}', 422, "between 1 and"),
    ("event is a string", b'"event"', 422, "must be a JSON object"),
    ("event is an array", b"[]", 422, "must be a JSON object"),
    ("event is null", b"null", 422, "must be a JSON object"),
]


def event_cases() -> Iterator[Case]:
    """Each bad event alone (heartbeat) and in the middle of otherwise valid batches (nothing may be stored)."""
    for what, bad, status, match in BAD_EVENTS:
        yield Case(f"post events | {what} in the middle", "POST", "/api/0/buckets/b1/events", status, match,
                   b"[" + EV_OK + b"," + bad + b"," + EV_OK + b"]")  # fmt: skip
        if bad.startswith(b"{"):
            yield Case(f"post event | {what}", "POST", "/api/0/buckets/b2/events", status, match, bad)
        yield Case(f"heartbeat | {what}", "POST", "/api/0/buckets/b1/heartbeat?pulsetime=60", status, match, bad)
        yield Case(f"create bucket with events | {what}", "POST", "/api/0/buckets/fresh", status, match,
                   BUCKET_OK[:-1] + b',"events":[' + EV_OK + b"," + bad + b"]}")  # fmt: skip
        doc = b'{"buckets":{"b1":' + BUCKET_OK[:-1] + b',"events":[' + EV_OK + b"," + bad + b"," + EV_OK + b"]}}}"
        yield Case(f"import json | {what} in the middle", "POST", "/api/0/import", status, match, doc)
    yield Case("post events | body is a string", "POST", "/api/0/buckets/b1/events", 422, "array of events", b'"x"')
    yield Case("post events | body is null", "POST", "/api/0/buckets/b1/events", 422, "array of events", b"null")
    yield Case("post events | body is a number", "POST", "/api/0/buckets/b1/events", 422, "array of events", b"42")
    yield Case("heartbeat | body is an array", "POST", "/api/0/buckets/b1/heartbeat?pulsetime=1", 422, "JSON object",
               b"[" + EV_OK + b"]")  # fmt: skip


# Bucket fields: (what, the bad bucket document, message)
BAD_BUCKETS: list[tuple[str, bytes, str]] = [
    ("client missing", b'{"type":"t","hostname":"h"}', "missing required field 'client'"),
    ("type missing", b'{"client":"c","hostname":"h"}', "missing required field 'type'"),
    ("hostname missing", b'{"client":"c","type":"t"}', "missing required field 'hostname'"),
    ("client boolean", b'{"client":true,"type":"t","hostname":"h"}', "'client' must be a string"),
    ("type number", b'{"client":"c","type":5,"hostname":"h"}', "'type' must be a string"),
    ("hostname array", b'{"client":"c","type":"t","hostname":["h"]}', "'hostname' must be a string"),
    ("name boolean", b'{"client":"c","type":"t","hostname":"h","name":false}', "'name' must be a string"),
    ("client 1025 chars", b'{"client":"' + b"c" * 1025 + b'","type":"t","hostname":"h"}', "longer than 1024"),
    ("created unparsable", b'{"client":"c","type":"t","hostname":"h","created":"soon"}', "RFC 3339"),
    ("created year 0001", b'{"client":"c","type":"t","hostname":"h","created":"0001-01-01T00:00:00Z"}', "range"),
    ("created year 9999", b'{"client":"c","type":"t","hostname":"h","created":"9999-01-01T00:00:00Z"}', "range"),
    ("created number 1e30", b'{"client":"c","type":"t","hostname":"h","created":1e30}', "RFC 3339"),
    ("data string", b'{"client":"c","type":"t","hostname":"h","data":"x"}', "data must be a JSON object"),
    ("data array", b'{"client":"c","type":"t","hostname":"h","data":[]}', "data must be a JSON object"),
    ("document is an array", b"[]", "must be a JSON object"),
    ("document is a string", b'"bucket"', "must be a JSON object"),
    ("document is null", b"null", "must be a JSON object"),
]


def bucket_cases() -> Iterator[Case]:
    """Bad bucket documents on create, update and import."""
    for what, bad, match in BAD_BUCKETS:
        yield Case(f"create bucket | {what}", "POST", "/api/0/buckets/fresh", 422, match, bad)
        yield Case(f"update bucket | {what}", "PUT", "/api/0/buckets/b1", 422, match, bad)
        if bad.startswith(b"{"):
            doc = b'{"buckets":{"ok":' + BUCKET_OK + b',"bad":' + bad + b"}}"
            yield Case(f"import json | second bucket {what}", "POST", "/api/0/import", 422, match, doc)
    yield Case("create bucket | events not an array", "POST", "/api/0/buckets/fresh", 422, "array of events",
               BUCKET_OK[:-1] + b',"events":"none"}')  # fmt: skip


def import_cases() -> Iterator[Case]:
    """Import documents and uploads of the wrong shape; a bad part anywhere stores nothing."""
    good = b'{"buckets":{"imported":' + BUCKET_OK[:-1] + b',"events":[' + EV_OK + b"]}}}"
    bad_event = b'{"buckets":{"other":' + BUCKET_OK[:-1] + b',"events":[' + EV_OK + b',{"timestamp":"x"}]}}}'
    shapes = [
        ("document is an array", b"[]", "An import must be"),
        ("document is empty object", b"{}", "An import must be"),
        ("buckets is an array", b'{"buckets":[]}', "An import must be"),
        ("buckets is a string", b'{"buckets":"all"}', "An import must be"),
        ("bucket is an array", b'{"buckets":{"x":[]}}', "must be a JSON object"),
        ("events is an object", b'{"buckets":{"x":' + BUCKET_OK[:-1] + b',"events":{}}}}', "'events' must be an array"),
        ("bucket id a number", b'{"buckets":{"x":' + BUCKET_OK[:-1] + b',"id":5}}}', "must be a string"),
        ("bucket key empty", b'{"buckets":{"":' + BUCKET_OK + b"}}", "must not be empty"),
        ("bucket key 256 chars", b'{"buckets":{"' + b"k" * 256 + b'":' + BUCKET_OK + b"}}", "longer than 255"),
        ("bucket key with '/'", b'{"buckets":{"a/b":' + BUCKET_OK + b"}}", "'/'"),
        ("bucket key with control char", b'{"buckets":{"a\\u0001b":' + BUCKET_OK + b"}}", "control characters"),
        ("duplicate bucket keys", b'{"buckets":{"imported":' + BUCKET_OK + b',"imported":' + BUCKET_OK + b"}}",
         "duplicate"),
    ]  # fmt: skip
    for what, doc, match in shapes:
        yield Case(f"import json | {what}", "POST", "/api/0/import", 422, match, doc)
        yield Case(f"import upload | {what}", "POST", "/api/0/import", 422, match, upload(doc), MULTIPART)
    yield Case("import upload | second file has a bad event", "POST", "/api/0/import", 422, "event #1",
               upload(good, bad_event), MULTIPART)  # fmt: skip
    yield Case("import upload | second file is not JSON", "POST", "/api/0/import", 400, "not valid JSON",
               upload(good, b"{"), MULTIPART)  # fmt: skip
    yield Case("import upload | second file is empty", "POST", "/api/0/import", 400, "empty",
               upload(good, b""), MULTIPART)  # fmt: skip
    yield Case("import upload | 101 files", "POST", "/api/0/import", 400, "too many files",
               upload(*[good] * 101), MULTIPART)  # fmt: skip
    yield Case(
        "import upload | no file", "POST", "/api/0/import", 400, "no file", f"--{BOUNDARY}--\r\n".encode(), MULTIPART
    )
    yield Case(
        "import upload | empty multipart body", "POST", "/api/0/import", 400, "no file|multipart", b"", MULTIPART
    )
    yield Case("import upload | garbage", "POST", "/api/0/import", 400, "multipart", b"garbage" * 100, MULTIPART)
    yield Case("import upload | unterminated part", "POST", "/api/0/import", 400, "multipart|not valid JSON|no file",
               upload_parts()[0] + good[:20], MULTIPART)  # fmt: skip
    yield Case("import upload | no boundary", "POST", "/api/0/import", 400, "boundary", upload(good),
               (("Content-Type", "multipart/form-data"),))  # fmt: skip
    yield Case("import upload | 2 MiB form field", "POST", "/api/0/import", 400, "multipart|not valid JSON",
               f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"\r\n\r\n'.encode() + b"x" * (2 * MIB)
               + f"\r\n--{BOUNDARY}--\r\n".encode(), MULTIPART)  # fmt: skip
    yield Case("import json | merge into b1 with a bad event", "POST", "/api/0/import", 422, "event #1",
               b'{"buckets":{"b1":' + BUCKET_OK[:-1] + b',"events":[' + EV_OK + b',{"timestamp":"x"}]}}}')  # fmt: skip


BUCKET_ROUTES: list[tuple[str, str, str, bytes | None]] = [
    ("get bucket", "GET", "/api/0/buckets/{}", None),
    ("create bucket", "POST", "/api/0/buckets/{}", BUCKET_OK),
    ("update bucket", "PUT", "/api/0/buckets/{}", BUCKET_OK),
    ("delete bucket", "DELETE", "/api/0/buckets/{}?force=1", None),
    ("get events", "GET", "/api/0/buckets/{}/events", None),
    ("post events", "POST", "/api/0/buckets/{}/events", b"[" + EV_OK + b"]"),
    ("count events", "GET", "/api/0/buckets/{}/events/count", None),
    ("get event", "GET", "/api/0/buckets/{}/events/1", None),
    ("delete event", "DELETE", "/api/0/buckets/{}/events/1", None),
    ("heartbeat", "POST", "/api/0/buckets/{}/heartbeat?pulsetime=60", EV_OK),
    ("export bucket", "GET", "/api/0/buckets/{}/export", None),
]


def path_cases() -> Iterator[Case]:
    """Bad and unknown bucket ids, event ids and setting keys in the path."""
    bad_ids = [
        ("256-char id", "x" * 256, "longer than 255"),
        ("1000-char id", "y" * 1000, "longer than 255"),
        ("id with %01", "a%01b", "control characters"),
        ("id with %00", "a%00b", "control characters"),
        ("id with newline", "a%0Ab", "control characters"),
        ("id with DEL", "a%7Fb", "control characters"),
        ("id with %2F", "a%2Fb", "'/'"),
    ]
    for label, method, pattern, body in BUCKET_ROUTES:
        for what, bucket_id, match in bad_ids:
            yield Case(f"{label} | {what}", method, pattern.format(bucket_id), 400, match, body)
        if method != "POST" or label != "create bucket":
            status, match = (404, "does not exist")
            yield Case(f"{label} | unknown bucket", method, pattern.format("nosuchbucket"), status, match, body)
    # An encoded slash must not reach another route: these would read or change b1's events.
    yield Case("delete bucket | id b1%2Fevents%2F1", "DELETE", "/api/0/buckets/b1%2Fevents%2F1", 400, "'/'")
    yield Case("get bucket | id b1%2Fevents", "GET", "/api/0/buckets/b1%2Fevents", 400, "'/'")
    yield Case("create bucket | id b1%2Fevents with an event body", "POST", "/api/0/buckets/b1%2Fevents", 400, "'/'",
               EV_OK)  # fmt: skip
    # Bytes that are not UTF-8 must not be replaced by U+FFFD and stored under another name.
    for what, raw in (("%FF", "%FF"), ("encoded surrogate", "%ED%A0%80"), ("overlong '/'", "%C0%AF")):
        yield Case(f"create bucket | id {what}", "POST", f"/api/0/buckets/a{raw}", 400, "UTF-8", BUCKET_OK)
        yield Case(f"set setting | key {what}", "POST", f"/api/0/settings/k{raw}", 400, "UTF-8", b"1")
    for what, event_id, status, message in [
        ("abc", "abc", 404, "No such endpoint"),  # only digits match the event route (as in aw-server-rust)
        ("1.5", "1.5", 404, "No such endpoint"),
        ("0", "0", 400, "event id must be between 1 and"),
        ("-1", "-1", 404, "No such endpoint"),
        ("2**63", "9223372036854775808", 400, "event id must be between 1 and"),
        ("20 digits", "99999999999999999999", 400, "event id must be between 1 and"),
        ("1e3", "1e3", 404, "No such endpoint"),
        ("1_0", "1_0", 404, "No such endpoint"),
        ("arabic-indic digit", "%D9%A1", 404, "No such endpoint"),
        ("0x1", "0x1", 404, "No such endpoint"),
    ]:
        for method in ("GET", "DELETE"):
            yield Case(f"{method.lower()} event | event id {what}", method, f"/api/0/buckets/b1/events/{event_id}",
                       status, message)  # fmt: skip
    yield Case("get event | unknown event", "GET", "/api/0/buckets/b1/events/999999", 404, "no event")
    yield Case("get event | event of another bucket", "GET", f"/api/0/buckets/b1/events/{B2_EVENT}", 404, "no event")
    for method, body in (("GET", None), ("POST", b"1"), ("DELETE", None)):
        for what, key, match in [
            ("128-char key", "k" * 128, "at most 127"),
            ("1000-char key", "k" * 1000, "at most 127"),
            ("key with %01", "a%01b", "control characters"),
            ("key with DEL", "a%7Fb", "control characters"),
            ("key with newline", "a%0Ab", "control characters"),
        ]:
            yield Case(f"{method.lower()} setting | {what}", method, f"/api/0/settings/{key}", 400, match, body)


def query_cases() -> Iterator[Case]:
    """Bad query parameters."""
    bad_times = [
        ("unparsable", "abc", "RFC 3339"),
        ("month 13", "2024-13-01", "not a valid date"),
        ("year 0001", "0001-01-01T00:00:00Z", "outside the supported range"),
        ("year 9999", "9999-12-31T00:00:00Z", "outside the supported range"),
        ("1e30", "1e30", "RFC 3339"),
        ("offset +99:00", "2024-01-01T00:00:00%2B99:00", "offset out of range"),
        ("invalid UTF-8", "%FF", "RFC 3339"),
        ("200 chars", "2" * 200, "RFC 3339"),
    ]
    for path in ("/api/0/buckets/b1/events", "/api/0/buckets/b1/events/count"):
        label = "count events" if path.endswith("count") else "get events"
        for param in ("start", "end"):
            for what, value, match in bad_times:
                yield Case(f"{label} | {param} {what}", "GET", f"{path}?{param}={value}", 400, match)
    for what, value, match in [
        ("abc", "abc", "'limit' must be an integer"),
        ("-5", "-5", "'limit' must be between"),
        ("1e3", "1e3", "'limit' must be an integer"),
        ("1.5", "1.5", "'limit' must be an integer"),
        ("2**64", "18446744073709551616", "'limit' must be between"),
        ("1_000", "1_000", "'limit' must be an integer"),
        ("NUL", "%00", "'limit' must be an integer"),
    ]:
        yield Case(f"get events | limit {what}", "GET", f"/api/0/buckets/b1/events?limit={value}", 400, match)
    for what, query in [
        ("missing", ""),
        ("empty", "?pulsetime="),
        ("abc", "?pulsetime=abc"),
        ("-1", "?pulsetime=-1"),
        ("nan", "?pulsetime=nan"),
        ("inf", "?pulsetime=inf"),
        ("-inf", "?pulsetime=-inf"),
        ("1e10", "?pulsetime=1e10"),
        ("1_0", "?pulsetime=1_0"),
    ]:
        yield Case(
            f"heartbeat | pulsetime {what}", "POST", f"/api/0/buckets/b1/heartbeat{query}", 400, "pulsetime", EV_OK
        )


QUERY_PERIOD = b'"2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"'


def query_body(query: bytes, periods: bytes = b"[" + QUERY_PERIOD + b"]") -> bytes:
    return b'{"query":' + query + b',"timeperiods":' + periods + b"}"


def query_endpoint_cases() -> Iterator[Case]:
    """POST /api/0/query/: malformed documents, bad programs and periods, hostile sizes."""
    path = "/api/0/query/"
    ok = query_body(b'["RETURN = 1;"]')
    rows: list[tuple[str, int, str, Content]] = [
        ("empty body", 400, "empty", b""),
        ("truncated JSON", 400, "not valid JSON", b'{"query": '),
        ("NaN document", 400, "not valid JSON", b"NaN"),
        ("body nested 50000 deep", 400, "not valid JSON", nested(50_000, "array")),
        ("duplicate query key", 422, "duplicate", b'{"query":["RETURN = 1;"],"query":["x"],"timeperiods":[]}'),
        ("body is an array", 400, "query", b"[]"),
        ("query missing", 400, "query", b'{"timeperiods":[]}'),
        ("query is a number", 400, "query", query_body(b"5")),
        ("query has a number line", 400, "query", query_body(b'["RETURN = 1;", 5]')),
        ("timeperiods missing", 400, "timeperiods", b'{"query":["RETURN = 1;"]}'),
        ("timeperiods a string", 400, "timeperiods", query_body(b'["RETURN = 1;"]', QUERY_PERIOD)),
        ("timeperiod without slash", 400, "timeperiod", query_body(b'["RETURN = 1;"]', b'["2024-05-01T00:00:00Z"]')),
        ("timeperiod two slashes", 400, "timeperiod", query_body(b'["RETURN = 1;"]', b'["a/b/c"]')),
        (
            "timeperiod reversed",
            400,
            "before",
            query_body(b'["RETURN = 1;"]', b'["2024-05-02T00:00:00Z/2024-05-01T00:00:00Z"]'),
        ),
        (
            "timeperiod year 9999",
            400,
            "supported range",
            query_body(b'["RETURN = 1;"]', b'["9999-01-01T00:00:00Z/9999-01-02T00:00:00Z"]'),
        ),
        ("timeperiod a number", 400, "timeperiod", query_body(b'["RETURN = 1;"]', b"[5]")),
        (
            "5000 timeperiods",
            400,
            "at most",
            query_body(b'["RETURN = 1;"]', b"[" + b",".join([QUERY_PERIOD] * 5000) + b"]"),
        ),
        ("syntax error", 400, "line 1, column", query_body(b'["RETURN = = 1;"]')),
        ("no RETURN", 400, "RETURN", query_body(b'["x = 1;"]')),
        ("unknown bucket", 400, "'no-such-bucket'", query_body(rb'["RETURN = query_bucket(\"no-such-bucket\");"]')),
        ("unknown function", 400, "rm_rf", query_body(b'["RETURN = rm_rf();"]')),
        ("bad regex", 400, "regular expression", query_body(rb'["RETURN = filter_keyvals_regex([], \"a\", \"[\");"]')),
        (
            "nested 50000 deep",
            400,
            "nested",
            query_body(b'["RETURN = ' + b"(" * 50_000 + b"1" + b")" * 50_000 + b';"]'),
        ),
        ("5000-digit integer", 400, "too large", query_body(b'["RETURN = ' + b"9" * 5000 + b';"]')),
        ("list doubled 40 times", 400, "steps", query_body(b'["x = [1];' + b"x = x + x;" * 40 + b'RETURN = x;"]')),
        ("2 MB program", 400, "longer than", query_body(b'["RETURN = 1;' + b" " * 2_000_000 + b'"]')),
    ]
    for what, status, match, content in rows:
        yield Case(f"query | {what}", "POST", path, status, match, content)
    yield Case(
        "query | Content-Type text/plain", "POST", path, 415, "application/json", ok, (("Content-Type", "text/plain"),)
    )
    big = streamed(b'{"query":["RETURN = 1;"],"timeperiods":[],"x":%s}', 30 * MIB)
    yield Case("query | 30 MiB chunked", "POST", path, 413, "16 MiB", big)


def forget_cases() -> Iterator[Case]:
    """POST /api/0/forget: nothing is deleted by a bad request."""
    path = "/api/0/forget"
    day = b'"start":"2024-05-01T00:00:00Z","end":"2024-05-02T00:00:00Z"'
    rows: list[tuple[str, int, str, Content]] = [
        ("empty body", 400, "empty", b""),
        ("truncated JSON", 400, "not valid JSON", b'{"start": '),
        ("body nested 50000 deep", 400, "not valid JSON", nested(50_000, "object")),
        ("body is an array", 422, "body must be", b"[]"),
        ("start missing", 422, "start", b'{"end":"2024-05-02T00:00:00Z"}'),
        ("end missing", 422, "end", b'{"start":"2024-05-02T00:00:00Z"}'),
        ("start unparsable", 422, "RFC 3339", b'{"start":"yesterday","end":"2024-05-02T00:00:00Z"}'),
        ("start a number", 422, "RFC 3339", b'{"start":1714521600,"end":"2024-05-02T00:00:00Z"}'),
        ("end before start", 422, "after its start", b'{"start":"2024-05-02T00:00:00Z","end":"2024-05-01T00:00:00Z"}'),
        ("empty range", 422, "after its start", b'{"start":"2024-05-02T00:00:00Z","end":"2024-05-02T00:00:00Z"}'),
        ("year 9999", 422, "supported range", b'{"start":"9999-01-01T00:00:00Z","end":"9999-01-02T00:00:00Z"}'),
        ("buckets a string", 422, "list", b"{" + day + b',"buckets":"b1"}'),
        ("buckets with a number", 422, "bucket id", b"{" + day + b',"buckets":[5]}'),
        ("unknown bucket", 404, "nope", b"{" + day + b',"buckets":["b1","nope"]}'),
        ("unknown field", 422, "Unknown fields", b"{" + day + b',"everything":true}'),
        (
            "duplicate start",
            422,
            "duplicate",
            b'{"start":"2024-05-01T00:00:00Z","start":"2023-01-01T00:00:00Z","end":"2024-05-02T00:00:00Z"}',
        ),
    ]
    for what, status, match, content in rows:
        yield Case(f"forget | {what}", "POST", path, status, match, content)
    body = b"{" + day + b"}"
    yield Case(
        "forget | Content-Type text/plain",
        "POST",
        path,
        415,
        "application/json",
        body,
        (("Content-Type", "text/plain"),),
    )
    big = streamed(b'{"start":"2024-05-01T00:00:00Z","end":"2024-05-02T00:00:00Z","x":%s}', 30 * MIB)
    yield Case("forget | 30 MiB chunked", "POST", path, 413, "16 MiB", big)


def preview_cases() -> Iterator[Case]:
    """POST /api/0/privacy/preview: bad rules and ranges are refused; nothing is changed."""
    path = "/api/0/privacy/preview"
    rule = b'{"field":"title","pattern":"x","action":"drop"}'
    rows: list[tuple[str, int, str, Content]] = [
        ("empty body", 400, "empty", b""),
        ("truncated JSON", 400, "not valid JSON", b'{"filters": '),
        ("body is an array", 422, "body must be", b"[]"),
        ("filters missing", 422, "filters", b"{}"),
        ("filters an object", 422, "list of rules", b'{"filters":{}}'),
        ("rule without field", 422, "field", b'{"filters":[{"pattern":"x"}]}'),
        ("rule with a bad regex", 422, "pattern", b'{"filters":[{"field":"title","pattern":"("}]}'),
        ("rule with a bad action", 422, "action", b'{"filters":[{"field":"title","pattern":"x","action":"burn"}]}'),
        ("start unparsable", 422, "RFC 3339", b'{"filters":[' + rule + b'],"start":"yesterday"}'),
        (
            "end before start",
            422,
            "after its start",
            b'{"filters":[],"start":"2024-05-02T00:00:00Z","end":"2024-05-01T00:00:00Z"}',
        ),
        ("unknown field", 422, "Unknown fields", b'{"filters":[],"apply":true}'),
        ("501 rules", 422, "at most 500", b'{"filters":[' + b",".join([rule] * 501) + b"]}"),
    ]
    for what, status, match, content in rows:
        yield Case(f"preview | {what}", "POST", path, status, match, content)
    big = streamed(b'{"filters":[],"x":%s}', 30 * MIB)
    yield Case("preview | 30 MiB chunked", "POST", path, 413, "16 MiB", big)


def token_cases() -> Iterator[Case]:
    """POST/DELETE /api/0/tokens: bad names, scopes and bodies; no token is made or removed."""
    path = "/api/0/tokens"
    rows: list[tuple[str, int, str, Content]] = [
        ("empty body", 400, "empty", b""),
        ("body is a string", 422, "body must be", b'"admin"'),
        ("name missing", 422, "'name' is required", b'{"scope":"read"}'),
        ("scope missing", 422, "'scope' is required", b'{"name":"n"}'),
        ("scope unknown", 422, "read, append or admin", b'{"name":"n","scope":"root"}'),
        ("name with spaces", 422, "token name", b'{"name":"my token","scope":"read"}'),
        ("name of 65 chars", 422, "token name", b'{"name":"' + b"n" * 65 + b'","scope":"read"}'),
        ("buckets a list", 422, "prefix", b'{"name":"n","scope":"append","buckets":["a"]}'),
        ("buckets 1001 chars", 422, "too long", b'{"name":"n","scope":"append","buckets":"' + b"b" * 1001 + b'"}'),
        ("unknown field", 422, "Unknown fields", b'{"name":"n","scope":"read","token":"aw_chosen"}'),
    ]
    for what, status, match, content in rows:
        yield Case(f"tokens | {what}", "POST", path, status, match, content)
    evil = (("Host", "evil.com"),)
    yield Case("tokens | list | Host evil.com", "GET", path, 400, "Host header is invalid", headers=evil)
    yield Case("tokens | revoke unknown", "DELETE", f"{path}/nobody", 404, "no token named 'nobody'")
    yield Case("tokens | revoke bad name", "DELETE", f"{path}/a%20b", 400, "token name")


def report_cases() -> Iterator[Case]:
    """The working-hours reports: bad dates, pages, filters and time zones."""
    for kind in ("computers", "users"):
        path = f"/api/0/reports/workinghours/{kind}"
        for what, query, match in [
            ("no from", "?to=2024-05-01", "'from' is required"),
            ("no dates", "", "is required"),
            ("from empty", "?from=&to=2024-05-01", "empty"),
            ("from twice", "?from=2024-05-01&from=2024-05-02&to=2024-05-03", "given 2 times"),
            ("from not a date", "?from=yesterday&to=2024-05-01", "YYYY-MM-DD"),
            ("from 31 April", "?from=2024-04-31&to=2024-05-01", "not a valid date"),
            ("year 1", "?from=0001-01-01&to=0001-01-01", "between 1678-01-02 and 2262-04-10"),
            ("year 9999", "?from=9999-01-01&to=9999-01-01", "between"),
            ("to before from", "?from=2024-05-02&to=2024-05-01", "before 'from'"),
            ("two years", "?from=2022-01-01&to=2024-01-01", "at most 366"),
            ("pageSize 0", "?from=2024-05-01&to=2024-05-01&pageSize=0", "pageSize"),
            ("pageSize 1001", "?from=2024-05-01&to=2024-05-01&pageSize=1001", "pageSize"),
            ("page -1", "?from=2024-05-01&to=2024-05-01&page=-1", "page"),
            ("page abc", "?from=2024-05-01&to=2024-05-01&page=abc", "integer"),
            ("host and user", "?from=2024-05-01&to=2024-05-01&host=a&user=b", "at most one"),
            ("userId and computerId", "?from=2024-05-01&to=2024-05-01&userId=1&computerId=1", "at most one"),
            ("computerId and host", "?from=2024-05-01&to=2024-05-01&computerId=1&host=a", "at most one"),
            ("groupId", "?from=2024-05-01&to=2024-05-01&groupId=1", "There are no groups"),
            ("userId -2", "?from=2024-05-01&to=2024-05-01&userId=-2", "'userId' must be between -1"),
            ("userId abc", "?from=2024-05-01&to=2024-05-01&userId=abc", "'userId' must be an integer"),
            ("computerId 0", "?from=2024-05-01&to=2024-05-01&computerId=0", "'computerId' must be between 1"),
            ("computerId 2**63", "?from=2024-05-01&to=2024-05-01&computerId=9223372036854775808", "between"),
            ("computerId empty", "?from=2024-05-01&to=2024-05-01&computerId=", "empty"),
            ("unknown tz", "?from=2024-05-01&to=2024-05-01&tz=Nowhere/Land", "time zone"),
            ("tz path", "?from=2024-05-01&to=2024-05-01&tz=../../etc/passwd", "time zone"),
        ]:
            yield Case(f"report {kind} | {what}", "GET", path + query, 400, match)
    path = "/api/0/reports/activitylog"
    for what, query, match in [
        ("endDate before today", "?endDate=2000-01-01", "before 'startDate'"),
        ("endDate not a date", "?startDate=2024-05-01&endDate=tomorrow", "YYYY-MM-DD"),
        ("startDate twice", "?startDate=2024-05-01&startDate=2024-05-02", "given 2 times"),
        ("groupId", "?groupId=1", "There are no groups"),
        ("groupId with a cursor", "?cursor=a&groupId=x", "There are no groups"),
        ("userId and computerId", "?userId=1&computerId=2", "at most one"),
        ("user and host", "?user=a&host=b", "at most one"),
        ("userId 1.5", "?userId=1.5", "'userId' must be an integer"),
        ("computerId -1", "?computerId=-1", "'computerId' must be between 1"),
        ("pageSize 0", "?pageSize=0", "pageSize"),
        ("cursor of version 2 with a bad position", "?cursor=eyJ2IjoyLCJzZXEiOjEsImFmdGVyIjpbMV19", "not one"),
        ("cursor with an unknown field", "?cursor=eyJ2IjoyLCJzZXEiOjEsIngiOjF9", "not one this server gave out"),
        ("bad cursor", "?cursor=%FF%FE", "not one this server gave out"),
        ("cursor of another kind", "?cursor=eyJ2IjogMSwgInNlcSI6ICJ4In0", "not one this server gave out"),
        ("cursor twice", "?cursor=a&cursor=b", "given 2 times"),
        ("pageSize 5000", "?cursor=a&pageSize=5000", "pageSize"),
        ("minDuration nan", "?startDate=2024-05-01&endDate=2024-05-01&minDuration=nan", "minDuration"),
        ("maxDuration 1e99", "?startDate=2024-05-01&endDate=2024-05-01&maxDuration=1e99", "maxDuration"),
        ("endDate before startDate", "?startDate=2024-05-02&endDate=2024-05-01", "before 'startDate'"),
        ("startDate year 1", "?startDate=0001-01-01&endDate=0001-01-02", "between"),
    ]:
        yield Case(f"activity log | {what}", "GET", path + query, 400, match)
    for kind in ("computers", "users"):  # the ids: no parameters, so only the wrong method and a bad Host
        path = f"/api/0/reports/{kind}"
        yield Case(f"report ids {kind} | POST", "POST", path, 405, "not allowed", b"{}")
        yield Case(f"report ids {kind} | Host evil.com", "GET", path, 400, "Host header", headers=(("Host", "e"),))


def route_cases() -> Iterator[Case]:
    """Wrong methods, unknown routes, conflicts and a bad Host."""
    paths = [
        "/api/0/info",
        "/api/0/log",
        "/api/0/sync/devices",
        "/api/0/buckets/",
        "/api/0/buckets",
        "/api/0/buckets/b1",
        "/api/0/buckets/b1/events",
        "/api/0/buckets/b1/events/count",
        "/api/0/buckets/b1/events/1",
        "/api/0/buckets/b1/heartbeat?pulsetime=1",
        "/api/0/buckets/b1/export",
        "/api/0/export",
        "/api/0/import",
        "/api/0/settings",
        "/api/0/settings/theme",
    ]
    for path in paths:
        yield Case(f"PATCH {path}", "PATCH", path, 405, "not allowed", b"{}")
    for method, path in [
        ("POST", "/api/0/info"),
        ("DELETE", "/api/0/log"),
        ("POST", "/api/0/sync/devices"),
        ("POST", "/api/0/buckets/"),
        ("DELETE", "/api/0/buckets"),
        ("PUT", "/api/0/buckets/b1/events"),
        ("DELETE", "/api/0/buckets/b1/events"),
        ("POST", "/api/0/buckets/b1/events/count"),
        ("PUT", "/api/0/buckets/b1/events/1"),
        ("GET", "/api/0/buckets/b1/heartbeat"),
        ("POST", "/api/0/buckets/b1/export"),
        ("DELETE", "/api/0/export"),
        ("GET", "/api/0/import"),
        ("PUT", "/api/0/settings/theme"),
        ("DELETE", "/api/0/settings"),
    ]:
        yield Case(f"{method} {path}", method, path, 405, "not allowed", b"{}")
    for path in [
        "/api/0/nope",
        "/api/1/info",
        "/api/0/buckets/b1/nope",
        "/api/0/buckets/b1/events/1/nope",
        "/api/0/buckets/b1/events/count/x",
        "/api/0/settings/a/b",
        "/api/static/nope.js",
        "/nope",
    ]:
        yield Case(f"GET {path}", "GET", path, 404, "No such endpoint")
    yield Case("POST /api/0/nope", "POST", "/api/0/nope", 404, "No such endpoint", b"{}")
    yield Case("post events | Host evil.com", "POST", "/api/0/buckets/b1/events", 400, "Host header is invalid",
               EV_OK, (*JSON, ("Host", "evil.com")))  # fmt: skip
    for path in (
        "/api/0/info",
        "/api/0/log",
        "/api/0/sync/devices",
        "/api/0/buckets/",
        "/api/0/export",
        "/api/0/settings",
    ):
        yield Case(f"GET {path} | Host 127.0.0.1.evil.com", "GET", path, 400, "Host header is invalid",
                   headers=(("Host", "127.0.0.1.evil.com"),))  # fmt: skip


CASES = [
    *body_cases(),
    *event_cases(),
    *bucket_cases(),
    *import_cases(),
    *path_cases(),
    *query_cases(),
    *query_endpoint_cases(),
    *forget_cases(),
    *preview_cases(),
    *token_cases(),
    *report_cases(),
    *route_cases(),
]
CASE_BY_NAME = {c.name: c for c in CASES}
assert len(CASE_BY_NAME) == len(CASES), sorted(n for n in CASE_BY_NAME if [c.name for c in CASES].count(n) > 1)


# ---------------------------------------------------------------------------------------------- sending


@dataclass
class Reply:
    """What came back."""

    status: int
    content_type: str
    body: bytes


def send_raw(port: int, case: Case) -> Reply:
    """Send the request line and headers exactly as given (plus `Connection: close`) and the body, if any."""
    body = case.body()
    assert body is None or isinstance(body, bytes)
    head = f"{case.method} {case.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in case.headers)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head.encode("latin-1") + b"Connection: close\r\n\r\n" + (body or b""))
        response = http.client.HTTPResponse(sock, method=case.method)
        try:
            response.begin()
            return Reply(response.status, response.getheader("content-type", ""), response.read())
        finally:
            response.close()


def send(client: httpx.Client, port: int, case: Case) -> Reply:
    """Send one case."""
    if case.raw:
        return send_raw(port, case)
    r = client.request(case.method, case.path, content=case.body(), headers=dict(case.headers))
    return Reply(r.status_code, r.headers.get("content-type", ""), r.content)


def error_problems(case: Case, reply: Reply) -> list[str]:
    """Ways in which `reply` is not the error `case` must get."""
    problems = []
    if reply.status != case.status:
        problems.append(f"status {reply.status}, expected {case.status}")
    if reply.content_type.split(";")[0].strip() != "application/json":
        problems.append(f"Content-Type {reply.content_type!r}, expected application/json")
    try:
        error = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return [*problems, f"body is not JSON: {reply.body[:300]!r}"]
    if not isinstance(error, dict) or set(error) != {"message", "type"}:
        return [*problems, f"body is not {{message, type}}: {reply.body[:300]!r}"]
    message, kind = error["message"], error["type"]
    if not isinstance(kind, str) or not kind:
        problems.append(f"type {kind!r} is not a non-empty string")
    if not isinstance(message, str) or not message.strip():
        return [*problems, f"message {message!r} is not a non-empty string"]
    if not re.search(case.match, message, re.IGNORECASE):
        problems.append(f"message {message[:300]!r} does not match {case.match!r}")
    if len(message) > 2000:
        problems.append(f"message is {len(message)} characters long (the input echoed back?)")
    if "Traceback" in message:
        problems.append("message holds a traceback")
    return problems


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Records at ERROR or above: the server logs every unhandled exception (a 500) that way."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


class SeededServer:
    """A live server over a seeded store, shared by the table; replaced when a row changed data or broke it."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.start()

    def start(self) -> None:
        self.server, self.store, _ = start_server(self.factory.mktemp("seeded"))
        seed(self.store)
        self.client = httpx.Client(base_url=self.server.url, timeout=120)

    def stop(self) -> None:
        self.client.close()
        self.server.stop()
        self.store.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        """Whether the server still serves a plain request."""
        try:
            return self.client.get("/api/0/info").status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededServer]:
    env = SeededServer(tmp_path_factory)
    try:
        yield env
    finally:
        env.stop()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    seeded: SeededServer, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    before = snapshot(seeded.store)
    reply = send(seeded.client, seeded.server.port, case)
    changed = snapshot(seeded.store) != before
    alive = seeded.answers()
    problems = error_problems(case, reply)
    if changed:
        problems.append("stored data changed")
    if not alive:
        problems.append("the server stopped answering GET /api/0/info")
    problems += [f"server logged an error: {e}" for e in server_errors(caplog)]
    if changed or not alive:
        seeded.restart()
    assert not problems, f"{case.method} {case.path[:100]} -> {reply.status} {reply.body[:300]!r}:\n" + "\n".join(
        problems
    )


def test_the_table_covers_every_endpoint(tmp_path: Path) -> None:
    """Every route of the route table has rows (keeps the table honest when routes are added)."""
    from activitywatch.server.app import api_operations
    from activitywatch.server.options import ServerOptions

    with Store(tmp_path / "routes.db") as store:
        operations = api_operations(store, ServerOptions(hostname="h", device_id="d", version="v"))
    covered = {(c.method, _route_of(c.path)) for c in CASES}
    missing = [f"{op.method} {op.path}" for op in operations if (op.method, op.path) not in covered]
    assert not missing


def _route_of(path: str) -> str:
    """The route-table path a request path targets (`/api/0/buckets/b1/events/1` -> `.../{event_id}`)."""
    path = path.split("?", 1)[0]
    patterns = [
        (r"/api/0/buckets/[^/]+/events/count", "/api/0/buckets/{bucket_id}/events/count"),
        (r"/api/0/buckets/[^/]+/events/[^/]+", "/api/0/buckets/{bucket_id}/events/{event_id}"),
        (r"/api/0/buckets/[^/]+/events", "/api/0/buckets/{bucket_id}/events"),
        (r"/api/0/buckets/[^/]+/heartbeat", "/api/0/buckets/{bucket_id}/heartbeat"),
        (r"/api/0/buckets/[^/]+/export", "/api/0/buckets/{bucket_id}/export"),
        (r"/api/0/buckets/", "/api/0/buckets/"),
        (r"/api/0/buckets/[^/]+", "/api/0/buckets/{bucket_id}"),
        (r"/api/0/settings/[^/]+", "/api/0/settings/{key}"),
        (r"/api/0/tokens/[^/]+", "/api/0/tokens/{name}"),
    ]
    for pattern, route in patterns:
        if re.fullmatch(pattern, path):
            return route
    return path


# ---------------------------------------------------------------------------------------------- what must work


def test_nul_characters_are_stored_and_returned_intact(http: httpx.Client, live_server: LiveServer) -> None:
    nul = "a\x00b"
    bucket = {"client": "c\x00", "type": "t\x00", "hostname": "h\x00", "name": nul, "data": {nul: nul}}
    r = http.post("/api/0/buckets/nul", content=orjson.dumps(bucket), headers=dict(JSON))
    assert r.status_code == 200, r.text
    got = http.get("/api/0/buckets/nul").json()
    assert {k: got[k] for k in bucket} == bucket
    event = {"timestamp": T, "duration": 1.0, "data": {nul: nul, "only": "\x00", "list": ["\x00\x00"]}}
    r = http.post("/api/0/buckets/nul/events", content=orjson.dumps([event]), headers=dict(JSON))
    assert r.status_code == 200, r.text
    [stored] = r.json()
    assert stored["data"] == event["data"]
    assert http.get(f"/api/0/buckets/nul/events/{stored['id']}").json()["data"] == event["data"]
    assert [e["data"] for e in http.get("/api/0/buckets/nul/events").json()] == [event["data"]]
    assert [e.data for e in live_server.store.get_events("nul")] == [event["data"]]
    beat = {"timestamp": "2024-05-02T00:00:00Z", "data": {"title": "x\x00y"}}
    r = http.post("/api/0/buckets/nul/heartbeat?pulsetime=5", content=orjson.dumps(beat), headers=dict(JSON))
    assert r.status_code == 200 and r.json()["data"] == beat["data"]
    for key, value in (("nul-string", "\x00"), ("nul-object", {"\x00": ["a\x00"]})):
        r = http.post(f"/api/0/settings/{key}", content=orjson.dumps(value), headers=dict(JSON))
        assert r.status_code == 201
        assert http.get(f"/api/0/settings/{key}").json() == value
    assert live_server.store.get_settings()["nul-object"] == {"\x00": ["a\x00"]}
    # Export and import keep them too.
    doc = http.get("/api/0/buckets/nul/export").json()
    assert doc["buckets"]["nul"]["name"] == nul
    doc["buckets"]["nul2"] = {**doc["buckets"].pop("nul"), "id": "nul2"}
    assert http.post("/api/0/import", content=orjson.dumps(doc), headers=dict(JSON)).status_code == 200
    assert {nul: nul, "only": "\x00", "list": ["\x00\x00"]} in [
        e["data"] for e in http.get("/api/0/buckets/nul2/events").json()
    ]
    assert http.get("/api/0/buckets/nul2").json()["client"] == "c\x00"


def test_inputs_at_the_limits_are_accepted(http: httpx.Client) -> None:
    """The edges of every limit the table probes from outside."""
    long_id = "b" * 255
    assert http.post(f"/api/0/buckets/{long_id}", content=BUCKET_OK, headers=dict(JSON)).status_code == 200
    assert http.get(f"/api/0/buckets/{long_id}").json()["id"] == long_id
    long_key = "k" * 127
    assert http.post(f"/api/0/settings/{long_key}", content=b"[1]", headers=dict(JSON)).status_code == 201
    assert http.get(f"/api/0/settings/{long_key}").json() == [1]
    deep: dict[str, object] = {"leaf": True}
    for _ in range(62):
        deep = {"a": deep}
    # `data` below is 64 levels deep
    edges = {"deep": deep, "u64": 2**64 - 1, "i64": -(2**63), "tiny": 5e-324, "big": 1.7976931348623157e308}
    events = [
        {"timestamp": "1677-09-21T00:12:43.145224192Z", "duration": 0, "data": {}},
        {"timestamp": "2262-04-11T23:47:16.854775807Z", "duration": 0, "data": {}},
        {"timestamp": T, "duration": 1e9, "data": edges},
    ]
    r = http.post(f"/api/0/buckets/{long_id}/events", content=orjson.dumps(events), headers=dict(JSON))
    assert r.status_code == 200, r.text
    assert [e["timestamp"] for e in r.json()] == [e["timestamp"] for e in events]
    [stored] = [e for e in http.get(f"/api/0/buckets/{long_id}/events").json() if e["data"]]
    assert stored["data"] == edges
    assert isinstance(stored["data"]["u64"], int) and isinstance(stored["data"]["i64"], int)
    pulse = http.post(f"/api/0/buckets/{long_id}/heartbeat?pulsetime=1e9", content=EV_OK, headers=dict(JSON))
    assert pulse.status_code == 200
    assert http.get(f"/api/0/buckets/{long_id}/events", params={"limit": "-1"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/0/info", {"GET"}),
        ("/api/0/buckets/b1", {"GET", "POST", "PUT", "DELETE"}),
        ("/api/0/buckets/b1/events", {"GET", "POST"}),
        ("/api/0/buckets/b1/events/1", {"GET", "DELETE"}),
        ("/api/0/import", {"POST"}),
        ("/api/0/settings/theme", {"GET", "POST", "DELETE"}),
    ],
)
def test_405_names_the_allowed_methods(http: httpx.Client, path: str, allowed: set[str]) -> None:
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header listing the supported methods."""
    r = http.request("PATCH", path)
    assert r.status_code == 405
    listed = {m.strip().upper() for m in r.headers.get("allow", "").split(",") if m.strip()}
    assert allowed <= listed <= allowed | {"HEAD", "OPTIONS"}, r.headers


# ---------------------------------------------------------------------------------------------- hostile clients


def in_flight(server: ApiServer) -> int:
    """Requests the server is handling right now (uvicorn's own count; nothing public exposes it)."""
    return len(server._server.server_state.tasks)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Poll `condition` until it holds."""
    ticks = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        ticks.wait(0.005)
    raise AssertionError(f"timed out waiting until {what}")


def test_a_client_leaving_mid_upload_is_not_a_server_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A client that disconnects before sending its whole body: nothing stored, nothing logged as a bug."""
    server, store, _ = start_server(tmp_path)
    try:
        seed(store)
        before = snapshot(store)
        partial = [
            (b"POST /api/0/buckets/b1/events", b"Content-Type: application/json\r\nContent-Length: 1000", b'[{"times'),
            (b"POST /api/0/settings/x", b"Content-Type: application/json\r\nTransfer-Encoding: chunked", b"5\r\n[1,2,"),
            (b"POST /api/0/import", MULTIPART[0][0].encode() + b": " + MULTIPART[0][1].encode()
             + b"\r\nContent-Length: 100000", upload_parts()[0] + b'{"buckets":'),
        ]  # fmt: skip
        for request_line, headers, body in partial:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(request_line + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n\r\n" + body)
                wait_for(lambda: in_flight(server) == 1, "the server reads the body")
            wait_for(lambda: in_flight(server) == 0, "the server has given up on the request")
        assert snapshot(store) == before
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/api/0/info").status_code == 200
        assert not server_errors(caplog)
    finally:
        server.stop()
        store.close()


HOSTILE = [
    "post events | body nested 50000 deep (array)",
    "import json | body nested 50000 deep (object)",
    "heartbeat | data nested 65 levels",
    "post events | 17 MiB chunked",
    "set setting | 30 MiB with Content-Length",
    "import upload | declares 257 MiB, sends nothing",
    "post events | lone high surrogate escape",
    "create bucket | truncated JSON",
    "import upload | garbage",
    "import upload | second file has a bad event",
    "import json | timestamp unparsable in the middle",
    "post events | Host evil.com",
    "get events | start unparsable",
    "heartbeat | pulsetime nan",
    "delete bucket | 256-char id",
    "get event | event id 2**63",
    "PATCH /api/0/buckets/b1",
]
GARBAGE = [
    b"GET /api/0/info HTTP/1.1\r\nHo",  # and then silence
    b"BREW /api/0/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)),  # a TLS ClientHello
    b"POST /api/0/settings/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n1",
    b"GET /api/0/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
]


def test_concurrent_hostile_requests_do_not_break_later_valid_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, store, _ = start_server(tmp_path)
    failures: list[str] = []
    try:
        seed(store)
        before = snapshot(store)
        with httpx.Client(base_url=server.url) as client:
            events = client.get("/api/0/buckets/b1/events").json()
        start = threading.Barrier(5)

        def attacker(n: int) -> None:
            cases = [CASE_BY_NAME[name] for name in HOSTILE] * 3
            random.Random(n).shuffle(cases)
            with httpx.Client(base_url=server.url, timeout=120) as client:
                start.wait()
                for case in cases:
                    reply = send(client, server.port, case)
                    if reply.status != case.status:
                        failures.append(f"{case.name}: {reply.status} {reply.body[:200]!r}")

        def vandal() -> None:
            start.wait()
            for i in range(40):
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                    sock.sendall(GARBAGE[i % len(GARBAGE)])

        def reader() -> None:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                start.wait()
                for _ in range(60):
                    r = client.get("/api/0/buckets/b1/events")
                    if r.status_code != 200 or r.json() != events:
                        failures.append(f"valid read during the attack: {r.status_code} {r.text[:200]}")

        def guarded(fn: Callable[..., None], *args: object) -> Callable[[], None]:
            def run() -> None:
                try:
                    fn(*args)
                except Exception as exc:  # recorded and asserted below, with the others
                    failures.append(f"{fn.__name__}: {exc!r}")

            return run

        threads = [threading.Thread(target=guarded(attacker, n)) for n in range(3)]
        threads += [threading.Thread(target=guarded(vandal)), threading.Thread(target=guarded(reader))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
        assert not failures
        assert snapshot(store) == before
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/api/0/info").status_code == 200
            r = client.post("/api/0/buckets/b1/heartbeat?pulsetime=5", content=EV_OK, headers=dict(JSON))
            assert r.status_code == 200
            assert client.get("/api/0/buckets/b1/events/count").json() == len(events) + 1
            assert client.get("/api/0/settings").json() == SETTINGS
        assert not server_errors(caplog)
    finally:
        server.stop()
        store.close()
