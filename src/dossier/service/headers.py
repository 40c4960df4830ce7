"""Security headers on every answer, in one place: what a browser may load, frame, send and keep.

- ``Content-Security-Policy``: scripts and styles only from this site (``/static``), never inline, so a
  borrower name that slipped past escaping could still not run; no framing (``frame-ancestors``), forms
  post only here. A response that sets its own policy keeps it (the printable reports allow their one
  ``<style>`` block by its hash, see :func:`standalone_html`).
- ``Cache-Control: no-store`` on everything but ``/static``: pages and API answers hold borrower data and
  must not stay in a shared computer's cache or a proxy.
- ``Referrer-Policy: no-referrer``: search words and ids in our URLs never travel to another site.
- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY`` for older browsers.

``request_is_https`` decides whether the request reached us over TLS, also behind a TLS-terminating proxy
listed in ``[service].trusted_proxies``; the session cookie is ``Secure`` exactly then.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dossier.service.settings import ServiceSettings

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
}
STATIC_PREFIX = "/static/"
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def policy(**overrides: str) -> str:
    return "; ".join(f"{k} {v}" for k, v in {**POLICY, **overrides}.items())


CSP = policy()
FIXED = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    """Pure ASGI middleware (streams and file downloads pass through untouched but for the headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(k, v) for k, v in FIXED if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CSP.encode()))
                if not cacheable:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)


def standalone_html(html: str) -> HTMLResponse:
    """A self-contained printable page (its CSS inline, no script): the policy allows exactly its
    ``<style>`` blocks, by their SHA-256, and nothing else inline."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _STYLE_BLOCK.findall(html)
    )
    csp = policy(**{"style-src": f"'self' {hashes}".strip()})
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


def request_is_https(request: Request, settings: ServiceSettings) -> bool:
    """Whether the browser's connection is TLS: our own scheme, or a trusted proxy's
    ``X-Forwarded-Proto: https`` (a header from anyone else is ignored: it is the client's to forge)."""
    if settings.secure_cookies == "always" or request.url.scheme == "https":
        return True
    client = request.client.host if request.client else ""
    if not _trusted(client, settings.trusted_proxies):
        return False
    # A chain of proxies appends; the last value is the one our trusted proxy wrote.
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return forwarded == "https"


def _trusted(client: str, proxies: list[str]) -> bool:
    """Whether ``client`` is one of ``proxies``: addresses or networks (``10.0.0.0/8``), or names."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client in proxies
    for proxy in proxies:
        try:
            if address in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False
