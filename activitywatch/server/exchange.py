"""Export (streamed, as a download) and import (JSON or multipart upload) endpoints."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message

from activitywatch.core.errors import InvalidInput
from activitywatch.core.models import Bucket, Event
from activitywatch.core.wire import import_from_wire
from activitywatch.importers import Source, SourceError, open_source
from activitywatch.importers.csvfile import looks_like_csv
from activitywatch.importers.detect import SNIFF_BYTES
from activitywatch.importers.sqlitefile import SQLITE_HEADER
from activitywatch.server.api import P_BUCKET, bucket_id_of
from activitywatch.server.dispatch import StoreCalls
from activitywatch.server.errors import ApiError, bad_request, unprocessable
from activitywatch.server.inputs import (
    is_json_type,
    media_type,
    parse_json,
    read_body,
    too_large,
)
from activitywatch.server.operations import Body, Operation, Reply
from activitywatch.server.options import ServerOptions
from activitywatch.server.responses import json_response
from activitywatch.server.schemas import ref
from activitywatch.store import ImportReport
from activitywatch.store.exchange import ExportStream

UPLOAD = {
    "type": "object",
    "properties": {"buckets.json": {"type": "string", "format": "binary"}},
}
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9._@+=-]+")
MAX_UPLOAD_FILES = 100


@contextlib.contextmanager
def _named(label: str, path: Path) -> Iterator[None]:
    """A 422 for an upload that cannot be imported, naming the upload rather than its temporary file."""
    try:
        yield
    except SourceError as exc:
        raise ApiError(422, exc.message.replace(str(path), label), "InvalidInput") from None


def attachment(filename: str) -> str:
    """A Content-Disposition value; names with unusual characters also get an RFC 5987 form."""
    if _PLAIN_FILENAME.fullmatch(filename):
        return f"attachment; filename={filename}"
    fallback = re.sub(r"[^A-Za-z0-9._@+=-]", "_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Exchange:
    """Export and import over one store."""

    def __init__(self, calls: StoreCalls, options: ServerOptions) -> None:
        self.calls = calls
        self.store = calls.store
        self.options = options

    async def _stream(self, bucket_ids: Sequence[str] | None, filename: str) -> Response:
        stream: ExportStream = await self.calls.slow(self.store.open_export, bucket_ids)

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in iterate_in_threadpool(iter(stream)):
                    yield chunk
            finally:
                stream.close()

        return StreamingResponse(
            body(), media_type="application/json", headers={"Content-Disposition": attachment(filename)}
        )

    async def export_all(self, request: Request) -> Response:
        """Every bucket with its events, as a download."""
        return await self._stream(None, "aw-buckets-export.json")

    async def export_bucket(self, request: Request) -> Response:
        """One bucket with its events, as a download."""
        bucket_id = bucket_id_of(request)
        return await self._stream([bucket_id], f"aw-bucket-export_{bucket_id}.json")

    async def _uploads(self, request: Request) -> list[tuple[str, bytes]]:
        """The raw documents of an import request, each with a label for messages."""
        limit = self.options.max_import_body
        kind = media_type(request)
        if is_json_type(kind):
            return [("Request body", await read_body(request, limit))]
        if kind != "multipart/form-data":
            raise ApiError(
                415,
                "Import takes application/json (an export document) or multipart/form-data (uploaded files)",
                "UnsupportedMediaType",
            )
        body = await read_body(request, limit)
        match = _BOUNDARY.search(request.headers.get("content-type", ""))
        if match is None:
            raise bad_request("The multipart Content-Type has no boundary")
        if b"--" + match.group(1).encode("latin-1") + b"--" not in body:
            raise bad_request("The multipart upload is incomplete: its closing boundary is missing")

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES)
        except ApiError:
            raise
        except Exception as exc:  # python-multipart and Starlette raise several kinds for bad forms
            raise bad_request(f"The multipart upload could not be read: {exc}") from None
        try:
            documents: list[tuple[str, bytes]] = []
            total = 0
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                else:
                    content = value.encode()
                total += len(content)
                if total > limit:
                    raise too_large(limit)
                documents.append((f"Uploaded field '{name}'", content))
        finally:
            await form.close()
        if not documents:
            raise bad_request("The upload holds no file; send the export file in any form field")
        return documents

    async def import_(self, request: Request) -> Response:
        """Import export documents; into an existing bucket, events are merged without duplicates."""
        uploads = await self._uploads(request)
        report = await self.calls.slow(self._import, uploads)
        return json_response(
            {
                "buckets_created": report.buckets_created,
                "buckets_merged": report.buckets_merged,
                "events_imported": report.events_imported,
                "events_skipped": report.events_skipped,
                "events_filtered": report.events_filtered,
            }
        )

    def _import(self, uploads: list[tuple[str, bytes]]) -> ImportReport:
        """Parse, check and store (in a worker thread: big files take a while), all in one transaction.

        An upload is an export document, an ActivityWatch database (aw-server-rust's or aw-server's) or
        a CSV table of events, recognised by its content; a database or table is written to a temporary
        file and read from there.
        """
        items: list[tuple[Bucket, list[Event]]] = []
        with tempfile.TemporaryDirectory(prefix="aw-upload-") as folder, contextlib.ExitStack() as stack:
            sources: list[tuple[str, Source]] = []
            for n, (label, content) in enumerate(uploads):
                if not content.startswith(SQLITE_HEADER) and looks_like_csv(content[:SNIFF_BYTES]) is None:
                    doc = parse_json(content, label)
                    try:
                        items.extend(import_from_wire(doc, self.store.now()))
                    except InvalidInput as exc:
                        raise unprocessable(exc) from None
                    continue
                path = Path(folder) / f"upload-{n}"
                path.write_bytes(content)
                with _named(label, path):
                    sources.append((label, stack.enter_context(open_source(path))))

            def streams() -> Iterator[tuple[Bucket, Iterable[Sequence[Event]]]]:
                yield from ((bucket, [events]) for bucket, events in items)
                for label, source in sources:
                    with _named(label, source.path):
                        yield from source.buckets()

            settings = {k: v for _, source in sources for k, v in source.settings.items()}
            return self.store.import_stream(streams(), settings)

    def operations(self) -> list[Operation]:
        """This module's part of the route table."""
        download = {"Content-Disposition": {"type": "string"}}
        return [
            Operation(
                "GET",
                "/api/0/export",
                self.export_all,
                "Export all buckets",
                "export",
                replies={200: Reply("Export document", ref("Export"), headers=download)},
                errors=(),
            ),
            Operation(
                "GET",
                "/api/0/buckets/{bucket_id}/export",
                self.export_bucket,
                "Export one bucket",
                "export",
                params=(P_BUCKET,),
                replies={200: Reply("Export document", ref("Export"), headers=download)},
                errors=(400, 404),
            ),
            Operation(
                "POST",
                "/api/0/import",
                self.import_,
                "Import buckets",
                "export",
                body=Body(
                    {"application/json": ref("Export"), "multipart/form-data": UPLOAD},
                    "An export document, as JSON or as uploaded file(s) in any field",
                ),
                replies={200: Reply("What was imported", ref("ImportResult"))},
                errors=(400, 413, 415, 422),
            ),
        ]
