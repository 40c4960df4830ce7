"""OCR off the filing path: scans are filed at once, flagged ``needs-ocr``, and recognised here later.

Indexing a document whose extraction says ``needs-ocr`` queues an ``ocr`` row in the outbox (see
indexing.py). :func:`run_ocr` works those rows one document at a time (about 6 s a page): ocrmypdf's
sidecar text goes into the text cache (so no reindex ever OCRs again), and in one catalog transaction the
document loses its ``needs-ocr`` flag, gains ``details["text"]``, is queued for the index and an ``ocr``
audit event is written; then the outbox is drained, so the text is searchable when the call returns.

`dossier index --ocr` calls :func:`run_ocr`; the watcher service runs :func:`ocr_worker` in a
background thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Document, IndexQueue
from dossier.archive.home import Archive
from dossier.errors import DossierError
from dossier.search.index_place import IndexBusy
from dossier.search.indexing import NEEDS_OCR, IndexReport
from dossier.search.search_index import SearchIndex
from dossier.search.text_cache import CachedText
from indexer.extract import OcrError, ocr_available, ocr_file

WORKER_INTERVAL_S = 30.0


@dataclass
class OcrReport:
    recognised: int = 0
    """Documents whose OCR text is now cached and queued for the index."""
    failed: int = 0
    remaining: int = 0
    """Documents still waiting for OCR."""
    unavailable: str | None = None
    """Why OCR did not run at all (switched off, not installed)."""
    errors: list[str] = field(default_factory=list)
    indexed: IndexReport | None = None


def ocr_unavailable(index: SearchIndex) -> str | None:
    """Why OCR cannot run here, or None."""
    if not index.settings.ocr:
        return "OCR is switched off ([search].ocr = false) (配置已关闭 OCR)"
    if not ocr_available(index.settings.ocr_lang):
        return (
            f"OCR needs ocrmypdf and tesseract with {index.settings.ocr_lang} (未安装 OCR 组件): "
            "apt-get install ocrmypdf tesseract-ocr-chi-sim"
        )
    return None


def run_ocr(
    index: SearchIndex,
    *,
    limit: int | None = None,
    stop: threading.Event | None = None,
    actor: str = "system",
) -> OcrReport:
    """OCR up to ``limit`` queued documents (all by default; ``stop`` ends it between documents), then
    drain the outbox so that their text is searchable."""
    report = OcrReport()
    report.unavailable = ocr_unavailable(index)
    if report.unavailable is None:
        _recognise(index, report, limit, stop, actor)
    report.remaining = index.queue_state().waiting.get(index_outbox.OCR, 0)
    if report.recognised:
        report.indexed = index.process()
    return report


def _recognise(
    index: SearchIndex, report: OcrReport, limit: int | None, stop: threading.Event | None, actor: str
) -> None:
    archive = index.archive
    settings = index.settings
    cursor = 0
    done = 0
    while (limit is None or done < limit) and not (stop is not None and stop.is_set()):
        rows = archive.transaction(
            lambda s, after=cursor: index_outbox.next_rows(
                s, (index_outbox.OCR,), after=after, size=1, max_attempts=settings.max_attempts
            ),
            write=False,
        )
        if not rows:
            return
        row = rows[0]
        cursor = row.id
        done += 1
        document = archive.transaction(lambda s, r=row: _filed(s, r.document_id), write=False)
        if document is None or NEEDS_OCR not in (document.flags or []):
            # Gone, or recognised since it was queued (its text is in the cache): nothing to do.
            archive.transaction(lambda s, r=row: index_outbox.remove(s, [r.id]))
            continue
        try:
            text = ocr_file(
                archive.absolute(document.path),
                lang=settings.ocr_lang,
                timeout=settings.ocr_timeout_seconds,
                first_pages=settings.ocr_max_pages,
            )
        except (OcrError, DossierError, OSError) as exc:
            report.failed += 1
            report.errors.append(f"document {document.id}: {exc}")
            archive.transaction(lambda s, r=row, e=str(exc): index_outbox.record_failure(s, [r.id], e))
            continue
        cached = CachedText(
            text=text, status="ok", flags=("ocr",), pages=None, media_type=document.media_type
        )
        index.texts.cache.put(document.sha256, cached)
        archive.transaction(lambda s, r=row, c=cached: _recognised(s, r, c, actor))
        report.recognised += 1


def _filed(session: Session, document_id: int) -> Document | None:
    document = session.get(Document, document_id)
    return document if document is not None and document.state == "filed" else None


def _recognised(session: Session, row: IndexQueue, cached: CachedText, actor: str) -> None:
    document = session.get(Document, row.document_id)
    index_outbox.remove(session, [row.id])
    if document is None:
        return
    document.flags = [f for f in (document.flags or []) if f != NEEDS_OCR]
    document.details = {**(document.details or {}), "text": cached.summary()}
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


def ocr_worker(
    archive: Archive, stop: threading.Event, *, interval: float = WORKER_INTERVAL_S, engine: str | None = None
) -> None:
    """Background loop for the watcher service: OCR one document at a time and keep the index drained,
    until ``stop`` is set. Meant for ``threading.Thread(target=ocr_worker, args=(archive, stop))``."""
    index = SearchIndex(archive, engine=engine)
    while not stop.is_set():
        try:
            index.process(wait=False)
            report = run_ocr(index, limit=1, stop=stop)
        except IndexBusy:
            report = None
        if report is None or report.unavailable or not report.recognised:
            stop.wait(interval)
