"""Indexing: the catalog's outbox drained (text extraction, once per document), and this node's replica fed.

The outbox (``index_queue``, dossier.archive.index_outbox) is the EXTRACTION work queue, drained by one
process at a time under :attr:`dossier.locks.LockName.INDEX`: each document's text is extracted into the
shared text cache, and in the catalog transaction that deletes the batch's rows and records what each
text is worth (``details["text"]``, the ``needs-ocr`` flag, an ``ocr`` row for a scan) a change-log entry
is appended for each document (``add``/``update``; ``remove`` for a ``delete`` row), see
dossier.archive.index_log. Killed anywhere, the next run does the rest; an entry logged twice is applied
twice, which replaces the document, never doubles it.

The index itself is a replica per node (search/replica.py) that applies the log. :meth:`Indexer.process`
applies it to this node's replica after each batch (the embedded default: what was filed is searchable
when the call returns); other nodes are woken by PostgreSQL's notification (search/log_listener.py).
:meth:`Indexer.rebuild` (``dossier reindex``) drains the outbox, logs ``reindex`` (every replica rebuilds
from the catalog) and rebuilds this one; interrupted, it leaves ``<engine>.rebuilding`` and the next
``index`` or ``reindex`` goes on where it stopped.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive import index_log, index_outbox
from dossier.archive.catalog.models import Document
from dossier.archive.home import Archive
from dossier.archive.index_log import LogOp
from dossier.errors import DossierError
from dossier.search.extraction import TextSource
from dossier.search.fields import SCHEMA
from dossier.search.index_place import IndexPlace, engine_errors, index_lock, load_filed
from dossier.search.replica import NEEDS_OCR, ApplyReport, Progress, Replica
from dossier.search.text_cache import CachedText
from indexer.engines import check_index

__all__ = ["NEEDS_OCR", "IndexReport", "Indexer", "Progress", "index_pending"]


@dataclass
class IndexReport:
    indexed: int = 0
    """Documents added (or replaced) in the index."""
    deleted: int = 0
    failed: int = 0
    """Documents that could not be indexed this time (left queued, attempts counted)."""
    needs_ocr: int = 0
    """Documents indexed without text, waiting for OCR."""
    remaining: int = 0
    """Outbox rows still waiting for the index after this run."""
    busy: bool = False
    """Another process was indexing; nothing was done."""
    rebuilt: str | None = None
    """Why the whole catalog was queued again, when it was."""
    errors: list[str] = field(default_factory=list)
    seq: int = 0
    """The change-log seq this node's replica has applied."""
    logged: int = 0
    """The newest change-log seq this call appended (0: none)."""

    def take(self, applied: ApplyReport) -> None:
        """Count what applying the log to this node's replica did."""
        self.indexed += applied.indexed
        self.deleted += applied.deleted
        self.failed += applied.failed
        self.errors.extend(applied.errors)
        self.rebuilt = self.rebuilt or applied.rebuilt
        self.seq = max(self.seq, applied.seq)


