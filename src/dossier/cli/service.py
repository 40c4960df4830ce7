"""`dossier serve`, `dossier users`, `dossier tokens` (the HTTP service)."""

from __future__ import annotations

import typer

users_app = typer.Typer(help="Users of the service (用户).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for other systems (接口令牌).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds this module's top-level commands to the `dossier` app."""
