"""The audit chain: its events, and a verification of the chain and every file."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.audit import events_for
from dossier.archive.browse import event_info
from dossier.archive.integrity import verify_archive
from dossier.service.api import schemas
from dossier.service.deps import ReadSession, ServicesDep, require

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[Principal, Depends(require(Action.AUDIT))]


@router.get("/events", response_model=list[schemas.Event], summary="Audit events in order (审计日志)")
def events(
    session: ReadSession,
    user: Auditor,
    borrower: Annotated[str | None, Query(max_length=60, description="Only this borrower's (key)")] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[schemas.Event]:
    rows = events_for(session, borrower_key=borrower, since=since, limit=limit)
    return [schemas.Event(**event_info(e)) for e in rows]


@router.get("/verify", summary="Walk the chain and re-hash every file (审计校验)")
def verify(svc: ServicesDep, user: Auditor) -> dict[str, Any]:
    return verify_archive(svc.archive, actor=user.actor).summary()
