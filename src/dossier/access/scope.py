"""Which borrowers a user sees: all of them, or for a scoped role (officers) the borrowers assigned to
their user account.

Scope rests on accounts only. The ``officer`` a borrower, a loan, an input or a ledger row names is a
label for people (display names repeat and are free text) and grants nothing; an assignment (by user id)
does. Assignments are made explicitly (`dossier users assign`, the API, the borrower page), for the
officer who registers a new borrower through the service, and from a ledger row's ``officer_username``
column (a sign-in name resolved to its account at import time).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.roles import AccessSettings
from dossier.access.users import AccessError, Principal, get_user
from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower
from dossier.archive.catalog.user_tables import Assignment, User


class BorrowerNotFound(AccessError):
    """A borrower that does not exist, or one the user may not see: the two answer alike, so an
    officer cannot learn that another officer's borrower exists."""

    def __init__(self, key: str) -> None:
        super().__init__(f"borrower (借款人) {key} not found (不存在)")
        self.key = key


def visible_borrower_ids(session: Session, user: Principal, settings: AccessSettings) -> set[int] | None:
    """None when the user sees every borrower, else the ids assigned to their account."""
    if not settings.scoped(user.role):
        return None
    return assigned_ids(session, user.id)


def assigned_ids(session: Session, user_id: int) -> set[int]:
    return set(session.execute(select(Assignment.borrower_id).where(Assignment.user_id == user_id)).scalars())


def may_see(session: Session, user: Principal, settings: AccessSettings, borrower_id: int) -> bool:
    visible = visible_borrower_ids(session, user, settings)
    return visible is None or borrower_id in visible


def assign(session: Session, username: str, borrower: Borrower, *, actor: str) -> bool:
    """Let ``username`` see ``borrower``; False if they already could through an assignment."""
    return assign_user(session, get_user(session, username), borrower, actor=actor)


def assign_user(session: Session, user: User, borrower: Borrower, *, actor: str) -> bool:
    """As :func:`assign`, for an account already looked up (by id, never by display name)."""
    exists = session.execute(
        select(Assignment.id).where(Assignment.user_id == user.id, Assignment.borrower_id == borrower.id)
    ).first()
    if exists:
        return False
    if not user.active:
        raise AccessError(f"user (用户) {user.username!r} is disabled (用户已停用)")
    session.add(Assignment(borrower_id=borrower.id, user_id=user.id, created_at=datetime.now(UTC)))
    append_event(
        session, actor=actor, action="borrower.assign", target=user.username, borrower_key=borrower.key
    )
    return True


def refuse_hidden(session: Session, user: Principal, settings: AccessSettings, keys: Iterable[str]) -> None:
    """Refuse to file for a borrower the user may not see (:class:`BorrowerNotFound`, worded as for a
    borrower that does not exist): an officer works only on their own borrowers and new ones (which
    then become theirs)."""
    visible = visible_borrower_ids(session, user, settings)
    if visible is None:
        return
    wanted = sorted(set(keys))
    existing = session.execute(select(Borrower.id, Borrower.key).where(Borrower.key.in_(wanted))).all()
    hidden = sorted(key for borrower_id, key in existing if borrower_id not in visible)
    if hidden:
        raise BorrowerNotFound(hidden[0])
