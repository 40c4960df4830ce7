"""The loan ledger's tables: the branch's portfolio as last imported, linked to the archive.

A ledger row holds what changes month by month (balance, arrears, class, last inspection, rate, method,
guarantors); the loan's standing facts (borrower, amount, dates, product, officer) stay on the catalog's
``loans`` row it points to, so each fact has one home. ``ledger_notices`` links a ledger row to the
filed documents the ledger generated for it, one per notice kind and due event; ``ledger_snapshots``
keeps the portfolio's totals per import day, for the overdue trend of the reports.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossier.archive.catalog.models import Base, Document, Loan


class LedgerLoan(Base):
    __tablename__ = "ledger_loans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), unique=True)
    receipt_number: Mapped[str] = mapped_column(String(60))
    """The 借据 the ledger row tracks (the loan's list of receipts keeps every one seen)."""
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    """Percent, 4.35 = 4.35 %."""
    method: Mapped[str] = mapped_column(String(30))
    """Repayment method value (dossier.domain.enums.RepaymentMethod)."""
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_principal: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_interest: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_since: Mapped[date | None] = mapped_column(Date)
    last_inspection: Mapped[date | None] = mapped_column(Date)
    five_class: Mapped[str] = mapped_column(String(10))
    """The recorded class, in Chinese (正常 … 损失)."""
    guarantors: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Guarantors' ID numbers or credit codes."""
    source: Mapped[str] = mapped_column(String(300))
    """The file and line the row last came from, e.g. ``ledger.xlsx:17``."""
    as_of: Mapped[date] = mapped_column(Date)
    """The day the figures describe (the import's as-of date)."""
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    loan: Mapped[Loan] = relationship()
    notices: Mapped[list[LedgerNotice]] = relationship(back_populates="ledger_loan")


class LedgerNotice(Base):
    __tablename__ = "ledger_notices"
    __table_args__ = (UniqueConstraint("ledger_loan_id", "kind", "event", name="uq_ledger_notices_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger_loan_id: Mapped[int] = mapped_column(ForeignKey("ledger_loans.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    """The document kind generated (reminder, collection, collection-plan)."""
    event: Mapped[str] = mapped_column(String(80))
    """The due event the notice answers, e.g. ``maturity:2026-12-28`` or ``overdue:2026-09-20:2``."""
    as_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]

    ledger_loan: Mapped[LedgerLoan] = relationship(back_populates="notices")
    document: Mapped[Document] = relationship()


class LedgerSnapshot(Base):
    __tablename__ = "ledger_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_on: Mapped[date] = mapped_column(Date, unique=True)
    loans: Mapped[int] = mapped_column(Integer)
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_loans: Mapped[int] = mapped_column(Integer)
    overdue_principal: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    """Balance of the loans with anything overdue (the usual 逾期贷款余额)."""
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Balances by class and by overdue bucket, as strings."""
    recorded_at: Mapped[datetime]
