"""The OCR job: one scanned document recognised, its text cached, and the document queued for the index.

Idempotent: a document no longer flagged ``needs-ocr`` is left alone, and text already in the cache is not
recognised again (a worker killed after ocrmypdf but before the catalog write costs nothing the second
time). The catalog write re-reads the flag inside the writing transaction, which writers take one at a
time, so two tries that race both OCR at most, and exactly one of them records the ``ocr`` event.

A document whose OCR fails [jobs].max_attempts times in a row is flagged ``ocr-failed`` with the error in
its details (``details["ocr"]``), its outbox row is removed, and no job is dispatched for it again until an
admin retries the failed job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Document, IndexQueue
from dossier.archive.home import Archive
from dossier.jobs.definitions import JobError, Work
from dossier.jobs.followups import index_soon
from dossier.jobs.ocr_names import OCR_FAILED
from dossier.jobs.settings import jobs_settings
from dossier.search.indexing import NEEDS_OCR
from dossier.search.ocr_queue import ocr_unavailable
from dossier.search.search_index import SearchIndex
from dossier.search.text_cache import CachedText
from indexer.extract import ocr_file


def ocr_job(work: Work) -> dict[str, Any]:
    archive = work.archive
    document_id = int(work.params["document_id"])
    document, rows = archive.transaction(
        lambda s: (_waiting(s, document_id), _ocr_rows(s, document_id)), write=False
    )
    if document is None:  # gone, or recognised by an earlier try: nothing to do
        if rows:
            archive.transaction(lambda s: _drop_rows(s, document_id))
        return {"document_id": document_id, "recognised": False}
    index = SearchIndex(archive)
    reason = ocr_unavailable(index)
    if reason is not None:
        raise JobError(reason)
    work.progress(0, 1)
    cached = index.texts.cache.get(document.sha256)
    if cached is None or "ocr" not in cached.flags:
        settings = index.settings
        text = ocr_file(
            archive.absolute(document.path),
            lang=settings.ocr_lang,
            timeout=settings.ocr_timeout_seconds,
            first_pages=settings.ocr_max_pages,
            jobs=jobs_settings(archive.config).ocr_processes,
        )
        cached = CachedText(text=text, status="ok", flags=("ocr",), media_type=document.media_type)
        index.texts.cache.put(document.sha256, cached)
    recorded = archive.transaction(lambda s: _recognised(s, document_id, cached, work.actor))
    work.progress(1, 1)
    if recorded:
        index_soon(archive, work.actor)
    return {"document_id": document_id, "recognised": recorded, "chars": len(cached.text)}


def _waiting(session: Session, document_id: int) -> Document | None:
    document = session.get(Document, document_id)
    if document is None or document.state != "filed" or NEEDS_OCR not in (document.flags or []):
        return None
    return document


def _ocr_rows(session: Session, document_id: int) -> list[int]:
    rows = session.execute(
        select(IndexQueue.id)
        .where(IndexQueue.document_id == document_id, IndexQueue.op == index_outbox.OCR)
        .order_by(IndexQueue.id)
    ).scalars()
    return list(rows)


def _drop_rows(session: Session, document_id: int) -> None:
    index_outbox.remove(session, _ocr_rows(session, document_id))


def _recognised(session: Session, document_id: int, cached: CachedText, actor: str) -> bool:
    """Record the text on the document, queue it for the index, write the event; False if another try
    recorded it first."""
    document = _waiting(session, document_id)
    _drop_rows(session, document_id)
    if document is None:
        return False
    document.flags = [f for f in (document.flags or []) if f not in (NEEDS_OCR, OCR_FAILED)]
    details = {k: v for k, v in (document.details or {}).items() if k != "ocr"}
    document.details = {**details, "text": cached.summary()}
    index_outbox.enqueue(session, document.id, index_outbox.ADD)
    borrower_key = session.execute(
        select(Borrower.key).where(Borrower.id == document.borrower_id)
    ).scalar_one_or_none()
    append_event(
        session,
        actor=actor,
        action="ocr",
        target=f"document:{document.id}",
        borrower_key=borrower_key,
        details={"path": document.path, "sha256": document.sha256, "chars": len(cached.text)},
    )
    return True


def ocr_gave_up(archive: Archive, params: dict[str, Any], error: str, attempts: int) -> None:
    """Out of attempts: flag the document and take it off the OCR queue (see the module doc)."""
    document_id = int(params["document_id"])

    def work(session: Session) -> None:
        document = session.get(Document, document_id)
        _drop_rows(session, document_id)
        if document is None:
            return
        if OCR_FAILED not in (document.flags or []):
            document.flags = [*(document.flags or []), OCR_FAILED]
        document.details = {**(document.details or {}), "ocr": {"error": error[:2000], "attempts": attempts}}

    archive.transaction(work)


def clear_failed(session: Session, document_id: int) -> None:
    """An admin retries: the document may be dispatched again."""
    document = session.get(Document, document_id)
    if document is not None and OCR_FAILED in (document.flags or []):
        document.flags = [f for f in document.flags if f != OCR_FAILED]
