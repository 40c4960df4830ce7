"""The lock interface's file backend: exclusive and shared holds exclude each other across processes,
a busy lock names its holder, and a killed holder lets go at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dossier.locks import FileLocks, LockBusy, LockMode, LockName

HOLD = """
import sys, time
from pathlib import Path
from dossier.locks import FileLocks, LockMode, LockName
with FileLocks(Path(sys.argv[1])).hold(LockName(sys.argv[2]), mode=LockMode(sys.argv[3])):
    print("held", flush=True)
    time.sleep(60)
"""


def _holder(folder: Path, name: LockName, mode: LockMode) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), name.value, mode.value], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


@pytest.mark.parametrize(
    ("held", "wanted", "busy"),
    [
        (LockMode.EXCLUSIVE, LockMode.EXCLUSIVE, True),
        (LockMode.EXCLUSIVE, LockMode.SHARED, True),
        (LockMode.SHARED, LockMode.EXCLUSIVE, True),
        (LockMode.SHARED, LockMode.SHARED, False),
    ],
)
def test_holds_exclude_each_other_across_processes(
    tmp_path: Path, held: LockMode, wanted: LockMode, busy: bool
) -> None:
    process = _holder(tmp_path, LockName.FILING, held)
    try:
        locks = FileLocks(tmp_path)
        if busy:
            with pytest.raises(LockBusy) as refused, locks.hold(LockName.FILING, mode=wanted, timeout=0):
                pass
            if held is LockMode.EXCLUSIVE:
                assert refused.value.holder == f"pid {process.pid}"
        else:
            with locks.hold(LockName.FILING, mode=wanted, timeout=0):
                pass
        # Another rule's lock is another file: never busy because of this one.
        with locks.hold(LockName.INDEX, timeout=0):
            pass
    finally:
        process.kill()
        process.wait()


def test_a_killed_holder_lets_go_and_a_waiter_gets_it(tmp_path: Path) -> None:
    process = _holder(tmp_path, LockName.WATCHER, LockMode.EXCLUSIVE)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    started = time.monotonic()
    with FileLocks(tmp_path).hold(LockName.WATCHER, timeout=30):
        pass
    assert time.monotonic() - started < 30
    # The pathname stays: shared and exclusive holders always lock the same file.
    assert (tmp_path / "watcher.lock").exists()
