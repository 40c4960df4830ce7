"""The engines' writer lock (indexer/engines/storage.py): one writer per index directory, across processes
and within one, let go by the kernel when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.engines import IndexLocked
from indexer.engines.storage import LOCK_FILE, WriterLock

HOLDER = """
import sys, time
from pathlib import Path
from indexer.engines.storage import WriterLock
lock = WriterLock(Path(sys.argv[1]))
lock.acquire(0)
print("held", flush=True)
time.sleep(60)
"""


def test_two_writers_in_one_process_exclude_each_other(tmp_path: Path) -> None:
    first, second = WriterLock(tmp_path), WriterLock(tmp_path)
    first.acquire(0)
    first.acquire(0)  # holding it already: nothing to do
    with pytest.raises(IndexLocked, match="索引正被其他进程写入"):
        second.acquire(0)
    first.release()
    assert not first.held and (tmp_path / LOCK_FILE).is_file()  # the file stays: a wipe keeps it
    second.acquire(0)
    assert second.held
    second.release()
    second.release()  # releasing what is not held is harmless


def test_a_writer_killed_with_sigkill_lets_go(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(IndexLocked, match=r"waited 0\.1 s"):
            WriterLock(tmp_path).acquire(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    lock = WriterLock(tmp_path)
    lock.acquire(0)
    assert lock.held
    lock.release()
