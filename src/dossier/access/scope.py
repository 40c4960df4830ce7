"""Which borrowers a user sees: all of them, or for a scoped role (officers) the borrowers whose
documents name them as officer, and those assigned to them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossier.access.roles import AccessSettings
from dossier.access.users import AccessError, Principal, get_user
from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.catalog.user_tables import Assignment


def visible_borrower_ids(session: Session, user: Principal, settings: AccessSettings) -> set[int] | None:
    """None when the user sees every borrower, else the ids they may see."""
    if not settings.scoped(user.role):
        return None
    named = select(Borrower.id).where(
        or_(
            Borrower.officer == user.display_name,
            Borrower.id.in_(select(Loan.borrower_id).where(Loan.officer == user.display_name)),
        )
    )
    assigned = select(Assignment.borrower_id).where(Assignment.user_id == user.id)
    return set(session.execute(named).scalars()) | set(session.execute(assigned).scalars())


def may_see(session: Session, user: Principal, settings: AccessSettings, borrower_id: int) -> bool:
    visible = visible_borrower_ids(session, user, settings)
    return visible is None or borrower_id in visible


def assign(session: Session, username: str, borrower: Borrower, *, actor: str) -> bool:
    """Let ``username`` see ``borrower``; False if they already could through an assignment."""
    user = get_user(session, username)
    exists = session.execute(
        select(Assignment.id).where(Assignment.user_id == user.id, Assignment.borrower_id == borrower.id)
    ).first()
    if exists:
        return False
    if not user.active:
        raise AccessError(f"user (用户) {username!r} is disabled (用户已停用)")
    session.add(Assignment(borrower_id=borrower.id, user_id=user.id, created_at=datetime.now(UTC)))
    append_event(session, actor=actor, action="borrower.assign", target=username, borrower_key=borrower.key)
    return True


def refuse_hidden(session: Session, user: Principal, settings: AccessSettings, keys: list[str]) -> None:
    """Refuse to file for a borrower the user may not see: an officer works only on their own
    borrowers and new ones (which then become theirs)."""
    visible = visible_borrower_ids(session, user, settings)
    if visible is None:
        return
    existing = session.execute(select(Borrower.id, Borrower.key).where(Borrower.key.in_(keys))).all()
    hidden = sorted(key for borrower_id, key in existing if borrower_id not in visible)
    if hidden:
        raise AccessError(
            f"borrower (借款人) {', '.join(hidden)} belongs to another officer (该借款人由其他客户经理管理); "
            "ask an archivist to assign it to you"
        )
