"""Calendar helpers for the finance package.

Month arithmetic has one home, :mod:`dossier.domain.dates`; this module only re-exports it so the
finance modules read ``from dossier.finance.calendar import add_months``.
"""

from __future__ import annotations

from dossier.domain.dates import add_months

__all__ = ["add_months"]
