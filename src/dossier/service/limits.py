"""Every request body is bounded while it streams, before anything reads it whole.

:class:`BodyLimits` is a pure ASGI middleware: it wraps ``receive`` in a :class:`RequestBody` that counts
the bytes as they arrive, chunked or not, whatever ``Content-Length`` claims, and answers 413 the moment a
body passes its route's limit. Routes take ``[service].max_input_bytes`` unless their endpoint is marked
with :func:`takes_files`; those take files up to ``[media].max_file_bytes`` each (the form reader in
``service.uploads`` checks each file; here only the whole body is bounded). A response sent before the
body was read to its end closes the connection (unless only a small rest is left), so the rest of an
unwanted body is never read at all; a request without a body (a GET) keeps its connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dossier.service.settings import ServiceSettings

SCOPE_KEY = "dossier.request_body"
_TAKES_FILES = "__dossier_takes_files__"
F = TypeVar("F", bound=Callable[..., Any])


def takes_files(count: int | None = None) -> Callable[[F], F]:
    """Mark an endpoint that reads its own form (``service.uploads.read_form``) after it has authenticated
    the user, with up to ``count`` files (default ``[service].max_upload_files``) of up to
    ``[media].max_file_bytes`` each. Every other route's body stays within ``[service].max_input_bytes``."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _TAKES_FILES, count or -1)
        return endpoint

    return mark


def files_allowed(endpoint: object, settings: ServiceSettings) -> int:
    """How many files the route of ``endpoint`` takes (0: an ordinary route)."""
    count = getattr(endpoint, _TAKES_FILES, 0)
    return settings.max_upload_files if count == -1 else count


def body_limit(settings: ServiceSettings, files: int) -> int:
    """The largest body a route accepts: its files at their limit, and the fields beside them."""
    return files * settings.max_upload_bytes + settings.max_input_bytes


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, file_limit: int | None = None) -> None:
        each = f"; each file (文件) up to {file_limit:,} bytes ([media].max_file_bytes)" if file_limit else ""
        super().__init__(
            413,
            f"request body (请求体) larger than the {limit:,}-byte limit (请求过大){each}",
            headers={"Connection": "close"},
        )


class RequestBody:
    """The request's ``receive``, counting bytes against its route's limit; it never buffers what it
    passes on. The route is known by the time anything reads the body (the router has put its endpoint
    in the scope), so the limit is looked up then."""

    def __init__(self, scope: Scope, receive: Receive, settings: ServiceSettings) -> None:
        self._scope = scope
        self._receive = receive
        self._settings = settings
        self.received = 0
        self.complete = False
        """The last body message has arrived (or the client went away)."""

    @property
    def max_files(self) -> int:
        """How many files the route takes (0: an ordinary route; see :func:`takes_files`)."""
        return files_allowed(self._scope.get("endpoint"), self._settings)

    @property
    def limit(self) -> int:
        return body_limit(self._settings, self.max_files)

    async def __call__(self) -> Message:
        limit = self.limit
        declared = _content_length(self._scope)
        if self.received > limit or (declared is not None and declared > limit):
            # Said too large up front, or asked again after the 413: not a byte more is read.
            raise self.too_large()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
            if self.received > limit:
                raise self.too_large()
        elif message["type"] == "http.disconnect":
            self.complete = True
        return message

    def unread_is_large(self) -> bool:
        """More than a small body is still to come, or nobody said how much (chunked). A request that
        declares no body, neither its length nor a transfer coding (a GET, say), has none (RFC 9112
        section 6.3), so its connection is kept."""
        if self.complete:
            return False
        declared = _content_length(self._scope)
        if declared is None:
            return request_header(self._scope, b"transfer-encoding") is not None
        return declared - self.received > self._settings.max_input_bytes

    def too_large(self) -> BodyTooLarge:
        files = self.max_files
        return BodyTooLarge(self.limit, self._settings.max_upload_bytes if files else None)


def request_body(request: Request) -> RequestBody | None:
    """The counter of this request's body (None outside the middleware, as in a bare router)."""
    found = request.scope.get(SCOPE_KEY)
    return found if isinstance(found, RequestBody) else None


class BodyLimits:
    """The ASGI middleware; installed once by ``create_app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = RequestBody(scope, receive, scope["app"].state.services.settings)
        scope[SCOPE_KEY] = body
        started = False

        async def send_closing(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if body.unread_is_large() and not _has_close(message):
                    # The rest of the body is unwanted: close rather than read it to keep the connection.
                    # (A small rest is left to the server to skip, so the client surely reads the answer.)
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, body, send_closing)
        except BodyTooLarge as exc:
            # Raised where no exception handler sat between the reader and here.
            if started:
                raise
            await _send_413(send, exc)


def request_header(scope: Scope, name: bytes) -> bytes | None:
    """The request's first ``name`` header (the server gives the names in lower case)."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    value = request_header(scope, b"content-length")
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    return int(text) if text.isdigit() else None


def _has_close(message: Message) -> bool:
    return any(k.lower() == b"connection" and b"close" in v.lower() for k, v in message.get("headers", []))


async def _send_413(send: Send, error: BodyTooLarge) -> None:
    payload = json.dumps({"detail": error.detail}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
