"""Files the inbox could not file, with the reason, and their assignment to a borrower."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.errors import DossierError
from dossier.inbox import quarantine
from dossier.service.api import schemas
from dossier.service.api.records import record
from dossier.service.deps import Id, Services, ServicesDep, require

router = APIRouter(prefix="/quarantine", tags=["quarantine"])

Archivist = Annotated[Principal, Depends(require(Action.QUARANTINE))]


def waiting(svc: Services, user: Principal) -> list[quarantine.Entry]:
    """The files waiting in quarantine, as the API and the page list them; the list is an audit event
    (the files are borrowers' papers, and their names and reasons say whose)."""
    found = quarantine.entries(svc.archive)
    svc.archive.transaction(lambda s: record(s, user, "view", "quarantine:list", shown=[e.id for e in found]))
    return found


@router.get("", response_model=list[schemas.QuarantineEntry], summary="Files waiting in quarantine (隔离区)")
def entries(svc: ServicesDep, user: Archivist) -> list[schemas.QuarantineEntry]:
    return [
        schemas.QuarantineEntry(**{k: v for k, v in dataclasses.asdict(e).items() if k != "path"})
        for e in waiting(svc, user)
    ]


@router.post(
    "/{item_id}/assign", response_model=schemas.Assigned, summary="File a quarantined file (分配归档)"
)
def assign(item_id: Id, body: schemas.AssignRequest, svc: ServicesDep, user: Archivist) -> schemas.Assigned:
    try:
        result = quarantine.assign(
            svc.archive,
            item_id,
            borrower=body.borrower,
            doc_type=body.doc_type,
            category=body.category,
            actor=user.actor,
        )
    except quarantine.NotWaiting as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except DossierError as exc:
        raise HTTPException(422, str(exc)) from None
    return schemas.Assigned(
        status=result.status, document_id=result.document_id, path=svc.archive.relative(result.path)
    )
