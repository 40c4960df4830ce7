"""Custody pages (Chinese): asking to read a file (申请借阅), an archivist's approvals and the register of
loans (open, overdue, past), reading a lent file, and handovers (creating, acknowledging).

Each form posts with the session's CSRF token; each step is the core call the API makes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.browse import document_info
from dossier.custody import handover as handovers
from dossier.custody import lending
from dossier.custody.errors import CustodyRecordNotFound
from dossier.domain.categories import categories
from dossier.domain.local_time import local_zone
from dossier.errors import DossierError
from dossier.service.api.records import record
from dossier.service.deps import services
from dossier.service.web.render import allowed, page, page_user, redirect, require_page

router = APIRouter()
User = Annotated[Principal, Depends(page_user)]
HOME = "/custody"


def _back(kind: str, text: str, to: str = HOME) -> Response:
    return redirect(f"{to}?{kind}={quote(text[:250])}")


def _number(number: str) -> str:
    """A number from the path, bounded (the core looks it up; an odd one is simply not found)."""
    return number[:30]


@router.get(HOME, response_class=HTMLResponse)
def custody_page(request: Request, user: User) -> Response:
    svc = services(request)
    lends = allowed(request, user, Action.LEND)
    borrows = allowed(request, user, Action.BORROW)
    hands = allowed(request, user, Action.HANDOVER)
    scoped = svc.access.scoped(user.role)
    if not (lends or borrows or hands or scoped):
        require_page(request, user, Action.BORROW)
    now = svc.clock()

    def read(session: Session) -> dict[str, Any]:
        every = lending.list_loans(session, now) if lends else []
        return {
            "mine": lending.list_loans(session, now, user_id=user.id) if borrows else [],
            "pending": [x for x in every if x.status is lending.LoanStatus.PENDING],
            "register": {s: [x for x in every if x.status is s] for s in lending.LoanStatus},
            "handovers": handovers.list_handovers(session, party_id=None if hands else user.id)
            if (hands or scoped)
            else [],
        }

    def read_and_note(session: Session) -> dict[str, Any]:
        found = read(session)
        shown = [x.number for x in found["mine"]] + [h.number for h in found["handovers"]]
        shown += [x.number for rows in found["register"].values() for x in rows]
        record(session, user, "view", "custody:page", shown=sorted(set(shown)))
        return found

    found = svc.archive.transaction(read_and_note)
    return page(
        request,
        "custody.html",
        user,
        active=HOME,
        lends=lends,
        borrows=borrows,
        hands=hands,
        categories=categories(svc.config),
        cat_labels={c.key: c.label for c in categories(svc.config)},
        default_days=_custody(svc).loan_default_days,
        max_days=_custody(svc).loan_max_days,
        statuses=list(lending.LoanStatus),
        tz=local_zone(svc.config),
        **found,
    )


def _custody(svc: Any) -> Any:
    from dossier.custody.settings import custody_settings

    return custody_settings(svc.config)


@router.post("/custody/file-loans")
def request_loan(
    request: Request,
    user: User,
    borrower: Annotated[str, Form(max_length=40)],
    purpose: Annotated[str, Form(max_length=500)],
    days: Annotated[int | None, Form(ge=1, le=366)] = None,
    category: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    require_page(request, user, Action.BORROW)
    svc = services(request)
    try:
        loan = svc.archive.transaction(
            lambda s: (
                lending.request_loan(
                    s,
                    user,
                    borrower,
                    purpose,
                    days=days,
                    categories=category,
                    config=svc.config,
                    now=svc.clock(),
                ).number
            )
        )
    except DossierError as exc:
        return _back("error", str(exc))
    return _back("ok", f"借阅申请已提交：{loan}，等待档案管理员审批")


@router.post("/custody/file-loans/{number}/approve")
def approve_loan(request: Request, number: str, user: User) -> Response:
    require_page(request, user, Action.LEND)
    svc = services(request)
    try:
        svc.archive.transaction(
            lambda s: lending.approve(
                s, _number(number), actor=user.actor, now=svc.clock(), config=svc.config
            )
        )
    except DossierError as exc:
        return _back("error", str(exc))
    return _back("ok", f"已批准借阅：{number}")


@router.post("/custody/file-loans/{number}/refuse")
def refuse_loan(
    request: Request, number: str, user: User, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    require_page(request, user, Action.LEND)
    svc = services(request)
    try:
        svc.archive.transaction(
            lambda s: lending.refuse(s, _number(number), actor=user.actor, reason=reason, now=svc.clock())
        )
    except DossierError as exc:
        return _back("error", str(exc))
    return _back("ok", f"已拒绝借阅：{number}")


@router.post("/custody/file-loans/{number}/return")
def return_loan(request: Request, number: str, user: User) -> Response:
    require_page(request, user, Action.LEND)
    svc = services(request)
    try:
        svc.archive.transaction(
            lambda s: lending.return_loan(s, _number(number), actor=user.actor, now=svc.clock())
        )
    except DossierError as exc:
        return _back("error", str(exc))
    return _back("ok", f"已登记归还：{number}")


@router.get("/custody/file-loans/{number}", response_class=HTMLResponse)
def read_loan(request: Request, number: str, user: User) -> Response:
    """The lent file: the documents of the lent categories, each downloaded under the loan."""
    svc = services(request)

    def read(session: Session) -> dict[str, Any]:
        loan, borrower, docs = lending.lent_documents(session, user, _number(number), svc.clock())
        return {
            "loan": lending.loan_info(session, loan.number, svc.clock(), user_id=user.id),
            "borrower": {"key": borrower.key, "name": borrower.name},
            "documents": [document_info(d, svc.config) for d in docs],
        }

    try:
        found = svc.archive.transaction(read)
    except CustodyRecordNotFound as exc:
        return page(request, "base.html", user, flash={"kind": "error", "text": str(exc)}, status_code=404)
    except lending.FileLoanInactive as exc:
        text = f"借阅单 {number} 当前不能查阅（已到期、未批准或已结束）：{exc}"
        return page(request, "base.html", user, flash={"kind": "error", "text": text}, status_code=403)
    labels = {c.key: c.label for c in categories(svc.config)}
    return page(
        request, "file_loan.html", user, active=HOME, tz=local_zone(svc.config), cat_labels=labels, **found
    )


@router.post("/custody/handovers")
def create_handover(
    request: Request,
    user: User,
    from_officer: Annotated[str, Form(max_length=50)],
    to_officer: Annotated[str, Form(max_length=50)],
    effective_on: Annotated[date, Form()],
    borrowers: Annotated[str, Form(max_length=200_000)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require_page(request, user, Action.HANDOVER)
    svc = services(request)
    keys = [k.strip() for k in borrowers.replace("，", "\n").replace(",", "\n").splitlines() if k.strip()]
    try:
        number = svc.archive.transaction(
            lambda s: (
                handovers.create_handover(
                    s,
                    from_username=from_officer,
                    to_username=to_officer,
                    borrower_keys=keys or None,
                    effective_on=effective_on,
                    note=note,
                    actor=user.actor,
                    access=svc.access,
                    now=svc.clock(),
                ).number
            )
        )
        _file_list(svc, number, user)
    except DossierError as exc:
        return _back("error", str(exc))
    return _back("ok", f"已发起客户移交：{number}，待交接双方确认")


@router.post("/custody/handovers/{number}/acknowledge")
def acknowledge(request: Request, number: str, user: User) -> Response:
    svc = services(request)
    try:
        done = svc.archive.transaction(
            lambda s: handovers.acknowledge(s, _number(number), user, now=svc.clock()).state
        )
        if done == handovers.HandoverState.COMPLETED.value:
            _file_list(svc, number, user)
    except DossierError as exc:
        return _back("error", str(exc))
    return _back("ok", f"已确认移交：{number}")


def _file_list(svc: Any, number: str, user: Principal) -> None:
    from dossier.custody.documents import file_handover_list

    today = svc.clock().astimezone(local_zone(svc.config)).date()
    with svc.generate_lock:
        file_handover_list(svc.archive, number, actor=user.actor, today=today)
    svc.make_searchable()
