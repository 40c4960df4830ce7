"""The web pages (Simplified Chinese, server-rendered Jinja2, a few lines of JavaScript)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    from dossier.service.web import (
        api_docs,
        archive_pages,
        auth,
        custody_pages,
        job_pages,
        process_pages,
        review_pages,
        search_pages,
        work_pages,
    )
    from dossier.service.web.render import Forbidden, SignIn, page, redirect

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignIn)
        return redirect(f"/login?next={quote(exc.next_url)}")

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Forbidden)
        from dossier.service.web.render import page_user

        user = await page_user(request)
        text = f"您的角色（{user.role.label}）无权{exc.action.label}。"
        return page(request, "base.html", user, flash={"kind": "error", "text": text}, status_code=403)

    app.add_exception_handler(SignIn, sign_in)
    app.add_exception_handler(Forbidden, forbidden)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        auth,
        search_pages,
        archive_pages,
        review_pages,
        work_pages,
        process_pages,
        api_docs,
        custody_pages,
        job_pages,
    ):
        app.include_router(module.router, include_in_schema=False)
