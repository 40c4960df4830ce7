"""Audit events for what users look at (view, download, search, export): who, what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dossier.access.users import Principal
from dossier.archive.audit import append_event


def record(
    session: Session,
    user: Principal,
    action: str,
    target: str,
    *,
    borrower_key: str | None = None,
    **details: Any,
) -> None:
    append_event(
        session,
        actor=user.actor,
        action=action,
        target=target,
        borrower_key=borrower_key,
        details={"role": user.role.value, "via": user.via, **details},
    )
