"""Verification records (核实记录) of a document, with evidence uploaded from a phone or a desk, and
the due-diligence report (尽职报告) of a borrower or one loan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.service.api.records import record
from dossier.service.deps import Id, Services, ServicesDep, borrower_or_404, document_or_404, require
from dossier.service.headers import standalone_html
from dossier.service.params import checked_day
from dossier.service.uploads import saved
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


def verify_document(
    svc: Services,
    user: Principal,
    document_id: int,
    *,
    method: str,
    result: str,
    aspect: str | None,
    note: str | None,
    with_people: list[str],
    claimed_at: datetime | None,
    place: str | None,
    corrects: int | None,
    evidence: list[UploadFile],
) -> dict[str, Any]:
    """Record a verification as ``user`` (the API and the borrower page both come here)."""
    if claimed_at is not None:
        checked_day("claimed_at", "核实时间", claimed_at.date())  # before any arithmetic can overflow
    svc.archive.transaction(lambda s: document_or_404(s, user, svc, document_id), write=False)
    with saved(evidence, svc.settings.max_upload_bytes) as files:
        try:
            made = record_verification(
                svc.archive,
                document_id,
                method,
                result,
                user.actor,
                evidence_paths=[EvidenceFile(path, name) for path, name in files],
                with_people=[p.strip() for p in with_people if p.strip()],
                claimed_at=claimed_at,
                place=place or None,
                note=note or None,
                corrects=corrects,
                aspect=aspect or None,
            )
        except VerificationError as exc:
            raise HTTPException(422, str(exc)) from None
    svc.make_searchable()
    return made.to_dict()


@router.post(
    "/documents/{document_id}/verifications",
    status_code=status.HTTP_201_CREATED,
    summary="Record a verification of a document, with evidence (登记核实记录)",
)
def add_verification(
    document_id: Id,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.VERIFY))],
    method: Annotated[str, Form(description="原件核对/上门核实/电话核实/系统查询/第三方核实 (or English)")],
    result: Annotated[str, Form(description="一致/不一致/无法核实 (or English)")],
    aspect: Annotated[str | None, Form(description="What was checked (核实事项)")] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
    with_people: Annotated[list[str], Form(alias="with", description="Who else took part (陪同人员)")] = [],  # noqa: B006
    claimed_at: Annotated[datetime | None, Form(description="When the check took place (核实时间)")] = None,
    place: Annotated[str | None, Form(max_length=200)] = None,
    corrects: Annotated[int | None, Form(ge=1, le=2**63 - 1, description="The record this corrects")] = None,
    evidence: Annotated[list[UploadFile], File(description="Photos, recordings, screenshots (证据)")] = [],  # noqa: B006
) -> dict[str, Any]:
    return verify_document(
        svc,
        user,
        document_id,
        method=method,
        result=result,
        aspect=aspect,
        note=note,
        with_people=with_people,
        claimed_at=claimed_at,
        place=place,
        corrects=corrects,
        evidence=evidence,
    )


@router.get("/documents/{document_id}/verifications", summary="A document's verification records")
def verifications(
    document_id: Id, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.VIEW))]
) -> list[dict[str, Any]]:
    def seen(session) -> None:  # type: ignore[no-untyped-def]
        doc = document_or_404(session, user, svc, document_id)
        record(
            session, user, "view", f"document:{doc.id}", borrower_key=doc.borrower.key, part="verifications"
        )

    svc.archive.transaction(seen)
    return [r.to_dict() for r in list_verifications(svc.archive, document_id=document_id)]


DILIGENCE = {
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
    def key_of(session) -> str:  # type: ignore[no-untyped-def]
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
        return standalone_html(report.to_html(issued_seq=issued))
    return JSONResponse({**report.to_dict(), "issued_seq": issued})
