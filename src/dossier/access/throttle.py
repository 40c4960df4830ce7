"""Sign-in throttling: after a few failed sign-ins for an account name or from a client address, each
further attempt waits, twice as long each time up to a cap, until a quiet period has passed.

The counts live in the catalog (``signin_failures``), so every worker process of `dossier serve --workers N`
sees the same ones. This module only decides and records; the service does the waiting (``asyncio.sleep``,
never blocking the event loop). Decisions take ``now`` from the caller, so tests need no wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dossier.archive.catalog.user_tables import SignInFailure

KEY_CHARS = 100


class Scope(StrEnum):
    ACCOUNT = "account"
    """The user name tried (whether or not such a user exists)."""
    ADDRESS = "address"
    """The client's IP address as the server sees it (a proxy in front makes it the proxy's)."""


class ThrottleSettings(BaseModel):
    """[access.throttle]"""

    account_free_failures: int = Field(3, ge=0, le=100)
    address_free_failures: int = Field(10, ge=0, le=1000)
    first_delay_seconds: float = Field(1.0, gt=0, le=60)
    max_delay_seconds: float = Field(30.0, gt=0, le=600)
    forget_minutes: int = Field(15, ge=1, le=24 * 60)

    def free(self, scope: Scope) -> int:
        return self.account_free_failures if scope is Scope.ACCOUNT else self.address_free_failures

    def delay(self, scope: Scope, failures: int, last_failure_at: datetime | None, now: datetime) -> float:
        """Seconds the next attempt waits, given the failures counted so far for one key."""
        if last_failure_at is None or now - last_failure_at > timedelta(minutes=self.forget_minutes):
            return 0.0
        beyond = failures - self.free(scope)
        if beyond <= 0:
            return 0.0
        # 2**beyond grows past any cap within a few dozen failures; stop before the float overflows.
        return min(self.max_delay_seconds, self.first_delay_seconds * 2 ** min(beyond - 1, 32))


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the account name and the client's address."""

    account: str
    address: str

    def keys(self) -> tuple[tuple[Scope, str], ...]:
        return (
            (Scope.ACCOUNT, self.account.strip().lower()[:KEY_CHARS]),
            (Scope.ADDRESS, self.address[:KEY_CHARS]),
        )


def wait_before(session: Session, attempt: Attempt, rule: ThrottleSettings, now: datetime) -> float:
    """How long this attempt waits before its password is even checked (the longer of the two scopes)."""
    waits = [0.0]
    for scope, key in attempt.keys():
        row = _row(session, scope, key)
        if row is not None:
            waits.append(rule.delay(scope, row.failures, row.last_failure_at, now))
    return max(waits)


def note_failure(session: Session, attempt: Attempt, rule: ThrottleSettings, now: datetime) -> None:
    """Count one more failure for the account and the address (a count older than the quiet period
    starts again from one), and drop counts nobody has added to for longer than that."""
    forget = timedelta(minutes=rule.forget_minutes)
    session.execute(delete(SignInFailure).where(SignInFailure.last_failure_at < now - forget))
    for scope, key in attempt.keys():
        row = _row(session, scope, key)
        if row is None:
            session.add(SignInFailure(scope=scope.value, key=key, failures=1, last_failure_at=now))
        else:
            row.failures += 1
            row.last_failure_at = now
    session.flush()


def note_success(session: Session, attempt: Attempt) -> None:
    """A right password clears the account's count; the address keeps its own until it is forgotten."""
    scope, key = attempt.keys()[0]
    session.execute(delete(SignInFailure).where(SignInFailure.scope == scope.value, SignInFailure.key == key))


def failures(session: Session, scope: Scope, key: str) -> int:
    row = _row(session, scope, key)
    return 0 if row is None else row.failures


def _row(session: Session, scope: Scope, key: str) -> SignInFailure | None:
    return session.execute(
        select(SignInFailure).where(SignInFailure.scope == scope.value, SignInFailure.key == key)
    ).scalar_one_or_none()
