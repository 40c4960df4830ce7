"""Indexing: the catalog's outbox drained into the full-text index, under the indexing lock.

The index is a cache of the catalog in ``<home>/.dossier/index/<engine>/``. Opening it makes sure it can
be trusted, under the indexing lock (:attr:`dossier.locks.LockName.INDEX`: one process drains the outbox
at a time; the engine's own writer lock backs it up):

* no index yet, or one that another engine fed last (``.dossier/index/current``): every filed document
  is queued, so the index catches up with the whole catalog;
* an index whose schema marker no longer matches (another analyzer, schema or engine format): every
  filed document is queued, then the index is emptied. Queuing comes first, so a crash in between
  costs a repeat, never a document.

:meth:`Indexer.process` drains the outbox in batches: add the batch to the engine, commit the engine,
THEN delete the batch's rows and record on each document what its text is worth (``details["text"]``,
the ``needs-ocr`` flag, an ``ocr`` row for scans). Killed anywhere, the next run does the rest; a
document indexed twice is replaced, never doubled. :meth:`Indexer.rebuild` (``dossier reindex``)
queues everything, empties the index and drains; interrupted, it leaves a ``<engine>.rebuilding`` note
and the rest queued, and the next ``index`` or ``reindex`` goes on where it stopped.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.catalog.models import Document
from dossier.archive.home import Archive
from dossier.durable import write_atomic
from dossier.errors import DossierError
from dossier.locks import LockBusy, LockName
from dossier.search.extraction import TextSource
from dossier.search.fields import SCHEMA, index_doc
from dossier.search.index_place import IndexBusy, IndexPlace, engine_errors, load_filed
from dossier.search.settings import index_root
from dossier.search.text_cache import CachedText
from indexer.engines import IndexEngine, check_index

NEEDS_OCR = "needs-ocr"
CURRENT_FILE = "current"

Progress = Callable[[int, int], None]
"""Called after each batch with (documents done, documents queued at the start)."""


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


class Indexer:
    """Keeps the index of ``place`` up to date from the catalog's outbox (see the module doc)."""

    def __init__(self, place: IndexPlace) -> None:
        self.place = place
        self.archive = place.archive
        self.settings = place.settings
        self.texts = TextSource(place.archive, place.settings)
        self.rebuilt: str | None = None

    def check(self, *, wait: bool = True) -> None:
        """Make sure the index can be trusted (queue a rebuild if not); ``wait=False``: skip the check if
        another process holds the indexing lock (it is that process's job) instead of waiting for it."""
        with self._indexing_lock(wait) as held, engine_errors():
            if held:
                self.rebuilt = self._ensure_trusted()

    def _ensure_trusted(self) -> str | None:
        place = self.place
        problem = check_index(place.engine_name, place.path, SCHEMA)
        if problem is not None:
            self.archive.transaction(index_outbox.enqueue_all_filed)
            place.open_engine(recreate=True).close()
            self._set_current()
            return problem
        if not place.built():
            self.archive.transaction(index_outbox.enqueue_all_filed)
            place.open_engine().close()
            self._set_current()
            return "new index (新建索引)"
        if self._current() != place.engine_name:
            # Another engine drained the outbox meanwhile: this index missed those documents.
            self.archive.transaction(index_outbox.enqueue_all_filed)
            self._set_current()
            return "the outbox fed another engine (索引引擎已切换)"
        return None

    def _current(self) -> str | None:
        try:
            return (index_root(self.archive.home) / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def _set_current(self) -> None:
        _write_small(index_root(self.archive.home) / CURRENT_FILE, self.place.engine_name)

    def _rebuild_note(self) -> Path:
        return index_root(self.archive.home) / f"{self.place.engine_name}.rebuilding"

    @contextlib.contextmanager
    def _indexing_lock(self, wait: bool) -> Iterator[bool]:
        """The outbox's drain lock; yields False (not held) when ``wait`` is False and it is taken, raises
        :class:`IndexBusy` when ``wait`` is True and it stays taken for [search].lock_timeout_seconds."""
        timeout = self.settings.lock_timeout_seconds if wait else 0.0
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(self.archive.locks.hold(LockName.INDEX, timeout=timeout))
            except LockBusy:
                if wait:
                    raise IndexBusy(
                        f"another process is indexing {self.archive.home}; try again later "
                        f"(其他进程正在建立索引，请稍后再试)"
                    ) from None
                yield False
                return
            yield True

    def process(
        self, limit: int | None = None, *, progress: Progress | None = None, wait: bool = True
    ) -> IndexReport:
        """Drain the outbox (at most ``limit`` rows) into the index; see the module doc for the order.

        ``wait=False`` returns at once (``busy``) if another process is indexing.
        """
        report = IndexReport(rebuilt=self.rebuilt)
        with self._indexing_lock(wait) as held, engine_errors():
            if not held:
                report.busy = True
                report.remaining = self.place.pending()
                return report
            report.rebuilt = self._ensure_trusted() or report.rebuilt
            self._drain(report, limit, progress)
        return report

    def rebuild(self, *, progress: Progress | None = None) -> IndexReport:
        """Rebuild the index from the catalog in bounded memory; resumable (see the module doc)."""
        report = IndexReport()
        note = self._rebuild_note()
        with self._indexing_lock(True), engine_errors():
            if note.is_file():
                report.rebuilt = "resumed (继续重建)"
            else:
                max_attempts = self.settings.max_attempts

                def requeue(session: Session) -> None:
                    index_outbox.retry_parked(session, max_attempts)
                    index_outbox.enqueue_all_filed(session)

                self.archive.transaction(requeue)
                self.place.open_engine(recreate=True).close()
                _write_small(note, json.dumps({"engine": self.place.engine_name}))
                self._set_current()
                report.rebuilt = "rebuild (重建)"
            self._drain(report, None, progress)
        return report

    def _drain(self, report: IndexReport, limit: int | None, progress: Progress | None) -> None:
        pending = self.place.pending()
        total = pending if limit is None else min(limit, pending)
        done = 0
        cursor = 0
        max_attempts = self.settings.max_attempts
        writer = self.place.open_engine()
        try:
            while limit is None or done < limit:
                size = (
                    self.settings.batch_size if limit is None else min(self.settings.batch_size, limit - done)
                )
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
                self._batch(writer, rows, report)
                if progress is not None:
                    progress(done, max(total, done))
        finally:
            writer.close()
        report.remaining = self.place.pending()
        if report.remaining == 0:
            self._rebuild_note().unlink(missing_ok=True)

    def _batch(self, writer: IndexEngine, rows: list[Any], report: IndexReport) -> None:
        latest: dict[int, str] = {}
        row_ids: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            latest[row.document_id] = row.op
            row_ids[row.document_id].append(row.id)
        wanted = [doc_id for doc_id, op in latest.items() if op == index_outbox.ADD]
        loaded = self.archive.transaction(lambda s: load_filed(s, wanted), write=False)
        adds = []
        deletes: list[str] = []
        texts: dict[int, CachedText] = {}
        failures: dict[int, str] = {}
        for doc_id, op in latest.items():
            item = loaded.get(doc_id)
            if op == index_outbox.DELETE or item is None:
                deletes.append(str(doc_id))
                continue
            document, borrower, loan = item
            try:
                cached = self.texts.text_for(document)
            except (DossierError, OSError, ValueError) as exc:
                failures[doc_id] = str(exc)
                continue
            texts[doc_id] = cached
            flags = _flags(document.flags, cached.needs_ocr)
            adds.append(index_doc(document, borrower, loan, cached.text, flags=flags))
        if adds:
            writer.add(adds)
        if deletes:
            writer.delete(deletes)
        writer.commit()

        def settle(session: Session) -> int:
            index_outbox.remove(
                session, [rid for d, ids in row_ids.items() if d not in failures for rid in ids]
            )
            for doc_id, error in failures.items():
                index_outbox.record_failure(session, row_ids[doc_id], error)
            flagged = 0
            for doc_id, cached in texts.items():
                flagged += _record_text(session, doc_id, cached)
            return flagged

        report.needs_ocr += self.archive.transaction(settle)
        report.indexed += len(adds)
        report.deleted += len(deletes)
        report.failed += len(failures)
        report.errors.extend(f"document {d}: {e}" for d, e in failures.items())


def _flags(current: list[str] | None, needs_ocr: bool) -> list[str]:
    flags = [f for f in (current or []) if f != NEEDS_OCR]
    return [*flags, NEEDS_OCR] if needs_ocr else flags


def _record_text(session: Session, document_id: int, cached: CachedText) -> int:
    """Record on the document what its text is worth; queue OCR for a scan. 1 if it needs OCR."""
    document = session.get(Document, document_id)
    if document is None:
        return 0
    summary = cached.summary()
    if (document.details or {}).get("text") != summary:
        document.details = {**(document.details or {}), "text": summary}
    flags = _flags(document.flags, cached.needs_ocr)
    if flags != list(document.flags or []):
        document.flags = flags
    if cached.needs_ocr:
        index_outbox.enqueue_once(session, document_id, index_outbox.OCR)
        return 1
    return 0


def _write_small(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))


def index_pending(archive: Archive, *, engine: str | None = None) -> IndexReport:
    """Make what was just filed searchable: drain the outbox unless another process is already at it.

    For commands that file documents (generate, ingest) to call at their end.
    """
    indexer = Indexer(IndexPlace(archive, engine=engine))
    indexer.check(wait=False)
    return indexer.process(wait=False)
