"""Completeness review of credit files: checklists (YAML), evaluation, catalog snapshots, HTML report."""

from dossier.archive.completeness.checklist import Checklists, Stage, load_checklists, parse_checklists
from dossier.archive.completeness.evaluate import (
    CompletenessResult,
    FileSummary,
    ItemResult,
    ItemStatus,
    LoanResult,
    PortfolioSummary,
    evaluate,
    evaluate_loan,
    summarize,
)
from dossier.archive.completeness.snapshot import BorrowerSnapshot, DocumentFacts, LoanFacts

__all__ = [
    "BorrowerSnapshot",
    "Checklists",
    "CompletenessResult",
    "DocumentFacts",
    "FileSummary",
    "ItemResult",
    "ItemStatus",
    "LoanFacts",
    "LoanResult",
    "PortfolioSummary",
    "Stage",
    "evaluate",
    "evaluate_loan",
    "load_checklists",
    "parse_checklists",
    "summarize",
]
