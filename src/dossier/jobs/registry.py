"""Which function is the body of each job kind, and what a kind does when it gives up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dossier.archive.home import Archive
from dossier.jobs.definitions import JobFunction, JobKind


def function_for(kind: JobKind) -> JobFunction:
    """The body of ``kind``; imported here, so a worker loads only what it runs."""
    if kind is JobKind.OCR:
        from dossier.jobs.ocr import ocr_job

        return ocr_job
    if kind is JobKind.INDEX:
        from dossier.jobs.indexing import index_job

        return index_job
    if kind is JobKind.RENDER:
        from dossier.jobs.render import render_job

        return render_job
    if kind is JobKind.NOTICES:
        from dossier.jobs.notices import notices_job

        return notices_job
    from dossier.jobs.files import export_job, reindex_job, volume_job

    return {JobKind.VOLUME: volume_job, JobKind.EXPORT: export_job, JobKind.REINDEX: reindex_job}[kind]


def on_failed(kind: JobKind) -> Callable[[Archive, dict[str, Any], str, int], None] | None:
    """What a kind does when it is out of attempts (OCR flags the document), or None."""
    if kind is JobKind.OCR:
        from dossier.jobs.ocr import ocr_gave_up

        return ocr_gave_up
    return None
