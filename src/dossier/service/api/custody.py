"""Custody over time: handovers (客户移交), transfers to 资产保全, loans of files (档案借阅).

Every record is reached by its number. A handover or a loan the caller has no part in answers 404, as a
number that does not exist; a loan of a file reads only through ``/file-loans/{number}/…``, so it never
widens what any other endpoint allows."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.audit import plain
from dossier.custody import handover as handovers
from dossier.custody import lending
from dossier.custody import transfer as transfers
from dossier.custody.errors import WrongState
from dossier.service.api.records import record
from dossier.service.deps import CurrentUser, Id, ServicesDep, require
from dossier.service.params import checked_day

router = APIRouter(tags=["custody"])

Number = Annotated[
    str, Path(min_length=8, max_length=30, pattern=r"^[A-Z]{2}\d{4}-\d{5,}$", description="借阅单号/移交单号")
]
Keys = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=5000)]
Categories = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=50)]


class LoanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    borrower: str = Field(min_length=1, max_length=40, description="The borrower's key (借款人证件号码)")
    purpose: str = Field(min_length=1, max_length=500, description="借阅目的")
    days: int | None = Field(None, ge=1, le=366, description="借阅天数 (default [custody].loan_default_days)")
    categories: Categories | None = Field(None, description="档案类别; none: the whole file")


class LoanApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int | None = Field(None, ge=1, le=366)
    categories: Categories | None = None
    remark: str | None = Field(None, max_length=500)


class LoanRefusal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="拒绝理由")


class HandoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_officer: str = Field(min_length=1, max_length=50, description="移交人 (user name)")
    to_officer: str = Field(min_length=1, max_length=50, description="接收人 (user name)")
    borrowers: Keys | None = Field(None, description="Borrower keys; none: the whole portfolio")
    effective_on: date = Field(description="移交日期")
    note: str | None = Field(None, max_length=500)


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    borrower: str = Field(min_length=1, max_length=40)
    contract_number: str | None = Field(None, max_length=60, description="One loan; none: every loan")
    department: str = Field(min_length=1, max_length=40, description="[custody].departments key")
    reason: str = Field(min_length=1, max_length=1000, description="移交原因")
    effective_on: date | None = None


def _out(info: Any) -> dict[str, Any]:
    return plain(dataclasses.asdict(info))


def _may(svc: Any, user: Principal, action: Action) -> bool:
    return svc.access.allows(user.role, action)


# --------------------------------------------------------------------------- loans of files


@router.post("/file-loans", status_code=status.HTTP_201_CREATED, summary="Ask to read a file (申请档案借阅)")
def request_file_loan(
    body: LoanRequest, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.BORROW))]
) -> dict[str, Any]:
    def work(session: Session) -> dict[str, Any]:
        loan = lending.request_loan(
            session,
            user,
            body.borrower,
            body.purpose,
            days=body.days,
            categories=body.categories,
            config=svc.config,
            now=svc.clock(),
        )
        return _out(lending.loan_info(session, loan.number, svc.clock(), user_id=user.id))

    return svc.archive.transaction(work)


@router.get("/file-loans", summary="Loans of files: open, overdue, past (档案借阅登记)")
def file_loans(
    svc: ServicesDep,
    user: CurrentUser,
    status_: Annotated[lending.LoanStatus | None, Query(alias="status")] = None,
) -> list[dict[str, Any]]:
    """An archivist (lend) sees every loan; anyone else who may ask for one sees their own."""
    if not (_may(svc, user, Action.LEND) or _may(svc, user, Action.BORROW)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "may not list loans of files (无此权限)")
    mine = None if _may(svc, user, Action.LEND) else user.id

    def read(session: Session) -> list[dict[str, Any]]:
        found = [_out(i) for i in lending.list_loans(session, svc.clock(), user_id=mine, status=status_)]
        _viewed(session, user, "file-loans:list", [x["number"] for x in found])
        return found

    return svc.archive.transaction(read)


def _viewed(
    session: Session, user: Principal, target: str, numbers: list[str], key: str | None = None
) -> None:
    """A list or record that names borrowers is a read of borrower data: a ``view`` event, like any."""
    record(session, user, "view", target, borrower_key=key, shown=numbers)


@router.get("/file-loans/{number}", summary="One loan of a file (借阅单)")
def file_loan(number: Number, svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    mine = None if _may(svc, user, Action.LEND) else user.id

    def read(session: Session) -> dict[str, Any]:
        found = _out(lending.loan_info(session, number, svc.clock(), user_id=mine))
        _viewed(session, user, f"file-loan:{number}", [number])
        return found

    return svc.archive.transaction(read)


def _decide(svc: Any, work: Any) -> dict[str, Any]:
    try:
        return svc.archive.transaction(work)
    except WrongState as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.post("/file-loans/{number}/approve", summary="Approve a loan of a file (批准借阅)")
def approve_file_loan(
    number: Number,
    body: LoanApproval,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.LEND))],
) -> dict[str, Any]:
    def work(session: Session) -> dict[str, Any]:
        lending.approve(
            session,
            number,
            actor=user.actor,
            now=svc.clock(),
            config=svc.config,
            days=body.days,
            categories=body.categories,
            remark=body.remark,
        )
        return _out(lending.loan_info(session, number, svc.clock()))

    return _decide(svc, work)


@router.post("/file-loans/{number}/refuse", summary="Refuse a loan of a file (拒绝借阅)")
def refuse_file_loan(
    number: Number,
    body: LoanRefusal,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.LEND))],
) -> dict[str, Any]:
    def work(session: Session) -> dict[str, Any]:
        lending.refuse(session, number, actor=user.actor, reason=body.reason, now=svc.clock())
        return _out(lending.loan_info(session, number, svc.clock()))

    return _decide(svc, work)


@router.post("/file-loans/{number}/return", summary="Close a loan of a file (归还)")
def return_file_loan(
    number: Number, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.LEND))]
) -> dict[str, Any]:
    def work(session: Session) -> dict[str, Any]:
        lending.return_loan(session, number, actor=user.actor, now=svc.clock())
        return _out(lending.loan_info(session, number, svc.clock()))

    return _decide(svc, work)


@router.get("/file-loans/{number}/documents", summary="The documents a loan lends (借阅文件)")
def lent_documents(number: Number, svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    from dossier.archive.browse import document_info

    def read(session: Session) -> dict[str, Any]:
        loan, borrower, docs = lending.lent_documents(session, user, number, svc.clock())
        return plain(
            {
                "number": loan.number,
                "borrower": {"key": borrower.key, "name": borrower.name},
                "ends_at": loan.ends_at,
                "categories": list(loan.categories or []),
                "documents": [
                    {
                        **document_info(d, svc.config),
                        "download_url": f"/api/v1/file-loans/{number}/documents/{d.id}/download",
                    }
                    for d in docs
                ],
            }
        )

    return svc.archive.transaction(read)


@router.get(
    "/file-loans/{number}/documents/{document_id}/download",
    response_class=FileResponse,
    summary="Download a document under a loan (借阅下载)",
)
def lent_download(
    number: Number,
    document_id: Id,
    svc: ServicesDep,
    user: CurrentUser,
) -> FileResponse:
    def find(session: Session) -> tuple[str, str, str]:
        doc = lending.lent_document(session, user, number, document_id, svc.clock())
        return doc.path, doc.media_type, doc.sha256

    relative, media_type, sha256 = svc.archive.transaction(find)
    path = svc.archive.absolute(relative)
    if not path.is_file():
        raise HTTPException(status.HTTP_410_GONE, f"the file of document {document_id} is missing (文件缺失)")
    return FileResponse(
        path,
        media_type=media_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(relative.rsplit('/', 1)[-1])}",
            "ETag": f'"{sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# --------------------------------------------------------------------------- handovers


@router.post("/handovers", status_code=status.HTTP_201_CREATED, summary="Hand borrowers over (客户移交)")
def create_handover(
    body: HandoverRequest, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.HANDOVER))]
) -> dict[str, Any]:
    checked_day("effective_on", "移交日期", body.effective_on)

    def work(session: Session) -> str:
        made = handovers.create_handover(
            session,
            from_username=body.from_officer,
            to_username=body.to_officer,
            borrower_keys=body.borrowers,
            effective_on=body.effective_on,
            note=body.note,
            actor=user.actor,
            access=svc.access,
            now=svc.clock(),
        )
        return made.number

    number = svc.archive.transaction(work)
    _file_handover_list(svc, number, user)
    return svc.archive.transaction(
        lambda s: _out(handovers.info(s, handovers.find_handover(s, number))), write=False
    )


def _today(svc: Any) -> date:
    from dossier.domain.local_time import local_zone

    return svc.clock().astimezone(local_zone(svc.config)).date()


def _file_handover_list(svc: Any, number: str, user: Principal) -> None:
    """The 移交清单 as it stands, filed into each listed borrower's archive (one render at a time)."""
    from dossier.custody.documents import file_handover_list

    with svc.generate_lock:
        file_handover_list(svc.archive, number, actor=user.actor, today=_today(svc))
    svc.make_searchable()


