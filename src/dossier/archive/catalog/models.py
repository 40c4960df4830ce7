"""The catalog's tables (SQLAlchemy 2). Alembic migrations in ``migrations/`` create and evolve them.

SQLite in the archive home by default; every type here also maps onto PostgreSQL, so only the URL
changes when the catalog moves to a server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps, stored as UTC on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the catalog; timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Borrower(Base):
    __tablename__ = "borrowers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    """The stable key: resident ID number or unified social credit code."""
    name: Mapped[str] = mapped_column(String(200))
    customer_type: Mapped[str] = mapped_column(String(20))
    folder: Mapped[str] = mapped_column(String(300), unique=True)
    """Folder under the home, ``<key>-<name>``; fixed at first filing, so a rename never moves files."""
    officer: Mapped[str | None] = mapped_column(String(50))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Facts the checklists ask about (marital status, spouse, guarantor kinds), from generated inputs."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    loans: Mapped[list[Loan]] = relationship(back_populates="borrower")
    documents: Mapped[list[Document]] = relationship(back_populates="borrower")


class Loan(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    contract_number: Mapped[str] = mapped_column(String(60), unique=True)
    receipt_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    product: Mapped[str | None] = mapped_column(String(60))
    guarantee_methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    term_months: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    maturity_date: Mapped[date | None] = mapped_column(Date)
    officer: Mapped[str | None] = mapped_column(String(50))
    settled_on: Mapped[date | None] = mapped_column(Date)
    """结清/核销 date; retention is counted from the year after it."""
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    borrower: Mapped[Borrower] = relationship(back_populates="loans")
    documents: Mapped[list[Document]] = relationship(back_populates="loan")


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("borrower_id", "sha256", name="uq_documents_borrower_content"),
        Index("ix_documents_borrower_category", "borrower_id", "category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    doc_type: Mapped[str] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_date: Mapped[date | None] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    pages: Mapped[int | None] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(600), unique=True)
    """Relative to the archive home, always with forward slashes."""
    source: Mapped[str] = mapped_column(String(20))
    """generated, ingested or uploaded."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    version_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    """The first version of this document, when this is a later one."""
    state: Mapped[str] = mapped_column(String(12), default="filed")
    """``pending`` while the file is being put in place, ``filed`` once it is; see filing.py."""
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(50))
    filed_at: Mapped[datetime]

    borrower: Mapped[Borrower] = relationship(back_populates="documents")
    loan: Mapped[Loan | None] = relationship(back_populates="documents")


class Rendition(Base):
    """Another form of a document's content, filed beside it: the document stays one catalog row.

    A generated DOCX is the original; its PDF/A-2b is its archival rendition (``kind`` ``pdf-a``). Both
    files are hashed in the audit chain (a ``rendition`` event), and the volume uses the rendition.
    ``state`` follows the filing protocol: ``pending`` while the file is put in place (see
    archive/renditions.py), ``filed`` once it is.
    """

    __tablename__ = "renditions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(600), unique=True)
    """Relative to the archive home, beside the original (same stem)."""
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    pages: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="filed")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(50))
    filed_at: Mapped[datetime]


class Event(Base):
    """One entry of the audit log; ``hash`` chains it to the entry before (see audit.py)."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(300))
    borrower_key: Mapped[str | None] = mapped_column(String(40), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's head in one row, updated with each append: the row every writer locks, and the
    anchor that shows a deleted tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class IndexQueue(Base):
    """The search outbox: work the full-text index still owes the catalog (see dossier.archive.index_outbox).

    A row is written in the transaction that files its document and deleted only after the index has
    committed the work, so a crash in between repeats the work (adding is idempotent) and loses nothing.
    No foreign key: a ``delete`` row outlives its document on purpose.
    """

    __tablename__ = "index_queue"
    __table_args__ = (Index("ix_index_queue_op_id", "op", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(10))
    """``add`` (index or re-index), ``delete`` (drop from the index) or ``ocr`` (recognise, then add)."""
    queued_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class IndexLog(Base):
    """The index's change log: a sequenced, append-only record of what every node's index replica must
    apply (see dossier.archive.index_log). Appended in the transaction that settles the outbox row; kept
    until every live node has applied it (or for [search].log_retention_hours), then trimmed."""

    __tablename__ = "index_log"
    # logged_at indexed: trimming looks for the newest entry older than the retention window.
    __table_args__ = (Index("ix_index_log_logged_at", "logged_at"), {"sqlite_autoincrement": True})

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    op: Mapped[str] = mapped_column(String(10))
    """``add``, ``update``, ``remove`` (a document) or ``reindex`` (every replica rebuilds)."""
    document_id: Mapped[int | None] = mapped_column(Integer)
    logged_at: Mapped[datetime]


class IndexNode(Base):
    """A node's index replica: how far it has applied the change log, and when it was last seen."""

    __tablename__ = "index_nodes"

    node: Mapped[str] = mapped_column(String(200), primary_key=True)
    index_path: Mapped[str] = mapped_column(Text)
    applied_seq: Mapped[int] = mapped_column(BigInteger)
    applied_at: Mapped[datetime]
    seen_at: Mapped[datetime]


class InboxItem(Base):
    """One file found in the inbox and the steps it has passed: the watcher's journal (dossier.inbox).

    Steps run arrived → stable → hashed → extracted → classified → matched → filed → indexed → removed;
    ``step`` is the last one done and ``steps`` holds each step's time and facts. ``outcome`` is empty
    while the watcher still owes the file work, then ``filed``, ``duplicate``, ``quarantined``,
    ``assigned`` (filed from quarantine by an archivist), ``returned`` (given back to the inbox when the
    watcher stopped) or ``gone`` (taken away before the watcher claimed it).
    """

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    """Where it was found, relative to ``_inbox/``; names that are not UTF-8 are stored encoded."""
    name: Mapped[str] = mapped_column(String(300))
    """The file name made printable (control characters and separators replaced)."""
    step: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    claim: Mapped[str | None] = mapped_column(String(100))
    """The file's name in the processing area once claimed (``.dossier/state/processing/``)."""
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    media_type: Mapped[str | None] = mapped_column(String(100))
    borrower_key: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    doc_type: Mapped[str | None] = mapped_column(String(60))
    document_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(40))
    """Why it went to quarantine (a reason code, see dossier.inbox.quarantine)."""
    quarantine_path: Mapped[str | None] = mapped_column(String(600))
    """Relative to the home; set before the move, so a crash half-way is finished on restart."""
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    arrived_at: Mapped[datetime]
    updated_at: Mapped[datetime]
