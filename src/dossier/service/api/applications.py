"""Credit applications (授信申请) under /api/v1/applications: list (待办, by stage, overdue), submit,
one application with its gate, the moves (advance, return, reject, request, approve, withdraw), the
审批流程记录 and the month's numbers.

A refused move answers with the refusal's kind and both languages, and nothing has changed: 404 for an
application out of the caller's scope (like a missing one), 403 for the wrong role or 审贷分离, 409 when
the application moved (optimistic lock), is closed, the move is out of order or the gate is shut, 422 for
bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.errors import DossierError
from dossier.process.enums import ActionKind, Refusal, Status
from dossier.process.errors import ProcessRefused
from dossier.process.numbers import monthly_numbers
from dossier.process.queue import list_applications
from dossier.process.record import process_record, record_issue
from dossier.process.store import load, not_found
from dossier.process.transitions import act, gate_status, parse_conditions, submit
from dossier.service.api.records import record
from dossier.service.deps import Id, Services, ServicesDep, require, scope_ids
from dossier.service.headers import standalone_html
from dossier.service.writing import require_writing

router = APIRouter(tags=["applications"])

STATUS_OF = {
    Refusal.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    Refusal.WRONG_ROLE: status.HTTP_403_FORBIDDEN,
    Refusal.SEPARATION: status.HTTP_403_FORBIDDEN,
    Refusal.MOVED: status.HTTP_409_CONFLICT,
    Refusal.CLOSED: status.HTTP_409_CONFLICT,
    Refusal.OUT_OF_ORDER: status.HTTP_409_CONFLICT,
    Refusal.GATE: status.HTTP_409_CONFLICT,
    Refusal.INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def refusal_response(exc: ProcessRefused) -> JSONResponse:
    return JSONResponse(
        {
            "detail": str(exc),
            "reason": exc.reason.value,
            "reason_label": exc.reason.label,
            "english": exc.english,
            "chinese": exc.chinese,
            "blockers": [b.to_dict() for b in exc.blockers],  # type: ignore[attr-defined]
        },
        status_code=STATUS_OF[exc.reason],
    )


class NewApplication(BaseModel):
    borrower: str = Field(max_length=40, description="Borrower key (身份证号/统一社会信用代码)")
    product: str = Field(
        max_length=40, description="个人消费/个人经营/流动资金/小微流贷/固定资产 (or English)"
    )
    amount: str = Field(max_length=24, description="Requested amount in yuan (申请金额)")
    term_months: int = Field(ge=1, le=360, description="Requested term (申请期限, months)")
    guarantees: list[str] = Field(min_length=1, max_length=8, description="信用/保证/抵押/质押")
    purpose: str | None = Field(None, max_length=200)
    contract_number: str | None = Field(None, max_length=60)


class MoveBody(BaseModel):
    """A move's fields; each move reads the ones it needs."""

    version: int | None = Field(None, ge=1, le=2**31, description="The version you saw (optimistic lock)")
    reasons: list[str] = Field([], max_length=20, description="Reasons (理由)")
    to: str | None = Field(None, max_length=40, description="退回: the earlier stage (key or label)")
    doc_types: list[str] = Field([], max_length=20, description="要求补充材料 / 退回: document types missing")
    documents: list[int] = Field([], max_length=50, description="Filed documents relied on (ids)")
    amount: str | None = Field(None, max_length=24, description="有条件通过: a lower amount")
    term_months: int | None = Field(None, ge=1, le=360, description="有条件通过: a shorter term")
    add_guarantees: list[str] = Field([], max_length=8, description="有条件通过: guarantees to add")
    conditions: list[str] = Field([], max_length=20, description="有条件通过: conditions in words")


def _visible(svc: Services, user: Principal) -> set[int] | None:
    return svc.archive.transaction(lambda s: scope_ids(s, user, svc), write=False)


def _month(text: str | None) -> tuple[int, int]:
    if not text:
        today = date.today()
        return today.year, today.month
    year, month = (int(p) for p in text.split("-"))
    return year, month


@router.get("/applications/numbers", summary="The month's numbers of the credit process (授信流程月度数据)")
def numbers(
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.PORTFOLIO))],
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")] = None,
) -> Response:
    year, number = _month(month)
    try:
        figures = monthly_numbers(svc.archive, year, number).to_dict()
    except ProcessRefused as exc:
        return refusal_response(exc)
    svc.archive.transaction(
        lambda s: record(s, user, "view", "applications:numbers", month=f"{year:04d}-{number:02d}")
    )
    return JSONResponse(figures)


