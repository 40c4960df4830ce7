"""Which runner a home uses, and the entry points the rest of dossier calls instead of doing slow work.

The embedded default (SQLite) gets the embedded runner; a catalog on PostgreSQL gets the queue runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.audit import append_event
from dossier.archive.home import Archive
from dossier.errors import DossierError
from dossier.jobs import state
from dossier.jobs.definitions import JobKind, JobStatus
from dossier.jobs.embedded import EmbeddedRunner
from dossier.jobs.followups import dispatch_ocr, is_queue, waiting_for_ocr
from dossier.jobs.ocr_names import subject
from dossier.jobs.queue import QueueRunner, lock_for
from dossier.jobs.settings import jobs_settings

if TYPE_CHECKING:
    from dossier.generation.batch import PdfJobs
    from dossier.search.ocr_queue import OcrReport
    from dossier.search.search_index import SearchIndex

JobRunner = EmbeddedRunner | QueueRunner


def runner_for(archive: Archive) -> JobRunner:
    return QueueRunner(archive) if is_queue(archive) else EmbeddedRunner(archive)


def ocr_now(index: SearchIndex, actor: str, *, limit: int | None = None) -> OcrReport:
    """`dossier index --ocr`: the scans waiting for OCR, one OCR job each. On the embedded default they
    run here, one after the other, and the index is drained; on the queue they are deferred to workers
    (``recognised`` stays 0, ``remaining`` counts what waits)."""
    from dossier.search.ocr_queue import OcrReport, ocr_unavailable

    archive = index.archive
    report = OcrReport()
    if is_queue(archive):
        dispatch_ocr(archive, actor, limit=limit)
    else:
        report.unavailable = ocr_unavailable(index)
        if report.unavailable is None:
            runner = EmbeddedRunner(archive)
            for document_id in archive.transaction(lambda s: waiting_for_ocr(s, limit), write=False):
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


def submit_batch(archive: Archive, as_of: date, kinds: tuple[str, ...], actor: str) -> list[int]:
    """Split what is due on ``as_of`` into slice jobs and submit them; their run ids (none if nothing is
    due). On the embedded default each slice runs here before the next is submitted."""
    runner = runner_for(archive)
    runs: list[int] = []
    for title, params in _slices(archive, as_of, kinds):
        run_id = runner.submit(JobKind.NOTICES, title, params, actor)
        if run_id is not None:
            runs.append(run_id)
    return runs


def _slices(archive: Archive, as_of: date, kinds: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """The batch's slice jobs: (subject, params), [jobs].notices_loans_per_job loans each."""
    from dossier.ledger.notices import plan_notices

    plan = plan_notices(archive, as_of, kinds)
    loans = sorted({e.view.ledger_id for events in plan.pending.values() for e in events})
    size = jobs_settings(archive.config).notices_loans_per_job
    slices = []
    for begin in range(0, len(loans), size):
        chunk = loans[begin : begin + size]
        params = {"as_of": as_of.isoformat(), "kinds": list(kinds), "ledger_ids": chunk}
        slices.append((f"notices:{as_of.isoformat()}:{chunk[0]}-{chunk[-1]}", params))
    return slices


@dataclass(frozen=True)
class Started:
    """Jobs a page started: their run ids, and (embedded runner) the work still to do, which the page
    calls once it has answered, so the person sees the progress page at once and watches it fill."""

    runs: tuple[int, ...]
    later: Callable[[], None] | None = None


def _started(runner: JobRunner, planned: list[tuple[JobKind, str, dict[str, Any]]], actor: str) -> Started:
    if isinstance(runner, QueueRunner):

        def defer_all(session: Session) -> tuple[int, ...]:
            ids = (runner.defer(session, k, s, p, actor, lock=lock_for(k, s)) for k, s, p in planned)
            return tuple(i for i in ids if i is not None)

        return Started(runner.archive.transaction(defer_all))
    embedded = runner
    ids = tuple(embedded.record(k, s, p, actor) for k, s, p in planned)

    def run_all() -> None:
        for run_id in ids:
            embedded.run(run_id)

    return Started(ids, run_all if ids else None)


def start_from_page(archive: Archive, kind: JobKind, params: dict[str, Any], actor: str) -> Started:
    """A volume or an export started from a page (see :class:`Started`)."""
    if kind not in (JobKind.VOLUME, JobKind.EXPORT):
        raise DossierError(f"{kind.value}: not a job a page starts (页面不能启动此任务)")
    subject = f"{kind.value}:{params.get('borrower')}"
    return _started(runner_for(archive), [(kind, subject, dict(params))], actor)


def batch_from_page(archive: Archive, as_of: date, kinds: tuple[str, ...], actor: str) -> Started:
    """The notices batch started from a page: its slice jobs (none when nothing is due)."""
    planned = [(JobKind.NOTICES, s, p) for s, p in _slices(archive, as_of, kinds)]
    return _started(runner_for(archive), planned, actor)


def start(archive: Archive, kind: JobKind, params: dict[str, object], actor: str) -> int:
    """A volume, an export or a reindex as a job (the queue when it is in use, else here and now)."""
    if kind not in (JobKind.VOLUME, JobKind.EXPORT, JobKind.REINDEX):
        raise DossierError(f"{kind.value}: not a job to start by hand (此任务不能手动启动)")
    subject = kind.value if kind is JobKind.REINDEX else f"{kind.value}:{params.get('borrower')}"
    run_id = runner_for(archive).submit(kind, subject, dict(params), actor, lock=lock_for(kind, subject))
    assert run_id is not None  # no queueing lock: always a new run
    return run_id


def render_pdfs(archive: Archive, document_ids: list[int], actor: str) -> PdfJobs:
    """The PDF/A renditions of ``document_ids`` (filed DOCX documents) through render jobs of
    [jobs].render_documents_per_job each: made here and now on the embedded runner, deferred to the
    render queue otherwise (what `dossier generate --pdf` hands to generation.generate_batch)."""
    from dossier.generation.batch import PdfJobs

    ids = list(dict.fromkeys(document_ids))
    size = jobs_settings(archive.config).render_documents_per_job
    runner = runner_for(archive)
    runs = []
    for begin in range(0, len(ids), size):
        chunk = ids[begin : begin + size]
        title = f"render:document:{chunk[0]}" + (f"-{chunk[-1]}" if len(chunk) > 1 else "")
        run_id = runner.submit(JobKind.RENDER, title, {"document_ids": chunk}, actor)
        if run_id is not None:
            runs.append(run_id)
    if isinstance(runner, QueueRunner):
        return PdfJobs(runs, deferred=True, errors=[])
    errors = [e for e in (state.view(archive, r).error for r in runs) if e]
    return PdfJobs(runs, deferred=False, errors=errors)
