"""Loans of a file (档案借阅): a user outside a borrower's scope asks to read its file, for a purpose and a
period; an archivist approves or refuses; approved access is read-only, limited to the borrower (or to
chosen categories of its file), and ends by itself at the end of the period.

The end is checked on every request against the caller's clock (``now``), so no job is needed: at
``ends_at`` exactly the loan gives nothing. A loan is reached only by its number; it never joins the
reader's ordinary scope (access.scope), so no other endpoint reads or writes more because of it. Every
request, approval, refusal, return, view and download under a loan is an audit event naming its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from dossier.access.users import Principal
from dossier.archive.audit import append_event
from dossier.archive.catalog.custody_tables import FileLoan
from dossier.archive.catalog.models import Borrower, Document
from dossier.archive.catalog.user_tables import User
from dossier.config import Config
from dossier.custody.errors import CustodyRecordNotFound, FileLoanInactive, WrongState
from dossier.custody.numbers import Prefix, number_for, provisional
from dossier.custody.settings import custody_settings
from dossier.domain.categories import categories as archive_categories
from dossier.errors import FieldProblem, InputError

PURPOSE_MAX_CHARS = 500
WHAT = "file loan (借阅单)"


class LoanState(StrEnum):
    """What is stored."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    RETURNED = "returned"


class LoanStatus(StrEnum):
    """What a loan is at a moment: derived from its state and the clock, never stored."""

    PENDING = "pending"
    OPEN = "open"
    OVERDUE = "overdue"
    PAST = "past"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    LoanStatus.PENDING: "待审批",
    LoanStatus.OPEN: "借阅中",
    LoanStatus.OVERDUE: "已到期未归还",
    LoanStatus.PAST: "已结束",
}


def status_of(loan: FileLoan, now: datetime) -> LoanStatus:
    """Open while ``starts_at <= now < ends_at``; overdue once the period ended and nobody closed it
    (access has ended already; the archivist still records the return)."""
    state = LoanState(loan.state)
    if state is LoanState.REQUESTED:
        return LoanStatus.PENDING
    if state is LoanState.APPROVED and loan.ends_at is not None:
        return LoanStatus.OPEN if now < loan.ends_at else LoanStatus.OVERDUE
    return LoanStatus.PAST


@dataclass(frozen=True)
class LoanInfo:
    number: str
    username: str
    display_name: str
    borrower_key: str
    borrower_name: str | None
    purpose: str
    days: int
    categories: tuple[str, ...]
    state: LoanState
    status: LoanStatus
    status_label: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    returned_at: datetime | None
    remark: str | None


def _problem(path: str, label: str, reason: str) -> InputError:
    return InputError([FieldProblem(path, label, reason)])


def _days(days: int | None, config: Config) -> int:
    settings = custody_settings(config)
    chosen = settings.loan_default_days if days is None else days
    if not 1 <= chosen <= settings.loan_max_days:
        raise _problem(
            "days", "借阅天数", f"must be between 1 and {settings.loan_max_days} days, not {chosen}"
        )
    return chosen


def _categories(wanted: list[str] | None, config: Config) -> list[str]:
    """Category keys (key, label or number accepted), in volume order; empty: the whole file."""
    known = archive_categories(config)
    chosen: set[str] = set()
    for text in wanted or []:
        match = next((c for c in known if text.strip() in (c.key, c.label, c.folder, str(c.number))), None)
        if match is None:
            names = ", ".join(f"{c.key}/{c.label}" for c in known)
            raise _problem("categories", "借阅类别", f"unknown category {text!r}; known: {names}")
        chosen.add(match.key)
    return [c.key for c in known if c.key in chosen]


def _find(session: Session, number: str) -> FileLoan:
    loan = session.execute(select(FileLoan).where(FileLoan.number == number)).scalar_one_or_none()
    if loan is None:
        raise CustodyRecordNotFound(WHAT, number)
    return loan


def _event(session: Session, actor: str, action: str, loan: FileLoan, **details: object) -> None:
    borrower = session.get(Borrower, loan.borrower_id) if loan.borrower_id is not None else None
    append_event(
        session,
        actor=actor,
        action=action,
        target=f"file-loan:{loan.number}",
        borrower_key=borrower.key if borrower is not None else None,
        details={"file_loan": loan.number, **details},
    )


