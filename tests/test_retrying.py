"""The retry policies of dossier.retrying, against a real SQLite lock held by another connection."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from dossier.archive.catalog import db
from dossier.inbox.outcome import Outcome
from dossier.retrying import (
    CATALOG_ATTEMPTS,
    FILING_ATTEMPTS,
    WRITE_NOW_ATTEMPTS,
    catalog_busy,
    filing_interrupted,
    is_busy,
    write_lock_soon,
)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, str]]:
    """A catalog another connection holds the write lock of (BEGIN IMMEDIATE), and its URL."""
    path = tmp_path / "catalog.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("create table t (x integer)")
    holder.execute("begin immediate")
    yield holder, f"sqlite:///{path}"
    holder.close()


def test_a_busy_catalog_is_tried_again_until_the_other_writer_is_done(
    locked: tuple[sqlite3.Connection, str],
) -> None:
    holder, url = locked
    engine = create_engine(url, connect_args={"timeout": 0})  # no busy timeout: fail at once
    tries: list[int] = []

    def write() -> int:
        tries.append(len(tries) + 1)
        if len(tries) == 3:
            holder.execute("rollback")  # the other writer finishes
        with engine.begin() as connection:
            connection.exec_driver_sql("insert into t values (1)")
        return len(tries)

    assert db.retrying(write) == 3
    engine.dispose()


def test_a_catalog_busy_for_every_try_raises_the_last_error(locked: tuple[sqlite3.Connection, str]) -> None:
    _, url = locked
    engine = create_engine(url, connect_args={"timeout": 0})
    tries: list[int] = []

    def write() -> None:
        tries.append(1)
        with engine.begin() as connection:
            connection.exec_driver_sql("insert into t values (1)")

    with pytest.raises(OperationalError) as raised:
        catalog_busy(write, attempts=3)
    assert is_busy(raised.value) and len(tries) == 3
    engine.dispose()
    assert CATALOG_ATTEMPTS == 8


def test_an_error_that_is_not_contention_is_raised_at_once(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    tries: list[int] = []

    def read() -> None:
        tries.append(1)
        with engine.connect() as connection:
            connection.exec_driver_sql("select * from missing")

    with pytest.raises(OperationalError, match="no such table"):
        catalog_busy(read)
    assert len(tries) == 1
    engine.dispose()


def test_not_now_is_tried_again_with_the_item_read_back_before_each_try() -> None:
    answers = iter([Outcome.RETRY, Outcome.RETRY, Outcome.FILED])
    reads: list[int] = []
    got = filing_interrupted(
        lambda: next(answers), lambda a: a is Outcome.RETRY, before_next=lambda: reads.append(1)
    )
    assert got is Outcome.FILED and len(reads) == 2
    assert FILING_ATTEMPTS == 20


def test_a_write_that_would_wait_is_tried_again_on_the_event_loop_which_answers_meanwhile() -> None:
    async def scenario() -> tuple[bool, int, int]:
        ticks = 0
        running = True

        async def other_requests() -> None:  # what the event loop also serves while the write pauses
            nonlocal ticks
            while running:
                ticks += 1
                await asyncio.sleep(0)

        answers = iter([False, False, True])
        tries = 0

        def attempt() -> bool:
            nonlocal tries
            tries += 1
            return next(answers)

        other = asyncio.ensure_future(other_requests())
        await asyncio.sleep(0)
        wrote = await write_lock_soon(attempt)
        running = False
        await other
        return wrote, tries, ticks

    wrote, tries, ticks = asyncio.run(scenario())
    assert (wrote, tries) == (True, 3)
    assert ticks > 2  # the other task ran during the pauses: the loop was not held


def test_a_write_that_always_would_wait_gives_up_after_its_tries_with_nothing_raised() -> None:
    tries: list[int] = []

    def attempt() -> bool:
        tries.append(1)
        return False

    assert asyncio.run(write_lock_soon(attempt)) is False
    assert len(tries) == WRITE_NOW_ATTEMPTS == 4


def test_an_error_of_the_write_is_raised_at_once() -> None:
    tries: list[int] = []

    def attempt() -> bool:
        tries.append(1)
        raise RuntimeError("broken catalog")

    with pytest.raises(RuntimeError, match="broken catalog"):
        asyncio.run(write_lock_soon(attempt))
    assert len(tries) == 1
