"""What a job or a command sets going after it: the index drained, scans handed to OCR jobs.

On the queue these are deferred jobs; on the embedded default the index is drained in this process and
the change log applied to this node's replica at once (OCR there stays with `dossier index --ocr` and the
watcher, off the filing path). Other service nodes apply the log when PostgreSQL notifies them.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.catalog import db
from dossier.archive.catalog.models import Document, IndexQueue
from dossier.archive.home import Archive
from dossier.jobs import state
from dossier.jobs.definitions import JobKind
from dossier.jobs.ocr_names import OCR_FAILED, subject
from dossier.jobs.queue import QueueRunner, lock_for
from dossier.jobs.settings import jobs_settings


def is_queue(archive: Archive) -> bool:
    """Whether jobs asked for now go to the queue ([jobs].runner; see defaults/dossier.toml)."""
    if not db.is_postgresql(archive.engine):
        return False
    settings = jobs_settings(archive.config)
    if settings.runner != "auto":
        return settings.runner == "queue"
    return live_workers(archive, settings.stalled_after_seconds) > 0


def live_workers(archive: Archive, within_seconds: float) -> int:
    """`dossier worker` processes whose heartbeat is younger than ``within_seconds``."""
    alive = text(
        "SELECT count(*) FROM procrastinate_workers "
        "WHERE last_heartbeat > now() - make_interval(secs => :within)"
    )
    with archive.engine.connect().execution_options(**{db.WRITE_OPTION: False}) as connection:
        if connection.execute(text("SELECT to_regclass('procrastinate_workers')")).scalar() is None:
            return 0
        return int(connection.execute(alive, {"within": within_seconds}).scalar_one())


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


def waiting_for_ocr(session: Session, limit: int | None) -> list[int]:
    """Documents with a live OCR outbox row, no job at work on them and not given up on, oldest first."""
    from dossier.config import session_config
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
    runner = QueueRunner(archive)

    def work(session: Session) -> int:
        deferred = 0
        for document_id in waiting_for_ocr(session, limit):
            name = subject(document_id)
            lock = lock_for(JobKind.OCR, name)
            if runner.defer(session, JobKind.OCR, name, {"document_id": document_id}, actor, lock=lock):
                deferred += 1
        return deferred

    return archive.transaction(work)
