"""`dossier ledger import`, `dossier due`, `dossier notices`, `dossier report` (portfolio monitoring)."""

from __future__ import annotations

import typer

ledger_app = typer.Typer(help="The loan ledger (贷款台账).", no_args_is_help=True)
report_app = typer.Typer(help="Portfolio reports (月报 / 旬报).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds this module's top-level commands to the `dossier` app."""
