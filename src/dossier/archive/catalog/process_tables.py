"""The credit process (授信申请): applications, their steps and their open 补充材料 items.

The audit chain is the record of every step (``application.*`` events); ``application_steps`` mirrors it
for queries (a row's ``seq`` is its event's sequence number). ``applications.version`` is the optimistic
lock: every step raises it, and a step that names an older version is refused (the application moved).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from dossier.archive.catalog.models import Base


class ApplicationRow(Base):
    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_status_stage", "status", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    product: Mapped[str] = mapped_column(String(60))
    flow: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_months: Mapped[int] = mapped_column(Integer)
    guarantees: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str | None] = mapped_column(String(200))
    applicant: Mapped[str] = mapped_column(String(50), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str | None] = mapped_column(String(50), index=True)
    """The user the application waits on; None: anyone with the stage's role."""
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    stage_since: Mapped[datetime]
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """有条件通过: approved amount, term, added guarantees and condition texts."""
    contract_number: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApplicationStepRow(Base):
    __tablename__ = "application_steps"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The sequence number of the step's audit event."""
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_stage: Mapped[str | None] = mapped_column(String(40))
    to_stage: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    event_hash: Mapped[str] = mapped_column(String(64))


class OpenItemRow(Base):
    """A 补充材料 item: a document type asked for, open until a document of that type is filed."""

    __tablename__ = "application_items"
    __table_args__ = (Index("ix_application_items_open", "borrower_id", "doc_type", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    doc_type: Mapped[str] = mapped_column(String(60))
    requested_seq: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_document: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
