"""Signing in and out. The sign-in form carries its own CSRF token (a cookie and a field that match),
since there is no session yet to hold one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dossier.access.secrets import new_secret, same
from dossier.access.users import authenticate, end_web_session, start_web_session
from dossier.service.deps import SESSION_COOKIE, services
from dossier.service.headers import request_is_https
from dossier.service.web.render import page, page_user, redirect

router = APIRouter()

LOGIN_CSRF = "dossier_login_csrf"


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/"
    return value


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    token = new_secret()
    response = page(request, "login.html", None, login_csrf=token, next=_safe_next(next))
    https = request_is_https(request, services(request).settings)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=https, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=50)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    svc = services(request)
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not same(cookie, csrf_token):
        return page(
            request,
            "login.html",
            None,
            login_csrf=cookie or new_secret(),
            next=_safe_next(next),
            error="页面已过期，请重新登录",
            status_code=403,
        )
    user = svc.archive.transaction(lambda s: authenticate(s, username.strip(), password), write=False)
    if user is None:
        return page(
            request,
            "login.html",
            None,
            login_csrf=cookie,
            next=_safe_next(next),
            username=username,
            error="用户名或密码错误",
            status_code=401,
        )
    secret, _ = svc.archive.transaction(lambda s: start_web_session(s, user, hours=svc.access.session_hours))
    response = redirect(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request_is_https(request, svc.settings),
        max_age=svc.access.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    await page_user(request)  # checks the session and its CSRF token
    svc = services(request)
    secret = request.cookies.get(SESSION_COOKIE, "")
    svc.archive.transaction(lambda s: end_web_session(s, secret))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response
