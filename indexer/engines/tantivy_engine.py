"""The tantivy engine (the default): a Rust index through the ``tantivy`` package.

Analysed streams go into text fields with a plain whitespace tokenizer registered as ``ws`` (no
lower-casing, no length filter: tantivy's ``default`` tokenizer silently drops tokens over 40 bytes),
indexed with positions so that phrase queries compare real token positions. Keyword fields use the
``raw`` tokenizer (one exact term per value); date fields are indexed and fast (range filters and
sorting); the original text and the small stored values live in stored bytes fields.

tantivy has its own writer lock; ours (:class:`~indexer.engines.storage.WriterLock`) is taken first. The
tantivy writer is created at the first write and kept until :meth:`TantivyEngine.close` (or
:meth:`optimize`), so that its background merges can finish instead of being cancelled at every commit.
The Python binding cannot force a merge into one segment; :meth:`optimize` waits for the merge policy's
pending merges and removes files no longer used.

An engine kept open for searching (a service's searcher) sees other processes' commits: before each read
it compares ``meta.json`` (which tantivy replaces at every commit) with what it saw last — one ``stat`` —
and reloads its reader when it changed. Its reader is manual, so no watcher thread runs beside it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Hashable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import tantivy

from indexer import query as q
from indexer.engines.analysis_pool import StreamMaker
from indexer.engines.interface import (
    DATE_PREFIX,
    KEYWORD_PREFIX,
    EngineError,
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
from indexer.highlight import Highlighter, Snippet
from indexer.lru import LruCache

NAME = "tantivy"
TOKENIZER = "ws"
# Files tantivy writes, to recognise an index directory before emptying it.
META_FILE = "meta.json"
KNOWN_FILES = (META_FILE, ".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock")


def marker_extra() -> dict[str, Any]:
    """tantivy's on-disk format version: a new binding with a new format needs a rebuild."""
    version: str = tantivy.__version__  # type: ignore[attr-defined]  # the binding has it, its stub not
    found = re.search(r"index_format v(\d+)", version)
    return {"tantivy_index_format": int(found.group(1)) if found else version}


def _count(result: tantivy.SearchResult) -> int:
    """The total of a search made with ``count=True``."""
    count: int | None = result.count  # type: ignore[attr-defined]  # the binding has it, its stub not
    return count or 0


class _Stored(NamedTuple):
    """A hit's stored fields, decoded: shared by every search that hits it again (read, never changed)."""

    id: str
    keywords: dict[str, list[str]]
    dates: dict[str, date | None]
    extra: dict[str, str]
    text: str


class _Marked(NamedTuple):
    """A hit's snippets for one query: shared like its fields."""

    snippets: tuple[Snippet, ...]

    def weight(self) -> int:
        return 64 + sum(sys.getsizeof(piece) + 64 for snippet in self.snippets for piece, _ in snippet)


class _Top(NamedTuple):
    """A query's page of hits: how many match, and the page's (score, address) pairs."""

    total: int
    hits: tuple[tuple[Any, Any], ...]


_StoredCache = LruCache[tuple[Hashable, ...], _Stored | _Marked | _Top]
"""What one reader commit answered: under ("top", plan, offset, limit, order) a query's page of hits;
under a hit's address, (segment ordinal, doc), its decoded stored fields; under (segment ordinal, doc,
highlighter key) its snippets for a query. The next request for the same phrase, or the next page, is
answered from here. An address means another document after a reload, and a query may find more or
fewer: each reload starts a new cache."""


def _decoded(doc: tantivy.Document) -> _Stored:
    keywords, dates, extra = decode_meta(_stored(doc, "meta").decode("utf-8"))
    return _Stored(_stored(doc, "id"), keywords, dates, extra, _stored(doc, "text").decode("utf-8"))


def _stored(doc: tantivy.Document, name: str) -> Any:
    """A field every document of ours stores (id, meta, text)."""
    value = doc.get_first(name)
    if value is None:
        raise EngineError(f"an indexed document lacks its stored {name!r} (索引文档缺少字段)")
    return value


