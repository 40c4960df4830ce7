"""The archivist's pages: the portfolio completeness dashboard and the quarantine queue."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.catalog.models import Borrower
from dossier.archive.completeness import ItemStatus
from dossier.domain.document_types import document_types
from dossier.domain.enums import Product
from dossier.domain.local_time import local_zone
from dossier.errors import DossierError
from dossier.inbox import quarantine
from dossier.service.api.completeness import portfolio
from dossier.service.api.quarantine import waiting
from dossier.service.deps import Id, services
from dossier.service.web.render import page, page_user, redirect, require_page

router = APIRouter()
User = Annotated[Principal, Depends(page_user)]

SHOWN = (
    ItemStatus.MISSING,
    ItemStatus.EXPIRED,
    ItemStatus.OVERDUE,
    ItemStatus.UNVERIFIED,
    ItemStatus.PRESENT,
)


@router.get("/completeness", response_class=HTMLResponse)
def completeness_page(request: Request, user: User, officer: str = "", product: str = "") -> Response:
    require_page(request, user, Action.PORTFOLIO)
    svc = services(request)
    summary = portfolio(svc, user, officer=officer[:50], product=product[:60], as_of=date.today())
    names, ids = svc.archive.transaction(
        lambda s: (
            sorted({o for o in s.execute(select(Borrower.officer)).scalars() if o}),
            dict(s.execute(select(Borrower.key, Borrower.id)).all()),
        ),
        write=False,
    )
    return page(
        request,
        "completeness.html",
        user,
        active="/completeness",
        summary=summary,
        statuses=[(s.value, s.label) for s in SHOWN],
        officer_names=names,
        officer=officer,
        products=list(Product),
        product=product,
        borrower_ids=ids,
    )


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine_page(request: Request, user: User) -> Response:
    require_page(request, user, Action.QUARANTINE)
    svc = services(request)
    entries = []
    for entry in waiting(svc, user):
        shown = dataclasses.asdict(entry)
        # The page speaks Chinese: the reason's Chinese label, the detail as the core wrote it.
        chinese = quarantine.REASONS.get(entry.reason, ("", entry.reason))[1]
        detail = entry.message.split(": ", 1)[1] if ": " in entry.message else ""
        shown["reason_label"], shown["detail"] = chinese, detail
        shown["arrived_local"] = (
            datetime.fromisoformat(entry.arrived_at)
            .astimezone(local_zone(svc.config))
            .strftime("%Y-%m-%d %H:%M")
        )
        entries.append(shown)
    borrowers = svc.archive.transaction(
        lambda s: [
            {"key": k, "name": n}
            for k, n in s.execute(select(Borrower.key, Borrower.name).order_by(Borrower.name))
        ],
        write=False,
    )
    return page(
        request,
        "quarantine.html",
        user,
        active="/quarantine",
        entries=entries,
        borrowers=borrowers,
        doc_types=document_types(svc.config),
    )


@router.post("/quarantine/{item_id}/assign")
def quarantine_assign(
    request: Request,
    item_id: Id,
    user: User,
    borrower: Annotated[str, Form(max_length=60)],
    doc_type: Annotated[str, Form(max_length=60)],
) -> Response:
    require_page(request, user, Action.QUARANTINE)
    svc = services(request)
    try:
        result = quarantine.assign(
            svc.archive, item_id, borrower=borrower, doc_type=doc_type, actor=user.actor
        )
    except DossierError as exc:
        return redirect(f"/quarantine?error={quote(str(exc)[:250])}")
    svc.make_searchable()
    return redirect(f"/quarantine?ok={quote(f'#{item_id} 已归档为文件 {result.document_id}')}")
