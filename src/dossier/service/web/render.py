"""Rendering pages: one Jinja2 environment per application, the navigation by role, flashes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.domain.local_time import local_zone
from dossier.service.deps import optional_user, services

TEMPLATES = Path(__file__).parent / "templates"

NAV = (
    ("/search", "全文检索", Action.SEARCH),
    ("/borrowers", "借款人", Action.VIEW),
    ("/completeness", "档案完整性", Action.PORTFOLIO),
    ("/quarantine", "隔离区", Action.QUARANTINE),
    ("/generate", "生成文书", Action.GENERATE),
    ("/applications", "授信审批", Action.APPLICATIONS),
    ("/custody", "借阅与移交", Action.BORROW),
    ("/notices", "批量通知", Action.NOTICES),
)


class SignIn(Exception):
    """Raised by page dependencies when nobody is signed in: the handler redirects to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    def __init__(self, action: Action) -> None:
        self.action = action


def templates(request: Request) -> Jinja2Templates:
    app = request.app
    found = getattr(app.state, "page_templates", None)
    if found is None:
        found = Jinja2Templates(directory=str(TEMPLATES))
        # Times are shown on the bank's clock ([locale]); stored times stay UTC.
        found.env.globals["tz"] = local_zone(services(request).config)
        app.state.page_templates = found
    return found


async def page_user(request: Request) -> Principal:
    user = await optional_user(request, services(request))
    if user is None:
        raise SignIn(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    return user


def allowed(request: Request, user: Principal, action: Action) -> bool:
    return services(request).access.allows(user.role, action)


def require_page(request: Request, user: Principal, action: Action) -> None:
    if not allowed(request, user, action):
        raise Forbidden(action)


def page(
    request: Request,
    name: str,
    user: Principal | None,
    *,
    active: str = "",
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    nav = [(href, label, a) for href, label, a in NAV if user is not None and allowed(request, user, a)]
    flash = values.pop("flash", None) or _flash_from_query(request)
    context = {
        "user": user,
        "nav": nav,
        "active": active,
        "csrf": getattr(request.state, "csrf", ""),
        "flash": flash,
        "now": datetime.now(local_zone(services(request).config)),
        **values,
    }
    return templates(request).TemplateResponse(request, name, context, status_code=status_code)


def _flash_from_query(request: Request) -> dict[str, str] | None:
    # Messages after a redirect travel in the query (never HTML: the template escapes them).
    for kind in ("ok", "error"):
        text = request.query_params.get(kind)
        if text:
            return {"kind": kind, "text": text[:300]}
    return None


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
