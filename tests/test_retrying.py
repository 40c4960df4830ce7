"""The retry policies of dossier.retrying, against a real SQLite lock held by another connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from dossier.archive.catalog import db
from dossier.inbox.outcome import Outcome
from dossier.retrying import CATALOG_ATTEMPTS, FILING_ATTEMPTS, catalog_busy, filing_interrupted, is_busy


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
