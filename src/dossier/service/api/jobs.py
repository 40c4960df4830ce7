"""Slow work run as jobs: a job's status, progress and error, and an admin's retry of a failed one.

A job names what it works on by catalog id only (``document:12``, a slice of ledger loans), never a
borrower, so the staff who watch the work (archivists, auditors, admins) see it without borrower scope;
officers, who are scoped, do not see jobs at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.errors import DossierError
from dossier.jobs import state
from dossier.jobs.dispatch import retry as retry_run
from dossier.service.api.records import record
from dossier.service.deps import Id, ServicesDep, require
from dossier.service.writing import require_writing

router = APIRouter(prefix="/jobs", tags=["jobs"])

Watcher = Annotated[Principal, Depends(require(Action.JOBS))]
Admin = Annotated[Principal, Depends(require_writing(Action.RETRY_JOBS))]


class Progress(BaseModel):
    done: int
    total: int


class Job(BaseModel):
    id: int
    kind: str
    queue: str
    subject: str
    status: str
    runner: str
    attempts: int
    progress: Progress
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class Retried(BaseModel):
    id: int
    status: str


def _job(view: state.JobView) -> Job:
    data = view.as_dict()
    data["progress"] = Progress(**data["progress"])
    return Job(**data)


@router.get("", response_model=list[Job], summary="Jobs, newest first (任务列表)")
def jobs(
    svc: ServicesDep,
    user: Watcher,
    failed: Annotated[bool, Query(description="Only jobs that ran out of attempts")] = False,
    limit: Annotated[int, Query(ge=1, le=state.LIST_LIMIT)] = 50,
) -> list[Job]:
    runs = state.list_runs(svc.archive, failed=failed, limit=limit)
    # A job's result names what it made (a borrower's export, volume): reading the list is a view.
    svc.archive.transaction(lambda s: record(s, user, "view", "jobs", failed=failed, shown=len(runs)))
    return [_job(v) for v in runs]


@router.get("/{job_id}", response_model=Job, summary="A job: status, progress, error (任务状态)")
def job(job_id: Id, svc: ServicesDep, user: Watcher) -> Job:
    try:
        found = state.view(svc.archive, job_id)
    except state.JobNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    svc.archive.transaction(lambda s: record(s, user, "view", f"job:{job_id}"))
    return _job(found)


@router.post("/{job_id}/retry", response_model=Retried, summary="Retry a failed job (重试任务)")
def retry(job_id: Id, svc: ServicesDep, user: Admin) -> Retried:
    try:
        outcome = retry_run(svc.archive, job_id, user.actor)
    except state.JobNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except DossierError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return Retried(id=job_id, status=outcome.value)
