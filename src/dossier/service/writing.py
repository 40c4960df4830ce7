"""Endpoints that answer like a read but write to the audit chain: an issued diligence report (its
fingerprint event), an export bundle, a verification run of the chain.

A browser sends the session cookie with any cross-site link's GET, so a page elsewhere could make a
signed-in user issue reports and exports they never asked for. Such an endpoint therefore answers both
GET and POST: the session cookie (and HTTP Basic, which a browser also replays by itself) must POST, and
every cookie POST carries the session's CSRF token (checked in :func:`deps.optional_user`); an API token,
which no browser sends on its own, may keep using GET, as scripts do."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.service.deps import SAFE_METHODS, require

GET_ALLOWED_VIA = frozenset({"token"})
"""Credentials a browser never sends by itself: only these may use GET for a writing endpoint."""


def require_writing(action: Action) -> Callable[..., Principal]:
    """As :func:`deps.require`, for an endpoint that writes: a GET is refused (405) unless the caller
    signed in with an API token; nothing has been written when it is refused."""

    allowed = require(action)

    # A default, not an annotation: annotations are strings here and cannot see ``allowed``.
    def check(request: Request, user: Principal = Depends(allowed)) -> Principal:  # noqa: B008
        if request.method in SAFE_METHODS and user.via not in GET_ALLOWED_VIA:
            raise HTTPException(
                status.HTTP_405_METHOD_NOT_ALLOWED,
                f"{action.value} ({action.label}) writes to the audit chain: send it as POST with the "
                "CSRF token, e.g. from the page's button (此操作会写入审计记录，请通过页面按钮提交)",
                headers={"Allow": "POST"},
            )
        return user

    return check
