"""Index engines behind one interface: ``open_engine("tantivy" | "whoosh", path, schema)``.

Opening checks the schema-version marker: an index written by another engine, analyzer or schema raises
:class:`IndexNeedsRebuild`; the caller then reopens with ``recreate=True`` (which empties the directory
under the writer lock) and adds every document again from its catalog.

One writer at a time per index directory: an engine takes the directory's lock at its first add, delete
or optimize and keeps it until ``close()``; another engine (in this or another process) that wants to
write meanwhile waits up to ``EngineOptions.lock_timeout`` seconds (default 10), then raises
:class:`IndexLocked`. Searching never takes the lock. Uncommitted changes are discarded at ``close()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from indexer.engines import tantivy_engine, whoosh_engine
from indexer.engines.interface import (
    EngineError,
    EngineOptions,
    Hit,
    IndexDoc,
    IndexEngine,
    IndexLocked,
    IndexNeedsRebuild,
    IndexSchema,
    SearchResult,
    UnknownField,
)
from indexer.engines.storage import (
    WriterLock,
    expected_marker,
    held_briefly,
    is_empty_dir,
    marker_problem,
    read_marker,
    wipe_index_dir,
    write_marker,
)
from indexer.engines.tantivy_engine import TantivyEngine
from indexer.engines.whoosh_engine import WhooshEngine

__all__ = [
    "ENGINES",
    "EngineError",
    "EngineOptions",
    "Hit",
    "IndexDoc",
    "IndexEngine",
    "IndexLocked",
    "IndexNeedsRebuild",
    "IndexSchema",
    "SearchResult",
    "UnknownField",
    "check_index",
    "open_engine",
]


@dataclass(frozen=True)
class _Backend:
    engine: type[TantivyEngine] | type[WhooshEngine]
    marker_extra: Callable[[], dict[str, Any]]


_BACKENDS: Mapping[str, _Backend] = MappingProxyType(
    {
        "tantivy": _Backend(TantivyEngine, tantivy_engine.marker_extra),
        "whoosh": _Backend(WhooshEngine, whoosh_engine.marker_extra),
    }
)
ENGINES: tuple[str, ...] = tuple(_BACKENDS)
# What any engine leaves in an index directory, to recognise one before emptying it.
_INDEX_FILES = (*tantivy_engine.KNOWN_FILES, *whoosh_engine.KNOWN_FILES)


def _backend(name: str) -> _Backend:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown index engine {name!r}; choose one of {', '.join(ENGINES)} (未知的索引引擎)"
        ) from None


def check_index(name: str, path: Path, schema: IndexSchema) -> str | None:
    """Why the index at ``path`` must be rebuilt before ``open_engine`` can use it; None if it need not
    (including when there is no index yet: opening creates it)."""
    backend = _backend(name)
    path = Path(path)
    if not path.is_dir() or is_empty_dir(path):
        return None
    return marker_problem(read_marker(path), expected_marker(name, schema, backend.marker_extra()))


def open_engine(
    name: str,
    path: Path,
    schema: IndexSchema,
    *,
    recreate: bool = False,
    options: EngineOptions | None = None,
) -> IndexEngine:
    """Open the index at ``path`` with engine ``name``, creating it if the directory is absent or empty.

    ``recreate=True`` empties an existing index first (it refuses a directory that is not an index) and
    keeps the writer lock, since a rebuild follows. Raises :class:`IndexNeedsRebuild` when the marker
    does not match, :class:`IndexLocked` when a writer is needed and another one holds the index.
    """
    backend = _backend(name)
    options = options or EngineOptions()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    marker = expected_marker(name, schema, backend.marker_extra())
    lock = WriterLock(path)
    engine_class = backend.engine
    if recreate:
        lock.acquire(options.lock_timeout)
        try:
            wipe_index_dir(path, _INDEX_FILES)
            engine = engine_class(path, schema, options, lock, create=True)
            write_marker(path, marker)
        except BaseException:
            lock.release()
            raise
        return engine
    if is_empty_dir(path):
        with held_briefly(lock, options.lock_timeout):
            # Another process may have created it while we waited for the lock.
            if is_empty_dir(path):
                engine = engine_class(path, schema, options, lock, create=True)
                write_marker(path, marker)
                return engine
    problem = marker_problem(read_marker(path), marker)
    if problem is not None:
        raise IndexNeedsRebuild(path, problem)
    return engine_class(path, schema, options, lock, create=False)
