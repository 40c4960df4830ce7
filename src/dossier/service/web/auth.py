"""Signing in and out, and 修改密码. The sign-in form carries its own CSRF token (a cookie and a field
that match), since there is no session yet to hold one. Passwords are checked through service.signin
(throttled, off the event loop, failures audited); service accounts never sign in here."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dossier.access.secrets import new_secret, same
from dossier.access.users import (
    MIN_PASSWORD,
    AccessError,
    SignInRefusal,
    end_web_session,
    get_user,
    set_password,
    start_web_session,
)
from dossier.service.deps import SESSION_COOKIE, services
from dossier.service.headers import request_is_https
from dossier.service.signin import Face, check_password, gate
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
async def login(
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
    checked = await check_password(request, svc, username.strip(), password, Face.WEB)
    if isinstance(checked, SignInRefusal):
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

    def begin(session: Session) -> str:
        secret, _ = start_web_session(
            session, get_user(session, checked.username), hours=svc.access.session_hours
        )
        return secret

    secret = await anyio.to_thread.run_sync(svc.archive.transaction, begin)
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


@router.get("/password", response_class=HTMLResponse)
async def password_form(request: Request) -> Response:
    user = await page_user(request)
    return page(request, "password.html", user, min_length=MIN_PASSWORD)


@router.post("/password")
async def change_password(
    request: Request,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    confirm_password: Annotated[str, Form(max_length=200)],
) -> Response:
    """The signed-in user's own password. Every session and token they had ends (this one too), so they
    sign in again with the new password."""
    user = await page_user(request)  # checks the session and its CSRF token
    svc = services(request)

    def again(error: str, status_code: int) -> Response:
        return page(
            request, "password.html", user, min_length=MIN_PASSWORD, error=error, status_code=status_code
        )

    if new_password != confirm_password:
        return again("两次输入的新密码不一致", 422)
    if len(new_password) < MIN_PASSWORD:
        return again(f"新密码至少 {MIN_PASSWORD} 个字符", 422)
    checked = await check_password(request, svc, user.username, current_password, Face.PASSWORD_CHANGE)
    if isinstance(checked, SignInRefusal):
        return again("当前密码错误", 403)

    def work(session: Session) -> None:
        set_password(session, user.username, new_password, actor=user.actor)

    try:
        await anyio.to_thread.run_sync(svc.archive.transaction, work, limiter=gate(request, svc).limiter)
    except AccessError:
        return again("无法修改此账号的密码", 422)
    response = redirect("/login?ok=" + "密码已修改，所有会话和令牌已失效，请用新密码重新登录")
    response.delete_cookie(SESSION_COOKIE)
    return response
