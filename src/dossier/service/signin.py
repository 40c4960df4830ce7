"""Checking a name and password without slowing everyone else down: the same path for HTTP Basic, the
sign-in page and the current password on 修改密码.

1. A check that succeeded less than ``[access] password_cache_seconds`` ago counts again (the catalog still
   confirms the user is active and their credentials version unchanged, so a password changed or a user
   disabled by any worker process ends it at once).
2. Otherwise the throttle ([access.throttle]) may make the attempt wait first, with ``asyncio.sleep``.
3. The argon2 verification runs in a worker thread, at most ``password_threads`` at a time, so the event
   loop keeps answering (/health, token requests) while wrong passwords are hammered at the service.
4. A failure is counted for the throttle and recorded as an audit event (the name tried, the address,
   never the password); all catalog writes happen in worker threads too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import anyio
import anyio.to_thread
from fastapi import Request
from sqlalchemy.orm import Session

from dossier.access import throttle
from dossier.access.password_cache import PasswordCache
from dossier.access.users import (
    PasswordHolder,
    Principal,
    SignInRefusal,
    current_user_by_id,
    password_holder,
    record_failed_sign_in,
    verify_password,
)
from dossier.service.state import Services


class Face(StrEnum):
    """Where the password was given."""

    BASIC = "basic"
    WEB = "web"
    PASSWORD_CHANGE = "password-change"


@dataclass
class Gate:
    """One per application (on ``app.state``): the remembered checks and the threads' limit."""

    cache: PasswordCache
    limiter: anyio.CapacityLimiter


def gate(request: Request, svc: Services) -> Gate:
    found: Gate | None = getattr(request.app.state, "signin_gate", None)
    if found is None:
        found = Gate(
            PasswordCache(svc.access.password_cache_seconds),
            anyio.CapacityLimiter(svc.access.password_threads),
        )
        request.app.state.signin_gate = found
    return found


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


async def check_password(
    request: Request, svc: Services, username: str, password: str, face: Face
) -> Principal | SignInRefusal:
    """The user these credentials sign in, or why not."""
    the_gate = gate(request, svc)
    via = "password" if face is Face.BASIC else "session"
    cached = the_gate.cache.get(username, password) if face is Face.BASIC else None
    if cached is not None:
        user = svc.archive.transaction(
            lambda s: _principal(s, cached.user_id, cached.credentials_version, via), write=False
        )
        if user is not None:
            return user
        the_gate.cache.forget_user(cached.user_id)
    attempt = throttle.Attempt(username, client_address(request))
    rule = svc.access.throttle
    wait, holder = svc.archive.transaction(
        lambda s: (throttle.wait_before(s, attempt, rule, _now()), password_holder(s, username)), write=False
    )
    if wait > 0:
        await asyncio.sleep(wait)
    refusal = await anyio.to_thread.run_sync(verify_password, holder, password, limiter=the_gate.limiter)
    if refusal is not None:
        await anyio.to_thread.run_sync(_note_failure, svc, attempt, refusal, face)
        return refusal
    assert holder.user_id is not None
    user = await anyio.to_thread.run_sync(_note_success, svc, attempt, holder, via)
    if user is None:
        # Changed between the read and now (disabled, new password): not these credentials any more.
        return SignInRefusal.DISABLED
    if face is Face.BASIC:
        the_gate.cache.put(username, password, holder.user_id, holder.credentials_version)
    return user


def _now() -> datetime:
    return datetime.now(UTC)


def _principal(session: Session, user_id: int, version: int, via: str) -> Principal | None:
    user = current_user_by_id(session, user_id, version)
    return Principal.of(user, via) if user is not None else None


def _note_failure(svc: Services, attempt: throttle.Attempt, refusal: SignInRefusal, face: Face) -> None:
    def work(session: Session) -> None:
        throttle.note_failure(session, attempt, svc.access.throttle, _now())
        record_failed_sign_in(session, attempt.account, refusal, address=attempt.address, face=face.value)

    svc.archive.transaction(work)


def _note_success(
    svc: Services, attempt: throttle.Attempt, holder: PasswordHolder, via: str
) -> Principal | None:
    assert holder.user_id is not None
    user_id = holder.user_id

    def read(session: Session) -> tuple[Principal | None, int]:
        found = _principal(session, user_id, holder.credentials_version, via)
        scope, key = attempt.keys()[0]
        return found, throttle.failures(session, scope, key)

    user, failures = svc.archive.transaction(read, write=False)
    if user is not None and failures:
        # Only when there is something to clear: a good password must not take the write lock each time.
        svc.archive.transaction(lambda s: throttle.note_success(s, attempt))
    return user
