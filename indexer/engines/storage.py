"""What an index directory holds besides the engine's files: the writer lock and the schema marker.

* :class:`WriterLock` — one writer at a time per index directory, a lock on ``writer.lock`` (``flock``
  through the ``filelock`` library). An engine takes it at its first add/delete/optimize (or when it
  creates or recreates the index) and keeps it until :meth:`IndexEngine.close`; a second writer waits up
  to ``EngineOptions.lock_timeout`` seconds and then gets :class:`IndexLocked`. Readers never lock. The
  indexer is a component of its own that never imports ``dossier``, so it keeps this lock rather than
  dossier's :mod:`dossier.locks` (which guards the archive's outbox drain in front of it).
* the schema-version marker ``engine.json`` (engine, engine format, analyzer fingerprint, schema): an
  index whose marker differs from what this code would write must be rebuilt
  (:class:`IndexNeedsRebuild`); the caller rebuilds from its catalog with ``recreate=True``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import filelock

from indexer import analysis
from indexer.engines.interface import EngineError, IndexLocked, IndexSchema

LOCK_FILE = "writer.lock"
MARKER_FILE = "engine.json"
# Bump when the way an engine lays out its fields changes (field names, stored encoding, ...).
ENGINE_FORMAT = 1
# Text covering every analyzer branch; its analysis is hashed into the marker, so any change in the
# analyzer's output (or in its stream names) forces a rebuild even if nobody bumped a version.
_ANALYZER_PROBE = (
    "中国某某银行股份有限公司 张三 中 国 工 商 ＪＫ２０２６－０００１２３ JK2026-000123 "
    "11010519491231002X 91350100M000100Y43 壹拾贰万叁仟肆佰伍拾陆元整 123,456.78元 "
    "Ünïcödé straße ＡＢＣ abc_def 第3条第(2)款 一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十 "
    "91350205MA2X\r\nK7Q396 Tel 139 0600 1234 chenzy@exam\fple.com JK20\n26-000318 the bank"
)


class WriterLock:
    """An exclusive lock on ``<index>/writer.lock``, held by the kernel (``flock``) on an open file of its
    own: it works across processes and between two engines in one process alike, and the kernel drops it
    if the process dies."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self._lock = filelock.FileLock(
            self.path,
            # Owned by the engine, not a thread: an engine may be closed from another thread.
            thread_local=False,
            # The lock file stays: wiping an index keeps it (the wiper holds it), and a soft lock (filelock's
            # fallback where flock is missing) would not exclude a writer holding the flock.
            preserve_lock_file=True,
            fallback_to_soft=False,
        )

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self, timeout: float) -> None:
        if self.held:
            return
        try:
            self._lock.acquire(timeout=max(timeout, 0.0))
        except filelock.Timeout:
            raise IndexLocked(
                f"another writer holds {self.path} (waited {timeout:g} s) "
                f"(索引正被其他进程写入，已等待 {timeout:g} 秒)"
            ) from None

    def release(self) -> None:
        if self.held:
            self._lock.release(force=True)


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
