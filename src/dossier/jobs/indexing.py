"""The index job: drain the index outbox (text extraction, once per document, each settled row logged in
the catalog's change log; every service node's replica applies the log when notified), then hand each
scan the drain found waiting for OCR to an OCR job (on the queue; the embedded default keeps OCR for
`dossier index --ocr` and the watcher, off the filing path as before). The worker also applies the log to
its own host's replica ([search].index_path), so commands on that host search what it indexed.

Idempotent by the outbox's own protocol (search.indexing): rows are removed in the transaction that logs
them, and a document logged twice is replaced in each replica, never doubled. Only one index job runs at
a time (the queue lock ``index``, and the indexing lock behind it), and at most one more waits (the
queueing lock).
"""

from __future__ import annotations

from typing import Any

from dossier.jobs.definitions import Work


def index_job(work: Work) -> dict[str, Any]:
    from dossier.jobs.followups import dispatch_ocr, is_queue
    from dossier.search.index_place import IndexPlace
    from dossier.search.indexing import Indexer

    archive = work.archive
    indexer = Indexer(IndexPlace(archive))
    indexer.check()
    report = indexer.process(progress=work.progress)
    dispatched = dispatch_ocr(archive, work.actor) if is_queue(archive) else 0
    return {
        "indexed": report.indexed,
        "deleted": report.deleted,
        "failed": report.failed,
        "needs_ocr": report.needs_ocr,
        "remaining": report.remaining,
        "ocr_jobs": dispatched,
    }
