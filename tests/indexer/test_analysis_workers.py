"""The analysis pool's processes inherit no lock the parent held when it started them, and a worker
that dies fails its batch instead of leaving the engine waiting.

A plain fork copied the descriptor of a tantivy meta-file lock that another index's watcher thread held
at that moment; the child kept it open for its whole life and the parent's next commit waited for ever
(seen as a hung test). Here the parent holds a flock while the pool starts, then lets it go: another
process must be able to take it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kit.procs import children, running

from indexer.analysis import UNI
from indexer.engines.analysis_pool import AnalysisWorkerDied, StreamMaker
from indexer.engines.interface import IndexDoc

TRY_LOCK = """
import fcntl, sys
with open(sys.argv[1], "a+b") as fh:
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(1)
"""


def test_workers_started_while_a_lock_is_held_do_not_keep_it(tmp_path: Path) -> None:
    lock_path = tmp_path / "meta.lock"
    maker = StreamMaker(workers=2)
    try:
        with lock_path.open("a+b") as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)
            maker.start()
            # The workers are up and working before the parent lets go.
            assert [streams for _, streams in maker.analysed([])] == []
        # The parent has closed its descriptor; only an inherited copy could still hold the lock.
        probe = subprocess.run([sys.executable, "-c", TRY_LOCK, str(lock_path)], timeout=60)
        assert probe.returncode == 0, "a worker process kept the parent's lock"
    finally:
        maker.close()


def _descendants(pid: int) -> set[int]:
    out: set[int] = set()
    for child in children(pid):
        out |= {child, *_descendants(child)}
    return out


def test_a_worker_that_dies_fails_its_batch_and_the_next_batch_gets_a_new_pool() -> None:
    # multiprocessing.Pool lost a dead worker's batch and left the engine waiting for ever; this must raise.
    before = _descendants(os.getpid())
    maker = StreamMaker(workers=2)
    try:
        warm = [IndexDoc("w", "预热"), IndexDoc("x", "贷款")]  # a task per worker: both workers start
        assert [s[UNI] for _, s in maker.analysed(warm)] == ["预 热", "贷 款"]
        # The pool's workers are the forkserver's children, not this process's.
        workers = _descendants(os.getpid()) - before - children(os.getpid())
        assert len(workers) == 2, f"expected the pool's two workers, found {workers}"
        # Long enough that both workers are still analysing when they are killed.
        batch = maker.analysed(IndexDoc(f"d{n}", "借款人" * 3_000_000) for n in range(2))
        killer = threading.Timer(0.5, lambda: [_kill(pid) for pid in workers])
        killer.start()
        started = time.monotonic()
        with pytest.raises(AnalysisWorkerDied):
            list(batch)
        killer.join()
        assert time.monotonic() - started < 60
        assert [s[UNI] for _, s in maker.analysed([IndexDoc("x", "中国")])] == ["中 国"]
    finally:
        maker.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


ORPHAN = """
import sys
from indexer.engines.analysis_pool import StreamMaker
from indexer.engines.interface import IndexDoc

if __name__ == "__main__":
    maker = StreamMaker(workers=2)
    list(maker.analysed([IndexDoc("a", "借款人"), IndexDoc("b", "贷款")]))  # a task per worker
    print("up", flush=True)
    sys.stdin.read()  # until killed
"""


def test_workers_end_when_the_indexing_process_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "up"
        server = children(process.pid)
        workers = set().union(*(children(pid) for pid in server))
        assert len(workers) >= 2, f"expected the pool's workers under its forkserver, found {workers}"
        process.kill()
        process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while (alive := {pid for pid in workers if running(pid)}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive, f"analysis workers {sorted(alive)} outlived the killed indexing process"
    finally:
        process.kill()
        process.wait(timeout=30)
