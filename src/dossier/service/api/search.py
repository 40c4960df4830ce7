"""Full-text search over the archive the user may see: the query language, filters, paging, snippets."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response
from pydantic_core import to_json
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.catalog.models import Borrower
from dossier.errors import DossierError
from dossier.retrying import write_lock_soon
from dossier.search.csv_export import write_csv
from dossier.search.fields import Filters, SearchError, make_filters
from dossier.search.marking import marked
from dossier.search.querying import SearchHit, SearchPage
from dossier.service.api import schemas
from dossier.service.deps import Caller, Services, ServicesDep, caller, require, scope_ids
from dossier.service.params import Offset, parse_day
from indexer.query import QuerySyntaxError

router = APIRouter(prefix="/search", tags=["search"])

SearchCaller = Annotated[Caller, Depends(caller(Action.SEARCH))]

MAX_EXPORT = 10_000


Text = Annotated[str, Query(max_length=500, description='Words, "phrases", OR, -word, field:value')]
BorrowerKey = Annotated[str | None, Query(max_length=60, description="Borrower key")]
LoanNumber = Annotated[str | None, Query(max_length=60, description="Contract or 借据 number")]
CategoryName = Annotated[str | None, Query(max_length=40, description="Category key or label")]
TypeName = Annotated[str | None, Query(max_length=60, description="Document type key or label")]
DateFrom = Annotated[str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD")]
DateTo = Annotated[str | None, Query(alias="to", max_length=10, description="YYYY-MM-DD")]


class SearchParams:
    """A search's words and filters as the request gave them (made by :func:`search_params`)."""

    def __init__(
        self,
        q: str,
        borrower: str | None,
        loan: str | None,
        category: str | None,
        doc_type: str | None,
        date_from: str | None,
        date_to: str | None,
    ) -> None:
        self.q, self.borrower, self.loan, self.category, self.doc_type = q, borrower, loan, category, doc_type
        # A web form sends its empty date fields as "": no bound, not an error.
        self.date_from = parse_day("from", "起始日期", date_from)
        self.date_to = parse_day("to", "截止日期", date_to)


