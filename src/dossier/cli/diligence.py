"""`dossier verify-doc` and `dossier diligence` (due diligence you can prove)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this module's top-level commands to the `dossier` app."""
