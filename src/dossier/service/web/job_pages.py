"""Long work started from a page as a job: a borrower's volume (卷) and export bundle, the month's notices
batch. The page answers at once with a progress page (site.js polls its JSON twin), which offers the
result when the job is done: the volume PDF or export zip to download, the list of notices filed; or the
error when it failed.

Who may see a run: only the person who started it, still holding the action that started it, and (for a
borrower's volume or export) still seeing that borrower. Anything else answers 404 exactly like a run
that does not exist, so an officer never learns another officer's borrower (nor its jobs) exist. Looking
at a finished run's result and downloading its file are audit events, like any view or download.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.catalog.job_tables import JobRun
from dossier.archive.catalog.models import Document
from dossier.archive.registry import find_borrower
from dossier.jobs.definitions import JobKind, JobStatus
from dossier.jobs.dispatch import Started, batch_from_page, start_from_page
from dossier.jobs.results import is_result, new_output, results_folder
from dossier.jobs.settings import jobs_settings
from dossier.ledger.notices import KIND_ORDER
from dossier.service.api.records import record
from dossier.service.deps import Id, Services, borrower_or_404, scope_ids, services
from dossier.service.web.render import page, page_user, redirect, require_page

router = APIRouter()
User = Annotated[Principal, Depends(page_user)]

STARTED_BY = {JobKind.VOLUME: Action.VIEW, JobKind.EXPORT: Action.EXPORT, JobKind.NOTICES: Action.NOTICES}
"""The action that starts each kind of job from a page (and that its result needs)."""
KIND_LABELS = {JobKind.VOLUME: "装订卷文件", JobKind.EXPORT: "导出档案", JobKind.NOTICES: "批量生成通知"}
STATUS_LABELS = {
    JobStatus.QUEUED: "排队中",
    JobStatus.RUNNING: "进行中",
    JobStatus.RETRYING: "等待重试",
    JobStatus.SUCCEEDED: "已完成",
    JobStatus.FAILED: "失败",
}
NOTICE_LABELS = {"reminder": "还款提醒", "collection": "催收通知", "collection-plan": "催收计划"}
MAX_RUNS = 200
"""Runs one progress page follows at most (a notices batch of 200 slices is 4,000 loans by default)."""


class RunNotFound(HTTPException):
    def __init__(self, run_id: int) -> None:
        super().__init__(status.HTTP_404_NOT_FOUND, f"job (任务) {run_id} not found (不存在)")


@dataclass(frozen=True)
class Seen:
    """A run the user may see, with the borrower key its result belongs to (volume, export)."""

    row: JobRun
    kind: JobKind
    borrower_key: str | None


def _visible(session: Session, svc: Services, user: Principal, run_id: int) -> Seen:
    """The run, if ``user`` may see it (module doc); else 404, the same as a run that does not exist."""
    row = session.get(JobRun, run_id)
    kind = JobKind(row.kind) if row is not None else None
    if row is None or kind not in STARTED_BY or row.actor != user.actor[:50]:
        raise RunNotFound(run_id)
    if not svc.access.allows(user.role, STARTED_BY[kind]):
        raise RunNotFound(run_id)
    key: str | None = None
    if kind in (JobKind.VOLUME, JobKind.EXPORT):
        key = str(row.params.get("borrower"))
        borrower = find_borrower(session, key)
        visible = scope_ids(session, user, svc)
        # Scope is checked again on every look: a borrower handed to another officer since is gone.
        if borrower is None or (visible is not None and borrower.id not in visible):
            raise RunNotFound(run_id)
    return Seen(row, kind, key)


def _run_ids(runs: str) -> list[int]:
    try:
        ids = [int(part) for part in runs.split(",") if part.strip()]
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "runs (任务编号) must be numbers") from None
    if not ids or len(ids) > MAX_RUNS or any(i < 1 for i in ids):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"runs (任务编号): 1 to {MAX_RUNS} job numbers"
        )
    return ids


def _progress_url(started: Started) -> str:
    return "/jobs/progress?runs=" + ",".join(str(i) for i in started.runs)


def _answer(started: Started) -> Response:
    """The progress page; on the embedded runner the jobs run once it is sent (a background task)."""
    response = redirect(_progress_url(started))
    if started.later is not None:
        response.background = BackgroundTask(started.later)
    return response


def _start_borrower_job(request: Request, user: Principal, borrower_id: int, kind: JobKind) -> Response:
    require_page(request, user, STARTED_BY[kind])
    svc = services(request)
    key = svc.archive.transaction(lambda s: borrower_or_404(s, user, svc, borrower_id).key, write=False)
    folder = results_folder(svc.archive.home, jobs_settings(svc.config))
    output = new_output(folder, f"{key}.pdf" if kind is JobKind.VOLUME else f"{key}.zip")
    params: dict[str, Any] = {"borrower": key, "output": str(output)}
    if kind is JobKind.VOLUME:
        params["loan"] = None
    return _answer(start_from_page(svc.archive, kind, params, user.actor))


@router.post("/borrowers/{borrower_id}/volume-job")
def volume_job(request: Request, borrower_id: Id, user: User) -> Response:
    return _start_borrower_job(request, user, borrower_id, JobKind.VOLUME)


@router.post("/borrowers/{borrower_id}/export-job")
def export_job(request: Request, borrower_id: Id, user: User) -> Response:
    return _start_borrower_job(request, user, borrower_id, JobKind.EXPORT)


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request, user: User) -> Response:
    require_page(request, user, Action.NOTICES)
    kinds = [(k, NOTICE_LABELS.get(k, k)) for k in KIND_ORDER]
    return page(request, "notices.html", user, active="/notices", today=date.today(), kinds=kinds)


@router.post("/notices")
def notices_start(
    request: Request,
    user: User,
    as_of: Annotated[str, Form(max_length=10)],
    kinds: Annotated[list[str] | None, Form(max_length=len(KIND_ORDER))] = None,
) -> Response:
    require_page(request, user, Action.NOTICES)
    svc = services(request)
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        return redirect(f"/notices?error={quote('截至日期 as_of 格式应为 YYYY-MM-DD')}")
    chosen = tuple(k for k in KIND_ORDER if k in (kinds or KIND_ORDER))
    if not chosen:
        return redirect(f"/notices?error={quote('请选择通知种类 kinds')}")
    started = batch_from_page(svc.archive, day, chosen, user.actor)
    if not started.runs:
        return redirect(f"/notices?ok={quote(f'截至 {day} 没有到期未发的通知')}")
    return _answer(started)


def _state(seen: Seen) -> dict[str, Any]:
    row = seen.row
    current = JobStatus(row.status)
    return {
        "id": row.id,
        "kind": seen.kind.value,
        "kind_label": KIND_LABELS[seen.kind],
        "status": current.value,
        "status_label": STATUS_LABELS[current],
        "done": row.done,
        "total": row.total,
        "attempts": row.attempts,
        "error": row.error,
        "finished": not current.active,
    }


@router.get("/jobs/progress.json")
def progress_json(request: Request, user: User, runs: str = "") -> Response:
    """The polled twin of the progress page: status and progress only (no result: that is a view)."""
    svc = services(request)
    ids = _run_ids(runs[:2000])
    states = svc.archive.transaction(lambda s: [_state(_visible(s, svc, user, i)) for i in ids], write=False)
    return JSONResponse({"runs": states, "finished": all(r["finished"] for r in states)})


@router.get("/jobs/progress", response_class=HTMLResponse)
def progress_page(request: Request, user: User, runs: str = "") -> Response:
    svc = services(request)
    ids = _run_ids(runs[:2000])

    def read(session: Session) -> dict[str, Any]:
        seen = [_visible(session, svc, user, i) for i in ids]
        states = [_state(s) for s in seen]
        done = all(s["finished"] for s in states)
        notices = _notices_filed(session, svc, user, seen) if done else []
        if done:
            # The finished page shows what was made (files offered, notices listed): a view of it.
            for s in seen:
                record(
                    session, user, "view", f"job:{s.row.id}", borrower_key=s.borrower_key, kind=s.kind.value
                )
        return {"states": states, "finished": done, "notices": notices}

    values = svc.archive.transaction(read)
    return page(request, "job_progress.html", user, runs=",".join(str(i) for i in ids), **values)


def _notices_filed(
    session: Session, svc: Services, user: Principal, seen: list[Seen]
) -> list[dict[str, Any]]:
    filed = [
        n
        for s in seen
        if s.kind is JobKind.NOTICES and s.row.status == JobStatus.SUCCEEDED.value
        for n in (s.row.result or {}).get("notices", [])
        if n.get("document_id")
    ]
    visible = scope_ids(session, user, svc)
    if visible is not None and filed:
        # A role given the batch but scoped sees only its own borrowers' notices in the list.
        ids = [int(n["document_id"]) for n in filed]
        mine = set(
            session.execute(
                select(Document.id).where(Document.id.in_(ids), Document.borrower_id.in_(visible))
            ).scalars()
        )
        filed = [n for n in filed if int(n["document_id"]) in mine]
    return [{**n, "label": NOTICE_LABELS.get(n["kind"], n["kind"])} for n in filed]


@router.get("/jobs/{run_id}/result")
def job_result(request: Request, run_id: Id, user: User) -> Response:
    """The volume PDF or export zip a finished run made, to the person who may see it (a download event)."""
    svc = services(request)
    folder = results_folder(svc.archive.home, jobs_settings(svc.config))

    def read(session: Session) -> tuple[Path, str]:
        seen = _visible(session, svc, user, run_id)
        made = Path(str((seen.row.result or {}).get("path", "")))
        if seen.row.status != JobStatus.SUCCEEDED.value or not is_result(folder, made):
            raise RunNotFound(run_id)
        record(
            session, user, "download", f"job:{run_id}", borrower_key=seen.borrower_key, kind=seen.kind.value
        )
        return made, "application/pdf" if seen.kind is JobKind.VOLUME else "application/zip"

    path, media = svc.archive.transaction(read)
    return FileResponse(path, media_type=media, filename=path.name)
