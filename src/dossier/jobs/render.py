"""PDF/A renditions (LibreOffice) as render jobs: filed DOCX documents split into jobs of
[jobs].render_documents_per_job, one LibreOffice start per job.

On the embedded default the job runs here and now, as the conversion always did; on the queue it is
deferred to a worker serving ``render``, so a batch's filing never waits for LibreOffice. A document that
has its PDF/A already is not converted again (archive.renditions.render_pdf_a), so a retried job, or the
same documents asked for twice, do the work once; a job with a document that failed is retried within
[jobs].max_attempts, converting only what is still missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dossier.archive.home import Archive
from dossier.jobs.definitions import JobError, JobKind, Work
from dossier.jobs.settings import jobs_settings


def render_job(work: Work) -> dict[str, Any]:
    from dossier.archive.renditions import RenditionStatus, render_pdf_a

    ids = [int(i) for i in work.params["document_ids"]]
    outcomes = render_pdf_a(work.archive, ids, actor=work.actor, progress=work.progress)
    failed = [f"document {o.document_id}: {o.error}" for o in outcomes if o.result is None]
    if failed:
        raise JobError("PDF/A conversion failed (PDF/A 转换失败): " + " | ".join(failed)[:2000])
    return {
        "filed": [o.document_id for o in outcomes if o.result and o.result.status is RenditionStatus.FILED],
        "kept": [o.document_id for o in outcomes if o.result and o.result.status is RenditionStatus.KEPT],
    }


@dataclass(frozen=True)
class RenderRuns:
    runs: list[int]
    """The render jobs' run ids."""
    deferred: bool
    """True on the queue (a worker makes the renditions later); False: they were made here, now."""


def render_renditions(archive: Archive, document_ids: Sequence[int], actor: str) -> RenderRuns:
    """Make the PDF/A renditions of ``document_ids`` (filed DOCX documents) through the job runner."""
    from dossier.jobs.dispatch import runner_for
    from dossier.jobs.embedded import EmbeddedRunner

    ids = list(dict.fromkeys(document_ids))
    size = jobs_settings(archive.config).render_documents_per_job
    runner = runner_for(archive)
    runs = []
    for begin in range(0, len(ids), size):
        chunk = ids[begin : begin + size]
        subject = f"render:document:{chunk[0]}" + (f"-{chunk[-1]}" if len(chunk) > 1 else "")
        run_id = runner.submit(JobKind.RENDER, subject, {"document_ids": chunk}, actor)
        if run_id is not None:
            runs.append(run_id)
    return RenderRuns(runs, deferred=not isinstance(runner, EmbeddedRunner))
