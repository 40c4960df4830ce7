"""The analysis pool's processes inherit no lock the parent held when it started them.

A plain fork copied the descriptor of a tantivy meta-file lock that another index's watcher thread held
at that moment; the child kept it open for its whole life and the parent's next commit waited for ever
(seen as a hung test). Here the parent holds a flock while the pool starts, then lets it go: another
process must be able to take it at once.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from indexer.engines.analysis_pool import StreamMaker

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
