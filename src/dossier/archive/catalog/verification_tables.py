"""Verification records (核实记录): a queryable mirror of the ``verify`` events of the audit chain.

The chain is the record; this table only makes it searchable by document, borrower and loan. A row is
written in the transaction that appends its event and never changed afterwards (on SQLite, triggers made
by migration 0005 refuse UPDATE and DELETE). A row's ``id`` is its event's sequence number, so
核实记录第 57 号 is audit event 57 and ``dossier audit verify`` vouches for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dossier.archive.catalog.models import Base


class VerificationRow(Base):
    __tablename__ = "verification_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The sequence number of the record's audit event."""
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    aspect: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(50))
    with_people: Mapped[list[str]] = mapped_column(default=list)
    claimed_at: Mapped[datetime | None]
    """When the officer says the check took place (the visit, the call); what they claim, not proof."""
    recorded_at: Mapped[datetime]
    """When the record was made: its event's time, never given by the caller."""
    place: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("verification_records.id"), index=True)
    evidence: Mapped[list[int]] = mapped_column(JSON, default=list)
    """The evidence documents' ids (the event holds their hashes and paths)."""
    event_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
