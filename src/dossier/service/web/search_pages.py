"""The search page: the query language, filters, highlighted snippets, export to CSV."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.catalog.models import Borrower
from dossier.domain.categories import categories
from dossier.domain.document_types import document_types
from dossier.service.api.search import SearchParams, run_search, search_params
from dossier.service.deps import services
from dossier.service.params import Offset
from dossier.service.web.render import page, page_user, redirect, require_page

router = APIRouter()
PAGE_SIZE = 20


@router.get("/")
async def home(request: Request, user: Annotated[Principal, Depends(page_user)]) -> Response:
    svc = services(request)
    for href, action in (
        ("/search", Action.SEARCH),
        ("/generate", Action.GENERATE),
        ("/borrowers", Action.VIEW),
    ):
        if svc.access.allows(user.role, action):
            return redirect(href)
    return redirect("/api/v1/docs")  # the API reference (web/api_docs.py): no page for this role


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    user: Annotated[Principal, Depends(page_user)],
    params: Annotated[SearchParams, Depends(search_params)],
    offset: Offset = 0,
) -> Response:
    require_page(request, user, Action.SEARCH)
    svc = services(request)
    result, error, ids = None, None, {}
    asked = any(
        [
            params.q,
            params.borrower,
            params.loan,
            params.category,
            params.doc_type,
            params.date_from,
            params.date_to,
        ]
    )
    if asked:
        try:
            result = run_search(svc, user, params, offset=offset, limit=PAGE_SIZE, purpose="web")
        except HTTPException as exc:
            error = str(exc.detail)
        if result is not None:
            keys = {h.borrower_key for h in result.hits}
            ids = svc.archive.transaction(
                lambda s: dict(
                    s.execute(select(Borrower.key, Borrower.id).where(Borrower.key.in_(keys))).all()
                ),
                write=False,
            )
    query = {k: v for k, v in request.query_params.items() if k != "offset" and v}
    return page(
        request,
        "search.html",
        user,
        active="/search",
        params=params,
        page=result,
        error=error,
        borrower_ids=ids,
        categories=categories(svc.config),
        doc_types=document_types(svc.config),
        query_string=urlencode(query),
        next_query=urlencode({**query, "offset": offset + PAGE_SIZE}),
    )