def request_loan(
    session: Session,
    user: Principal,
    borrower_key: str,
    purpose: str,
    *,
    days: int | None,
    categories: list[str] | None,
    config: Config,
    now: datetime,
) -> FileLoan:
    """Record a request. A key that names no borrower is taken like any other (the archivist refuses it),
    so the answer never tells the requester whether a borrower exists."""
    key = borrower_key.strip()
    if not key or len(key) > 40:
        raise _problem("borrower", "借款人", "give the borrower's key (1 to 40 characters)")
    text = purpose.strip()
    if not text or len(text) > PURPOSE_MAX_CHARS:
        raise _problem("purpose", "借阅目的", f"say why (1 to {PURPOSE_MAX_CHARS} characters)")
    chosen_days = _days(days, config)
    chosen = _categories(categories, config)
    borrower_id = session.execute(select(Borrower.id).where(Borrower.key == key)).scalar_one_or_none()
    loan = FileLoan(
        number=provisional(),
        user_id=user.id,
        borrower_key=key,
        borrower_id=borrower_id,
        purpose=text,
        days=chosen_days,
        categories=chosen,
        state=LoanState.REQUESTED.value,
        requested_at=now,
    )
    session.add(loan)
    session.flush()
    loan.number = number_for(Prefix.FILE_LOAN, loan.id, now)
    # The event names the typed key only in its details: no borrower_key for a borrower that is not there.
    _event(session, user.actor, "file-loan.request", loan, days=chosen_days, categories=chosen, purpose=text)
    return loan


def approve(
    session: Session,
    number: str,
    *,
    actor: str,
    now: datetime,
    config: Config,
    days: int | None = None,
    categories: list[str] | None = None,
    remark: str | None = None,
) -> FileLoan:
    """Approve a requested loan from ``now``, for its days (or ``days``), its categories (or
    ``categories``: an archivist may narrow or choose them)."""
    loan = _find(session, number)
    if loan.state != LoanState.REQUESTED.value:
        raise WrongState(f"{WHAT} {number} is {loan.state}, not requested (不是待审批状态)")
    if loan.borrower_id is None:
        raise _problem(
            "borrower", "借款人", f"{loan.borrower_key!r} names no borrower in the archive; refuse it"
        )
    loan.days = _days(days if days is not None else loan.days, config)
    if categories is not None:
        loan.categories = _categories(categories, config)
    loan.state = LoanState.APPROVED.value
    loan.decided_at = loan.starts_at = now
    loan.ends_at = now + timedelta(days=loan.days)
    loan.decided_by = actor[:50]
    loan.remark = (remark or "").strip() or None
    _event(
        session,
        actor,
        "file-loan.approve",
        loan,
        days=loan.days,
        categories=list(loan.categories),
        ends_at=loan.ends_at.isoformat(),
    )
    return loan


def refuse(session: Session, number: str, *, actor: str, reason: str, now: datetime) -> FileLoan:
    loan = _find(session, number)
    if loan.state != LoanState.REQUESTED.value:
        raise WrongState(f"{WHAT} {number} is {loan.state}, not requested (不是待审批状态)")
    text = reason.strip()
    if not text or len(text) > PURPOSE_MAX_CHARS:
        raise _problem("reason", "拒绝理由", f"say why (1 to {PURPOSE_MAX_CHARS} characters)")
    loan.state = LoanState.REFUSED.value
    loan.decided_at = now
    loan.decided_by = actor[:50]
    loan.remark = text
    _event(session, actor, "file-loan.refuse", loan, reason=text)
    return loan


def return_loan(session: Session, number: str, *, actor: str, now: datetime) -> FileLoan:
    """Close an approved loan (归还): early, or after its period ended (then it was overdue)."""
    loan = _find(session, number)
    if loan.state != LoanState.APPROVED.value:
        raise WrongState(f"{WHAT} {number} is {loan.state}, not lent (不是借阅中)")
    was = status_of(loan, now)
    loan.state = LoanState.RETURNED.value
    loan.returned_at = now
    _event(session, actor, "file-loan.return", loan, was=was.value)
    return loan


def active_loan(session: Session, user: Principal, number: str, now: datetime) -> tuple[FileLoan, Borrower]:
    """The loan, if it is ``user``'s and gives access at ``now``. Another user's loan answers as one that
    does not exist; the user's own loan that does not give access now says why."""
    loan = _find(session, number)
    if loan.user_id != user.id:
        raise CustodyRecordNotFound(WHAT, number)
    status = status_of(loan, now)
    if status is not LoanStatus.OPEN or loan.borrower_id is None:
        raise FileLoanInactive(number, f"gives no access now: {status.value} ({status.label})")
    borrower = session.get(Borrower, loan.borrower_id)
    assert borrower is not None  # a foreign key
    return loan, borrower


