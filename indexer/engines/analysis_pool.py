"""The analysis pool: the analyzer run over documents while the engine indexes the previous ones."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

from indexer import analysis
from indexer.engines.interface import EngineError, IndexDoc
from indexer.processes import die_with_parent, process_context


class AnalysisWorkerDied(EngineError):
    """An analysis worker process ended in the middle of a batch (killed, out of memory)."""


class _Chunk(NamedTuple):
    docs: list[IndexDoc]
    streams: Iterator[dict[str, str]]


class StreamMaker:
    """Runs :func:`indexer.analysis.index_streams` over documents: in this thread, or in a pool of
    ``workers`` processes.

    The pool's processes come from the indexer's forkserver (indexer.processes): a plain fork copied the
    flock that another tantivy index's watcher thread held at that moment, and the next commit hung.

    It is a ``concurrent.futures`` process pool, not ``multiprocessing.Pool``: that pool's worker-handler
    thread waits on the result pipe too, so it spun, polling every worker under this process's GIL, for as
    long as a large result was being read (about a sixth of the indexing process's GIL); and a worker that
    died lost its batch and left the caller waiting for ever, where this pool raises.
    """

    CHUNK = 256

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._held: _Chunk | None = None

    def start(self) -> None:
        if self.workers > 0 and self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=process_context(), initializer=die_with_parent
            )

    def analysed(
        self, docs: Iterable[IndexDoc], *, hold_last: bool = False
    ) -> Iterator[tuple[IndexDoc, dict[str, str]]]:
        """(document, its streams) in the order given; consumes ``docs`` a chunk at a time.

        With ``hold_last``, the last chunk stays with the workers: the next call, or :meth:`held`, hands
        it on (first), so that the workers analyse one call's documents while the engine indexes the
        previous call's. A caller that holds must take :meth:`held` before anything that depends on the
        documents being with the engine (a delete, a commit).
        """
        if self.workers <= 0:
            for doc in docs:
                yield doc, analysis.index_streams(doc.text)
            return
        try:
            yield from self._pooled(iter(docs), hold_last)
        except BrokenProcessPool as exc:
            self.close()  # the next batch starts a new pool
            raise AnalysisWorkerDied(f"an analysis worker process died (分词进程异常退出): {exc}") from None
        except BaseException:
            self._held = None  # the caller's batch failed: nothing of it may reach a later commit
            raise

    def held(self) -> Iterator[tuple[IndexDoc, dict[str, str]]]:
        """The chunk a ``hold_last`` call left with the workers (nothing if none)."""
        return self.analysed(())

    def _pooled(self, docs: Iterator[IndexDoc], hold_last: bool) -> Iterator[tuple[IndexDoc, dict[str, str]]]:
        ahead, self._held = self._held, None
        while chunk := list(itertools.islice(docs, self.CHUNK)):
            self.start()
            assert self._pool is not None
            # One task per worker and chunk: fewer, larger messages cost this process less than many.
            per_worker = -(-len(chunk) // self.workers)
            streams = self._pool.map(analysis.index_streams, [d.text for d in chunk], chunksize=per_worker)
            # The next chunk is sent before this one is handed on: the workers analyse it while the engine
            # takes this one, instead of waiting idle for the next call.
            if ahead is not None:
                yield from zip(*ahead, strict=True)
            ahead = _Chunk(chunk, streams)
        if ahead is not None:
            if hold_last:
                self._held = ahead
            else:
                yield from zip(*ahead, strict=True)

    def close(self) -> None:
        """Stop the workers; a chunk still held is dropped (its documents were never committed)."""
        self._held = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)
