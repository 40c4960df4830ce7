"""The Whoosh engine: pure Python, for installs that want no compiled dependency.

Analysed streams go into ``TEXT`` fields with ``SpaceSeparatedTokenizer`` and positions (``phrase=True``);
keyword fields are ``TEXT`` fields whose analyzer yields each value whole (values joined by a control
character); date fields are sortable ``DATETIME`` fields; the original text and the small stored values
are ``STORED`` fields.

Whoosh cannot delete a document that is still in an uncommitted segment, so adds and deletes are kept in
memory (last one per id wins) and applied at :meth:`WhooshEngine.commit`: callers indexing many documents
commit every few hundred. Whoosh indexes about 30 documents of 8 KB a second; tantivy is the default.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import analysis as wanalysis
from whoosh import fields, index, sorting
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer import query as q
from indexer.engines.analysis_pool import StreamMaker
from indexer.engines.interface import (
    DATE_PREFIX,
    KEYWORD_PREFIX,
    KEYWORD_SEPARATOR,
    EngineOptions,
    Hit,
    IndexDoc,
    IndexEngine,
    IndexSchema,
    SearchResult,
    as_date,
    check_doc,
    decode_meta,
    encode_meta,
    midnight_utc,
)
from indexer.engines.query_plan import (
    AllOf,
    AnyOf,
    Dates,
    Everything,
    Keyword,
    Nothing,
    Plan,
    Tokens,
    lower_query,
    parse_sort,
)
from indexer.engines.storage import WriterLock, stream_fields
from indexer.highlight import Highlighter

NAME = "whoosh"
INDEX_NAME = "MAIN"
KNOWN_FILES = (f"_{INDEX_NAME}_*.toc", f"{INDEX_NAME}_*.seg", f"{INDEX_NAME}_WRITELOCK")
# What a sortable DATETIME column holds for a document without a value.
_MISSING_DATE = 2**64 - 1


def marker_extra() -> dict[str, Any]:
    return {}


def _missing_last(ascending: bool):
    def key(value: int) -> tuple[bool, int]:
        return (value >= _MISSING_DATE, value if ascending else -value)

    return key


class WhooshEngine(IndexEngine):
    name = NAME

    def __init__(
        self, path: Path, schema: IndexSchema, options: EngineOptions, lock: WriterLock, *, create: bool
    ) -> None:
        self.path = path
        self.schema = schema
        self.options = options
        self._lock = lock
        self._streams = stream_fields()
        if create:
            self._index = index.create_in(str(path), self._build_schema(), indexname=INDEX_NAME)
        else:
            self._index = index.open_dir(str(path), indexname=INDEX_NAME)
        self._searcher: Searcher = self._index.searcher()
        # id -> document to add, or None to delete; applied in order at commit.
        self._pending: dict[str, IndexDoc | None] = {}
        self._analyser = StreamMaker(options.analysis_workers)
        self._closed = False

    def _build_schema(self) -> fields.Schema:
        text = wanalysis.SpaceSeparatedTokenizer()
        whole = wanalysis.RegexTokenizer(f"[^{KEYWORD_SEPARATOR}]+")
        spec: dict[str, fields.FieldType] = {"id": fields.ID(unique=True, stored=True)}
        for name in self._streams:
            spec[name] = fields.TEXT(analyzer=text, phrase=True)
        for name in self.schema.keyword_fields:
            spec[KEYWORD_PREFIX + name] = fields.TEXT(analyzer=whole, phrase=False)
        for name in self.schema.date_fields:
            spec[DATE_PREFIX + name] = fields.DATETIME(sortable=True)
        spec["text"] = fields.STORED()
        spec["meta"] = fields.STORED()
        return fields.Schema(**spec)

    # -- writing ---------------------------------------------------------------------------------

    def _start_writing(self) -> None:
        self._check_open()
        self._lock.acquire(self.options.lock_timeout)

    def add(self, docs: Iterable[IndexDoc]) -> None:
        self._start_writing()
        for doc in docs:
            check_doc(doc, self.schema)
            self._pending.pop(doc.id, None)
            self._pending[doc.id] = doc

    def delete(self, ids: Iterable[str]) -> None:
        self._start_writing()
        for doc_id in ids:
            self._pending.pop(doc_id, None)
            self._pending[doc_id] = None

    def commit(self) -> None:
        self._check_open()
        if self._pending:
            self._write(optimize=False)

    def optimize(self) -> None:
        self._start_writing()
        self._write(optimize=True)

    def _write(self, *, optimize: bool) -> None:
        writer = self._index.writer(limitmb=self.options.whoosh_limit_mb)
        try:
            with writer.searcher() as existing:
                for doc_id in self._pending:
                    writer.delete_by_term("id", doc_id, searcher=existing)
            docs = (doc for doc in self._pending.values() if doc is not None)
            for doc, streams in self._analyser.analysed(docs):
                writer.add_document(**self._fields(doc, streams))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(optimize=optimize)
        self._pending.clear()
        self._refresh()

    def _fields(self, doc: IndexDoc, streams: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {"id": doc.id}
        for name in self._streams:
            values[name] = streams.get(name, "")
        for name, keywords in doc.keywords.items():
            if keywords:
                values[KEYWORD_PREFIX + name] = KEYWORD_SEPARATOR.join(keywords)
        for name, value in doc.dates.items():
            day = as_date(value)
            if day is not None:
                values[DATE_PREFIX + name] = midnight_utc(day).replace(tzinfo=None)
        values["text"] = doc.text
        values["meta"] = encode_meta(doc)
        return values

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        try:
            self._searcher.close()
            self._analyser.close()
        finally:
            self._lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the index engine is closed (索引已关闭)")

    # -- reading ---------------------------------------------------------------------------------

    def _current(self) -> Searcher:
        self._check_open()
        self._refresh()
        return self._searcher

    def _refresh(self) -> None:
        """Pick up new commits (ours or another process's); cheap when nothing changed."""
        # Not Searcher.refresh(): it fails when the old reader is of an empty index.
        if not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = self._index.searcher()

    def search(
        self,
        query: q.Query,
        *,
        offset: int = 0,
        limit: int = 20,
        sort: str | None = None,
        highlight: bool = True,
    ) -> SearchResult:
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative (分页参数不能为负)")
        native = self._native(lower_query(query, self.schema))
        ordering = parse_sort(sort, self.schema)
        searcher = self._current()
        if limit == 0:
            return SearchResult(total=self._count(searcher, native), hits=[])
        if ordering is None:
            results = searcher.search(native, limit=offset + limit)
        else:
            field_name, descending = ordering
            facet = sorting.TranslateFacet(_missing_last(not descending), sorting.FieldFacet(field_name))
            results = searcher.search(native, limit=offset + limit, sortedby=facet)
        hits = []
        marks = Highlighter(query) if highlight else None
        for found in results[offset : offset + limit]:
            stored = found.fields()
            keywords, dates, extra = decode_meta(stored["meta"])
            marked = marks(stored["text"]) if marks else []
            score = float(found.score) if ordering is None else 0.0
            hits.append(Hit(stored["id"], score, keywords, dates, extra, marked))
        return SearchResult(total=len(results), hits=hits)

    def count(self, query: q.Query) -> int:
        native = self._native(lower_query(query, self.schema))
        return self._count(self._current(), native)

    @staticmethod
    def _count(searcher: Searcher, native: wq.Query) -> int:
        return sum(1 for _ in native.docs(searcher))

    def doc_count(self) -> int:
        return self._current().doc_count()

    def _native(self, plan: Plan) -> wq.Query:
        match plan:
            case Tokens(field=name, tokens=tokens):
                if len(tokens) == 1:
                    return wq.Term(name, tokens[0])
                return wq.Phrase(name, list(tokens))
            case Keyword(field=name, value=value):
                return wq.Term(name, value)
            case Dates(field=name, start=None, end=None):
                return wq.Every(name)
            case Dates(field=name, start=start, end=end):
                return wq.DateRange(
                    name,
                    midnight_utc(start).replace(tzinfo=None) if start else None,
                    midnight_utc(end).replace(tzinfo=None) if end else None,
                )
            case Everything():
                return wq.Every()
            case Nothing():
                return wq.NullQuery
            case AllOf(must=must, must_not=must_not):
                positive = wq.And([self._native(p) for p in must]) if len(must) > 1 else self._native(must[0])
                if not must_not:
                    return positive
                return wq.AndNot(positive, wq.Or([self._native(p) for p in must_not]))
            case AnyOf(items=items):
                return wq.Or([self._native(p) for p in items])
        raise TypeError(f"not a plan: {plan!r}")
