"""Transfer to 资产保全 (移交资产保全): a loan, or a borrower, moves to a configured department with the
reason and a snapshot of the file.

The snapshot is the completeness state and the audit chain's head at transfer, with the ids of the
documents handed over: a document filed later has a higher chain sequence and is not in the list, so what
was handed over and what was added afterwards are told apart. From the transfer's date the department
holds the loan: collection notices and timers name it (archive.custody_history), and, when the
department has an account ([custody].departments.<key>.account), the borrower is assigned to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.scope import assign_user
from dossier.access.users import UnknownUser, get_user
from dossier.archive.audit import append_event
from dossier.archive.catalog.custody_tables import Transfer
from dossier.archive.catalog.models import AuditHead, Borrower, Document, Loan
from dossier.archive.catalog.user_tables import Assignment, User
from dossier.config import Config
from dossier.custody.errors import CustodyRecordNotFound
from dossier.custody.file_state import file_states
from dossier.custody.numbers import Prefix, number_for, provisional
from dossier.custody.settings import custody_settings
from dossier.errors import FieldProblem, InputError

WHAT = "transfer (保全移交单)"
REASON_MAX_CHARS = 1000


@dataclass(frozen=True)
class TransferInfo:
    number: str
    borrower_key: str
    borrower_name: str
    contract_number: str | None
    department: str
    department_label: str
    reason: str
    effective_on: date
    chain_seq: int
    chain_hash: str
    snapshot: dict[str, Any]
    created_by: str
    created_at: datetime
    added_since: tuple[int, ...]
    """Documents of the file filed after the transfer: not part of what was handed over."""


def _problem(path: str, label: str, reason: str) -> InputError:
    return InputError([FieldProblem(path, label, reason)])


def transfer(
    session: Session,
    *,
    borrower_key: str,
    contract_number: str | None,
    department: str,
    reason: str,
    effective_on: date,
    actor: str,
    config: Config,
    now: datetime,
) -> Transfer:
    settings = custody_settings(config)
    if department not in settings.departments:
        known = ", ".join(f"{k} ({d.label})" for k, d in settings.departments.items())
        raise _problem("department", "接收部门", f"unknown department {department!r}; configured: {known}")
    text = reason.strip()
    if not text or len(text) > REASON_MAX_CHARS:
        raise _problem("reason", "移交原因", f"say why (1 to {REASON_MAX_CHARS} characters)")
    borrower = session.execute(
        select(Borrower).where(Borrower.key == borrower_key.strip())
    ).scalar_one_or_none()
    if borrower is None:
        raise _problem("borrower", "借款人", f"no borrower {borrower_key!r}")
    loan = None
    if contract_number:
        loan = session.execute(
            select(Loan).where(
                Loan.contract_number == contract_number.strip(), Loan.borrower_id == borrower.id
            )
        ).scalar_one_or_none()
        if loan is None:
            raise _problem(
                "contract_number", "合同编号", f"{contract_number!r} is not a loan of {borrower.key}"
            )
    head = session.get(AuditHead, 1)
    chain_seq, chain_hash = (head.seq, head.hash) if head is not None else (0, "")
    state = file_states(session, [borrower], effective_on, config, loan_id=loan.id if loan else None)[0]
    documents = [
        doc_id
        for doc_id, doc_loan in session.execute(
            select(Document.id, Document.loan_id)
            .where(Document.borrower_id == borrower.id, Document.state == "filed")
            .order_by(Document.id)
        ).all()
        if loan is None or doc_loan in (None, loan.id)
    ]
    row = Transfer(
        number=provisional(),
        borrower_id=borrower.id,
        loan_id=loan.id if loan else None,
        department=department,
        department_label=settings.departments[department].label,
        reason=text,
        effective_on=effective_on,
        chain_seq=chain_seq,
        chain_hash=chain_hash,
        snapshot={"completeness": state.as_dict(), "documents": documents},
        created_by=actor[:50],
        created_at=now,
    )
    session.add(row)
    session.flush()
    row.number = number_for(Prefix.TRANSFER, row.id, now)
    account = settings.departments[department].account
    if account:
        try:
            holder = get_user(session, account)
        except UnknownUser:
            raise _problem("department", "接收部门", f"its account {account!r} does not exist") from None
        assign_user(session, holder, borrower, actor=f"transfer:{row.number}")
        if loan is None:
            _end_other_assignments(session, borrower, holder, row.number)
    append_event(
        session,
        actor=actor,
        action="custody.transfer",
        target=f"transfer:{row.number}",
        borrower_key=borrower.key,
        details={
            "transfer": row.number,
            "department": department,
            "contract_number": loan.contract_number if loan else None,
            "chain_seq": chain_seq,
            "chain_hash": chain_hash,
            "documents": documents,
        },
    )
    return row


def _end_other_assignments(session: Session, borrower: Borrower, holder: User, number: str) -> None:
    """A whole borrower handed to a department with an account is theirs alone: every other account's
    assignment ends, each an audit event (a single loan leaves the officer the borrower's other loans)."""
    ended = session.execute(
        select(Assignment, User)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.borrower_id == borrower.id, Assignment.user_id != holder.id)
        .order_by(User.username)
    ).all()
    for assignment, user in ended:
        session.delete(assignment)
        append_event(
            session,
            actor=f"transfer:{number}",
            action="borrower.unassign",
            target=user.username,
            borrower_key=borrower.key,
            details={"transfer": number},
        )


def find_transfer(session: Session, number: str) -> Transfer:
    row = session.execute(select(Transfer).where(Transfer.number == number)).scalar_one_or_none()
    if row is None:
        raise CustodyRecordNotFound(WHAT, number)
    return row


def info(session: Session, row: Transfer) -> TransferInfo:
    borrower = session.get(Borrower, row.borrower_id)
    assert borrower is not None  # a foreign key
    loan = session.get(Loan, row.loan_id) if row.loan_id is not None else None
    handed = set(row.snapshot.get("documents", []))
    later = session.execute(
        select(Document.id, Document.loan_id)
        .where(Document.borrower_id == borrower.id, Document.state == "filed")
        .order_by(Document.id)
    ).all()
    return TransferInfo(
        number=row.number,
        borrower_key=borrower.key,
        borrower_name=borrower.name,
        contract_number=loan.contract_number if loan else None,
        department=row.department,
        department_label=row.department_label,
        reason=row.reason,
        effective_on=row.effective_on,
        chain_seq=row.chain_seq,
        chain_hash=row.chain_hash,
        snapshot=dict(row.snapshot),
        created_by=row.created_by,
        created_at=row.created_at,
        added_since=tuple(
            doc_id
            for doc_id, doc_loan in later
            if doc_id not in handed and (row.loan_id is None or doc_loan in (None, row.loan_id))
        ),
    )


def list_transfers(session: Session) -> list[TransferInfo]:
    return [
        info(session, r) for r in session.execute(select(Transfer).order_by(Transfer.id.desc())).scalars()
    ]
