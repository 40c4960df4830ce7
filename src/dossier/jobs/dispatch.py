"""Which runner a home uses, and the entry points the rest of dossier calls instead of doing slow work.

The embedded default (SQLite) gets the embedded runner; a catalog on PostgreSQL gets the queue runner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.audit import append_event
from dossier.archive.catalog import db
from dossier.archive.catalog.models import Document, IndexQueue
from dossier.archive.home import Archive
from dossier.jobs import state
from dossier.jobs.definitions import JobKind, JobStatus
from dossier.jobs.embedded import EmbeddedRunner
from dossier.jobs.queue import QueueRunner, lock_for

if TYPE_CHECKING:
    from dossier.search.ocr_queue import OcrReport
    from dossier.search.search_index import SearchIndex

JobRunner = EmbeddedRunner | QueueRunner


def is_queue(archive: Archive) -> bool:
    return db.is_postgresql(archive.engine)


def runner_for(archive: Archive) -> JobRunner:
    return QueueRunner(archive) if is_queue(archive) else EmbeddedRunner(archive)


def index_soon(archive: Archive, actor: str = "system") -> None:
    """Make what was just filed searchable: on the queue, an index job (one waits at most); on the
    embedded default, drain the outbox now unless another process is at it (as before)."""
    if is_queue(archive):
        QueueRunner(archive).submit(
            JobKind.INDEX, "index", {}, actor, lock=lock_for(JobKind.INDEX, "index"), queueing_lock="index"
        )
        return
    from dossier.search.indexing import index_pending

    index_pending(archive)


def _waiting_for_ocr(session: Session, limit: int | None) -> list[int]:
    """Documents with a live OCR outbox row, no job at work on them and not given up on, oldest first."""
    from dossier.config import session_config
    from dossier.jobs.ocr import OCR_FAILED, subject
    from dossier.search.settings import search_settings

    max_attempts = search_settings(session_config(session)).max_attempts
    busy = state.active_subjects(session, JobKind.OCR)
    rows = session.execute(
        select(IndexQueue.document_id, Document.flags)
        .join(Document, Document.id == IndexQueue.document_id)
        .where(IndexQueue.op == index_outbox.OCR, IndexQueue.attempts < max_attempts)
        .order_by(IndexQueue.id)
    ).all()
    found: list[int] = []
    for document_id, flags in rows:
        if subject(document_id) in busy or OCR_FAILED in (flags or []) or document_id in found:
            continue
        found.append(document_id)
        if limit is not None and len(found) >= limit:
            break
    return found


def dispatch_ocr(archive: Archive, actor: str, *, limit: int | None = None) -> int:
    """One OCR job per scan waiting for it (queue runner), in one transaction; how many were deferred."""
    from dossier.jobs.ocr import subject

    runner = QueueRunner(archive)

    def work(session: Session) -> int:
        deferred = 0
        for document_id in _waiting_for_ocr(session, limit):
            name = subject(document_id)
            lock = lock_for(JobKind.OCR, name)
            if runner.defer(session, JobKind.OCR, name, {"document_id": document_id}, actor, lock=lock):
                deferred += 1
        return deferred

    return archive.transaction(work)


def ocr_now(index: SearchIndex, actor: str, *, limit: int | None = None) -> OcrReport:
    """`dossier index --ocr`: the scans waiting for OCR, one OCR job each. On the embedded default they
    run here, one after the other, and the index is drained; on the queue they are deferred to workers
    (``recognised`` stays 0, ``remaining`` counts what waits)."""
    from dossier.jobs.ocr import subject
    from dossier.search.ocr_queue import OcrReport, ocr_unavailable

    archive = index.archive
    report = OcrReport()
    if is_queue(archive):
        dispatch_ocr(archive, actor, limit=limit)
    else:
        report.unavailable = ocr_unavailable(index)
        if report.unavailable is None:
            runner = EmbeddedRunner(archive)
            for document_id in archive.transaction(lambda s: _waiting_for_ocr(s, limit), write=False):
                run_id = runner.submit(JobKind.OCR, subject(document_id), {"document_id": document_id}, actor)
                assert run_id is not None
                run = state.view(archive, run_id)
                if run.status == JobStatus.FAILED.value:
                    report.failed += 1
                    report.errors.append(f"document {document_id}: {run.error}")
                elif (run.result or {}).get("recognised"):
                    report.recognised += 1
    report.remaining = index.queue_state().waiting.get(index_outbox.OCR, 0)
    if report.recognised:
        report.indexed = index.process()
    return report


def retry(archive: Archive, run_id: int, actor: str) -> JobStatus:
    """An admin retries a failed job: an audit event, the job queued again (the embedded runner runs it
    now); the run's status afterwards."""
    runner = runner_for(archive)

    def work(session: Session) -> None:
        row = state.load(session, run_id)
        if row.kind == JobKind.OCR.value:
            from dossier.jobs.ocr import clear_failed

            clear_failed(session, int(row.params["document_id"]))
        runner.requeue(session, run_id)
        append_event(
            session,
            actor=actor,
            action="job.retry",
            target=f"job:{run_id}",
            details={"kind": row.kind, "subject": row.subject},
        )

    archive.transaction(work)
    if isinstance(runner, EmbeddedRunner):
        return runner.run(run_id)
    return JobStatus.QUEUED
