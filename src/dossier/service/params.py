"""Query values bounded before they reach the catalog, the index or date arithmetic.

An integer past SQLite's 64 bits (``offset=1e23``) or a moment that cannot be moved to UTC
(``since=0001-01-01T00:00:00``) used to reach the core and answer 500. Every paging offset, day and
moment a request carries is checked here, once, and answers a 422 that names the parameter in English
and Chinese. A moment without an offset is read on the bank's clock ([locale]), as pages show them.
A NUL character in a request's path, query or small body (JSON, a urlencoded form) is refused before any
route (:class:`RefuseNul`); a form read as it streams refuses one as it reads it (:func:`nul_refused`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import HTTPException, Query
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dossier.service.limits import request_header

MAX_OFFSET = 100_000
"""Deepest page anyone pages to; beyond it a narrower query is the answer."""
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
"""Days and moments a credit file can hold, with room for any date arithmetic (a term, a retention)."""

UNPROCESSABLE = 422
"""The status of a request that names a value it may not (the same as a failed validation)."""

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Results to skip (跳过条数)")]


def _out_of_range(name: str, label: str, value: object) -> HTTPException:
    return HTTPException(
        UNPROCESSABLE,
        f"{name} ({label}): {value} is outside {EARLIEST.isoformat()}…{LATEST.isoformat()} (超出允许范围)",
    )


def checked_day(name: str, label: str, value: date | None) -> date | None:
    """``value`` if it lies in the range a credit file can hold; else a 422 naming ``name``."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise _out_of_range(name, label, value.isoformat())
    return value


def parse_day(name: str, label: str, value: str | None) -> date | None:
    """A YYYY-MM-DD text (a web form sends an empty field as "": no bound), checked as :func:`checked_day`."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            UNPROCESSABLE,
            f"{name} ({label}): {value!r} is not a date YYYY-MM-DD (日期格式错误)",
        ) from None
    return checked_day(name, label, day)


def checked_moment(name: str, label: str, value: datetime | None, zone: tzinfo) -> datetime | None:
    """``value`` in UTC (read in ``zone`` when it has no offset), if it lies in range; else a 422."""
    if value is None:
        return None
    if not EARLIEST <= value.date() <= LATEST:
        raise _out_of_range(name, label, value.isoformat())
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return aware.astimezone(UTC)


NUL = "\x00"
MAX_NAMED = 100
"""Characters of a field's path an answer repeats."""


def nul_refused(where: str) -> HTTPException:
    """The 422 for a NUL character in ``where`` (a parameter or field, with its Chinese kind)."""
    return HTTPException(UNPROCESSABLE, _nul_detail(where))


def _nul_detail(where: str) -> str:
    return f"{where}: contains a NUL character (含有空字符)"


class RefuseNul:
    """ASGI middleware: a request whose path, query or small body holds a NUL character is answered 422,
    naming the parameter or field. PostgreSQL's text cannot hold one, so such a value (``q=%00``, a JSON
    ``"\\u0000"``) reached the catalog, in a lookup, a row or the request's audit event, and failed there
    as a 500; SQLite took it.

    Bodies are looked at when they are JSON or a urlencoded form: small (their route's limit, counted by
    BodyLimits around this middleware), and read whole by their route anyway. They are read here and
    handed on unchanged. A multipart form (it may carry files) is checked as it is read
    (``service.uploads``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _holding_nul(scope)
        kind = _body_kind(scope) if where is None else None
        if kind is not None:
            body, after = await _whole_body(receive)
            where = _body_holding_nul(kind, body)
            receive = _replaying(body, after, receive)
        if where is None:
            await self.app(scope, receive, send)
            return
        refused = JSONResponse({"detail": _nul_detail(where)}, status_code=UNPROCESSABLE)
        await refused(scope, receive, send)


def _holding_nul(scope: Scope) -> str | None:
    """The part of the request line that holds a NUL character, if one does."""
    if NUL in scope["path"]:
        return "path (路径)"
    raw: bytes = scope.get("query_string", b"")
    return _pair_holding_nul(raw, "查询参数")


def _pair_holding_nul(raw: bytes, kind: str) -> str | None:
    """The name of the first ``name=value`` pair of a urlencoded text that holds a NUL character."""
    if b"%00" not in raw and b"\x00" not in raw:
        return None  # the common case, without parsing
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            return f"{name.replace(NUL, '')} ({kind})"
    return None


class _Body(Enum):
    """The bodies looked at here: small, and read whole by their routes anyway."""

    JSON = "json"
    FORM = "form"


def _body_kind(scope: Scope) -> _Body | None:
    value = request_header(scope, b"content-type")
    if value is None:
        return None
    media = value.split(b";", 1)[0].strip().lower()
    if media == b"application/json" or media.endswith(b"+json"):
        return _Body.JSON
    return _Body.FORM if media == b"application/x-www-form-urlencoded" else None


def _body_holding_nul(kind: _Body, body: bytes) -> str | None:
    if kind is _Body.FORM:
        return _pair_holding_nul(body, "表单字段")
    # JSON writes a NUL only as the escape \u0000 (a raw one is not JSON, and its parser refuses it).
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # the route answers the malformed body
    path = _path_to_nul(document)
    # the field as a client names it (a path deep in a document is cut short)
    return None if path is None else f"{'.'.join(path)[:MAX_NAMED] or 'body'} (请求体字段)"


def _path_to_nul(document: Any) -> list[str] | None:
    """Where in a parsed JSON document a string (a value or a key) holds a NUL character. A walk with a
    stack of its own: a document nested as deep as the parser allows is no recursion here."""
    stack: list[tuple[Any, list[str]]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if NUL in key:
                    return [*path, key.replace(NUL, "")]
                stack.append((item, [*path, key]))
        elif isinstance(value, list):
            stack.extend((item, [*path, str(i)]) for i, item in reversed(list(enumerate(value))))
    return None


async def _whole_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The request's body, and the message that cut it short (a disconnect), if one did."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replaying(body: bytes, after: Message | None, receive: Receive) -> Receive:
    """A receive that hands on the body read here, then what the client sends next."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": after is not None}]
    if after is not None:
        pending.append(after)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
