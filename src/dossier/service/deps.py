"""Dependencies every endpoint asks for: the service's parts, catalog sessions and the current user.

The user proves who they are by an API token (``Authorization: Bearer dsr_…``), HTTP Basic with their
password (for scripts and the schema tools), or the web session cookie. A request that changes anything
on the strength of the cookie alone must carry the session's CSRF token (header or form field).

Passwords go through ``service.signin`` (remembered checks, throttle, argon2 off the event loop). Once the
user is known, the request's audit details are set (``archive.audit_context``): every event a request made
with an API token appends records the token's id, and who made the token when not its owner."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dossier.access.roles import Action
from dossier.access.scope import visible_borrower_ids
from dossier.access.secrets import same
from dossier.access.users import (
    Principal,
    SignInRefusal,
    TokenUse,
    note_token_use,
    principal_for_token,
    web_session,
)
from dossier.archive.audit_context import set_request_details
from dossier.archive.catalog.models import Borrower, Document
from dossier.service.limits import request_body
from dossier.service.signin import Face, check_password
from dossier.service.state import Services
from dossier.service.uploads import form_stream

SESSION_COOKIE = "dossier_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Catalog ids: positive and within a 64-bit integer, as every catalog backend stores them.
# Catalog ids are INTEGER columns: 32 bits on PostgreSQL, which refuses a larger parameter outright.
Id = Annotated[int, Path(ge=1, le=2**31 - 1, description="Catalog id")]


def services(request: Request) -> Services:
    return request.app.state.services


async def _services(request: Request) -> Services:
    # async: a plain function dependency would cost every request a hop to the thread pool.
    return services(request)


ServicesDep = Annotated[Services, Depends(_services)]


def read_session(svc: ServicesDep) -> Iterator[Session]:
    with svc.archive.session(write=False) as session:
        yield session


def write_session(svc: ServicesDep) -> Iterator[Session]:
    with svc.archive.session() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]
WriteSession = Annotated[Session, Depends(write_session)]


TOKEN_REFUSED = "invalid, expired or revoked API token (令牌无效、已过期或已吊销)"


class Unauthorized(HTTPException):
    def __init__(self, detail: str = "sign in first (请先登录)") -> None:
        super().__init__(
            status.HTTP_401_UNAUTHORIZED,
            detail,
            # Bearer only: a Basic challenge would make a browser ask for the password and then replay it
            # on every request, cross-site forms included (Basic carries no CSRF token). Scripts still
            # send Basic credentials unasked.
            headers={"WWW-Authenticate": 'Bearer realm="dossier"'},
        )


async def _csrf_from_form(request: Request) -> str | None:
    """The token as a form field. A route that takes files reads only the fields sent before its first
    file, so no file byte is read or written before the check; any other form is small (its route's
    body limit) and FastAPI has usually read it already."""
    if not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/")
    ):
        return None
    counted = request_body(request)
    if counted is not None and counted.max_files:
        values = (await form_stream(request).fields_before_files()).get(CSRF_FIELD)
        return values[0] if values else None
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def optional_user(request: Request, svc: ServicesDep) -> Principal | None:
    """The signed-in user, or None; a bad credential is a 401, never an anonymous request."""
    user = await _signed_in(request, svc)
    set_request_details(user.audit_details() if user is not None else None)
    return user


def _authorization(request: Request) -> tuple[str, str]:
    """The request's ``Authorization`` header as (scheme in lower case, credentials as sent)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower(), value


async def _signed_in(request: Request, svc: ServicesDep) -> Principal | None:
    scheme, value = _authorization(request)
    if scheme == "bearer" and value:
        # The catalog is read in the thread pool, not on the event loop (which serves every request); an API
        # search on the embedded catalog is the one exception (Services.searches_on_loop).
        found = await run_in_threadpool(_token_use, svc, value.strip())
        if found is None:
            raise Unauthorized(TOKEN_REFUSED)
        return found.principal
    if scheme == "basic" and value:
        try:
            name, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials (认证信息格式错误)") from None
        checked = await check_password(request, svc, name, password, Face.BASIC)
        if isinstance(checked, SignInRefusal):
            raise Unauthorized("wrong user name or password (用户名或密码错误)")
        return checked
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found_session = await run_in_threadpool(
        svc.archive.transaction, lambda s: _session_user(s, cookie), write=False
    )
    if found_session is None:
        return None
    user, csrf = found_session
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or await _csrf_from_form(request)
        if not sent or not same(sent, csrf):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token (跨站请求校验失败)")
    request.state.csrf = csrf
    return user


