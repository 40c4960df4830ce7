"""The archive catalog: tables (models and the *_tables modules), engine and migrations (db)."""

# Imported for their tables: Base.metadata must hold every table wherever the catalog is used.
from dossier.archive.catalog import (  # noqa: F401
    custody_tables,
    job_tables,
    ledger_tables,
    process_tables,
    user_tables,
    verification_tables,
)
from dossier.archive.catalog.models import AuditHead, Base, Borrower, Document, Event, Loan, Rendition

__all__ = ["AuditHead", "Base", "Borrower", "Document", "Event", "Loan", "Rendition"]
