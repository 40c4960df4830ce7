"""Forms that carry files, read from the request stream only once the user is known.

Endpoints marked with ``limits.takes_files`` declare no ``File()``/``Form()`` parameters (FastAPI would read
those before any dependency ran, so before authentication): they authenticate first, then call
:func:`read_form`. The form's fields are kept in memory within ``[service].max_input_bytes``; each file is
written straight to a private folder on disk as it arrives, never more than ``[media].max_file_bytes``,
and the folder is removed afterwards whatever happened. For a web form signed in by cookie, the CSRF
check reads only the fields before the first file (:meth:`FormStream.fields_before_files`), so no file
byte is written before that check has passed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote_plus

from anyio import to_thread
from fastapi import HTTPException, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header

from dossier.archive.names import check_name
from dossier.errors import DossierError
from dossier.service.limits import request_body
from dossier.service.params import NUL, nul_refused
from dossier.service.settings import ServiceSettings

_STATE = "form_stream"


@dataclass(frozen=True)
class ReceivedFile:
    field: str
    name: str
    """The name it was sent with (checked: a name, never a path)."""
    path: Path
    size: int


@dataclass
class ReceivedForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def files_of(self, name: str) -> list[ReceivedFile]:
        return [f for f in self.files if f.field == name]


class _Event(Enum):
    FIELD = "field"
    FILE = "file"
    DATA = "data"
    END = "end"


class FormStream:
    """One request's form, parsed as its body streams in; created once per request (:func:`form_stream`)."""

    def __init__(self, request: Request, settings: ServiceSettings) -> None:
        self._chunks = request.stream()
        self._max_field_bytes = settings.max_input_bytes
        self._max_file_bytes = settings.max_upload_bytes
        counter = request_body(request)
        self._max_files = counter.max_files if counter is not None else 0
        self._events: deque[tuple[_Event, str, str | bytes]] = deque()
        self._field_bytes = 0
        self.form = ReceivedForm()
        # The part being read: a field's name and bytes, or a file's record and open handle.
        self._field: tuple[str, bytearray] | None = None
        self._file: tuple[str, str, Path, BinaryIO] | None = None
        self._file_size = 0
        self._folder: Path | None = None
        self._file_fields: frozenset[str] = frozenset()
        self._headers: dict[bytes, bytes] = {}
        self._header = (b"", b"")
        self._query = (bytearray(), bytearray())
        self._parser = self._make_parser(request.headers.get("content-type", ""))
        # Anything but a form is not read at all: the fields are then missing, and the answer says so.
        self._ended = self._parser is None

    # -- what endpoints call

    async def fields_before_files(self) -> dict[str, list[str]]:
        """The fields sent before the first file, reading no further (no file byte is written)."""
        await self._run(stop_at_file=True)
        return self.form.fields

    async def read(self, folder: Path, file_fields: frozenset[str]) -> ReceivedForm:
        """The whole form, each file of ``file_fields`` written under ``folder``."""
        self._folder = folder
        self._file_fields = file_fields
        await self._run(stop_at_file=False)
        return self.form

    # -- parsing

    def _make_parser(self, content_type: str) -> MultipartParser | QuerystringParser | None:
        kind, options = parse_options_header(content_type)
        if kind == b"multipart/form-data":
            boundary = options.get(b"boundary")
            if not boundary:
                raise HTTPException(400, "multipart form without a boundary (表单格式错误)")
            return MultipartParser(
                boundary,
                {
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_data,
                    "on_part_end": self._on_end,
                },
            )
        if kind == b"application/x-www-form-urlencoded":
            return QuerystringParser(
                {
                    "on_field_start": self._on_query_start,
                    "on_field_name": self._on_query_name,
                    "on_field_data": self._on_query_data,
                    "on_field_end": self._on_query_end,
                }
            )
        return None

    async def _run(self, *, stop_at_file: bool) -> None:
        try:
            while True:
                while self._events:
                    if stop_at_file and self._events[0][0] is _Event.FILE:
                        return
                    await self._handle(*self._events.popleft())
                if self._ended:
                    return
                chunk = await anext(self._chunks, None)
                assert self._parser is not None
                if chunk is None:
                    self._parser.finalize()
                    self._ended = True
                elif chunk:
                    self._parser.write(chunk)
        except FormParserError as exc:
            raise HTTPException(400, f"malformed form data (表单格式错误): {exc}") from None
        finally:
            if self._ended or not stop_at_file:
                self._close_file()

    async def _handle(self, event: _Event, name: str, value: str | bytes) -> None:
        if event is _Event.FIELD:
            self._field = (name, bytearray())
        elif event is _Event.FILE:
            self._open_file(name, str(value))
        elif event is _Event.DATA:
            assert isinstance(value, bytes)
            if self._field is not None:
                self._count_field_bytes(len(value))
                self._field[1].extend(value)
            elif self._file is not None:
                self._file_size += len(value)
                if self._file_size > self._max_file_bytes:
                    raise HTTPException(
                        413,
                        f"file (文件) {self._file[1]!r}: larger than the {self._max_file_bytes:,}-byte "
                        "limit (超过上传大小限制)",
                    )
                await to_thread.run_sync(self._file[3].write, value)
        elif self._field is not None:
            key, data = self._field
            value = data.decode("utf-8", errors="replace")
            if NUL in key or NUL in value:
                raise nul_refused(f"{key.replace(NUL, '')} (表单字段)")
            self.form.fields.setdefault(key, []).append(value)
            self._field = None
        elif self._file is not None:
            key, sent, path, handle = self._file
            handle.close()
            self.form.files.append(ReceivedFile(key, sent, path, self._file_size))
            self._file = None

    def _open_file(self, key: str, sent: str) -> None:
        if not sent:
            # A file input left empty: browsers still send the part, with no name and no bytes (skipped).
            return
        if self._folder is None or key not in self._file_fields:
            raise HTTPException(422, f"unexpected file in field {key!r} (不接受此字段的文件)")
        if len(self.form.files) >= self._max_files:
            raise HTTPException(413, f"more than {self._max_files} files in one request (文件过多)")
        try:
            name = check_name(sent, ("file name", "文件名"), max_chars=200)
        except DossierError as exc:
            raise HTTPException(422, str(exc)) from None
        path = self._folder / f"{len(self.form.files):03d}{Path(name).suffix}"
        self._file = (key, name, path, path.open("xb"))
        self._file_size = 0

    def _close_file(self) -> None:
        if self._file is not None:
            self._file[3].close()
            self._file = None

    def _count_field_bytes(self, size: int) -> None:
        self._field_bytes += size
        if self._field_bytes > self._max_field_bytes:
            raise HTTPException(
                413,
                f"form fields (表单字段) larger than the {self._max_field_bytes:,}-byte limit (请求过大)",
            )

    # -- multipart callbacks: they only queue events, the async loop above does the work

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._header = (b"", b"")

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_field_bytes(end - start)
        self._header = (self._header[0] + data[start:end], self._header[1])

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_field_bytes(end - start)
        self._header = (self._header[0], self._header[1] + data[start:end])

    def _on_header_end(self) -> None:
        self._headers[self._header[0].lower()] = self._header[1]
        self._header = (b"", b"")

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise HTTPException(400, "form part without a name (表单格式错误)")
        key = options[b"name"].decode("utf-8", errors="replace")
        if b"filename" in options:
            self._events.append((_Event.FILE, key, options[b"filename"].decode("utf-8", errors="replace")))
        else:
            self._events.append((_Event.FIELD, key, ""))

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append((_Event.DATA, "", data[start:end]))

    def _on_end(self) -> None:
        self._events.append((_Event.END, "", ""))

    # -- urlencoded callbacks: small by nature, each field queued whole

    def _on_query_start(self) -> None:
        self._query = (bytearray(), bytearray())

    def _on_query_name(self, data: bytes, start: int, end: int) -> None:
        self._count_field_bytes(end - start)
        self._query[0].extend(data[start:end])

    def _on_query_data(self, data: bytes, start: int, end: int) -> None:
        self._count_field_bytes(end - start)
        self._query[1].extend(data[start:end])

    def _on_query_end(self) -> None:
        name, value = (unquote_plus(b.decode("latin-1"), errors="replace") for b in self._query)
        self._events.append((_Event.FIELD, name, ""))
        self._events.append((_Event.DATA, "", value.encode("utf-8")))
        self._events.append((_Event.END, "", ""))


def form_stream(request: Request) -> FormStream:
    """This request's form reader (one per request: the CSRF check and the endpoint share it)."""
    found = getattr(request.state, _STATE, None)
    if found is None:
        found = FormStream(request, request.app.state.services.settings)
        setattr(request.state, _STATE, found)
    return found


@asynccontextmanager
async def read_form(request: Request, file_fields: frozenset[str]) -> AsyncIterator[ReceivedForm]:
    """The request's form with its files on disk; call it only after the user is authenticated."""
    folder = Path(tempfile.mkdtemp(prefix="dossier-upload-"))
    try:
        yield await form_stream(request).read(folder, file_fields)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