def _token_use(svc: Services, secret: str) -> TokenUse | None:
    """The token's principal, read afresh from the catalog on every request: a revoked token or a
    disabled user is refused by the very next request, whichever process made the change."""
    found = svc.archive.transaction(
        lambda s: principal_for_token(s, secret, max_age_days=svc.access.token_max_age_days), write=False
    )
    if found is not None and found.stale:
        _note_use(svc, found.token_id)
    return found


def _note_use(svc: Services, token_id: int) -> None:
    """Write a token's last use: a write of its own, never in the read that found it due."""
    svc.archive.transaction(lambda s: note_token_use(s, token_id))


def _session_user(session: Session, secret: str) -> tuple[Principal, str] | None:
    found = web_session(session, secret)
    if found is None:
        return None
    user, row = found
    return Principal.of(user, "session"), row.csrf_token


async def current_user(user: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    if user is None:
        raise Unauthorized()
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the current user, if their role may do ``action`` (else 403)."""

    async def check(user: CurrentUser, svc: ServicesDep) -> Principal:
        # async: no I/O here, and a plain function would cost the request a hop to the thread pool.
        return _allowed(svc, user, action)

    return check


def _allowed(svc: Services, user: Principal, action: Action) -> Principal:
    if not svc.access.allows(user.role, action):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role.value} ({user.role.label}) may not {action.value} ({action.label}) (无此权限)",
        )
    return user


@dataclass(frozen=True)
class Caller:
    """The user of a route that reads the catalog in one transaction of its own (in one hop to the thread
    pool; an API search on the embedded catalog, on the event loop): an API token is checked there, read
    afresh in the route's own catalog transaction (as :func:`_token_use` reads it in one of its own),
    rather than in a hop and a transaction of its own before it. Any other credential (password, session
    cookie) is checked before the route, as usual."""

    svc: Services
    action: Action
    secret: str | None = None
    known: Principal | None = None
    _due: list[int] = field(default_factory=list, compare=False, repr=False)
    """The token whose last use the read in the route's session found due (written by note_use)."""

    def principal(self, session: Session) -> Principal:
        """The user, if their role may do the action (else 401/403 as :func:`require` answers). Call it
        first thing in the route's catalog ``session`` (then call :meth:`note_use`, a write, in the thread
        pool once that session's transaction is over)."""
        user = self.known
        if user is None:
            found = principal_for_token(
                session, self.secret or "", max_age_days=self.svc.access.token_max_age_days
            )
            if found is None:
                raise Unauthorized(TOKEN_REFUSED)
            if found.stale:
                self._due.append(found.token_id)
            user = found.principal
            # In the worker's context, which the route's work (and its audit events) runs in.
            set_request_details(user.audit_details())
        return _allowed(self.svc, user, self.action)

    @property
    def use_due(self) -> bool:
        """Whether :meth:`note_use` has a write to make."""
        return bool(self._due)

    def note_use(self) -> None:
        """Write the token's last use if the read in the route's session found it due (a write, so not
        in that read-only transaction; at most once per LAST_USED_RESOLUTION per token)."""
        while self._due:
            _note_use(self.svc, self._due.pop())


def caller(action: Action) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the :class:`Caller` of a route allowed to users whose role may do ``action``."""

    async def identify(request: Request, svc: ServicesDep) -> Caller:
        scheme, value = _authorization(request)
        if scheme == "bearer" and value:
            return Caller(svc, action, secret=value.strip())
        user = await optional_user(request, svc)
        if user is None:
            raise Unauthorized()
        return Caller(svc, action, known=_allowed(svc, user, action))

    return identify


def scope_ids(session: Session, user: Principal, svc: Services, *, writing: bool = False) -> set[int] | None:
    """None when the user sees every borrower (no catalog read for a role that is not scoped), else the
    ids they may read (``writing``: work on)."""
    if not svc.access.scoped(user.role):
        return None
    return visible_borrower_ids(session, user, svc.access, writing=writing)


def borrower_or_404(
    session: Session, user: Principal, svc: Services, borrower_id: int, *, writing: bool = False
) -> Borrower:
    """The borrower, if it exists and the user may see it (``writing``: work on it). Both cases answer 404
    alike, so an officer cannot learn which ids exist in another officer's portfolio."""
    borrower = session.get(Borrower, borrower_id)
    visible = scope_ids(session, user, svc, writing=writing)
    if borrower is None or (visible is not None and borrower.id not in visible):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"borrower (借款人) {borrower_id} not found (不存在)")
    return borrower


def document_or_404(
    session: Session, user: Principal, svc: Services, document_id: int, *, writing: bool = False
) -> Document:
    document = session.get(Document, document_id)
    visible = scope_ids(session, user, svc, writing=writing)
    if (
        document is None
        or document.state != "filed"
        or (visible is not None and document.borrower_id not in visible)
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"document (文件) {document_id} not found (不存在)")
    return document
