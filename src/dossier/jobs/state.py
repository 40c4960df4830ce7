"""Job runs as people see them: created, progressed, finished, listed (the ``job_runs`` table).

Every write here is its own short transaction, except :func:`create_run`, which joins the caller's
transaction (the catalog change that calls for the job): the row and the queue entry commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from dossier.archive.catalog import db
from dossier.archive.catalog.job_tables import JobRun
from dossier.archive.home import Archive
from dossier.errors import DossierError
from dossier.jobs.definitions import JobKind, JobStatus, Runner

T = TypeVar("T")
ERROR_CHARS = 4000
LIST_LIMIT = 200


class JobNotFound(DossierError):
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        super().__init__(f"job {run_id}: no such job (任务不存在)")


@dataclass(frozen=True)
class JobView:
    """A job run for the faces (CLI table, API answer)."""

    id: int
    kind: str
    queue: str
    subject: str
    status: str
    runner: str
    attempts: int
    done: int
    total: int
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: JobRun) -> JobView:
        return cls(
            id=row.id,
            kind=row.kind,
            queue=row.queue,
            subject=row.subject,
            status=row.status,
            runner=row.runner,
            attempts=row.attempts,
            done=row.done,
            total=row.total,
            error=row.error,
            result=row.result,
            created_at=row.created_at,
            updated_at=row.updated_at,
            finished_at=row.finished_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "queue": self.queue,
            "subject": self.subject,
            "status": self.status,
            "runner": self.runner,
            "attempts": self.attempts,
            "progress": {"done": self.done, "total": self.total},
            "error": self.error,
            "result": self.result,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def _now() -> datetime:
    return datetime.now(UTC)


def create_run(
    session: Session, kind: JobKind, subject: str, params: dict[str, Any], runner: Runner, actor: str
) -> JobRun:
    now = _now()
    row = JobRun(
        kind=kind.value,
        queue=kind.queue.value,
        subject=subject[:100],
        params=params,
        status=JobStatus.QUEUED.value,
        runner=runner.value,
        attempts=0,
        done=0,
        total=0,
        actor=actor[:50],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def active_subjects(session: Session, kind: JobKind) -> set[str]:
    """Subjects of ``kind`` with a run still queued, running or waiting to retry."""
    active = [s.value for s in JobStatus if s.active]
    rows = session.execute(
        select(JobRun.subject).where(JobRun.kind == kind.value, JobRun.status.in_(active))
    ).scalars()
    return set(rows)


def load(session: Session, run_id: int) -> JobRun:
    row = session.get(JobRun, run_id)
    if row is None:
        raise JobNotFound(run_id)
    return row


def _bookkeeping(archive: Archive, fn: Callable[[Session], T]) -> T:
    """A run row's own update (one statement, nothing read before it to check). On PostgreSQL it runs
    outside the catalog's one-writer lock, which exists for checks that read before they write: a job's
    bookkeeping then never waits behind filings, nor they behind it (bench/jobs.py: the queue's overhead
    per job). On SQLite, an ordinary writing transaction."""
    return archive.transaction(fn, write=not db.is_postgresql(archive.engine))


def started(archive: Archive, run_id: int, attempt: int) -> JobRun:
    """Mark the run running; the row. One UPDATE … RETURNING: a job's bookkeeping is its queue overhead."""

    def work(session: Session) -> JobRun:
        statement = (
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=case((JobRun.attempts > attempt, JobRun.attempts), else_=attempt),
                updated_at=_now(),
            )
            .returning(JobRun)
        )
        row = session.execute(statement).scalars().one_or_none()
        if row is None:
            raise JobNotFound(run_id)
        return row

    return _bookkeeping(archive, work)


def progressed(archive: Archive, run_id: int, done: int, total: int) -> None:
    _bookkeeping(
        archive,
        lambda s: s.execute(
            update(JobRun).where(JobRun.id == run_id).values(done=done, total=total, updated_at=_now())
        ),
    )


def finished(
    archive: Archive,
    run_id: int,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    now = _now()
    values: dict[str, Any] = {
        "status": status.value,
        "updated_at": now,
        "error": error[:ERROR_CHARS] if error else None,
    }
    if result is not None:
        values["result"] = result
    if status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        values["finished_at"] = now
    _bookkeeping(archive, lambda s: s.execute(update(JobRun).where(JobRun.id == run_id).values(**values)))


def requeued(session: Session, run_id: int) -> JobRun:
    """A failed run set back to queued for an admin's retry (attempts start again)."""
    row = load(session, run_id)
    if row.status != JobStatus.FAILED.value:
        raise DossierError(
            f"job {run_id} is {row.status}, not failed: only a failed job can be retried "
            "(只有失败的任务可以重试)"
        )
    row.status = JobStatus.QUEUED.value
    row.attempts = 0
    row.error = None
    row.finished_at = None
    row.updated_at = _now()
    return row


def view(archive: Archive, run_id: int) -> JobView:
    return archive.transaction(lambda s: JobView.of(load(s, run_id)), write=False)


def list_runs(archive: Archive, *, failed: bool = False, limit: int = LIST_LIMIT) -> list[JobView]:
    """The newest runs first (only failed ones with ``failed``)."""

    def work(session: Session) -> list[JobView]:
        query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
        if failed:
            query = query.where(JobRun.status == JobStatus.FAILED.value)
        return [JobView.of(r) for r in session.execute(query).scalars()]

    return archive.transaction(work, write=False)


def counts(archive: Archive) -> dict[str, int]:
    """Runs per status."""

    def work(session: Session) -> dict[str, int]:
        result: dict[str, int] = {}
        for status in session.execute(select(JobRun.status).order_by(JobRun.id)).scalars():
            result[status] = result.get(status, 0) + 1
        return result

    return archive.transaction(work, write=False)
