"""Querying: a search of the index answered as hits from the catalog, with snippets and renditions.

The index answers which documents match (and the snippets, from its stored text); the catalog answers
what they are now (title, borrower, loan, path), so a hit never shows stale metadata. A search never runs
on an index that was not built yet: an empty answer would look like "no document contains it".

A search goes down the layers once: the engine is kept open by the :class:`Searcher` (one per process in
the service), the catalog is read in one transaction (the user's scope, the hits' rows and renditions,
the pending figure) and the audit event is written after it, group-committed with concurrent ones.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dossier.archive import index_log
from dossier.archive.catalog.models import Borrower, Document, Loan, Rendition
from dossier.domain.categories import categories
from dossier.domain.document_types import document_types
from dossier.search.audit_batches import EventBatches
from dossier.search.fields import Filters, SearchError, combine, has_text, normalize_fields, parse_query
from dossier.search.index_place import IndexPlace, engine_errors
from dossier.search.replica import Replica
from dossier.search.search_audit import log_search
from indexer import query as q
from indexer.engines import Hit, IndexEngine
from indexer.highlight import Snippet

EXPORT_PAGE = 500
"""Hits fetched per engine call when a search asks for all of them (an export)."""


@dataclass(frozen=True)
class HitRendition:
    kind: str
    path: str
    sha256: str


@dataclass
class SearchHit:
    """One document that matched: what the CLI, the CSV export and the API (as a view) show of it."""

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
    """Change-log entries this node's replica has not applied yet (head seq − applied seq)."""


FiltersIn = Callable[[Session], Filters]
"""The filters of a search, made in its catalog session (a user's scope is read from the catalog)."""


class Searcher:
    """Answers searches from the index of ``place``, with one engine kept open (see the module doc).

    Thread-safe: a service's request threads share one. The engine is opened at the first search and
    kept; it picks up new commits itself (one stat per search) and is opened again only when the index
    was recreated (its schema marker replaced, e.g. by `dossier reindex`).
    """

    def __init__(
        self, place: IndexPlace, *, batches: EventBatches | None = None, replica: Replica | None = None
    ) -> None:
        self.place = place
        self.archive = place.archive
        self.batches = batches
        self._engine: IndexEngine | None = None
        self._marker: tuple[int, int, int] | None = None
        self._opening = threading.Lock()
        # Engines that cannot serve two searches at once (Whoosh's searcher) take turns.
        self._turns: threading.Lock | None = None
        self._pending = PendingFigure(place, replica)
        self._label_maps: tuple[dict[str, str], dict[str, str]] | None = None

    def search(
        self,
        text: str,
        *,
        filters: Filters | FiltersIn | None = None,
        offset: int = 0,
        limit: int | None = 20,
        actor: str | None = None,
        audit: dict[str, Any] | None = None,
    ) -> SearchPage:
        """Search; ``limit=None`` returns every hit (an export). With ``actor`` the search is logged as an
        audit event (query, filters, hit count, plus ``audit``). ``filters`` may be made in the search's
        catalog session (a callable), so that a request reads the catalog once. Raises
        indexer.query.QuerySyntaxError on bad syntax and SearchError on an unknown category or type."""
        parsed = parse_query(text)
        engine = self._open_engine()

        def answer(session: Session) -> SearchPage:
            chosen = filters(session) if callable(filters) else (filters or Filters())
            query = combine(normalize_fields(parsed, self.archive.config), chosen)
            total, found = self._run(engine, query, offset, limit)
            return SearchPage(
                query=text,
                filters=chosen.as_dict(),
                engine=self.place.engine_name,
                total=total,
                offset=offset,
                limit=limit,
                hits=self._hits(session, found),
                pending=self._pending.count(session),
            )

        page = self.archive.transaction(answer, write=False)
        if actor is not None:
            log_search(self.archive, page, actor, audit or {}, batches=self.batches)
        return page

    def _run(
        self, engine: IndexEngine, query: q.Query, offset: int, limit: int | None
    ) -> tuple[int, list[Hit]]:
        sort = None if has_text(query) else "-date"
        with self._turns or contextlib.nullcontext(), engine_errors():
            if limit is not None:
                result = engine.search(query, offset=offset, limit=limit, sort=sort)
                return result.total, result.hits
            found: list[Hit] = []
            total = engine.count(query)
            start = offset
            while start < total:
                page = engine.search(query, offset=start, limit=EXPORT_PAGE, sort=sort)
                if not page.hits:
                    break
                found.extend(page.hits)
                start += len(page.hits)
            return total, found

    def _open_engine(self) -> IndexEngine:
        """The engine kept open, opened again if the index was recreated since."""
        marker = self.place.marker_identity()
        if marker is None:
            # Opening the index (with the indexing lock) builds it.
            raise SearchError(
                f"the {self.place.engine_name} index is not built yet; run `dossier index` (索引尚未建立)"
            )
        engine = self._engine
        if engine is not None and marker == self._marker:
            return engine
        with self._opening:
            if self._engine is None or marker != self._marker:
                # The old engine is left to the garbage collector, not closed: a search in another
                # thread may still be reading it (a reader holds no lock and no writer).
                self._engine = self.place.open_engine()
                self._marker = marker
                self._turns = None if self._engine.concurrent_reads else threading.Lock()
            return self._engine

    def forget_pending(self) -> None:
        """Read the log's head again at the next search (after this process applied it)."""
        self._pending.forget()

    def doc_count(self) -> int:
        """Documents the index holds (committed)."""
        engine = self._open_engine()
        with self._turns or contextlib.nullcontext(), engine_errors():
            return engine.doc_count()

    def close(self) -> None:
        with self._opening:
            if self._engine is not None:
                self._engine.close()
            self._engine = None
            self._marker = None

    def _labels(self) -> tuple[dict[str, str], dict[str, str]]:
        """Category and document type labels by key, made at the first search (the archive's
        configuration is resolved once per process)."""
        if self._label_maps is None:
            self._label_maps = (
                {c.key: c.label for c in categories(self.archive.config)},
                {t.key: t.label for t in document_types(self.archive.config)},
            )
        return self._label_maps

    def _hits(self, session: Session, found: list[Hit]) -> list[SearchHit]:
        ids = [int(h.id) for h in found]
        rows: dict[int, _Shown] = {}
        for start in range(0, len(ids), EXPORT_PAGE):
            rows.update(_shown(session, ids[start : start + EXPORT_PAGE]))
        category_labels, type_labels = self._labels()
        hits: list[SearchHit] = []
        for hit in found:
            doc_id = int(hit.id)
            shown = rows.get(doc_id)
            keywords = hit.keywords
            category = (keywords.get("category") or [""])[0]
            doc_type = (keywords.get("type") or [""])[0]
            borrower_values = keywords.get("borrower") or [""]
            loan_values = keywords.get("loan") or []
            hits.append(
                SearchHit(
                    document_id=doc_id,
                    score=round(float(hit.score), 4),
                    title=shown.title if shown else hit.stored.get("title", ""),
                    borrower_key=shown.borrower_key if shown else borrower_values[0],
                    borrower_name=shown.borrower_name if shown else borrower_values[-1],
                    category=category,
                    category_label=category_labels.get(category, category),
                    doc_type=doc_type,
                    doc_type_label=type_labels.get(doc_type, doc_type),
                    doc_date=hit.dates.get("date"),
                    contract_number=shown.contract_number
                    if shown
                    else (loan_values[0] if loan_values else None),
                    path=shown.path if shown else None,
                    sha256=shown.sha256 if shown else None,
                    snippets=list(hit.snippets),
                    renditions=shown.renditions if shown else [],
                )
            )
        return hits


