"""SearchIndex: the archive's full-text index, kept up to date from the catalog's outbox.

The index is a cache of the catalog in ``<home>/.dossier/index/<engine>/``. Opening it makes sure it can
be trusted, under the indexing lock (``.dossier/state/index.lock``: one process drains the outbox at a
time; the engine's own writer lock backs it up):

* no index yet, or one that another engine fed last (``.dossier/index/current``): every filed document
  is queued, so the index catches up with the whole catalog;
* an index whose schema marker no longer matches (another analyzer, schema or engine format): every
  filed document is queued, then the index is emptied. Queuing comes first, so a crash in between
  costs a repeat, never a document.

:meth:`SearchIndex.process` drains the outbox in batches: add the batch to the engine, commit the engine,
THEN delete the batch's rows and record on each document what its text is worth (``details["text"]``,
the ``needs-ocr`` flag, an ``ocr`` row for scans). Killed anywhere, the next run does the rest; a
document indexed twice is replaced, never doubled. :meth:`SearchIndex.rebuild` (``dossier reindex``)
queues everything, empties the index and drains; interrupted, it leaves a ``<engine>.rebuilding`` note
and the rest queued, and the next ``index`` or ``reindex`` goes on where it stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Document, Loan
from dossier.archive.home import Archive
from dossier.archive.renditions import renditions_of
from dossier.domain.categories import categories
from dossier.domain.document_types import document_types
from dossier.errors import DossierError
from dossier.search import outbox
from dossier.search.extraction import TextSource
from dossier.search.fields import (
    SCHEMA,
    Filters,
    SearchError,
    combine,
    has_text,
    index_doc,
    normalize_fields,
    parse_query,
)
from dossier.search.settings import SearchSettings, index_dir, index_root, search_settings
from dossier.search.text_cache import CachedText
from indexer.engines import (
    ENGINES,
    EngineError,
    EngineOptions,
    IndexEngine,
    IndexLocked,
    IndexNeedsRebuild,
    check_index,
    open_engine,
)
from indexer.engines.base import MARKER_FILE
from indexer.highlight import Snippet

NEEDS_OCR = "needs-ocr"
CURRENT_FILE = "current"
LOCK_FILE = "index.lock"
EXPORT_PAGE = 500
"""Hits fetched per engine call when a search asks for all of them (an export)."""

Progress = Callable[[int, int], None]
"""Called after each batch with (documents done, documents queued at the start)."""


class IndexBusy(DossierError):
    """Another process is indexing this archive and did not finish within the lock timeout."""


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


@dataclass(frozen=True)
class HitRendition:
    kind: str
    path: str
    sha256: str


@dataclass
class SearchHit:
    document_id: int
    score: float
    title: str
    borrower_key: str
    borrower_name: str
    category: str
    category_label: str
    doc_type: str
    doc_type_label: str
    doc_date: date | None
    contract_number: str | None
    path: str | None
    sha256: str | None
    snippets: list[Snippet]
    renditions: list[HitRendition] = field(default_factory=list)
    """The document's renditions (its PDF/A): one hit per document, offering each of its forms. The
    index holds the original's text only; a rendition renders that same content."""


@dataclass
class SearchPage:
    query: str
    filters: dict[str, str]
    engine: str
    total: int
    offset: int
    limit: int | None
    hits: list[SearchHit]
    pending: int = 0
    """Documents filed but not yet searchable (queued for the index)."""


