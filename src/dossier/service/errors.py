"""How the core's errors reach a client: validation as 422 with each field, the rest as 4xx lines.

An :class:`~dossier.access.users.AccessError` is a refusal (403), whichever route it leaves; one that
names a user, token or borrower that is not there (or, for a borrower, not the caller's to see) is a
404, worded as the core words it. Routes where an access rule is a rule about the input (the account
routes: a short password, a name taken) say so themselves.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dossier.access.scope import BorrowerNotFound
from dossier.access.users import AccessError, UnknownToken, UnknownUser
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
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Logged with the traceback; the client gets one line and never the internals.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error (内部错误); see the service log"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(DossierError, _dossier_error)
    # Starlette picks the handler of the nearest class in the error's MRO.
    app.add_exception_handler(AccessError, _refused)
    for missing in (UnknownUser, UnknownToken, BorrowerNotFound, CustodyRecordNotFound):
        app.add_exception_handler(missing, _not_there)
    app.add_exception_handler(Exception, _unexpected)
