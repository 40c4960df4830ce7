"""The ledger as the timers and reports read it: plain views of ledger rows with their loan and borrower,
and what the archive holds about each loan (collection receipts, notices sent)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.catalog.ledger_tables import LedgerLoan, LedgerNotice
from dossier.archive.catalog.models import Borrower, Document, Loan
from dossier.archive.custody_history import holder_on, holdings
from dossier.finance.classification import FiveClass
from dossier.ledger.entry import LoanTerms

RECEIPT_TYPE = "collection-receipt"
"""Document type of a signed 催收回执: the evidence that interrupts the limitation period."""
CONTACT_TYPES = ("maturity-reminder", "collection-notice", RECEIPT_TYPE, "public-notice")
"""Document types that record a contact with the borrower, for the collection plan."""


@dataclass(frozen=True)
class Contact:
    """One contact the archive records for a loan: a notice sent or a receipt signed."""

    on: date
    doc_type: str
    title: str
    document_id: int


@dataclass(frozen=True, kw_only=True)
class LoanView(LoanTerms):
    """A ledger loan as stored, with its catalog ids, the day it describes and the contacts made."""

    ledger_id: int
    loan_id: int
    borrower_id: int
    as_of: date
    contacts: tuple[Contact, ...] = field(default=())

    @property
    def is_overdue(self) -> bool:
        return self.overdue_since is not None and (self.overdue_principal > 0 or self.overdue_interest > 0)

    def last_receipt(self, after: date | None = None) -> date | None:
        """The latest signed collection receipt's date, on or after ``after`` when given."""
        dates = [
            c.on for c in self.contacts if c.doc_type == RECEIPT_TYPE and (after is None or c.on >= after)
        ]
        return max(dates, default=None)


def load_views(session: Session, *, with_contacts: bool = False) -> list[LoanView]:
    """Every ledger row, in contract-number order."""
    # Plain rows of the columns a view needs, not ORM objects: this reads the whole portfolio.
    rows = session.execute(
        select(
            LedgerLoan.id,
            LedgerLoan.receipt_number,
            LedgerLoan.annual_rate,
            LedgerLoan.method,
            LedgerLoan.balance,
            LedgerLoan.overdue_principal,
            LedgerLoan.overdue_interest,
            LedgerLoan.overdue_since,
            LedgerLoan.last_inspection,
            LedgerLoan.five_class,
            LedgerLoan.guarantors,
            LedgerLoan.as_of,
            Loan.id.label("loan_id"),
            Loan.contract_number,
            Loan.product,
            Loan.amount,
            Loan.start_date,
            Loan.maturity_date,
            Loan.officer.label("loan_officer"),
            Borrower.id.label("borrower_id"),
            Borrower.key,
            Borrower.name,
            Borrower.customer_type,
            Borrower.officer.label("borrower_officer"),
        )
        .join(Loan, LedgerLoan.loan_id == Loan.id)
        .join(Borrower, Loan.borrower_id == Borrower.id)
        .order_by(Loan.contract_number)
    ).all()
    contacts = _contacts(session) if with_contacts else {}
    # From a handover's or transfer's date, the new holder is named, whatever the ledger row says.
    held = holdings(session)
    return [
        LoanView(
            ledger_id=row.id,
            loan_id=row.loan_id,
            borrower_id=row.borrower_id,
            contract_number=row.contract_number,
            receipt_number=row.receipt_number,
            borrower_key=row.key,
            borrower_name=row.name,
            customer_type=row.customer_type,
            product=row.product,
            amount=Decimal(row.amount or 0),
            annual_rate=Decimal(row.annual_rate),
            method=row.method,
            start_date=row.start_date or row.as_of,
            maturity_date=row.maturity_date or row.as_of,
            balance=Decimal(row.balance),
            overdue_principal=Decimal(row.overdue_principal),
            overdue_interest=Decimal(row.overdue_interest),
            overdue_since=row.overdue_since,
            last_inspection=row.last_inspection,
            five_class=FiveClass(row.five_class),
            officer=holder_on(held.get(row.borrower_id, []), row.as_of, row.loan_id)
            or row.loan_officer
            or row.borrower_officer,
            guarantors=tuple(row.guarantors or ()),
            as_of=row.as_of,
            contacts=tuple(contacts.get(row.loan_id, ())),
        )
        for row in rows
    ]


def _contacts(session: Session) -> dict[int, list[Contact]]:
    found: dict[int, list[Contact]] = defaultdict(list)
    rows = session.execute(
        select(
            Document.id,
            Document.loan_id,
            Document.doc_type,
            Document.title,
            Document.doc_date,
            Document.filed_at,
        )
        .where(Document.doc_type.in_(CONTACT_TYPES), Document.state == "filed", Document.loan_id.is_not(None))
        .order_by(Document.id)
    ).all()
    for doc_id, loan_id, doc_type, title, doc_date, filed_at in rows:
        if loan_id is None:  # never: the query asks for a loan; the column itself is nullable
            continue
        # A receipt without a date is dated by its filing: the latest day it can have been signed.
        on = doc_date or filed_at.date()
        found[loan_id].append(Contact(on, doc_type, title, doc_id))
    for contacts in found.values():
        contacts.sort(key=lambda c: (c.on, c.document_id))
    return found


def sent_events(session: Session, ledger_ids: Iterable[int] | None = None) -> set[tuple[int, str, str]]:
    """(ledger row, kind, event) of every notice the ledger generated whose document is filed."""
    query = (
        select(LedgerNotice.ledger_loan_id, LedgerNotice.kind, LedgerNotice.event)
        .join(Document, LedgerNotice.document_id == Document.id)
        .where(Document.state == "filed")
    )
    if ledger_ids is not None:
        query = query.where(LedgerNotice.ledger_loan_id.in_(list(ledger_ids)))
    return {(a, b, c) for a, b, c in session.execute(query).all()}


def unlinked_documents(session: Session, doc_type: str, on: date) -> dict[int, int]:
    """loan id → a filed document of ``doc_type`` dated ``on`` that no ledger notice claims yet.

    A run stopped between filing a notice and recording its link leaves such a document; the next run
    adopts it instead of generating the notice again.
    """
    linked = select(LedgerNotice.document_id)
    rows = session.execute(
        select(Document.loan_id, Document.id).where(
            Document.doc_type == doc_type,
            Document.doc_date == on,
            Document.state == "filed",
            Document.loan_id.is_not(None),
            Document.id.not_in(linked),
            Document.media_type.like("%wordprocessingml%"),
        )
    ).all()
    return {loan_id: doc_id for loan_id, doc_id in rows if loan_id is not None}  # is_not(None) above