@router.get("/applications", summary="Applications: 待办 (mine), by stage, overdue (授信申请列表)")
def applications(
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.APPLICATIONS))],
    mine: bool = False,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    overdue: bool = False,
    open: bool = False,
) -> list[dict[str, Any]]:
    found = list_applications(
        svc.archive,
        visible=_visible(svc, user),
        mine=(user.actor, user.role) if mine else None,
        stage=stage,
        overdue=overdue,
        status=Status.OPEN if open or overdue else None,
    )
    shown = [item.to_dict() for item in found]
    svc.archive.transaction(
        lambda s: record(s, user, "view", "applications", mine=mine, stage=stage, shown=len(shown))
    )
    return shown


@router.post(
    "/applications", status_code=status.HTTP_201_CREATED, summary="Submit an application (提交授信申请)"
)
def new_application(
    body: NewApplication, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.APPLY))]
) -> Response:
    try:
        made = submit(
            svc.archive,
            borrower_key=body.borrower,
            product=body.product,
            amount=body.amount,
            term_months=body.term_months,
            guarantees=body.guarantees,
            actor=user.actor,
            role=user.role,
            purpose=body.purpose,
            contract_number=body.contract_number,
            visible=_visible(svc, user),
        )
    except ProcessRefused as exc:
        return refusal_response(exc)
    except DossierError as exc:
        # An unknown borrower and a borrower out of scope read alike.
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)
    return JSONResponse(made.to_dict(), status_code=status.HTTP_201_CREATED)


def application_view(svc: Services, user: Principal, application_id: int) -> dict[str, Any]:
    """The application with its gate, if the user may see its borrower (else refused as not found)."""
    visible = _visible(svc, user)

    def read(session: Session) -> dict[str, Any]:
        found = load(session, application_id, svc.config)
        if visible is not None and found.borrower_id not in visible:
            raise not_found(application_id)
        return found.to_dict()

    data = svc.archive.transaction(read, write=False)
    gate = gate_status(svc.archive, application_id)
    return {**data, "gate": gate.to_dict() if gate else None}


@router.get("/applications/{application_id}", summary="One application: steps, open items, gate")
def one_application(
    application_id: Id, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.APPLICATIONS))]
) -> Response:
    try:
        return JSONResponse(application_view(svc, user, application_id))
    except ProcessRefused as exc:
        return refusal_response(exc)


def take_move(svc: Services, user: Principal, application_id: int, kind: ActionKind, body: MoveBody) -> Any:
    """A move as ``user``; the API and the pages both come here. Raises ProcessRefused."""
    conditions = None
    if kind is ActionKind.APPROVE:
        conditions = parse_conditions(
            amount=body.amount,
            term_months=body.term_months,
            add_guarantees=body.add_guarantees,
            notes=body.conditions,
        )
    return act(
        svc.archive,
        application_id,
        kind,
        actor=user.actor,
        role=user.role,
        expected_version=body.version,
        reasons=body.reasons,
        to_stage=body.to,
        doc_types=body.doc_types,
        conditions=conditions,
        documents=body.documents,
        visible=_visible(svc, user),
    )


def _move_route(kind: ActionKind, action: Action) -> None:
    # A default, not an annotation: annotations are strings here and cannot see ``action``.
    async def move(
        application_id: Id,
        body: MoveBody,
        svc: ServicesDep,
        user: Principal = Depends(require(action)),  # noqa: B008
    ) -> Response:
        try:
            moved = await run_in_threadpool(take_move, svc, user, application_id, kind, body)
        except ProcessRefused as exc:
            return refusal_response(exc)
        except DossierError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
        return JSONResponse(moved.to_dict())

    router.add_api_route(
        f"/applications/{{application_id}}/{kind.value}",
        move,
        methods=["POST"],
        summary=f"{kind.label} ({kind.value})",
        name=f"application_{kind.value}",
    )


for _kind in (
    ActionKind.ADVANCE,
    ActionKind.RETURN,
    ActionKind.REJECT,
    ActionKind.REQUEST,
    ActionKind.APPROVE,
):
    _move_route(_kind, Action.DECIDE)
_move_route(ActionKind.WITHDRAW, Action.APPLY)

RECORD: dict[str, Any] = {
    "path": "/applications/{application_id}/record",
    "responses": {200: {"content": {"text/html": {}, "application/json": {}}}},
    "summary": "审批流程记录: the application's path from the audit chain (fingerprint logged)",
    "description": "An issued record is an audit event: GET only with an API token; the web session "
    "POSTs with its CSRF token (service/writing.py).",
}


@router.get(**RECORD)
@router.post(**RECORD)
def application_record(
    application_id: Id,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require_writing(Action.APPLICATIONS))],
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> Response:
    try:
        application_view(svc, user, application_id)
        found = process_record(svc.archive, application_id)
    except ProcessRefused as exc:
        return refusal_response(exc)
    issued = record_issue(svc.archive, found, user.actor)
    if format == "html":
        return standalone_html(found.to_html(svc.config, issued_seq=issued))
    return JSONResponse({**found.to_dict(), "issued_seq": issued, "at": datetime.now(UTC).isoformat()})
