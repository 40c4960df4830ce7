"""Verification records and media metadata tables."""

from __future__ import annotations

from dossier.archive.catalog.models import Base  # noqa: F401
