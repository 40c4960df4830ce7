"""The engine interface and the types it speaks: schema, documents, hits, options and errors.

An engine stores documents analysed by :func:`indexer.analysis.index_streams` (one positional field per
stream, whitespace-tokenised — no engine-side analysis), exact multi-valued keyword fields, date fields
(range filters and sorting), the original text (for snippets) and small stored values. What both engines
share lives beside this module so that they cannot drift apart: the query plan (query_plan.py), the
writer lock and schema marker (storage.py) and the analysis pool (analysis_pool.py).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from indexer import query as q
from indexer.highlight import Snippet

# Prefixes keep caller-chosen field names apart from the engine's own fields.
KEYWORD_PREFIX = "k_"
DATE_PREFIX = "d_"
# Separates the values of a multi-valued keyword field where an engine needs one string.
KEYWORD_SEPARATOR = "\x1f"


class EngineError(Exception):
    """Base of the errors an engine raises on purpose."""


class IndexLocked(EngineError):
    """Another writer holds the index; raised after waiting ``lock_timeout`` seconds."""


class IndexNeedsRebuild(EngineError):
    """The index was written by another engine, analyzer or schema; rebuild it (``recreate=True``)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"index at {path} must be rebuilt (索引需要重建): {reason}")
        self.path = path
        self.reason = reason


class UnknownField(EngineError, ValueError):
    """A query or sort names a field the index schema does not have."""


@dataclass(frozen=True)
class IndexSchema:
    """The filter fields of an index, beyond the analysed text which every index has."""

    keyword_fields: tuple[str, ...] = ()
    date_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [*self.keyword_fields, *self.date_fields]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate field names in {names} (字段名重复)")
        for name in names:
            if not name.isidentifier() or not name.isascii():
                raise ValueError(f"field name {name!r} must be an ASCII identifier (字段名须为英文标识符)")


@dataclass
class IndexDoc:
    """One document to index; ``id`` is the key: adding a document with a known id replaces it."""

    id: str
    text: str
    keywords: dict[str, list[str]] = field(default_factory=dict)
    dates: dict[str, date | None] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)


@dataclass
class Hit:
    """One search hit. ``score`` is the relevance score, or 0.0 when the search was sorted by a date.
    ``keywords``, ``dates`` and ``stored`` may be shared with other searches' hits of the same document
    (an engine keeps them decoded): read them, never change them."""

    id: str
    score: float
    keywords: dict[str, list[str]]
    dates: dict[str, date | None]
    stored: dict[str, str]
    snippets: list[Snippet]


@dataclass
class SearchResult:
    """``total`` counts every matching document; ``hits`` is the requested page."""

    total: int
    hits: list[Hit]


@dataclass(frozen=True)
class EngineOptions:
    """Knobs with safe defaults; ``lock_timeout`` is how long a second writer waits (0: fail at once)."""

    lock_timeout: float = 10.0
    # tantivy: explicit so that memory stays bounded and predictable (the budget is split over threads).
    writer_threads: int = 2
    writer_heap_mb: int = 200
    # whoosh: the indexing pool's memory before it spills to disk.
    whoosh_limit_mb: int = 128
    # Processes running the analyzer while the engine indexes (0: analyse in the calling thread). The
    # analyzer is Python and the slowest step; on two cores 2 workers overlap it with tantivy's threads.
    analysis_workers: int = 0
    # tantivy: what is kept of searches per process (bytes; 0: nothing), for the reader's current commit:
    # a query's page of hits, the hits' decoded stored fields, their snippets per query. Fetching and
    # decoding a hit's fields was about a fifth of a common-phrase search's CPU, its snippets more than a
    # third, and the same hits come back often: the next page, a narrowed query, the same phrase again.
    hit_cache_bytes: int = 32 * 2**20


class IndexEngine(ABC):
    """A full-text index over analysed text plus keyword and date filter fields."""

    name: str
    concurrent_reads: bool = False
    """Whether several threads may search one engine at once (else its users take turns)."""

    @abstractmethod
    def add(self, docs: Iterable[IndexDoc]) -> None:
        """Add documents, replacing any with the same id; invisible to searches until :meth:`commit`."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Delete documents by id (unknown ids are ignored); effective at :meth:`commit`."""

    @abstractmethod
    def commit(self) -> None:
        """Make every add and delete so far durable and visible to searches."""

    @abstractmethod
    def search(
        self,
        query: q.Query,
        *,
        offset: int = 0,
        limit: int = 20,
        sort: str | None = None,
        highlight: bool = True,
    ) -> SearchResult:
        """Search; ``sort`` is None/"score" (best first), "<date field>" (oldest first) or "-<date field>".

        Documents without a value for the sort field come last in both directions.
        """

    @abstractmethod
    def count(self, query: q.Query) -> int:
        """How many documents match."""

    @abstractmethod
    def optimize(self) -> None:
        """Commit pending changes and merge segments (fewer files, faster searches)."""

    @abstractmethod
    def doc_count(self) -> int:
        """How many (committed, live) documents the index holds."""

    @abstractmethod
    def close(self) -> None:
        """Release the writer and its lock; uncommitted adds and deletes are discarded."""

    def __enter__(self) -> IndexEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------
# Documents


def as_date(value: date | None) -> date | None:
    """A date field's value as a plain date (a datetime keeps only its date)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"date field value must be a date, not {type(value).__name__} (日期字段须为日期)")


def midnight_utc(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def check_doc(doc: IndexDoc, schema: IndexSchema) -> None:
    """Refuse fields the schema does not have, so that nothing is silently dropped."""
    if not doc.id:
        raise ValueError("document id must not be empty (文档编号不能为空)")
    for name, values in doc.keywords.items():
        if name not in schema.keyword_fields:
            raise UnknownField(f"document {doc.id}: no keyword field {name!r} (没有关键字段 {name})")
        if isinstance(values, str):
            raise TypeError(
                f"document {doc.id}: keyword field {name} takes a list of strings (须为字符串列表)"
            )
        for value in values:
            if KEYWORD_SEPARATOR in value:
                raise ValueError(
                    f"document {doc.id}: keyword {name} contains a control character (含控制字符)"
                )
    for name in doc.dates:
        if name not in schema.date_fields:
            raise UnknownField(f"document {doc.id}: no date field {name!r} (没有日期字段 {name})")


def encode_meta(doc: IndexDoc) -> str:
    """The stored values a hit returns (keywords, dates, extra values) as one JSON string."""
    dates = {name: (d.isoformat() if (d := as_date(v)) else None) for name, v in doc.dates.items()}
    return json.dumps(
        {"k": {k: list(v) for k, v in doc.keywords.items()}, "d": dates, "s": dict(doc.stored)},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_meta(raw: str) -> tuple[dict[str, list[str]], dict[str, date | None], dict[str, str]]:
    data = json.loads(raw)
    dates = {k: (date.fromisoformat(v) if v else None) for k, v in data["d"].items()}
    return data["k"], dates, data["s"]
