"""The engine interface, the types it speaks, and what both engines share.

An engine stores documents analysed by :func:`indexer.analysis.index_streams` (one positional field per
stream, whitespace-tokenised — no engine-side analysis), exact multi-valued keyword fields, date fields
(range filters and sorting), the original text (for snippets) and small stored values.

Shared here so that the two engines cannot drift apart:

* :func:`lower_query` turns the engine-neutral query tree of :mod:`indexer.query` into a small plan
  (:class:`Tokens`, :class:`Keyword`, :class:`Dates`, :class:`Everything`, :class:`Nothing`,
  :class:`AllOf`, :class:`AnyOf`) that each engine maps one-to-one onto its own query objects.
  A word with no searchable characters (only punctuation) is ignored inside an AND; a query with
  nothing searchable left matches nothing.
* :class:`WriterLock` — one writer at a time per index directory, an ``fcntl.flock`` on
  ``writer.lock``. An engine takes it at its first add/delete/optimize (or when it creates or
  recreates the index) and keeps it until :meth:`IndexEngine.close`; a second writer waits up to
  ``EngineOptions.lock_timeout`` seconds and then gets :class:`IndexLocked`. Readers never lock.
* the schema-version marker ``engine.json`` (engine, engine format, analyzer fingerprint, schema): an
  index whose marker differs from what this code would write must be rebuilt
  (:class:`IndexNeedsRebuild`); the caller rebuilds from its catalog with ``recreate=True``.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import itertools
import json
import multiprocessing
import multiprocessing.pool
import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from indexer import analysis
from indexer import query as q
from indexer.highlight import Snippet
from indexer.processes import process_context

LOCK_FILE = "writer.lock"
MARKER_FILE = "engine.json"
# Bump when the way an engine lays out its fields changes (field names, stored encoding, ...).
ENGINE_FORMAT = 1
# Prefixes keep caller-chosen field names apart from the engine's own fields.
KEYWORD_PREFIX = "k_"
DATE_PREFIX = "d_"
# Separates the values of a multi-valued keyword field where an engine needs one string.
KEYWORD_SEPARATOR = "\x1f"
# Text covering every analyzer branch; its analysis is hashed into the marker, so any change in the
# analyzer's output (or in its stream names) forces a rebuild even if nobody bumped a version.
_ANALYZER_PROBE = (
    "中国某某银行股份有限公司 张三 中 国 工 商 ＪＫ２０２６－０００１２３ JK2026-000123 "
    "11010519491231002X 91350100M000100Y43 壹拾贰万叁仟肆佰伍拾陆元整 123,456.78元 "
    "Ünïcödé straße ＡＢＣ abc_def 第3条第(2)款 一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十 "
    "91350205MA2X\r\nK7Q396 Tel 139 0600 1234 chenzy@exam\fple.com JK20\n26-000318 the bank"
)


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
    """One search hit. ``score`` is the relevance score, or 0.0 when the search was sorted by a date."""

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


class IndexEngine(ABC):
    """A full-text index over analysed text plus keyword and date filter fields."""

    name: str

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
# Lowering the query tree


@dataclass(frozen=True)
class Tokens:
    """Match a token sequence as a phrase on an analysed field (a term query if it is one token)."""

    field: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Keyword:
    """Exact match of one value of a keyword field (engine field name)."""

    field: str
    value: str


@dataclass(frozen=True)
class Dates:
    """Inclusive date range on a date field (engine field name); None is an open end (both None: the
    document has a value)."""

    field: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class Everything:
    pass


@dataclass(frozen=True)
class Nothing:
    pass


@dataclass(frozen=True)
class AllOf:
    """Every item of ``must`` and none of ``must_not``; ``must`` is never empty."""

    must: tuple[Plan, ...]
    must_not: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Plan, ...]


Plan = Tokens | Keyword | Dates | Everything | Nothing | AllOf | AnyOf


@dataclass(frozen=True)
class _Ignored:
    """A word with nothing searchable in it: no constraint inside an AND, nothing on its own."""


_IGNORED = _Ignored()


def lower_query(query: q.Query, schema: IndexSchema) -> Plan:
    """The plan for ``query``; raises :class:`UnknownField` for a field the schema does not have."""
    plan = _lower(query, schema)
    return Nothing() if isinstance(plan, _Ignored) else plan


def _lower(node: q.Query, schema: IndexSchema) -> Plan | _Ignored:
    if isinstance(node, q.Text):
        return _lower_text(node.text)
    if isinstance(node, q.MatchAll):
        return Everything()
    if isinstance(node, q.Field):
        if node.name not in schema.keyword_fields:
            raise UnknownField(
                f"no keyword field {node.name!r} in this index (索引中没有关键字段 {node.name})"
            )
        return Keyword(KEYWORD_PREFIX + node.name, node.value)
    if isinstance(node, q.DateRange):
        return Dates(date_field(schema, node.name), node.start, node.end)
    if isinstance(node, q.Not):
        inner = _lower(node.item, schema)
        if isinstance(inner, _Ignored):
            return _IGNORED
        return _all_of([], [inner])
    if isinstance(node, q.And):
        must: list[Plan] = []
        must_not: list[Plan] = []
        for item in node.items:
            if isinstance(item, q.Not):
                inner = _lower(item.item, schema)
                if not isinstance(inner, _Ignored):
                    must_not.append(inner)
                continue
            lowered = _lower(item, schema)
            if not isinstance(lowered, _Ignored):
                must.append(lowered)
        if not must and not must_not:
            return _IGNORED
        return _all_of(must, must_not)
    if isinstance(node, q.Or):
        items = [p for p in (_lower(i, schema) for i in node.items) if not isinstance(p, _Ignored)]
        if not items:
            return _IGNORED
        if any(isinstance(p, Everything) for p in items):
            return Everything()
        items = [p for p in items if not isinstance(p, Nothing)]
        if not items:
            return Nothing()
        return items[0] if len(items) == 1 else AnyOf(tuple(items))
    raise TypeError(f"not a query node: {node!r}")


def _lower_text(text: str) -> Plan | _Ignored:
    plans = [Tokens(p.field, tuple(p.tokens)) for p in analysis.query_plan(text) if p.tokens]
    if not plans:
        return _IGNORED
    # Alternatives: a word of word runs is found as written (bi) or joined across soft breaks (joined).
    return plans[0] if len(plans) == 1 else AnyOf(tuple(plans))


def _all_of(must: Sequence[Plan], must_not: Sequence[Plan]) -> Plan:
    if any(isinstance(p, Nothing) for p in must) or any(isinstance(p, Everything) for p in must_not):
        return Nothing()
    must = [p for p in must if not isinstance(p, Everything)]
    must_not = [p for p in must_not if not isinstance(p, Nothing)]
    if not must_not:
        if not must:
            return Everything()
        if len(must) == 1:
            return must[0]
    return AllOf(tuple(must) or (Everything(),), tuple(must_not))


def date_field(schema: IndexSchema, name: str) -> str:
    """The engine field name of date field ``name``; :class:`UnknownField` if there is none."""
    if name not in schema.date_fields:
        raise UnknownField(f"no date field {name!r} in this index (索引中没有日期字段 {name})")
    return DATE_PREFIX + name


def parse_sort(sort: str | None, schema: IndexSchema) -> tuple[str, bool] | None:
    """None for relevance, else (engine date field, descending)."""
    if sort is None or sort == "score":
        return None
    descending = sort.startswith("-")
    return date_field(schema, sort.lstrip("-")), descending


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


# ---------------------------------------------------------------------------------------------------
# Analysis


class StreamMaker:
    """Runs :func:`indexer.analysis.index_streams` over documents: in this thread, or in a pool of
    ``workers`` processes.

    The pool's processes come from the indexer's forkserver (indexer.processes): a plain fork copied the
    flock that another tantivy index's watcher thread held at that moment, and the next commit hung.
    """

    CHUNK = 256

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: multiprocessing.pool.Pool | None = None

    def start(self) -> None:
        if self.workers > 0 and self._pool is None:
            self._pool = process_context().Pool(self.workers)

    def analysed(self, docs: Iterable[IndexDoc]) -> Iterator[tuple[IndexDoc, dict[str, str]]]:
        """(document, its streams) in the order given; consumes ``docs`` a chunk at a time."""
        if self.workers <= 0:
            for doc in docs:
                yield doc, analysis.index_streams(doc.text)
            return
        self.start()
        assert self._pool is not None
        iterator = iter(docs)
        while chunk := list(itertools.islice(iterator, self.CHUNK)):
            streams = self._pool.imap(analysis.index_streams, [d.text for d in chunk], chunksize=8)
            yield from zip(chunk, streams, strict=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


# ---------------------------------------------------------------------------------------------------
# Lock and marker


class WriterLock:
    """An exclusive ``flock`` on ``<index>/writer.lock``; per open file, so it works across processes
    and between two engines in one process alike. The kernel drops it if the process dies."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self, timeout: float) -> None:
        if self._file is not None:
            return
        handle = open(self.path, "ab")
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise IndexLocked(
                        f"another writer holds {self.path} (waited {timeout:g} s) "
                        f"(索引正被其他进程写入，已等待 {timeout:g} 秒)"
                    ) from None
                time.sleep(0.05)
            else:
                self._file = handle
                return

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def analyzer_fingerprint() -> str:
    """A hash of the analyzer's output on a probe text (plus its declared version, if any)."""
    streams = analysis.index_streams(_ANALYZER_PROBE)
    payload = json.dumps(
        {"version": str(getattr(analysis, "ANALYZER_VERSION", "")), "streams": streams},
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def stream_fields() -> tuple[str, ...]:
    """The analysed fields every index has: the analyzer's stream names."""
    return tuple(sorted(analysis.index_streams(_ANALYZER_PROBE)))


def expected_marker(engine: str, schema: IndexSchema, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "engine": engine,
        "engine_format": ENGINE_FORMAT,
        "analyzer": analyzer_fingerprint(),
        "streams": list(stream_fields()),
        "schema": {
            "keyword_fields": sorted(schema.keyword_fields),
            "date_fields": sorted(schema.date_fields),
        },
        **extra,
    }


def read_marker(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"unreadable": True}
    return data if isinstance(data, dict) else {"unreadable": True}


def write_marker(directory: Path, marker: Mapping[str, Any]) -> None:
    tmp = directory / (MARKER_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(marker, out, ensure_ascii=False, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, directory / MARKER_FILE)


def marker_problem(found: Mapping[str, Any] | None, expected: Mapping[str, Any]) -> str | None:
    """Why an index with marker ``found`` cannot be used as ``expected``; None if it can."""
    if found is None:
        return "no schema marker (缺少索引版本标记)"
    if found.get("unreadable"):
        return "unreadable schema marker (索引版本标记无法读取)"
    for key in sorted(set(found) | set(expected)):
        if found.get(key) != expected.get(key):
            return f"{key} changed: {found.get(key)!r} → {expected.get(key)!r} (索引的 {key} 已变化)"
    return None


def is_empty_dir(directory: Path) -> bool:
    return not any(p.name not in (LOCK_FILE,) for p in directory.iterdir())


def wipe_index_dir(directory: Path, known_files: Iterable[str]) -> None:
    """Empty an index directory (keeping the lock file, which the caller holds).

    Refuses a directory that does not look like an index (no marker, no file matching one of the glob
    patterns ``known_files``), so that a wrong path never loses files.
    """
    names = {p.name for p in directory.iterdir()} - {LOCK_FILE}
    patterns = [MARKER_FILE, *known_files]
    if names and not any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
        raise EngineError(
            f"{directory} is not an index directory; refusing to empty it (该目录不是索引目录，拒绝清空)"
        )
    for entry in directory.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@contextlib.contextmanager
def held_briefly(lock: WriterLock, timeout: float) -> Iterator[None]:
    """Hold ``lock`` for a block unless the caller already holds it (then leave it held)."""
    already = lock.held
    lock.acquire(timeout)
    try:
        yield
    finally:
        if not already:
            lock.release()