def _party(svc: Any, user: Principal) -> int | None:
    """None: the user sees every handover; else only those naming them."""
    if _may(svc, user, Action.HANDOVER):
        return None
    if svc.access.scoped(user.role):
        return user.id
    raise HTTPException(status.HTTP_403_FORBIDDEN, "may not read handovers (无此权限)")


@router.get("/handovers", summary="Handovers (移交单)")
def list_handovers(svc: ServicesDep, user: CurrentUser) -> list[dict[str, Any]]:
    party = _party(svc, user)

    def read(session: Session) -> list[dict[str, Any]]:
        found = [_out(i) for i in handovers.list_handovers(session, party_id=party)]
        _viewed(session, user, "handovers:list", [x["number"] for x in found])
        return found

    return svc.archive.transaction(read)


@router.get("/handovers/{number}", summary="One handover (移交单)")
def get_handover(number: Number, svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    party = _party(svc, user)

    def read(session: Session) -> dict[str, Any]:
        found = handovers.find_handover(session, number)
        if party is not None and party not in (found.from_user_id, found.to_user_id):
            handovers.find_handover(session, number, party=user)  # raises: as if it did not exist
        _viewed(session, user, f"handover:{number}", [number])
        return _out(handovers.info(session, found))

    return svc.archive.transaction(read)


@router.post("/handovers/{number}/acknowledge", summary="Acknowledge a handover (交接确认)")
def acknowledge_handover(number: Number, svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    """The second acknowledgement completes the handover and files the signed 移交清单 (a new version)."""

    def work(session: Session) -> dict[str, Any]:
        return _out(handovers.info(session, handovers.acknowledge(session, number, user, now=svc.clock())))

    done = _decide(svc, work)
    if done["state"] == handovers.HandoverState.COMPLETED.value:
        _file_handover_list(svc, number, user)
        done = svc.archive.transaction(
            lambda s: _out(handovers.info(s, handovers.find_handover(s, number))), write=False
        )
    return done


# --------------------------------------------------------------------------- transfers


@router.post("/transfers", status_code=status.HTTP_201_CREATED, summary="Transfer to 资产保全 (移交资产保全)")
def create_transfer(
    body: TransferRequest, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.TRANSFER))]
) -> dict[str, Any]:
    checked_day("effective_on", "移交日期", body.effective_on)

    def work(session: Session) -> str:
        now = svc.clock()
        made = transfers.transfer(
            session,
            borrower_key=body.borrower,
            contract_number=body.contract_number,
            department=body.department,
            reason=body.reason,
            effective_on=body.effective_on or now.date(),
            actor=user.actor,
            config=svc.config,
            now=now,
        )
        return made.number

    number = svc.archive.transaction(work)
    from dossier.custody.documents import file_transfer_list

    with svc.generate_lock:
        filed = file_transfer_list(svc.archive, number, actor=user.actor)
    svc.make_searchable()
    out = svc.archive.transaction(
        lambda s: _out(transfers.info(s, transfers.find_transfer(s, number))), write=False
    )
    return {**out, "document_ids": filed}


@router.get("/transfers", summary="Transfers to 资产保全 (保全移交)")
def list_transfers(
    svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.TRANSFER))]
) -> list[dict[str, Any]]:
    def read(session: Session) -> list[dict[str, Any]]:
        found = [_out(i) for i in transfers.list_transfers(session)]
        _viewed(session, user, "transfers:list", [x["number"] for x in found])
        return found

    return svc.archive.transaction(read)


@router.get("/transfers/{number}", summary="One transfer with its snapshot (保全移交单)")
def get_transfer(
    number: Number, svc: ServicesDep, user: Annotated[Principal, Depends(require(Action.TRANSFER))]
) -> dict[str, Any]:
    def read(session: Session) -> dict[str, Any]:
        found = _out(transfers.info(session, transfers.find_transfer(session, number)))
        _viewed(session, user, f"transfer:{number}", [number], found["borrower_key"])
        return found

    return svc.archive.transaction(read)
