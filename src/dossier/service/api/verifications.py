"""Verification records (核实记录) of a document, with evidence uploaded from a phone or a desk, and
the due-diligence report (尽职报告) of a borrower or one loan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.service.api.records import record
from dossier.service.deps import Id, Services, ServicesDep, borrower_or_404, document_or_404, require
from dossier.service.headers import standalone_html
from dossier.service.limits import takes_files
from dossier.service.params import checked_day
from dossier.service.uploads import ReceivedFile, ReceivedForm, read_form
from dossier.service.writing import require_writing
from dossier.verification import (
    EvidenceFile,
    VerificationError,
    diligence_report,
    list_verifications,
    record_report,
    record_verification,
)

router = APIRouter(tags=["verifications"])


class VerificationForm(BaseModel):
    """The fields of a verification, as the API form and the borrower page send them."""

    model_config = ConfigDict(populate_by_name=True)

    method: str = Field(
        max_length=40, description="原件核对/上门核实/电话核实/系统查询/第三方核实 (or English)"
    )
    result: str = Field(max_length=40, description="一致/不一致/无法核实 (or English)")
    aspect: str | None = Field(None, max_length=40, description="What was checked (核实事项)")
    note: str | None = Field(None, max_length=2000)
    with_people: list[str] = Field([], alias="with", description="Who else took part (陪同人员)")
    claimed_at: datetime | None = Field(None, description="When the check took place (核实时间)")
    place: str | None = Field(None, max_length=200)
    corrects: int | None = Field(None, ge=1, le=2**31 - 1, description="The record this corrects")

    @classmethod
    def of(cls, form: ReceivedForm) -> VerificationForm:
        """From a received form; empty optional fields count as absent, as FastAPI's Form() has it."""
        values: dict[str, Any] = {k: v[0] for k, v in form.fields.items() if k != "with" and v and v[0] != ""}
        values["with"] = form.fields.get("with", [])
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None


def _form_schema() -> dict[str, Any]:
    schema = VerificationForm.model_json_schema(by_alias=True)
    schema["properties"]["evidence"] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": "Photos, recordings, screenshots (证据), each up to [media].max_file_bytes",
    }
    body = {"schema": schema}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": body, "application/x-www-form-urlencoded": body},
        }
    }


EVIDENCE = frozenset({"evidence"})


def verify_document(
    svc: Services, user: Principal, document_id: int, fields: VerificationForm, evidence: list[ReceivedFile]
) -> dict[str, Any]:
    """Record a verification as ``user`` (the API and the borrower page both come here); blocking."""
    if fields.claimed_at is not None:
        checked_day("claimed_at", "核实时间", fields.claimed_at.date())  # before any arithmetic can overflow
    svc.archive.transaction(lambda s: document_or_404(s, user, svc, document_id, writing=True), write=False)
    try:
        made = record_verification(
            svc.archive,
            document_id,
            fields.method,
            fields.result,
            user.actor,
            evidence_paths=[EvidenceFile(f.path, f.name) for f in evidence],
            with_people=[p.strip() for p in fields.with_people if p.strip()],
            claimed_at=fields.claimed_at,
            place=fields.place or None,
            note=fields.note or None,
            corrects=fields.corrects,
            aspect=fields.aspect or None,
        )
    except VerificationError as exc:
        raise HTTPException(422, str(exc)) from None
    svc.make_searchable()
    return made.to_dict()


@router.post(
    "/documents/{document_id}/verifications",
    status_code=status.HTTP_201_CREATED,
    summary="Record a verification of a document, with evidence (登记核实记录)",
    openapi_extra=_form_schema(),
)
@takes_files()
async def add_verification(
    request: Request,
    document_id: Id,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.VERIFY))],
) -> dict[str, Any]:
    # Out of scope is 404 before a byte of evidence is read; the form is read only after that.
    await run_in_threadpool(
        svc.archive.transaction,
        lambda s: document_or_404(s, user, svc, document_id, writing=True),
        write=False,
    )
    async with read_form(request, EVIDENCE) as form:
        fields = VerificationForm.of(form)
        return await run_in_threadpool(
            verify_document, svc, user, document_id, fields, form.files_of("evidence")
        )


@router.get("/documents/{document_id}/verifications", summary="A document's verification records")
def verifications(
    document_id: Id, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.VIEW))]
) -> list[dict[str, Any]]:
    def seen(session: Session) -> None:
        doc = document_or_404(session, user, svc, document_id)
        record(
            session, user, "view", f"document:{doc.id}", borrower_key=doc.borrower.key, part="verifications"
        )

    svc.archive.transaction(seen)
    return [r.to_dict() for r in list_verifications(svc.archive, document_id=document_id)]


DILIGENCE: dict[str, Any] = {
    "path": "/borrowers/{borrower_id}/diligence",
    "responses": {200: {"content": {"text/html": {}, "application/json": {}}}},
    "summary": "The due-diligence report, from the archive and the audit chain (尽职报告)",
    "description": "An issued report is an audit event: GET only with an API token; the web session "
    "POSTs with its CSRF token (service/writing.py).",
}


@router.get(**DILIGENCE)
@router.post(**DILIGENCE)
def diligence(
    borrower_id: Id,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require_writing(Action.VIEW))],
    loan: Annotated[str | None, Query(max_length=60, description="One loan's contract number")] = None,
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> Response:
    def key_of(session: Session) -> str:
        found = borrower_or_404(session, user, svc, borrower_id)
        record(
            session,
            user,
            "view",
            f"borrower:{found.key}",
            borrower_key=found.key,
            part="diligence",
            loan=loan,
        )
        return found.key

    key = svc.archive.transaction(key_of)
    try:
        report = diligence_report(svc.archive, key, loan)
    except VerificationError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    # An issued report is an event, like an export: its fingerprint goes into the chain and on the page.
    issued = record_report(svc.archive, report, user.actor)
    if format == "html":
        return standalone_html(report.to_html(svc.config, issued_seq=issued))
    return JSONResponse({**report.to_dict(), "issued_seq": issued})
