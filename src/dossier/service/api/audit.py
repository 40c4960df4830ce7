"""The audit chain: its events, and a verification of the chain and every file."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.audit import events_for
from dossier.archive.browse import event_info
from dossier.archive.integrity import verify_archive
from dossier.domain.local_time import local_zone
from dossier.service.api import schemas
from dossier.service.api.records import record
from dossier.service.deps import ServicesDep, require
from dossier.service.params import checked_moment
from dossier.service.writing import require_writing

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[Principal, Depends(require(Action.AUDIT))]
Verifier = Annotated[Principal, Depends(require_writing(Action.AUDIT))]


@router.get("/events", response_model=list[schemas.Event], summary="Audit events in order (审计日志)")
def events(
    svc: ServicesDep,
    user: Auditor,
    # A key is at most 40 characters (borrowers.key); a longer one would not fit the view event either.
    borrower: Annotated[str | None, Query(max_length=40, description="Only this borrower's (key)")] = None,
    since: Annotated[
        datetime | None, Query(description="From this moment (ISO 8601; without an offset, the bank's clock)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[schemas.Event]:
    start = checked_moment("since", "起始时间", since, local_zone(svc.config))

    def read(session: Session) -> list[schemas.Event]:
        rows = events_for(session, borrower_key=borrower, since=start, limit=limit)
        shown = [schemas.Event(**event_info(e)) for e in rows]
        # Reading the chain is itself a view (events name borrowers and what was done to their files).
        record(
            session,
            user,
            "view",
            "audit:events",
            borrower_key=borrower,
            since=start.isoformat() if start else None,
            limit=limit,
            returned=len(shown),
        )
        return shown

    return svc.archive.transaction(read)


VERIFY: dict[str, Any] = {
    "path": "/verify",
    "summary": "Walk the chain and re-hash every file (审计校验)",
    "description": "A verification run is an audit event: GET only with an API token; the web session "
    "POSTs with its CSRF token (service/writing.py).",
}


@router.get(**VERIFY)
@router.post(**VERIFY)
def verify(svc: ServicesDep, user: Verifier) -> dict[str, Any]:
    return verify_archive(svc.archive, actor=user.actor).summary()