async def search_params(
    q: Text = "",
    borrower: BorrowerKey = None,
    loan: LoanNumber = None,
    category: CategoryName = None,
    type: TypeName = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> SearchParams:
    """The dependency every search route takes (API, CSV export, web page). Async: FastAPI runs a class
    (or a plain function) in the thread pool, a hop each request would pay for building an object."""
    return SearchParams(q, borrower, loan, category, type, date_from, date_to)


@dataclass(frozen=True)
class Searched:
    """A search run, before its audit event: the page and who searched (known once the token was read)."""

    page: SearchPage
    principal: Principal


def search_reads(
    svc: Services,
    user: Principal | Caller,
    params: SearchParams,
    *,
    offset: int,
    limit: int | None,
) -> Searched:
    """The search as ``user`` may run it (officers within their borrowers): every read it makes, in one
    catalog transaction, and no write (:func:`record_search` writes its event). A :class:`Caller` with an
    API token has it checked in that transaction, before anything else is read there."""
    searcher: list[Principal] = []

    def filters(session: Session) -> Filters:
        # Made in the search's own catalog session: the request reads the catalog once.
        principal = user.principal(session) if isinstance(user, Caller) else user
        searcher[:] = [principal]  # a retried transaction (busy catalog) checks again
        ids = scope_ids(session, principal, svc)
        keys = (
            None
            if ids is None
            else list(session.execute(select(Borrower.key).where(Borrower.id.in_(list(ids)))).scalars())
        )
        return make_filters(
            borrower=params.borrower,
            loan=params.loan,
            category=params.category,
            doc_type=params.doc_type,
            date_from=params.date_from,
            date_to=params.date_to,
            scope=keys,
            config=svc.config,
        )

    with _answered_as_http():
        page = svc.search_index().search(params.q or "", filters=filters, offset=offset, limit=limit)
    (principal,) = searcher
    return Searched(page, principal)


def record_search(svc: Services, user: Principal | Caller, searched: Searched, *, purpose: str) -> None:
    """The writes of a search: its audit event (committed when this returns: before the answer) and the
    API token's last use when due."""
    with _answered_as_http():
        if isinstance(user, Caller):
            user.note_use()
        svc.search_index().log(searched.page, searched.principal.actor, _audit(searched, purpose))


async def record_search_soon(
    svc: Services, user: Principal | Caller, searched: Searched, *, purpose: str
) -> bool:
    """:func:`record_search` in the calling thread if no write has to wait: no token use due, and the
    catalog's write lock free (``EventBatches.append_now``), now or after short pauses on the event loop
    (``retrying.write_lock_soon``: another process's commit holds it about a millisecond, and the hop to
    a thread costs more). True once the event is committed; False, with nothing written, otherwise."""
    if isinstance(user, Caller) and user.use_due:
        return False
    index, actor, details = svc.search_index(), searched.principal.actor, _audit(searched, purpose)

    def now() -> bool:
        with _answered_as_http():
            return index.log_now(searched.page, actor, details)

    return await write_lock_soon(now)


def _audit(searched: Searched, purpose: str) -> dict[str, str]:
    """What a search event says of the searcher besides the actor."""
    principal = searched.principal
    return {"role": principal.role.value, "via": principal.via, "purpose": purpose}


def run_search(
    svc: Services,
    user: Principal | Caller,
    params: SearchParams,
    *,
    offset: int,
    limit: int | None,
    purpose: str,
) -> SearchPage:
    """The search and its audit event, one after the other in the calling thread."""
    searched = search_reads(svc, user, params, offset=offset, limit=limit)
    record_search(svc, user, searched, purpose=purpose)
    return searched.page


@contextmanager
def _answered_as_http() -> Iterator[None]:
    """A search's errors as the API answers them: its words or filters 422, an unusable index or catalog
    503."""
    try:
        yield
    except QuerySyntaxError as exc:
        raise HTTPException(422, f"q (检索式): {exc}") from None
    except SearchError as exc:
        raise HTTPException(422, str(exc)) from None
    except DossierError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None


# What the API shows of a core hit besides its snippets and renditions: every field both have. The path and
# sha256 stay inside (a download goes by the document's id); a test holds the two definitions together.
SHOWN_FIELDS = tuple(
    name
    for name in schemas.SearchHit.model_fields
    if name in {f.name for f in fields(SearchHit)} and name not in ("snippets", "renditions")
)

_shown_values = attrgetter(*SHOWN_FIELDS)


def hit_view(hit: SearchHit) -> dict[str, Any]:
    """The API's view of a hit, as :class:`schemas.SearchHit` has it (its fields in its order): the shown
    fields as they are, snippets marked, downloads by id."""
    download = f"/api/v1/documents/{hit.document_id}/download"
    view = dict(zip(SHOWN_FIELDS, _shown_values(hit), strict=True))
    view["snippets"] = [marked(s) for s in hit.snippets]
    view["download_url"] = download
    view["renditions"] = [
        {"kind": r.kind, "download_url": f"{download}?rendition={r.kind}"} for r in hit.renditions
    ]
    return view


def result_json(page: SearchPage, limit: int) -> bytes:
    """The answer to a search as JSON, a :class:`schemas.SearchResult`. Made from plain values: building
    the models first only checked again what the core made typed (a test holds the two together)."""
    return to_json(
        {
            "query": page.query,
            "filters": page.filters,
            "total": page.total,
            "offset": page.offset,
            "limit": limit,
            "pending": page.pending,
            "hits": [hit_view(h) for h in page.hits],
        }
    )


@router.get("", response_model=schemas.SearchResult, summary="Search the archive (全文检索)")
async def search(
    who: SearchCaller,
    params: Annotated[SearchParams, Depends(search_params)],
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    svc = who.svc
    loop = asyncio.get_running_loop()
    if svc.searches_on_loop:
        # The reads here (see Services.searches_on_loop); the event too when it need not wait: the
        # catalog's write lock is free, so it costs one WAL append and flush, less than the hop to a
        # thread did (the GIL handed back and forth while the thread wrote). Another process's commit
        # holds the lock about a millisecond: the write is tried again after short pauses, in which
        # the event loop answers other requests. A write that would still wait (a longer writer, or
        # the token's last use) goes to a search thread, and meanwhile the event loop answers other
        # requests. The searches take turns: with one at a time (the default) the next search's reads
        # wait here, not contending with that thread for the GIL. The thread's write runs in a copy of
        # the request's context: the token's audit details are set in it.
        async with svc.search_turns:
            searched = search_reads(svc, who, params, offset=offset, limit=limit)
            if not await record_search_soon(svc, who, searched, purpose="search"):
                await loop.run_in_executor(
                    svc.search_executor,
                    contextvars.copy_context().run,
                    functools.partial(record_search, svc, who, searched, purpose="search"),
                )
        page = searched.page
    else:
        # The API token's check, the search (catalog, index) and its audit event in one hop to a search
        # thread (the check is no hop of its own, see deps.Caller), in a copy of the request's context.
        page = await loop.run_in_executor(
            svc.search_executor,
            contextvars.copy_context().run,
            functools.partial(run_search, svc, who, params, offset=offset, limit=limit, purpose="search"),
        )
    # Serialized here, once: returned as a model, it would be validated against response_model again
    # (which still documents the answer in the OpenAPI schema).
    return Response(result_json(page, limit), media_type="application/json")


@router.get(
    ".csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Every hit, one row each"}},
    summary="The search's hits as CSV (检索结果导出)",
)
def search_csv(
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.SEARCH))],
    params: Annotated[SearchParams, Depends(search_params)],
) -> Response:
    page = run_search(svc, user, params, offset=0, limit=MAX_EXPORT, purpose="export")
    out = io.StringIO()
    write_csv(page.hits, out)
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so Excel reads the Chinese as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=search.csv"},
    )