def _lent(loan: FileLoan) -> list[ColumnElement[bool]]:
    """The documents a loan lends: its borrower's, of its categories (all when it names none)."""
    wanted = list(loan.categories or [])
    filters: list[ColumnElement[bool]] = [Document.borrower_id == loan.borrower_id, Document.state == "filed"]
    if wanted:
        filters.append(Document.category.in_(wanted))
    return filters


def lent_documents(
    session: Session, user: Principal, number: str, now: datetime
) -> tuple[FileLoan, Borrower, list[Document]]:
    """What the loan lends, every filed document in category and id order; one ``view``
    event naming the loan."""
    loan, borrower = active_loan(session, user, number, now)
    docs = list(
        session.execute(
            select(Document).where(*_lent(loan)).order_by(Document.category, Document.id)
        ).scalars()
    )
    append_event(
        session,
        actor=user.actor,
        action="view",
        target=f"borrower:{borrower.key}",
        borrower_key=borrower.key,
        details={"file_loan": loan.number, "documents": len(docs), "role": user.role.value},
    )
    return loan, borrower, docs


def lent_document(
    session: Session, user: Principal, number: str, document_id: int, now: datetime
) -> Document:
    """One document under the loan, for download; a document outside the loan (another borrower, another
    category) answers as one that does not exist. The ``download`` event names the loan."""
    loan, borrower = active_loan(session, user, number, now)
    doc = session.execute(
        select(Document).where(Document.id == document_id, *_lent(loan))
    ).scalar_one_or_none()
    if doc is None:
        raise CustodyRecordNotFound("document (文件)", str(document_id))
    append_event(
        session,
        actor=user.actor,
        action="download",
        target=f"document:{doc.id}",
        borrower_key=borrower.key,
        details={"file_loan": loan.number, "sha256": doc.sha256, "role": user.role.value},
    )
    return doc


def list_loans(
    session: Session, now: datetime, *, user_id: int | None = None, status: LoanStatus | None = None
) -> list[LoanInfo]:
    """Loans of files, newest first; ``user_id``: only that user's; ``status``: only those."""
    query = (
        select(FileLoan, User, Borrower)
        .join(User, User.id == FileLoan.user_id)
        .outerjoin(Borrower, Borrower.id == FileLoan.borrower_id)
        .order_by(FileLoan.id.desc())
    )
    if user_id is not None:
        query = query.where(FileLoan.user_id == user_id)
    out = []
    for loan, user, borrower in session.execute(query).all():
        current = status_of(loan, now)
        if status is not None and current is not status:
            continue
        out.append(info(loan, user, borrower, current, reveal=user_id is None))
    return out


def info(
    loan: FileLoan, user: User, borrower: Borrower | None, current: LoanStatus, *, reveal: bool = True
) -> LoanInfo:
    """``reveal`` False (the requester's own view): the borrower's name only once the loan was approved,
    so a pending or refused request does not tell whether its key names a borrower."""
    if not reveal and loan.state not in (LoanState.APPROVED.value, LoanState.RETURNED.value):
        borrower = None
    return LoanInfo(
        number=loan.number,
        username=user.username,
        display_name=user.display_name,
        borrower_key=loan.borrower_key,
        borrower_name=borrower.name if borrower is not None else None,
        purpose=loan.purpose,
        days=loan.days,
        categories=tuple(loan.categories or ()),
        state=LoanState(loan.state),
        status=current,
        status_label=current.label,
        requested_at=loan.requested_at,
        decided_by=loan.decided_by,
        decided_at=loan.decided_at,
        starts_at=loan.starts_at,
        ends_at=loan.ends_at,
        returned_at=loan.returned_at,
        remark=loan.remark,
    )


def loan_info(session: Session, number: str, now: datetime, *, user_id: int | None = None) -> LoanInfo:
    """One loan; with ``user_id``, only if it is that user's (else as if it did not exist)."""
    loan = _find(session, number)
    if user_id is not None and loan.user_id != user_id:
        raise CustodyRecordNotFound(WHAT, number)
    user = session.get(User, loan.user_id)
    assert user is not None  # a foreign key
    borrower = session.get(Borrower, loan.borrower_id) if loan.borrower_id is not None else None
    return info(loan, user, borrower, status_of(loan, now), reveal=user_id is None)
