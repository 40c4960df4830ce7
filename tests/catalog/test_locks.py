"""The lock interface, on both backends: file locks on the embedded default, advisory locks in a
PostgreSQL catalog. Exclusive and shared holds exclude each other across processes, a busy lock names its
holder, and a killed holder lets go at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dossier.archive.catalog import db
from dossier.locks import AdvisoryLocks, FileLocks, LockBusy, LockMode, LockName, Locks

HOLD = """
import sys, time
from pathlib import Path
from dossier.archive.catalog import db
from dossier.locks import AdvisoryLocks, FileLocks, LockMode, LockName
where = sys.argv[1]
locks = AdvisoryLocks(db.make_engine(where, db.Pool())) if "://" in where else FileLocks(Path(where))
with locks.hold(LockName(sys.argv[2]), mode=LockMode(sys.argv[3])):
    print("held", flush=True)
    time.sleep(60)
"""


class Backend:
    def __init__(self, where: str, locks: Locks, engine: Engine | None = None) -> None:
        self.where = where
        self.locks = locks
        self.engine = engine


@pytest.fixture(params=["file", "advisory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "file":
        yield Backend(str(tmp_path), FileLocks(tmp_path))
        return
    url = request.getfixturevalue("catalog_url")
    engine = db.make_engine(url, db.Pool())
    try:
        yield Backend(url, AdvisoryLocks(engine), engine)
    finally:
        engine.dispose()


def _holder(backend: Backend, name: LockName, mode: LockMode) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, backend.where, name.value, mode.value], stdout=subprocess.PIPE, text=True
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
    backend: Backend, held: LockMode, wanted: LockMode, busy: bool
) -> None:
    process = _holder(backend, LockName.FILING, held)
    try:
        if busy:
            with pytest.raises(LockBusy) as refused:
                with backend.locks.hold(LockName.FILING, mode=wanted, timeout=0):
                    pass
            if held is LockMode.EXCLUSIVE and backend.engine is None:
                assert refused.value.holder == f"pid {process.pid}"
            elif held is LockMode.EXCLUSIVE:
                # The server names the holder by the application name every dossier connection carries.
                assert refused.value.holder is not None and f":{process.pid} " in refused.value.holder
            assert "filing" in str(refused.value) and "另一进程" in str(refused.value)
        else:
            with backend.locks.hold(LockName.FILING, mode=wanted, timeout=0):
                pass
        # Another rule's lock is another key: never busy because of this one.
        with backend.locks.hold(LockName.INDEX, timeout=0):
            pass
    finally:
        process.kill()
        process.wait()


def test_a_killed_holder_lets_go_and_a_waiter_gets_it(backend: Backend) -> None:
    process = _holder(backend, LockName.WATCHER, LockMode.EXCLUSIVE)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    started = time.monotonic()
    with backend.locks.hold(LockName.WATCHER, timeout=30):
        pass
    assert time.monotonic() - started < 30
    if backend.engine is None:
        # The pathname stays: shared and exclusive holders always lock the same file.
        assert (Path(backend.where) / "watcher.lock").exists()


def test_a_wait_with_a_timeout_ends_when_the_holder_lets_go(backend: Backend) -> None:
    process = _holder(backend, LockName.MIGRATION, LockMode.EXCLUSIVE)
    try:
        with pytest.raises(LockBusy):
            with backend.locks.hold(LockName.MIGRATION, timeout=0.2):
                pass
    finally:
        process.kill()
        process.wait()
    with backend.locks.hold(LockName.MIGRATION, timeout=30):
        pass
