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
    from dossier.jobs.notices import notices_job

    return notices_job


def on_failed(kind: JobKind) -> Callable[[Archive, dict[str, Any], str, int], None] | None:
    """What a kind does when it is out of attempts (OCR flags the document), or None."""
    if kind is JobKind.OCR:
        from dossier.jobs.ocr import ocr_gave_up

        return ocr_gave_up
    return None
