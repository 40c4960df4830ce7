"""Which borrowers a user sees: all of them, or for a scoped role (officers) the borrowers assigned to
their user account.

Scope rests on accounts only. The ``officer`` a borrower, a loan, an input or a ledger row names is a
label for people (display names repeat and are free text) and grants nothing; an assignment (by user id)
does. Assignments are made explicitly (`dossier users assign`, the API, the borrower page), for the
officer who registers a new borrower through the service, and from a ledger row's ``officer_username``
column (a sign-in name resolved to its account at import time).

Custody changes scope over time (:func:`scope_of`, the one place that says so): while a handover
(客户移交) waits for both officers' acknowledgements, its borrowers are read-only to both of them; once both
have acknowledged, the assignment has moved to the new officer. A loan of a file (档案借阅) never enters
this scope: it is reached only through its own number (dossier.custody.lending), read-only and limited
to its categories, so a loan cannot widen what any other endpoint lets its reader do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.roles import AccessSettings
from dossier.access.users import AccessError, Principal, get_user
from dossier.archive.audit import append_event
from dossier.archive.catalog.custody_tables import FileLoan, Handover, HandoverBorrower
from dossier.archive.catalog.models import Borrower
from dossier.archive.catalog.user_tables import Assignment, User


class BorrowerNotFound(AccessError):
    """A borrower that does not exist, or one the user may not see: the two answer alike, so an
    officer cannot learn that another officer's borrower exists."""

    def __init__(self, key: str) -> None:
        super().__init__(f"borrower (借款人) {key} not found (不存在)")
        self.key = key


@dataclass(frozen=True)
class Scope:
    """What a scoped user reaches: ``own`` borrowers they may read and work on, ``read_only`` ones they
    may only read (a handover in progress), and ``file_loans`` (借阅单号 → borrower id) lent to them now.
    ``everything`` for roles that are not scoped."""

    everything: bool
    own: frozenset[int] = frozenset()
    read_only: frozenset[int] = frozenset()
    file_loans: tuple[tuple[str, int], ...] = ()

    def readable(self) -> set[int] | None:
        return None if self.everything else set(self.own | self.read_only)

    def writable(self) -> set[int] | None:
        return None if self.everything else set(self.own)


def scope_of(
    session: Session, user: Principal, settings: AccessSettings, now: datetime | None = None
) -> Scope:
    """The user's scope at ``now``: assignments, less and plus handovers in progress, and active loans of
    files (approved, not returned, ``starts_at <= now < ends_at``)."""
    now = now or datetime.now(UTC)
    lent = tuple(
        (number, borrower_id)
        for number, borrower_id in session.execute(
            select(FileLoan.number, FileLoan.borrower_id)
            .where(
                FileLoan.user_id == user.id,
                FileLoan.state == "approved",
                FileLoan.borrower_id.is_not(None),
                FileLoan.starts_at <= now,
                FileLoan.ends_at > now,
            )
            .order_by(FileLoan.id)
        ).all()
        if borrower_id is not None
    )
    if not settings.scoped(user.role):
        return Scope(everything=True, file_loans=lent)
    pending = set(
        session.execute(
            select(HandoverBorrower.borrower_id)
            .join(Handover, Handover.id == HandoverBorrower.handover_id)
            .where(
                Handover.state == "pending",
                (Handover.from_user_id == user.id) | (Handover.to_user_id == user.id),
            )
        ).scalars()
    )
    own = assigned_ids(session, user.id) - pending
    return Scope(everything=False, own=frozenset(own), read_only=frozenset(pending), file_loans=lent)


def visible_borrower_ids(
    session: Session, user: Principal, settings: AccessSettings, *, writing: bool = False
) -> set[int] | None:
    """None when the user sees every borrower, else the ids they may read (``writing``: work on)."""
    scope = scope_of(session, user, settings)
    return scope.writable() if writing else scope.readable()


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
    visible = visible_borrower_ids(session, user, settings, writing=True)
    if visible is None:
        return
    wanted = sorted(set(keys))
    existing = session.execute(select(Borrower.id, Borrower.key).where(Borrower.key.in_(wanted))).all()
    hidden = sorted(key for borrower_id, key in existing if borrower_id not in visible)
    if hidden:
        raise BorrowerNotFound(hidden[0])
