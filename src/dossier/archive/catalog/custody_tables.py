"""Custody over time: handovers between officers (客户移交), transfers to a department such as 资产保全
(移交资产保全), and loans of a file to a reader outside its scope (档案借阅).

Each row is also told by the audit chain (every change appends an event naming the row's number); the
tables make the current state queryable, the chain keeps the history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dossier.archive.catalog.models import Base


class Handover(Base):
    """One handover of borrowers from one officer's account to another's, effective on a date."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    """移交单号, e.g. YJ2026-00001: what acknowledgements, events and the 移交清单 name."""
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))
    """``pending`` until both officers acknowledged, then ``completed``."""
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime]
    from_ack_at: Mapped[datetime | None]
    to_ack_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HandoverBorrower(Base):
    __tablename__ = "handover_borrowers"
    __table_args__ = (UniqueConstraint("handover_id", "borrower_id", name="uq_handover_borrower"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)


class Transfer(Base):
    """A loan, or a whole borrower, transferred to a department (资产保全), with what was handed over."""

    __tablename__ = "custody_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    """None: every loan of the borrower."""
    department: Mapped[str] = mapped_column(String(40))
    """The department's key in [custody].departments."""
    department_label: Mapped[str] = mapped_column(String(40))
    """Its label at transfer: what due lists and notices name as the holder from then on."""
    reason: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column(Date)
    chain_seq: Mapped[int] = mapped_column(Integer)
    """The audit chain's head when the file was handed over: later additions have a higher sequence."""
    chain_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The completeness state at transfer, and the ids of the documents handed over."""
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime]


class FileLoan(Base):
    """A loan of a borrower's file (档案借阅): read-only, for a period, to a user outside its scope."""

    __tablename__ = "file_loans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    """借阅单号, e.g. JY2026-00001: every event under the loan names it."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    borrower_key: Mapped[str] = mapped_column(String(40))
    """As the requester typed it: a request for a borrower that does not exist is taken like any other,
    so a request never tells its maker whether a borrower exists."""
    borrower_id: Mapped[int | None] = mapped_column(ForeignKey("borrowers.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    days: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The archive categories lent; empty: the whole file."""
    state: Mapped[str] = mapped_column(String(12))
    """``requested``, ``approved``, ``refused`` or ``returned``."""
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(50))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    """Access ends at this instant: checked on every request against the clock, no job needed."""
    returned_at: Mapped[datetime | None]
    remark: Mapped[str | None] = mapped_column(Text)
    """The refusal's reason, or the archivist's note."""
