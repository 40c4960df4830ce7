"""Details every audit event of the current request carries, whoever appends it.

The service's sign-in dependency sets them once per request (for an API token: the token's id and, when
someone other than its owner made it, who did), and ``append_event`` adds them to each event's details, so
the dozens of places that append events need not know how the user signed in. The value lives in a
``ContextVar``: each request runs in its own task (and its worker threads get a copy of that task's
context), so it never leaks into another request; code outside a request (the CLI, the watcher) sees the
empty default.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_DETAILS: ContextVar[Mapping[str, Any]] = ContextVar("dossier_audit_details", default=_EMPTY)


def request_details() -> Mapping[str, Any]:
    """What the current request adds to its events' details (empty outside a request)."""
    return _DETAILS.get()


def set_request_details(details: Mapping[str, Any] | None) -> None:
    """Set (or with None clear) the details for the rest of the current request's context."""
    _DETAILS.set(MappingProxyType(dict(details)) if details else _EMPTY)
