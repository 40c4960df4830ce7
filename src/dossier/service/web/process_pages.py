"""The credit process pages: 待办 (my queue) and the portfolio's lists, the stage board, one application
(timeline, gate, open items, the moves its stage allows the user) and the 提交授信申请 form of a borrower."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.domain.document_types import document_types
from dossier.domain.enums import GuaranteeMethod, Product
from dossier.domain.local_time import local_zone
from dossier.errors import DossierError
from dossier.process.enums import ActionKind, Status
from dossier.process.errors import ProcessRefused
from dossier.process.numbers import monthly_numbers
from dossier.process.queue import list_applications
from dossier.process.settings import process_settings
from dossier.process.transitions import submit
from dossier.service.api.applications import MoveBody, application_view, take_move
from dossier.service.deps import Id, borrower_or_404, scope_ids, services
from dossier.service.web.render import allowed, page, page_user, redirect, require_page

router = APIRouter()
User = Annotated[Principal, Depends(page_user)]
VIEWS = {"mine": "我的待办", "all": "全部申请", "overdue": "超时申请"}


def _visible(request: Request, user: Principal) -> set[int] | None:
    svc = services(request)
    return svc.archive.transaction(lambda s: scope_ids(s, user, svc), write=False)


@router.get("/applications", response_class=HTMLResponse)
def applications_page(request: Request, user: User, view: str = "mine") -> Response:
    require_page(request, user, Action.APPLICATIONS)
    view = view if view in VIEWS else "mine"
    found = list_applications(
        services(request).archive,
        visible=_visible(request, user),
        mine=(user.actor, user.role) if view == "mine" else None,
        overdue=view == "overdue",
        status=Status.OPEN if view != "all" else None,
    )
    return page(
        request,
        "applications.html",
        user,
        active="/applications",
        items=[item.to_dict() for item in found],
        view=view,
        views=VIEWS,
    )


@router.get("/applications/board", response_class=HTMLResponse)
def board_page(request: Request, user: User) -> Response:
    require_page(request, user, Action.APPLICATIONS)
    svc = services(request)
    found = list_applications(svc.archive, visible=_visible(request, user), status=Status.OPEN)
    columns: dict[str, dict[str, Any]] = {}
    for stages in process_settings(svc.config).flows.values():
        for stage in stages:
            columns.setdefault(stage.key, {"label": stage.label, "role": stage.role.label, "items": []})
    for item in found:
        columns[item.application.stage]["items"].append(item.to_dict())
    month = None
    if allowed(request, user, Action.PORTFOLIO):
        today = datetime.now(local_zone(svc.config)).date()
        month = monthly_numbers(svc.archive, today.year, today.month).to_dict()
    return page(request, "board.html", user, active="/applications", columns=columns, month=month)


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(request: Request, application_id: Id, user: User) -> Response:
    require_page(request, user, Action.APPLICATIONS)
    svc = services(request)
    try:
        data = application_view(svc, user, application_id)
    except ProcessRefused:
        return page(
            request, "base.html", user, flash={"kind": "error", "text": "授信申请不存在"}, status_code=404
        )
    stage = next(s for s in process_settings(svc.config).flows[data["flow"]] if s.key == data["stage"])
    may_act = (
        data["status"] == Status.OPEN.value
        and allowed(request, user, Action.DECIDE)
        and stage.role is user.role
        and (data["holder"] in (None, user.actor) or stage.role.value == "officer")
    )
    zone = local_zone(svc.config)
    labels = {t.key: t.label for t in document_types(svc.config)}
    for step in data["steps"]:
        step["at_local"] = datetime.fromisoformat(step["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        step["doc_type_labels"] = [labels.get(t, t) for t in step["doc_types"]]
    stages = process_settings(svc.config).flows[data["flow"]]
    earlier = [s for s in stages[: [s.key for s in stages].index(data["stage"])]]
    return page(
        request,
        "application.html",
        user,
        active="/applications",
        app=data,
        actions=[a for a in stage.actions] if may_act else [],
        may_withdraw=data["status"] == Status.OPEN.value and data["applicant"] == user.actor,
        earlier=earlier,
        kinds=ActionKind,
        guarantees=list(GuaranteeMethod),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def _items(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]


@router.post("/applications/{application_id}/act")
async def application_act(
    request: Request,
    application_id: Id,
    user: User,
    kind: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=1, le=2**31)],
    reasons: Annotated[str, Form(max_length=5000)] = "",
    to: Annotated[str, Form(max_length=40)] = "",
    doc_types: Annotated[str, Form(max_length=1000)] = "",
    amount: Annotated[str, Form(max_length=24)] = "",
    term_months: Annotated[str, Form(max_length=4)] = "",
    add_guarantees: Annotated[list[str] | None, Form()] = None,
    conditions: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    back = f"/applications/{application_id}"
    try:
        what = ActionKind(kind)
        require_page(request, user, Action.APPLY if what is ActionKind.WITHDRAW else Action.DECIDE)
        body = MoveBody(
            version=version,
            reasons=_lines(reasons),
            to=to or None,
            doc_types=_items(doc_types),
            amount=amount or None,
            term_months=int(term_months) if term_months.strip() else None,
            add_guarantees=[g for g in (add_guarantees or []) if g][:8],
            conditions=_lines(conditions),
        )
        moved = await run_in_threadpool(take_move, services(request), user, application_id, what, body)
    except ProcessRefused as exc:
        return redirect(f"{back}?error={quote(exc.chinese[:250])}")
    except (DossierError, ValueError) as exc:
        return redirect(f"{back}?error={quote(str(exc)[:250])}")
    text = f"已{what.label}，当前环节：{moved.stage_label}（{moved.status.label}）"
    return redirect(f"{back}?ok={quote(text)}")


@router.post("/borrowers/{borrower_id}/apply")
async def borrower_apply(
    request: Request,
    borrower_id: Id,
    user: User,
    product: Annotated[str, Form(max_length=40)],
    amount: Annotated[str, Form(max_length=24)],
    term_months: Annotated[int, Form(ge=1, le=360)],
    guarantees: Annotated[list[str], Form()],
    purpose: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_page(request, user, Action.APPLY)
    svc = services(request)
    key = await run_in_threadpool(
        svc.archive.transaction, lambda s: borrower_or_404(s, user, svc, borrower_id).key, write=False
    )
    try:
        made = await run_in_threadpool(
            lambda: submit(
                svc.archive,
                borrower_key=key,
                product=product,
                amount=amount,
                term_months=term_months,
                guarantees=guarantees[:8],
                actor=user.actor,
                role=user.role,
                purpose=purpose or None,
                visible=_visible(request, user),
            )
        )
    except ProcessRefused as exc:
        return redirect(f"/borrowers/{borrower_id}?error={quote(exc.chinese[:250])}")
    except DossierError as exc:
        return redirect(f"/borrowers/{borrower_id}?error={quote(str(exc)[:250])}")
    return redirect(f"/applications/{made.id}?ok={quote('已提交授信申请 ' + made.number)}")


def borrower_applications(request: Request, user: Principal, borrower_id: int) -> dict[str, Any]:
    """What the borrower page shows of the credit process: the borrower's applications and the form."""
    if not allowed(request, user, Action.APPLICATIONS):
        return {"applications": None}
    found = list_applications(
        services(request).archive, visible=_visible(request, user), borrower_id=borrower_id
    )
    return {
        "applications": [item.to_dict() for item in found],
        "may_apply": allowed(request, user, Action.APPLY),
        "products": list(Product),
        "guarantee_methods": list(GuaranteeMethod),
    }