class Indexer:
    """Keeps the index of ``place`` up to date from the catalog's outbox (see the module doc)."""

    def __init__(self, place: IndexPlace) -> None:
        self.place = place
        self.archive = place.archive
        self.settings = place.settings
        self.texts = TextSource(place.archive, place.settings)
        self.replica = Replica(place, self.texts)
        self.rebuilt: str | None = None

    def check(self, *, wait: bool = True) -> None:
        """Make sure this node's replica can be trusted: an index another analyzer or schema wrote, or none
        at all, is created empty (its next apply rebuilds it from the catalog). ``wait=False``: skip the
        check if another process holds this replica's applier lock (it is that process's job)."""
        with self.replica.hold(wait) as held, engine_errors():
            if held:
                self.rebuilt = self._ensure_trusted()

    def _ensure_trusted(self) -> str | None:
        place = self.place
        problem = check_index(place.engine_name, place.path, SCHEMA)
        if problem is None and place.built():
            return None
        self.replica.applied_file.unlink(missing_ok=True)
        self.replica.rebuild_note.unlink(missing_ok=True)
        place.open_engine(recreate=problem is not None).close()
        return problem or "new index (新建索引)"

    @contextlib.contextmanager
    def _indexing_lock(self, wait: bool) -> Iterator[bool]:
        """The outbox's drain lock; yields False (not held) when ``wait`` is False and it is taken, raises
        :class:`IndexBusy` when ``wait`` is True and it stays taken for [search].lock_timeout_seconds."""
        busy = (
            f"another process is indexing {self.archive.home}; try again later "
            f"(其他进程正在建立索引，请稍后再试)"
        )
        with index_lock(self.archive, self.settings.lock_timeout_seconds, wait, busy) as held:
            yield held

    def process(
        self,
        limit: int | None = None,
        *,
        progress: Progress | None = None,
        wait: bool = True,
        apply: bool = True,
    ) -> IndexReport:
        """Drain the outbox (at most ``limit`` rows), logging each document, and apply the log to this
        node's replica after each batch (unless ``apply`` is False); see the module doc.

        ``wait=False`` returns at once (``busy``) if another process is extracting; this replica still
        applies what the log holds."""
        report = IndexReport(rebuilt=self.rebuilt)
        with self._indexing_lock(wait) as held, engine_errors():
            if held:
                self._drain(report, limit, progress, apply=apply)
            else:
                report.busy = True
        if apply:
            applied = self.replica.apply(wait=wait)
            report.take(applied)
            if applied.busy and report.logged:
                # Another thread or process is applying this replica (a service node's follower): it
                # applies what this call logged too; wait a little for it, so the caller reads its writes.
                report.seq = self.replica.wait_for(report.logged, self.settings.lock_timeout_seconds)
        report.remaining = self.place.pending()
        return report

    def rebuild(self, *, progress: Progress | None = None) -> IndexReport:
        """Rebuild from the catalog: drain the outbox, log ``reindex`` (every node's replica rebuilds) and
        rebuild this node's replica in bounded memory; resumable (see the module doc)."""
        report = IndexReport()
        with self._indexing_lock(True), engine_errors():
            resuming = self.replica.rebuild_note.is_file()
            if not resuming:
                max_attempts = self.settings.max_attempts
                self.archive.transaction(lambda s: index_outbox.retry_parked(s, max_attempts))
                self._drain(report, None, None, apply=False)
                self.archive.transaction(lambda s: index_log.append(s, [(LogOp.REINDEX, None)]))
            report.take(self.replica.apply(progress=progress, reindex=not resuming))
        report.remaining = self.place.pending()
        return report

    def _drain(
        self, report: IndexReport, limit: int | None, progress: Progress | None, *, apply: bool
    ) -> None:
        pending = self.place.pending()
        total = pending if limit is None else min(limit, pending)
        done = 0
        cursor = 0
        max_attempts = self.settings.max_attempts
        while limit is None or done < limit:
            size = self.settings.batch_size if limit is None else min(self.settings.batch_size, limit - done)
            rows = self.archive.transaction(
                partial(
                    index_outbox.next_rows,
                    ops=index_outbox.INDEX_OPS,
                    after=cursor,
                    size=size,
                    max_attempts=max_attempts,
                ),
                write=False,
            )
            if not rows:
                break
            cursor = rows[-1].id
            done += len(rows)
            self._batch(rows, report)
            if apply:
                # What this batch logged is searchable here before the next batch is extracted.
                report.take(self.replica.apply(wait=False))
            if progress is not None:
                progress(done, max(total, done))

    def _batch(self, rows: list[Any], report: IndexReport) -> None:
        latest: dict[int, str] = {}
        row_ids: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            latest[row.document_id] = row.op
            row_ids[row.document_id].append(row.id)
        wanted = [doc_id for doc_id, op in latest.items() if op == index_outbox.ADD]
        loaded = self.archive.transaction(lambda s: load_filed(s, wanted), write=False)
        removed: list[int] = []
        texts: dict[int, CachedText] = {}
        failures: dict[int, str] = {}
        for doc_id, op in latest.items():
            item = loaded.get(doc_id)
            if op == index_outbox.DELETE or item is None:
                removed.append(doc_id)
                continue
            try:
                texts[doc_id] = self.texts.text_for(item[0])
            except (DossierError, OSError, ValueError) as exc:
                failures[doc_id] = str(exc)

        def settle(session: Session) -> int:
            index_outbox.remove(
                session, [rid for d, ids in row_ids.items() if d not in failures for rid in ids]
            )
            for doc_id, error in failures.items():
                index_outbox.record_failure(session, row_ids[doc_id], error)
            flagged = 0
            changes: list[tuple[LogOp, int | None]] = [(LogOp.REMOVE, d) for d in removed]
            for doc_id, cached in texts.items():
                known, needs_ocr = _record_text(session, doc_id, cached)
                flagged += needs_ocr
                changes.append((LogOp.UPDATE if known else LogOp.ADD, doc_id))
            # In the transaction that settles the rows: the log never misses a settled document.
            last = index_log.append(session, changes)
            if last is not None:
                report.logged = max(report.logged, last)
            return flagged

        report.needs_ocr += self.archive.transaction(settle)
        report.failed += len(failures)
        report.errors.extend(f"document {d}: {e}" for d, e in failures.items())


def _flags(current: list[str] | None, needs_ocr: bool) -> list[str]:
    flags = [f for f in (current or []) if f != NEEDS_OCR]
    return [*flags, NEEDS_OCR] if needs_ocr else flags


def _record_text(session: Session, document_id: int, cached: CachedText) -> tuple[bool, int]:
    """Record on the document what its text is worth; queue OCR for a scan. Whether its text was
    recorded before (an ``update``), and 1 if it needs OCR."""
    document = session.get(Document, document_id)
    if document is None:
        return False, 0
    summary = cached.summary()
    known = "text" in (document.details or {})
    if (document.details or {}).get("text") != summary:
        document.details = {**(document.details or {}), "text": summary}
    flags = _flags(document.flags, cached.needs_ocr)
    if flags != list(document.flags or []):
        document.flags = flags
    if cached.needs_ocr:
        index_outbox.enqueue_once(session, document_id, index_outbox.OCR)
        return known, 1
    return known, 0


def index_pending(archive: Archive, *, engine: str | None = None) -> IndexReport:
    """Make what was just filed searchable: drain the outbox unless another process is already at it.

    For commands that file documents (generate, ingest) to call at their end.
    """
    indexer = Indexer(IndexPlace(archive, engine=engine))
    indexer.check(wait=False)
    return indexer.process(wait=False)
