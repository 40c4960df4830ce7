"""The archive catalog: tables (models), engine and migrations (db)."""

from dossier.archive.catalog.models import AuditHead, Base, Borrower, Document, Event, Loan

__all__ = ["AuditHead", "Base", "Borrower", "Document", "Event", "Loan"]
