"""Borrowers: the list, one borrower with loans, the archive tree, completeness, officers, export."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from dossier.access.roles import Action
from dossier.access.scope import assign
from dossier.access.users import AccessError, Principal
from dossier.archive.audit import plain
from dossier.archive.browse import borrower_info, borrower_loans, borrower_tree, list_borrowers
from dossier.archive.completeness import evaluate, load_checklists
from dossier.archive.completeness.snapshot import load_snapshot
from dossier.archive.export import export_borrower
from dossier.service.api import schemas
from dossier.service.api.records import record
from dossier.service.deps import (
    Id,
    Services,
    ServicesDep,
    WriteSession,
    borrower_or_404,
    require,
    scope_ids,
)
from dossier.service.params import Offset, checked_day
from dossier.service.writing import require_writing

router = APIRouter(prefix="/borrowers", tags=["borrowers"])

Viewer = Annotated[Principal, Depends(require(Action.VIEW))]


def borrower_list(
    svc: Services, user: Principal, *, text: str | None, offset: int = 0, limit: int = 50
) -> tuple[int, list[dict[str, Any]]]:
    """The borrowers ``user`` may see (by part of a name or key), as the API and the page list them; the
    list is an audit event, like any view of borrower data: who looked, for what, and whom they saw."""

    def read(session: Session) -> tuple[int, list[dict[str, Any]]]:
        total, items = list_borrowers(
            session, visible=scope_ids(session, user, svc), text=text, offset=offset, limit=limit
        )
        record(
            session,
            user,
            "view",
            "borrowers:list",
            query=text,
            total=total,
            offset=offset,
            shown=[i["key"] for i in items],
        )
        return total, items

    return svc.archive.transaction(read)


@router.get("", response_model=schemas.BorrowerPage, summary="Borrowers the user may see (借款人)")
def borrowers(
    svc: ServicesDep,
    user: Viewer,
    q: Annotated[str | None, Query(max_length=100, description="Part of a name or key")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> schemas.BorrowerPage:
    total, items = borrower_list(svc, user, text=q, offset=offset, limit=limit)
    return schemas.BorrowerPage(
        total=total, offset=offset, limit=limit, items=[schemas.Borrower(**i) for i in items]
    )


@router.get("/{borrower_id}", response_model=schemas.BorrowerDetail, summary="One borrower with loans")
def borrower(
    borrower_id: Id, session: WriteSession, svc: ServicesDep, user: Viewer
) -> schemas.BorrowerDetail:
    found = borrower_or_404(session, user, svc, borrower_id)
    record(session, user, "view", f"borrower:{found.key}", borrower_key=found.key)
    return schemas.BorrowerDetail(
        **borrower_info(found), loans=[schemas.Loan(**loan) for loan in borrower_loans(session, found)]
    )


@router.get(
    "/{borrower_id}/tree",
    response_model=list[schemas.Category],
    summary="The borrower's archive in category order (档案目录)",
)
def tree(borrower_id: Id, session: WriteSession, svc: ServicesDep, user: Viewer) -> list[schemas.Category]:
    found = borrower_or_404(session, user, svc, borrower_id)
    record(session, user, "view", f"borrower:{found.key}", borrower_key=found.key, part="tree")
    out = []
    for cat in borrower_tree(session, found, svc.config):
        docs = [
            schemas.Document(**d, download_url=f"/api/v1/documents/{d['id']}/download")
            for d in cat["documents"]
        ]
        out.append(schemas.Category(**{**cat, "documents": docs}))
    return out


@router.get("/{borrower_id}/completeness", summary="The file's completeness per loan (档案完整性)")
def completeness(
    borrower_id: Id,
    session: WriteSession,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.COMPLETENESS))],
    as_of: date | None = None,
) -> dict[str, Any]:
    as_of = checked_day("as_of", "截至日期", as_of)
    found = borrower_or_404(session, user, svc, borrower_id)
    record(session, user, "view", f"borrower:{found.key}", borrower_key=found.key, part="completeness")
    result = evaluate(
        load_snapshot(session, found.key),
        load_checklists(svc.config),
        as_of or date.today(),
        config=svc.config,
    )
    return plain(dataclasses.asdict(result))


@router.post(
    "/{borrower_id}/officers",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Let an officer see this borrower (分配客户经理)",
)
def add_officer(
    borrower_id: Id,
    body: schemas.OfficerAssignment,
    session: WriteSession,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.ASSIGN))],
) -> None:
    found = borrower_or_404(session, user, svc, borrower_id)
    try:
        assign(session, body.username, found, actor=user.actor)
    except AccessError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


EXPORT: dict[str, Any] = {
    "path": "/{borrower_id}/export",
    "response_class": FileResponse,
    "responses": {200: {"content": {"application/zip": {}}, "description": "The bundle (zip)"}},
    "summary": "The borrower's credit file as a verifiable zip bundle (导出档案)",
    "description": "An export is an audit event: GET only with an API token; the web session POSTs with "
    "its CSRF token (service/writing.py).",
}


@router.get(**EXPORT)
@router.post(**EXPORT)
def export(
    borrower_id: Id,
    svc: ServicesDep,
    background: BackgroundTasks,
    user: Annotated[Principal, Depends(require_writing(Action.EXPORT))],
) -> FileResponse:
    key = svc.archive.transaction(lambda s: borrower_or_404(s, user, svc, borrower_id).key, write=False)
    folder = Path(tempfile.mkdtemp(prefix="dossier-export-"))
    output = folder / f"{key}.zip"
    export_borrower(svc.archive, key, output, actor=user.actor)
    background.add_task(_remove, folder)
    return FileResponse(output, media_type="application/zip", filename=f"{key}.zip")


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