class SearchIndex:
    """The full-text index of one archive home, with engine ``engine`` (default: [search].engine)."""

    def __init__(
        self, archive: Archive, *, engine: str | None = None, settings: SearchSettings | None = None
    ) -> None:
        self.archive = archive
        self.settings = settings or search_settings(archive.config)
        self.engine_name = engine or self.settings.engine
        if self.engine_name not in ENGINES:
            raise DossierError(
                f"unknown index engine {self.engine_name!r} (未知的索引引擎); "
                f"choose one of {', '.join(ENGINES)}"
            )
        self.path = index_dir(archive.home, self.engine_name)
        self.texts = TextSource(archive, self.settings)
        self.rebuilt: str | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        archive: Archive,
        *,
        engine: str | None = None,
        settings: SearchSettings | None = None,
        wait: bool = True,
    ) -> SearchIndex:
        """The index, checked (and queued for a rebuild if it cannot be trusted, see the module doc).

        ``wait=False``: if another process holds the indexing lock, skip the check (it is that
        process's job) instead of waiting for it.
        """
        index = cls(archive, engine=engine, settings=settings)
        with index._indexing_lock(wait) as held, _engine_errors():
            if held:
                index.rebuilt = index._ensure_trusted()
        return index

    def close(self) -> None:
        """Nothing to release: engines are opened per operation. Kept for ``with`` blocks."""

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_trusted(self) -> str | None:
        problem = check_index(self.engine_name, self.path, SCHEMA)
        if problem is not None:
            self.archive.transaction(outbox.enqueue_all_filed)
            open_engine(self.engine_name, self.path, SCHEMA, recreate=True, options=self._options()).close()
            self._set_current()
            return problem
        if not (self.path / MARKER_FILE).is_file():
            self.archive.transaction(outbox.enqueue_all_filed)
            open_engine(self.engine_name, self.path, SCHEMA, options=self._options()).close()
            self._set_current()
            return "new index (新建索引)"
        if self._current() != self.engine_name:
            # Another engine drained the outbox meanwhile: this index missed those documents.
            self.archive.transaction(outbox.enqueue_all_filed)
            self._set_current()
            return "the outbox fed another engine (索引引擎已切换)"
        return None

    def _current(self) -> str | None:
        try:
            return (index_root(self.archive.home) / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def _set_current(self) -> None:
        _write_small(index_root(self.archive.home) / CURRENT_FILE, self.engine_name)

    def _options(self) -> EngineOptions:
        return EngineOptions(lock_timeout=self.settings.lock_timeout_seconds)

    @contextlib.contextmanager
    def _indexing_lock(self, wait: bool) -> Iterator[bool]:
        """The outbox's drain lock; yields False (not held) when ``wait`` is False and it is taken."""
        self.archive.state_dir.mkdir(parents=True, exist_ok=True)
        handle: IO[bytes] = open(self.archive.state_dir / LOCK_FILE, "a+b")
        try:
            deadline = time.monotonic() + (self.settings.lock_timeout_seconds if wait else 0.0)
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        if wait:
                            raise IndexBusy(
                                f"another process is indexing {self.archive.home}; try again later "
                                f"(其他进程正在建立索引，请稍后再试)"
                            ) from None
                        yield False
                        return
                    time.sleep(0.05)
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()

    # ------------------------------------------------------------------ the outbox

    def queue_state(self) -> outbox.QueueState:
        return self.archive.transaction(lambda s: outbox.state(s, self.settings.max_attempts), write=False)

    def pending(self) -> int:
        """Outbox rows the index still owes (adds and deletes; OCR waits apart)."""
        return self.queue_state().index_pending

    def process(
        self, limit: int | None = None, *, progress: Progress | None = None, wait: bool = True
    ) -> IndexReport:
        """Drain the outbox (at most ``limit`` rows) into the index; see the module doc for the order.

        ``wait=False`` returns at once (``busy``) if another process is indexing.
        """
        report = IndexReport(rebuilt=self.rebuilt)
        with self._indexing_lock(wait) as held, _engine_errors():
            if not held:
                report.busy = True
                report.remaining = self.pending()
                return report
            report.rebuilt = self._ensure_trusted() or report.rebuilt
            self._drain(report, limit, progress)
        return report

    def rebuild(self, *, progress: Progress | None = None) -> IndexReport:
        """Rebuild the index from the catalog in bounded memory; resumable (see the module doc)."""
        report = IndexReport()
        note = index_root(self.archive.home) / f"{self.engine_name}.rebuilding"
        with self._indexing_lock(True), _engine_errors():
            if note.is_file():
                report.rebuilt = "resumed (继续重建)"
            else:
                max_attempts = self.settings.max_attempts

                def requeue(session: Session) -> None:
                    outbox.retry_parked(session, max_attempts)
                    outbox.enqueue_all_filed(session)

                self.archive.transaction(requeue)
                open_engine(
                    self.engine_name, self.path, SCHEMA, recreate=True, options=self._options()
                ).close()
                _write_small(note, json.dumps({"engine": self.engine_name}))
                self._set_current()
                report.rebuilt = "rebuild (重建)"
            self._drain(report, None, progress)
        return report

    def _drain(self, report: IndexReport, limit: int | None, progress: Progress | None) -> None:
        total = self.pending() if limit is None else min(limit, self.pending())
        done = 0
        cursor = 0
        writer = open_engine(self.engine_name, self.path, SCHEMA, options=self._options())
        try:
            while limit is None or done < limit:
                size = (
                    self.settings.batch_size if limit is None else min(self.settings.batch_size, limit - done)
                )
                rows = self.archive.transaction(
                    lambda s, after=cursor, n=size: outbox.next_rows(
                        s, outbox.INDEX_OPS, after=after, size=n, max_attempts=self.settings.max_attempts
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
        state = self.queue_state()
        report.remaining = state.index_pending
        if report.remaining == 0:
            (index_root(self.archive.home) / f"{self.engine_name}.rebuilding").unlink(missing_ok=True)

    def _batch(self, writer: IndexEngine, rows: list[Any], report: IndexReport) -> None:
        latest: dict[int, str] = {}
        row_ids: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            latest[row.document_id] = row.op
            row_ids[row.document_id].append(row.id)
        wanted = [doc_id for doc_id, op in latest.items() if op == outbox.ADD]
        loaded = self.archive.transaction(lambda s: _load(s, wanted), write=False)
        adds = []
        deletes: list[str] = []
        texts: dict[int, CachedText] = {}
        failures: dict[int, str] = {}
        for doc_id, op in latest.items():
            item = loaded.get(doc_id)
            if op == outbox.DELETE or item is None:
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
            outbox.remove(session, [rid for d, ids in row_ids.items() if d not in failures for rid in ids])
            for doc_id, error in failures.items():
                outbox.record_failure(session, row_ids[doc_id], error)
            flagged = 0
            for doc_id, cached in texts.items():
                flagged += _record_text(session, doc_id, cached)
            return flagged

        report.needs_ocr += self.archive.transaction(settle)
        report.indexed += len(adds)
        report.deleted += len(deletes)
        report.failed += len(failures)
        report.errors.extend(f"document {d}: {e}" for d, e in failures.items())

    # ------------------------------------------------------------------ searching

    def search(
        self,
        text: str,
        *,
        filters: Filters | None = None,
        offset: int = 0,
        limit: int | None = 20,
        actor: str | None = None,
        audit: dict[str, Any] | None = None,
    ) -> SearchPage:
        """Search; ``limit=None`` returns every hit (an export). With ``actor`` the search is logged as an
        audit event (query, filters, hit count, plus ``audit``). Raises indexer.query.QuerySyntaxError on
        bad syntax and SearchError on an unknown category or type."""
        filters = filters or Filters()
        config = self.archive.config
        query = combine(normalize_fields(parse_query(text), config), filters)
        sort = None if has_text(query) else "-date"
        if not (self.path / MARKER_FILE).is_file():
            # Never answer from an index that does not exist yet: an empty answer would look like "no
            # document contains it". Opening the index (with the indexing lock) builds it.
            raise SearchError(
                f"the {self.engine_name} index is not built yet; run `dossier index` (索引尚未建立)"
            )
        with _engine_errors():
            engine = open_engine(self.engine_name, self.path, SCHEMA, options=self._options())
        try:
            if limit is not None:
                result = engine.search(query, offset=offset, limit=limit, sort=sort)
                total, found = result.total, result.hits
            else:
                found = []
                total = engine.count(query)
                start = offset
                while start < total:
                    more = engine.search(query, offset=start, limit=EXPORT_PAGE, sort=sort)
                    if not more.hits:
                        break
                    found.extend(more.hits)
                    start += len(more.hits)
        finally:
            engine.close()
        hits = self._hits(found)
        page = SearchPage(
            query=text,
            filters=filters.as_dict(),
            engine=self.engine_name,
            total=total,
            offset=offset,
            limit=limit,
            hits=hits,
            pending=self.pending(),
        )
        if actor is not None:
            self._log(page, actor, audit or {})
        return page

    def _hits(self, found: list[Any]) -> list[SearchHit]:
        ids = [int(h.id) for h in found]
        rows: dict[int, tuple[Document, Borrower, Loan | None]] = {}
        kinds: dict[int, list[HitRendition]] = {}
        for start in range(0, len(ids), EXPORT_PAGE):
            chunk = ids[start : start + EXPORT_PAGE]
            rows.update(self.archive.transaction(lambda s, c=chunk: _load(s, c), write=False))
            kinds.update(
                self.archive.transaction(
                    lambda s, c=chunk: {
                        d: [HitRendition(r.kind, r.path, r.sha256) for r in found]
                        for d, found in renditions_of(s, c).items()
                    },
                    write=False,
                )
            )
        category_labels = {c.key: c.label for c in categories(self.archive.config)}
        type_labels = {t.key: t.label for t in document_types(self.archive.config)}
        hits: list[SearchHit] = []
        for hit in found:
            doc_id = int(hit.id)
            item = rows.get(doc_id)
            keywords = hit.keywords
            category = (keywords.get("category") or [""])[0]
            doc_type = (keywords.get("type") or [""])[0]
            borrower_values = keywords.get("borrower") or [""]
            loan_values = keywords.get("loan") or []
            document, borrower, loan = item if item is not None else (None, None, None)
            hits.append(
                SearchHit(
                    document_id=doc_id,
                    score=round(float(hit.score), 4),
                    title=document.title if document else hit.stored.get("title", ""),
                    borrower_key=borrower.key if borrower else borrower_values[0],
                    borrower_name=borrower.name if borrower else borrower_values[-1],
                    category=category,
                    category_label=category_labels.get(category, category),
                    doc_type=doc_type,
                    doc_type_label=type_labels.get(doc_type, doc_type),
                    doc_date=hit.dates.get("date"),
                    contract_number=loan.contract_number
                    if loan
                    else (loan_values[0] if loan_values else None),
                    path=document.path if document else None,
                    sha256=document.sha256 if document else None,
                    snippets=list(hit.snippets),
                    renditions=kinds.get(doc_id, []),
                )
            )
        return hits

    def _log(self, page: SearchPage, actor: str, extra: dict[str, Any]) -> None:
        details = {
            "query": page.query,
            "filters": page.filters,
            "hits": page.total,
            "returned": len(page.hits),
            "offset": page.offset,
            "limit": page.limit,
            "engine": page.engine,
            **extra,
        }
        target = f"search:{page.query}"[:300]
        wanted = page.filters.get("borrower")

        def log(session: Session) -> None:
            append_event(
                session,
                actor=actor,
                action="search",
                target=target,
                borrower_key=_borrower_key(session, wanted) if wanted else None,
                details=details,
            )

        self.archive.transaction(log)

    def doc_count(self) -> int:
        """Documents the index holds (committed)."""
        with _engine_errors():
            engine = open_engine(self.engine_name, self.path, SCHEMA, options=self._options())
        try:
            return engine.doc_count()
        finally:
            engine.close()


# ---------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    """The engine's errors as the archive's, so the CLI prints them on one line."""
    try:
        yield
    except IndexLocked as exc:
        raise IndexBusy(str(exc)) from None
    except IndexNeedsRebuild as exc:
        raise SearchError(f"{exc}; run `dossier reindex`") from None
    except EngineError as exc:
        raise DossierError(f"search index error (索引错误): {exc}") from None


def index_pending(archive: Archive, *, engine: str | None = None) -> IndexReport:
    """Make what was just filed searchable: drain the outbox unless another process is already at it.

    For commands that file documents (generate, ingest) to call at their end.
    """
    index = SearchIndex.open(archive, engine=engine, wait=False)
    return index.process(wait=False)


def _load(session: Session, ids: list[int]) -> dict[int, tuple[Document, Borrower, Loan | None]]:
    if not ids:
        return {}
    query = (
        select(Document, Borrower, Loan)
        .join(Borrower, Borrower.id == Document.borrower_id)
        .outerjoin(Loan, Loan.id == Document.loan_id)
        .where(Document.id.in_(ids), Document.state == "filed")
    )
    return {d.id: (d, b, loan) for d, b, loan in session.execute(query).all()}


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
        outbox.enqueue_once(session, document_id, outbox.OCR)
        return 1
    return 0


def _borrower_key(session: Session, wanted: str) -> str | None:
    """The key of the borrower a filter names (by key, or by a name only one borrower has)."""
    keys = session.execute(
        select(Borrower.key).where((Borrower.key == wanted) | (Borrower.name == wanted)).limit(2)
    ).scalars()
    found = list(keys)
    return found[0] if len(found) == 1 else None


def _write_small(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
