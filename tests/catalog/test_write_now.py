"""A writing transaction that must not wait (``Archive.transaction(..., wait=False)``, the event loop's
search events): it commits when the catalog's write lock is free, and while another writer holds it, it
answers CatalogBusy at once with nothing written, on SQLite (no busy timeout for its BEGIN IMMEDIATE) and
on PostgreSQL (the writer lock only tried). The transactions after it wait for the lock as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit.catalog import write_lock_held
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dossier.archive import Archive
from dossier.archive.audit import append_event
from dossier.archive.catalog.db import BUSY_TIMEOUT_S, CatalogBusy
from dossier.archive.catalog.models import Event
from dossier.config import load_config

AT_ONCE_S = 10.0
"""Far below the busy timeout (60 s) that a waiting transaction would sit through."""


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        yield opened


def write_event(session: Session) -> None:
    append_event(session, actor="now", action="search", target="search:x")


def written(archive: Archive) -> int:
    return archive.transaction(
        lambda s: s.execute(select(func.count()).where(Event.actor == "now")).scalar_one(), write=False
    )


def test_a_write_that_must_not_wait_commits_when_the_lock_is_free(archive: Archive) -> None:
    archive.transaction(write_event, wait=False)
    assert written(archive) == 1


def test_a_write_that_must_not_wait_is_refused_at_once_while_another_writer_holds_the_lock(
    archive: Archive,
) -> None:
    with write_lock_held(archive):
        started = time.monotonic()
        with pytest.raises(CatalogBusy, match="目录正被其他写入者占用"):
            archive.transaction(write_event, wait=False)
        assert time.monotonic() - started < AT_ONCE_S
    assert written(archive) == 0
    if archive.engine.url.get_backend_name() == "sqlite":
        # The connection it used (the pool's only one) has its busy timeout back.
        timeout = archive.transaction(lambda s: s.execute(text("PRAGMA busy_timeout")).scalar_one())
        assert timeout == BUSY_TIMEOUT_S * 1000
    # The transactions after it wait for the lock: a writer that comes while it is held waits, then
    # commits.
    archive.transaction(write_event, wait=False)
    committed = threading.Event()

    def waiting_writer() -> None:
        archive.transaction(write_event)
        committed.set()

    with write_lock_held(archive):
        thread = threading.Thread(target=waiting_writer)
        thread.start()
        time.sleep(0.5)
        assert not committed.is_set(), "a writer that may wait waits for the lock"
    thread.join(timeout=30)
    assert committed.is_set()
    assert written(archive) == 2