class PendingFigure:
    """How many change-log entries this node's replica has yet to apply, as a search shows it: the head
    seq (one indexed MAX) less the applied seq (a small file), at most every
    [search].pending_cache_seconds per process, and again after this process applied the log."""

    def __init__(self, place: IndexPlace, replica: Replica | None) -> None:
        self._replica = replica
        self._ttl = place.settings.pending_cache_seconds
        self._figure: tuple[float, int] | None = None

    def count(self, session: Session) -> int:
        if self._replica is None:
            return 0
        now = time.monotonic()
        known = self._figure
        if known is not None and now - known[0] < self._ttl:
            return known[1]
        figure = max(0, index_log.head(session) - (self._replica.applied_seq() or 0))
        self._figure = (now, figure)
        return figure

    def forget(self) -> None:
        self._figure = None


class _Shown(NamedTuple):
    """What a hit shows of its filed document, read as plain columns (no ORM objects: a page of hits
    is read per search, and building ORM instances was most of that read)."""

    title: str
    path: str
    sha256: str
    borrower_key: str
    borrower_name: str
    contract_number: str | None
    renditions: list[HitRendition]


# The tables' own columns, not the mapped attributes: a statement without ORM entities skips the ORM's
# compile and load steps. Built once; the ids are an expanding parameter.
_DOC, _BORROWER, _LOAN, _RENDITION = (
    Document.__table__.c,
    Borrower.__table__.c,
    Loan.__table__.c,
    Rendition.__table__.c,
)
_SHOWN = (
    select(
        _DOC.id,
        _DOC.title,
        _DOC.path,
        _DOC.sha256,
        _BORROWER.key,
        _BORROWER.name,
        _LOAN.contract_number,
        _RENDITION.kind,
        _RENDITION.path,
        _RENDITION.sha256,
    )
    .select_from(
        Document.__table__.join(Borrower.__table__, _BORROWER.id == _DOC.borrower_id)
        .outerjoin(Loan.__table__, _LOAN.id == _DOC.loan_id)
        .outerjoin(Rendition.__table__, (_RENDITION.document_id == _DOC.id) & (_RENDITION.state == "filed"))
    )
    .where(_DOC.id.in_(bindparam("ids", expanding=True)), _DOC.state == "filed")
    .order_by(_DOC.id, _RENDITION.id)
)


def _shown(session: Session, ids: list[int]) -> dict[int, _Shown]:
    """The filed documents among ``ids`` as hits show them, with their filed renditions oldest first,
    in one query (a hit whose document is not filed any more falls back to what the index stored)."""
    if not ids:
        return {}
    found: dict[int, _Shown] = {}
    for doc_id, title, path, sha256, key, name, contract, kind, r_path, r_sha256 in session.execute(
        _SHOWN, {"ids": ids}
    ).all():
        shown = found.get(doc_id)
        if shown is None:
            shown = found[doc_id] = _Shown(title, path, sha256, key, name, contract, [])
        if kind is not None:
            shown.renditions.append(HitRendition(kind, r_path, r_sha256))
    return found
