"""The render job: PDF/A renditions (LibreOffice) of filed DOCX documents, one LibreOffice start per job
(dispatch.render_pdfs splits the documents into jobs of [jobs].render_documents_per_job).

On the embedded default the job runs here and now, as the conversion always did; on the queue it is
deferred to a worker serving ``render``, so a batch's filing never waits for LibreOffice. A document that
has its PDF/A already is not converted again (archive.renditions.render_pdf_a), so a retried job, or the
same documents asked for twice, do the work once; a job with a document that failed is retried within
[jobs].max_attempts, converting only what is still missing.
"""

from __future__ import annotations

from typing import Any

from dossier.jobs.definitions import JobError, Work


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
