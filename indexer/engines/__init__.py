"""Index engines behind one interface: ``open_engine("tantivy" | "whoosh", path, schema)``.

Opening checks the schema-version marker: an index written by another engine, analyzer or schema raises
:class:`IndexNeedsRebuild`; the caller then reopens with ``recreate=True`` (which empties the directory
under the writer lock) and adds every document again from its catalog.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from indexer.engines import tantivy_engine, whoosh_engine
from indexer.engines.base import (
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
    WriterLock,
    expected_marker,
    held_briefly,
    is_empty_dir,
    marker_problem,
    read_marker,
    wipe_index_dir,
    write_marker,
)

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

_MODULES: dict[str, ModuleType] = {"tantivy": tantivy_engine, "whoosh": whoosh_engine}
ENGINES: tuple[str, ...] = tuple(_MODULES)


def _module(name: str) -> ModuleType:
    try:
        return _MODULES[name]
    except KeyError:
        raise ValueError(
            f"unknown index engine {name!r}; choose one of {', '.join(ENGINES)} (未知的索引引擎)"
        ) from None


def check_index(name: str, path: Path, schema: IndexSchema) -> str | None:
    """Why the index at ``path`` must be rebuilt before ``open_engine`` can use it; None if it need not
    (including when there is no index yet: opening creates it)."""
    module = _module(name)
    path = Path(path)
    if not path.is_dir() or is_empty_dir(path):
        return None
    return marker_problem(read_marker(path), expected_marker(name, schema, module.marker_extra()))


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
    module = _module(name)
    options = options or EngineOptions()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    marker = expected_marker(name, schema, module.marker_extra())
    lock = WriterLock(path)
    engine_class: type[IndexEngine] = (
        tantivy_engine.TantivyEngine if module is tantivy_engine else whoosh_engine.WhooshEngine
    )
    if recreate:
        lock.acquire(options.lock_timeout)
        try:
            wipe_index_dir(path, (*tantivy_engine.KNOWN_FILES, *whoosh_engine.KNOWN_FILES))
            engine = engine_class(path, schema, options, lock, create=True)  # type: ignore[call-arg]
            write_marker(path, marker)
        except BaseException:
            lock.release()
            raise
        return engine
    if is_empty_dir(path):
        with held_briefly(lock, options.lock_timeout):
            # Another process may have created it while we waited for the lock.
            if is_empty_dir(path):
                engine = engine_class(path, schema, options, lock, create=True)  # type: ignore[call-arg]
                write_marker(path, marker)
                return engine
    problem = marker_problem(read_marker(path), marker)
    if problem is not None:
        raise IndexNeedsRebuild(path, problem)
    return engine_class(path, schema, options, lock, create=False)  # type: ignore[call-arg]
