"""How the core's errors reach a client: validation as 422 with each field, the rest as 4xx lines.

An :class:`~dossier.access.users.AccessError` is a refusal (403), whichever route it leaves; one that
names a user, token or borrower that is not there (or, for a borrower, not the caller's to see) is a
404, worded as the core words it. Routes where an access rule is a rule about the input (the account
routes: a short password, a name taken) say so themselves.

A catalog that cannot be used is a 503, never a 500: a connection lost or refused (the database restarting,
a failover), a catalog that cannot be opened, or a catalog whose schema is not this node's (another node
upgraded it: this one refuses to write). The filing steps make every such failure safe (a pending row is
settled by `dossier repair`, a file not yet linked is only a temporary file), so the client can simply try
again; the cause goes to the log, not to the client.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dossier.access.scope import BorrowerNotFound
from dossier.access.users import AccessError, UnknownToken, UnknownUser
from dossier.archive.catalog.db import SchemaMismatch
from dossier.archive.home import CatalogUnavailable
from dossier.custody.errors import CustodyRecordNotFound
from dossier.errors import DossierError, InputError

log = logging.getLogger(__name__)


def problems_of(exc: InputError) -> list[dict[str, str]]:
    return [{"path": p.path, "label": p.label, "reason": p.reason} for p in exc.problems]


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(
        {"detail": "input failed validation (输入校验未通过)", "problems": problems_of(exc)}, status_code=422
    )


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "path": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
            "label": "",
            "reason": str(err.get("msg", "")),
        }
        for err in exc.errors()
    ]
    return JSONResponse(
        {"detail": "request failed validation (请求校验未通过)", "problems": problems}, status_code=422
    )


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=403)


async def _not_there(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _dossier_error(request: Request, exc: Exception) -> JSONResponse:
    if _catalog_lost(exc):
        return await _catalog_unavailable(request, exc)
    return JSONResponse({"detail": str(exc)}, status_code=400)


CATALOG_UNAVAILABLE = (
    "the catalog database is unavailable for now (目录数据库暂不可用); try again shortly (请稍后重试)"
)
RETRY_AFTER_S = 5


async def _catalog_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("catalog unavailable on %s %s: %s", request.method, request.url.path, _first_line(exc))
    return JSONResponse(
        {"detail": CATALOG_UNAVAILABLE}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


async def _schema_mismatch(request: Request, exc: Exception) -> JSONResponse:
    log.warning("refused a write on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if _catalog_lost(exc):
        return await _catalog_unavailable(request, exc)
    return await _unexpected(request, exc)


def _catalog_lost(exc: BaseException) -> bool:
    """True when ``exc`` or an error it was raised from is the catalog going away: a connection lost
    (SQLAlchemy marks it invalidated) or refused, no connection to be had from the pool, or the catalog
    not opening at all. Other database errors (a constraint, a bug) stay 500s."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OperationalError | PoolTimeout | CatalogUnavailable):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if _catalog_lost(exc):
        # Raised from a lost connection by code that wrapped it (a filing step cleaning up, say).
        return await _catalog_unavailable(request, exc)
    # Logged with the traceback; the client gets one line and never the internals.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error (内部错误); see the service log"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(DossierError, _dossier_error)
    app.add_exception_handler(CatalogUnavailable, _catalog_unavailable)
    app.add_exception_handler(SchemaMismatch, _schema_mismatch)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _catalog_unavailable)
    # Starlette picks the handler of the nearest class in the error's MRO.
    app.add_exception_handler(AccessError, _refused)
    for missing in (UnknownUser, UnknownToken, BorrowerNotFound, CustodyRecordNotFound):
        app.add_exception_handler(missing, _not_there)
    app.add_exception_handler(Exception, _unexpected)
