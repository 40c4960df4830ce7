"""A borrower's file as the completeness review sees it: plain frozen values, read from the catalog.

The review itself (evaluate.py) works only on these values, so tests build them by hand and the web
page can reuse one snapshot for several views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossier.archive.catalog.models import Borrower, Document
from dossier.archive.catalog.verification_tables import VerificationRow
from dossier.config import session_config
from dossier.domain.local_time import local_zone
from dossier.errors import DossierError


@dataclass(frozen=True)
class VerificationFacts:
    """A current verification record of a document (one a later record corrects is left out)."""

    id: int
    method: str
    result: str
    aspect: str
    checked_on: date
    """The day the check took place: the claimed day, else the day it was recorded."""
    recorded_on: date
    evidence_kinds: tuple[str, ...] = ()
    """``photo``, ``video``, ``audio`` or ``other``, one per evidence document."""


@dataclass(frozen=True)
class DocumentFacts:
    id: int
    doc_type: str
    doc_date: date | None = None
    loan: str | None = None
    """Contract number of the loan the document belongs to; None when it is the borrower's."""
    title: str = ""
    category: str = ""
    path: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    verifications: tuple[VerificationFacts, ...] = ()


@dataclass(frozen=True)
class LoanFacts:
    contract_number: str
    product: str | None = None
    guarantee_methods: tuple[str, ...] = ()
    term_months: int | None = None
    start_date: date | None = None
    maturity_date: date | None = None
    settled_on: date | None = None
    officer: str | None = None
    legal_hold: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)
    """five_class, customer_grade, payment_mode, guarantors, collateral/mortgagors, predicate overrides."""

    @property
    def term(self) -> int | None:
        """Term in months: as recorded, else counted from the start to the maturity date (a part
        month counts as one), else None."""
        if self.term_months:
            return self.term_months
        start, end = self.start_date, self.maturity_date
        if start and end and end > start:
            months = (end.year - start.year) * 12 + end.month - start.month
            return max(1, months + (end.day > start.day))
        return None


@dataclass(frozen=True)
class BorrowerSnapshot:
    key: str
    name: str
    customer_type: str = "自然人"
    officer: str | None = None
    legal_hold: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)
    loans: tuple[LoanFacts, ...] = ()
    documents: tuple[DocumentFacts, ...] = ()


def _snapshot(row: Borrower, checks: Mapping[int, tuple[VerificationFacts, ...]]) -> BorrowerSnapshot:
    numbers = {loan.id: loan.contract_number for loan in row.loans}
    loans = tuple(
        LoanFacts(
            contract_number=loan.contract_number,
            product=loan.product,
            guarantee_methods=tuple(loan.guarantee_methods or ()),
            term_months=loan.term_months,
            start_date=loan.start_date,
            maturity_date=loan.maturity_date,
            settled_on=loan.settled_on,
            officer=loan.officer,
            legal_hold=bool(loan.legal_hold),
            details=dict(loan.details or {}),
        )
        for loan in sorted(row.loans, key=lambda r: (r.start_date or date.max, r.contract_number))
    )
    documents = tuple(
        DocumentFacts(
            id=doc.id,
            doc_type=doc.doc_type,
            doc_date=doc.doc_date,
            loan=numbers.get(doc.loan_id) if doc.loan_id is not None else None,
            title=doc.title,
            category=doc.category,
            path=doc.path,
            details=dict(doc.details or {}),
            flags=tuple(doc.flags or ()),
            verifications=checks.get(doc.id, ()),
        )
        # Only documents whose file is in place count; a pending row is an interrupted filing.
        for doc in sorted(row.documents, key=lambda d: d.id)
        if doc.state == "filed"
    )
    return BorrowerSnapshot(
        key=row.key,
        name=row.name,
        customer_type=row.customer_type,
        officer=row.officer,
        legal_hold=bool(row.legal_hold),
        details=dict(row.details or {}),
        loans=loans,
        documents=documents,
    )


def _query() -> Any:
    return select(Borrower).options(selectinload(Borrower.loans), selectinload(Borrower.documents))


def _verifications(
    session: Session, borrower: Borrower | None = None
) -> dict[int, tuple[VerificationFacts, ...]]:
    """Each document's current verification records (by document id), with their evidence kinds."""
    query = select(VerificationRow).order_by(VerificationRow.id)
    if borrower is not None:
        query = query.where(VerificationRow.borrower_id == borrower.id)
    rows = list(session.scalars(query))
    corrected = {r.corrects_id for r in rows if r.corrects_id is not None}
    kinds: dict[int, str] = {}
    wanted = {int(i) for r in rows for i in r.evidence or ()}
    if wanted:
        for doc_id, details in session.execute(
            select(Document.id, Document.details).where(Document.id.in_(wanted))
        ).all():
            media = (details or {}).get("media") or {}
            kinds[doc_id] = str(media.get("kind") or "other")
    found: dict[int, list[VerificationFacts]] = {}
    zone = local_zone(session_config(session))
    for r in rows:
        if r.id in corrected:
            continue
        checked = r.claimed_at or r.recorded_at
        found.setdefault(r.document_id, []).append(
            VerificationFacts(
                id=r.id,
                method=r.method,
                result=r.result,
                aspect=r.aspect,
                # The day in Beijing time as the officer saw it; claimed times are stored in UTC.
                checked_on=_local_day(checked, zone),
                recorded_on=_local_day(r.recorded_at, zone),
                evidence_kinds=tuple(kinds.get(int(i), "other") for i in r.evidence or ()),
            )
        )
    return {doc: tuple(facts) for doc, facts in found.items()}


def _local_day(moment: Any, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def load_snapshot(session: Session, borrower_key: str) -> BorrowerSnapshot:
    """The snapshot of one borrower; an unknown key is an error naming it."""
    row = session.scalars(_query().where(Borrower.key == borrower_key.strip())).one_or_none()
    if row is None:
        raise DossierError(f"no borrower {borrower_key!r} in the archive (档案中没有该借款人)")
    return _snapshot(row, _verifications(session, row))


def load_snapshots(session: Session) -> list[BorrowerSnapshot]:
    """Snapshots of every borrower, by key."""
    checks = _verifications(session)
    return [_snapshot(row, checks) for row in session.scalars(_query().order_by(Borrower.key))]


__all__ = [
    "BorrowerSnapshot",
    "DocumentFacts",
    "LoanFacts",
    "VerificationFacts",
    "load_snapshot",
    "load_snapshots",
]
