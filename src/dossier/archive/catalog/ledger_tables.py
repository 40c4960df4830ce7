"""The loan ledger's tables (filled by the portfolio-monitoring work)."""

from __future__ import annotations

from dossier.archive.catalog.models import Base  # noqa: F401
