"""Users, API tokens and sessions of the service."""

from __future__ import annotations

from dossier.archive.catalog.models import Base  # noqa: F401
