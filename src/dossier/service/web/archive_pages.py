"""Borrower pages: the list, and one borrower's loans, archive tree, completeness, upload and officers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dossier.access.roles import Action, Role
from dossier.access.scope import assign
from dossier.access.users import AccessError, Principal, list_users
from dossier.archive.browse import borrower_info, borrower_loans, borrower_tree
from dossier.archive.completeness import evaluate, load_checklists
from dossier.archive.completeness.report_html import borrower_report_html
from dossier.archive.completeness.snapshot import load_snapshot
from dossier.archive.custody_history import holdings
from dossier.inbox.outcome import Outcome
from dossier.inbox.upload import UploadOutcome
from dossier.service.api.borrowers import borrower_list
from dossier.service.api.records import record
from dossier.service.api.verifications import EVIDENCE, VerificationForm, verify_document
from dossier.service.deps import Id, borrower_or_404, document_or_404, services
from dossier.service.headers import standalone_html
from dossier.service.intake import upload_for
from dossier.service.limits import takes_files
from dossier.service.uploads import read_form
from dossier.service.web.process_pages import borrower_applications
from dossier.service.web.render import allowed, page, page_user, redirect, require_page
from dossier.verification import Aspect, Method, Result, list_verifications

router = APIRouter()
User = Annotated[Principal, Depends(page_user)]


@router.get("/borrowers", response_class=HTMLResponse)
def borrowers_page(request: Request, user: User, q: str = "") -> Response:
    require_page(request, user, Action.VIEW)
    svc = services(request)

    total, items = borrower_list(svc, user, text=q[:100] or None, limit=200)
    return page(request, "borrowers.html", user, active="/borrowers", items=items, total=total, q=q)


@router.get("/borrowers/{borrower_id}", response_class=HTMLResponse)
def borrower_page(request: Request, borrower_id: Id, user: User) -> Response:
    require_page(request, user, Action.VIEW)
    svc = services(request)

    def read(session: Session) -> dict[str, Any]:
        found = borrower_or_404(session, user, svc, borrower_id)
        record(session, user, "view", f"borrower:{found.key}", borrower_key=found.key, part="page")
        result = evaluate(
            load_snapshot(session, found.key), load_checklists(svc.config), date.today(), config=svc.config
        )
        officers = [u for u in list_users(session) if u.role == Role.OFFICER.value and u.active]
        return {
            "borrower": borrower_info(found),
            "loans": borrower_loans(session, found),
            "tree": borrower_tree(session, found, svc.config),
            "completeness": result,
            "officers": officers,
            "holdings": holdings(session, [found.id]).get(found.id, []),
        }

    values = svc.archive.transaction(read)
    checks: dict[int, list[dict[str, Any]]] = {}
    for made in list_verifications(svc.archive, borrower_key=values["borrower"]["key"]):
        checks.setdefault(made.document_id, []).append(made.to_dict())
    return page(
        request,
        "borrower.html",
        user,
        active="/borrowers",
        may_upload=allowed(request, user, Action.UPLOAD),
        may_export=allowed(request, user, Action.EXPORT),
        may_assign=allowed(request, user, Action.ASSIGN),
        may_verify=allowed(request, user, Action.VERIFY),
        checks=checks,
        aspects=list(Aspect),
        methods=list(Method),
        results=list(Result),
        **borrower_applications(request, user, borrower_id),
        **values,
    )


@router.post("/documents/{document_id}/verify")
@takes_files()
async def document_verify(request: Request, document_id: Id, user: User) -> Response:
    require_page(request, user, Action.VERIFY)
    svc = services(request)
    borrower_id = await run_in_threadpool(
        svc.archive.transaction,
        lambda s: document_or_404(s, user, svc, document_id, writing=True).borrower_id,
        write=False,
    )
    back = f"/borrowers/{borrower_id}"
    try:
        # The form is read only now, the user known and the CSRF token checked (limits.takes_files).
        async with read_form(request, EVIDENCE) as form:
            people = (form.first("with") or "").replace("，", ",").replace("、", ",")
            form.fields["with"] = people.split(",")
            try:
                fields = VerificationForm.of(form)
            except RequestValidationError:
                return redirect(f"{back}?error={quote('核实时间格式错误或字段过长')}#doc-{document_id}")
            made = await run_in_threadpool(
                verify_document, svc, user, document_id, fields, form.files_of("evidence")
            )
    except HTTPException as exc:
        return redirect(f"{back}?error={quote(str(exc.detail)[:250])}#doc-{document_id}")
    text = f"已登记核实记录 #{made['id']}"
    return redirect(f"{back}?ok={quote(text)}#doc-{document_id}")


@router.get("/borrowers/{borrower_id}/completeness", response_class=HTMLResponse)
def borrower_completeness_print(request: Request, borrower_id: Id, user: User) -> Response:
    require_page(request, user, Action.COMPLETENESS)
    svc = services(request)

    def read(session: Session) -> str:
        found = borrower_or_404(session, user, svc, borrower_id)
        # The same view event as its API twin (GET /api/v1/borrowers/{id}/completeness).
        record(session, user, "view", f"borrower:{found.key}", borrower_key=found.key, part="completeness")
        snapshot = load_snapshot(session, found.key)
        return borrower_report_html(
            evaluate(snapshot, load_checklists(svc.config), date.today(), config=svc.config)
        )

    return standalone_html(svc.archive.transaction(read))


@router.post("/borrowers/{borrower_id}/upload")
@takes_files(1)
async def borrower_upload(request: Request, borrower_id: Id, user: User) -> Response:
    require_page(request, user, Action.UPLOAD)
    svc = services(request)
    key = await run_in_threadpool(
        svc.archive.transaction,
        lambda s: borrower_or_404(s, user, svc, borrower_id, writing=True).key,
        write=False,
    )
    # The form is read only now, the user known and the CSRF token checked (limits.takes_files).
    async with read_form(request, frozenset({"file"})) as form:
        sent = form.files_of("file")
        folder = form.first("folder") or ""
        if not sent:
            return redirect(f"/borrowers/{borrower_id}?error={quote('请选择要上传的文件')}")
        if len(folder) > 100:
            return redirect(f"/borrowers/{borrower_id}?error={quote('目录名过长')}")

        def file_it() -> UploadOutcome:
            with sent[0].path.open("rb") as stream:
                return upload_for(svc, user, stream, sent[0].name, borrower=key, folder=folder)

        outcome = await run_in_threadpool(file_it)
    name = sent[0].name
    if outcome.document_id is not None:
        text = f"已归档：{name}" if outcome.outcome is not Outcome.DUPLICATE else f"文件已在档案中：{name}"
        return redirect(f"/borrowers/{borrower_id}?ok={quote(text)}#doc-{outcome.document_id}")
    why = f"未能归档，已转入隔离区：{outcome.message or outcome.outcome}"
    return redirect(f"/borrowers/{borrower_id}?error={quote(why)}")


@router.post("/borrowers/{borrower_id}/officers")
def borrower_officer(
    request: Request, borrower_id: Id, user: User, username: Annotated[str, Form(max_length=50)]
) -> Response:
    require_page(request, user, Action.ASSIGN)
    svc = services(request)

    def work(session: Session) -> bool:
        found = borrower_or_404(session, user, svc, borrower_id)
        return assign(session, username, found, actor=user.actor)

    try:
        added = svc.archive.transaction(work)
    except AccessError as exc:
        return redirect(f"/borrowers/{borrower_id}?error={quote(str(exc))}")
    text = f"已分配给 {username}" if added else f"{username} 已可查看该借款人"
    return redirect(f"/borrowers/{borrower_id}?ok={quote(text)}")