class TantivyEngine(IndexEngine):
    name = NAME
    concurrent_reads = True

    def __init__(
        self, path: Path, schema: IndexSchema, options: EngineOptions, lock: WriterLock, *, create: bool
    ) -> None:
        self.path = path
        self.schema = schema
        self.options = options
        self._lock = lock
        self._streams = stream_fields()
        self._tschema = self._build_schema()
        if create:
            self._index = tantivy.Index(self._tschema, path=str(path), reuse=False)
        else:
            self._index = tantivy.Index.open(str(path))
        self._index.register_tokenizer(
            TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )
        # Reloaded by generation (_fresh_searcher), not by a thread watching the directory.
        self._index.config_reader("Manual")
        self._generation = self._meta_generation()
        self._reload_lock = threading.Lock()
        self._hit_cache: _StoredCache = LruCache(options.hit_cache_bytes)
        self._writer: tantivy.IndexWriter | None = None
        self._analyser = StreamMaker(options.analysis_workers)
        self._dirty = False
        self._closed = False

    def _build_schema(self) -> tantivy.Schema:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
        for name in self._streams:
            builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="position")
        for name in self.schema.keyword_fields:
            builder.add_text_field(KEYWORD_PREFIX + name, tokenizer_name="raw", index_option="basic")
        for name in self.schema.date_fields:
            builder.add_date_field(DATE_PREFIX + name, indexed=True, fast=True)
        builder.add_bytes_field("text", stored=True)
        builder.add_bytes_field("meta", stored=True)
        return builder.build()

    # -- writing ---------------------------------------------------------------------------------

    def _ensure_writer(self) -> tantivy.IndexWriter:
        self._check_open()
        if self._writer is None:
            self._lock.acquire(self.options.lock_timeout)
            self._analyser.start()
            self._writer = self._index.writer(
                heap_size=self.options.writer_heap_mb * 1_000_000, num_threads=self.options.writer_threads
            )
        return self._writer

    def add(self, docs: Iterable[IndexDoc]) -> None:
        # The last chunk may stay with the analysis workers (StreamMaker.analysed, hold_last) until the
        # next add, delete or commit takes it: they analyse these documents while the writer takes the
        # previous ones.
        self._take(self._analyser.analysed(self._checked(docs), hold_last=True))

    def _take(self, analysed: Iterable[tuple[IndexDoc, dict[str, str]]]) -> None:
        writer = self._ensure_writer()
        for doc, streams in analysed:
            tdoc = self._document(doc, streams)
            # Deletes apply to everything added before them, committed or not: a later add wins.
            writer.delete_documents_by_term("id", doc.id)
            writer.add_document(tdoc)
            self._dirty = True

    def _checked(self, docs: Iterable[IndexDoc]) -> Iterator[IndexDoc]:
        for doc in docs:
            check_doc(doc, self.schema)
            yield doc

    def _document(self, doc: IndexDoc, streams: dict[str, str]) -> tantivy.Document:
        tdoc = tantivy.Document()
        tdoc.add_text("id", doc.id)
        for name in self._streams:
            tdoc.add_text(name, streams.get(name, ""))
        for name, values in doc.keywords.items():
            for value in values:
                tdoc.add_text(KEYWORD_PREFIX + name, value)
        for name, when in doc.dates.items():
            day = as_date(when)
            if day is not None:
                tdoc.add_date(DATE_PREFIX + name, midnight_utc(day))
        tdoc.add_bytes("text", doc.text.encode("utf-8"))
        tdoc.add_bytes("meta", encode_meta(doc).encode("utf-8"))
        return tdoc

    def delete(self, ids: Iterable[str]) -> None:
        writer = self._ensure_writer()
        self._take(self._analyser.held())  # added before: deleted by this
        for doc_id in ids:
            writer.delete_documents_by_term("id", doc_id)
            self._dirty = True

    def commit(self) -> None:
        self._check_open()
        if self._writer is None:
            return
        self._take(self._analyser.held())
        self._writer.commit()
        self._dirty = False
        self._reload()

    def optimize(self) -> None:
        writer = self._ensure_writer()
        self._take(self._analyser.held())
        writer.commit()
        self._dirty = False
        writer.garbage_collect_files()
        # Consumes the writer: it waits for running merges; a fresh writer is made at the next write.
        writer.wait_merging_threads()
        self._writer = None
        self._reload()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._writer is not None:
                if self._dirty:
                    self._writer.rollback()
                self._writer.wait_merging_threads()
        finally:
            self._writer = None
            self._analyser.close()
            self._lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the index engine is closed (索引已关闭)")

    # -- reading ---------------------------------------------------------------------------------

    def _meta_generation(self) -> tuple[int, int, int] | None:
        """What identifies the last commit: meta.json's inode, size and mtime (tantivy replaces it)."""
        try:
            info = os.stat(self.path / META_FILE)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def _reload(self) -> None:
        with self._reload_lock:
            self._generation = self._meta_generation()
            self._index.reload()
            self._hit_cache = LruCache(self.options.hit_cache_bytes)

    def _fresh_searcher(self) -> tantivy.Searcher:
        """A searcher on the latest commit, whoever made it; one stat when nothing changed."""
        return self._fresh_reader()[0]

    def _fresh_reader(self) -> tuple[tantivy.Searcher, _StoredCache]:
        """:meth:`_fresh_searcher` with the hit cache of its commit: taken together under the reload
        lock, so a reload in another thread never pairs one commit's searcher with another's cache."""
        self._check_open()
        if self._meta_generation() != self._generation:
            self._reload()
        with self._reload_lock:
            return self._index.searcher(), self._hit_cache

    @staticmethod
    def _hit_fields(searcher: tantivy.Searcher, cache: _StoredCache, address: Any) -> _Stored:
        key = (address.segment_ord, address.doc)
        found = cache.get(key)
        if not isinstance(found, _Stored):
            found = _decoded(searcher.doc(address))
            # What the text holds in memory, plus a rough share for the decoded meta.
            cache.put(key, found, sys.getsizeof(found.text) + 512)
        return found

    @staticmethod
    def _hit_snippets(cache: _StoredCache, address: Any, text: str, marks: Highlighter) -> list[Snippet]:
        key = (address.segment_ord, address.doc, marks.key)
        kept = cache.get(key)
        if not isinstance(kept, _Marked):
            kept = _Marked(tuple(marks(text)))
            cache.put(key, kept, kept.weight())
        return list(kept.snippets)  # a list of its own: the kept tuple is shared

    def search(
        self,
        query: q.Query,
        *,
        offset: int = 0,
        limit: int = 20,
        sort: str | None = None,
        highlight: bool = True,
    ) -> SearchResult:
        self._check_open()
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative (分页参数不能为负)")
        plan = lower_query(query, self.schema)
        ordering = parse_sort(sort, self.schema)
        searcher, cache = self._fresh_reader()
        top = self._top(searcher, cache, plan, offset, limit, ordering)
        hits = []
        marks = Highlighter(query) if highlight else None
        for value, address in top.hits:
            found = self._hit_fields(searcher, cache, address)
            marked = self._hit_snippets(cache, address, found.text, marks) if marks else []
            score = float(value) if ordering is None else 0.0
            hits.append(Hit(found.id, score, found.keywords, found.dates, found.extra, marked))
        return SearchResult(total=top.total, hits=hits)

    def _top(
        self,
        searcher: tantivy.Searcher,
        cache: _StoredCache,
        plan: Plan,
        offset: int,
        limit: int,
        ordering: tuple[str, bool] | None,
    ) -> _Top:
        key = ("top", plan, offset, limit, ordering)
        kept = cache.get(key)
        if isinstance(kept, _Top):
            return kept
        native = self._native(plan)
        if limit == 0:
            result = searcher.search(native, limit=1, count=True)
            kept = _Top(_count(result), ())
        elif ordering is None:
            result = searcher.search(native, limit=limit, offset=offset, count=True)
            kept = _Top(_count(result), tuple(result.hits))
        else:
            field_name, descending = ordering
            result = searcher.search(
                native,
                limit=limit,
                offset=offset,
                count=True,
                order_by_field=field_name,
                order=tantivy.Order.Desc if descending else tantivy.Order.Asc,
            )
            kept = _Top(_count(result), tuple(result.hits))
        cache.put(key, kept, 256 + 128 * len(kept.hits))
        return kept

    def count(self, query: q.Query) -> int:
        native = self._native(lower_query(query, self.schema))
        return _count(self._fresh_searcher().search(native, limit=1, count=True))

    def doc_count(self) -> int:
        return self._fresh_searcher().num_docs

    def _native(self, plan: Plan) -> tantivy.Query:
        match plan:
            case Tokens(field=name, tokens=tokens):
                if len(tokens) == 1:
                    return tantivy.Query.term_query(self._tschema, name, tokens[0])
                return tantivy.Query.phrase_query(self._tschema, name, list(tokens))
            case Keyword(field=name, value=value):
                return tantivy.Query.term_query(self._tschema, name, value, index_option="basic")
            case Dates(field=name, start=None, end=None):
                return tantivy.Query.exists_query(name)
            case Dates(field=name, start=start, end=end):
                return tantivy.Query.range_query(
                    self._tschema,
                    name,
                    tantivy.FieldType.Date,
                    midnight_utc(_representable(start)) if start else None,
                    midnight_utc(_representable(end)) if end else None,
                )
            case Everything():
                return tantivy.Query.all_query()
            case Nothing():
                return tantivy.Query.empty_query()
            case AllOf(must=must, must_not=must_not):
                clauses = [(tantivy.Occur.Must, self._native(p)) for p in must]
                clauses += [(tantivy.Occur.MustNot, self._native(p)) for p in must_not]
                return tantivy.Query.boolean_query(clauses)
            case AnyOf(items=items):
                return tantivy.Query.boolean_query([(tantivy.Occur.Should, self._native(p)) for p in items])
        raise TypeError(f"not a plan: {plan!r}")


# Tantivy keeps dates as nanoseconds in an int64; a range bound outside that span means "no bound" in
# effect, so it is pulled to the edge instead of failing the whole search.
_EARLIEST, _LATEST = date(1678, 1, 1), date(2262, 4, 10)


def _representable(value: date) -> date:
    return min(max(value, _EARLIEST), _LATEST)
