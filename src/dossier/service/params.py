"""Query values bounded before they reach the catalog, the index or date arithmetic.

An integer past SQLite's 64 bits (``offset=1e23``) or a moment that cannot be moved to UTC
(``since=0001-01-01T00:00:00``) used to reach the core and answer 500. Every paging offset, day and
moment a request carries is checked here, once, and answers a 422 that names the parameter in English
and Chinese. A moment without an offset is read on the bank's clock ([locale]), as pages show them.
A NUL character anywhere in a request's path or query is refused before any route (:class:`RefuseNul`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import HTTPException, Query
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

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


class RefuseNul:
    """ASGI middleware: a request whose path or query holds a NUL character is answered 422, naming the
    parameter. PostgreSQL's text cannot hold one, so such a value (``q=%00``) reached the catalog, in a
    lookup or in the request's audit event, and failed there as a 500; SQLite took it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        where = _holding_nul(scope) if scope["type"] == "http" else None
        if where is None:
            await self.app(scope, receive, send)
            return
        refused = JSONResponse(
            {"detail": f"{where}: contains a NUL character (含有空字符)"}, status_code=UNPROCESSABLE
        )
        await refused(scope, receive, send)


def _holding_nul(scope: Scope) -> str | None:
    """The part of the request line that holds a NUL character, if one does."""
    if "\x00" in scope["path"]:
        return "path (路径)"
    raw: bytes = scope.get("query_string", b"")
    if b"%00" not in raw and b"\x00" not in raw:
        return None  # the common case, without parsing
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"{name.replace(chr(0), '')} (查询参数)"
    return None
