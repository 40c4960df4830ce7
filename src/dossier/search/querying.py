"""Querying: a search of the index answered as hits from the catalog, with snippets and renditions.

The index answers which documents match (and the snippets, from its stored text); the catalog answers
what they are now (title, borrower, loan, path), so a hit never shows stale metadata. A search never runs
on an index that was not built yet: an empty answer would look like "no document contains it".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive.renditions import renditions_of
from dossier.domain.categories import categories
from dossier.domain.document_types import document_types
from dossier.search.fields import Filters, SearchError, combine, has_text, normalize_fields, parse_query
from dossier.search.index_place import IndexPlace, Loaded, load_filed
from dossier.search.search_audit import log_search
from indexer.engines import Hit
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
    """Documents filed but not yet searchable (queued for the index)."""


class Searcher:
    """Answers searches from the index of ``place``."""

    def __init__(self, place: IndexPlace) -> None:
        self.place = place
        self.archive = place.archive

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
        place = self.place
        filters = filters or Filters()
        query = combine(normalize_fields(parse_query(text), self.archive.config), filters)
        sort = None if has_text(query) else "-date"
        if not place.built():
            # Opening the index (with the indexing lock) builds it.
            raise SearchError(
                f"the {place.engine_name} index is not built yet; run `dossier index` (索引尚未建立)"
            )
        engine = place.open_engine()
        try:
            if limit is not None:
                result = engine.search(query, offset=offset, limit=limit, sort=sort)
                total, found = result.total, result.hits
            else:
                found = []
                total = engine.count(query)
                start = offset
                while start < total:
                    page = engine.search(query, offset=start, limit=EXPORT_PAGE, sort=sort)
                    if not page.hits:
                        break
                    found.extend(page.hits)
                    start += len(page.hits)
        finally:
            engine.close()
        answer = SearchPage(
            query=text,
            filters=filters.as_dict(),
            engine=place.engine_name,
            total=total,
            offset=offset,
            limit=limit,
            hits=self._hits(found),
            pending=place.pending(),
        )
        if actor is not None:
            log_search(self.archive, answer, actor, audit or {})
        return answer

    def doc_count(self) -> int:
        """Documents the index holds (committed)."""
        engine = self.place.open_engine()
        try:
            return engine.doc_count()
        finally:
            engine.close()

    def _hits(self, found: list[Hit]) -> list[SearchHit]:
        ids = [int(h.id) for h in found]
        rows: Loaded = {}
        kinds: dict[int, list[HitRendition]] = {}
        for start in range(0, len(ids), EXPORT_PAGE):
            chunk = ids[start : start + EXPORT_PAGE]
            rows.update(self.archive.transaction(partial(load_filed, ids=chunk), write=False))
            kinds.update(self.archive.transaction(partial(_renditions, ids=chunk), write=False))
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


def _renditions(session: Session, ids: list[int]) -> dict[int, list[HitRendition]]:
    """The renditions of the documents ``ids``, as hits offer them."""
    found = renditions_of(session, ids)
    return {d: [HitRendition(r.kind, r.path, r.sha256) for r in forms] for d, forms in found.items()}
