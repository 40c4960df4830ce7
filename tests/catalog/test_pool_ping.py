"""The pool pings a PostgreSQL connection only when it has been idle past [catalog].ping_after_idle_s.

A connection given back moments ago is used without a ping (one round trip fewer per filing); one idle
longer is pinged, and a dead one is replaced unseen. The price, shown here: a server connection killed
within the window fails its next use once, and that connection is replaced.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from dossier.archive.catalog import db


def _backend_of(engine: Engine) -> int:
    with engine.connect().execution_options(**{db.WRITE_OPTION: False}) as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(catalog_url: str, pid: int) -> None:
    killer = db.make_engine(catalog_url, db.Pool(size=1, overflow=0))
    try:
        with killer.connect().execution_options(**{db.WRITE_OPTION: False}) as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        killer.dispose()
    time.sleep(0.1)  # the backend is gone once the server has reaped it


def test_a_connection_idle_past_the_window_is_pinged_and_a_dead_one_replaced(catalog_url: str) -> None:
    engine = db.make_engine(catalog_url, db.Pool(size=1, overflow=0, ping_after_idle_s=0.2))
    try:
        first = _backend_of(engine)
        _terminate(catalog_url, first)
        time.sleep(0.3)
        # Pinged at checkout, found dead, replaced: the caller never sees it.
        assert _backend_of(engine) != first
    finally:
        engine.dispose()


def test_a_connection_used_moments_ago_is_not_pinged(catalog_url: str) -> None:
    engine = db.make_engine(catalog_url, db.Pool(size=1, overflow=0, ping_after_idle_s=60))
    try:
        first = _backend_of(engine)
        _terminate(catalog_url, first)
        reading = {db.WRITE_OPTION: False}
        with pytest.raises(DBAPIError) as lost, engine.connect().execution_options(**reading) as connection:
            connection.execute(text("SELECT 1"))
        assert lost.value.connection_invalidated
        # Replaced after that one failure.
        assert _backend_of(engine) != first
    finally:
        engine.dispose()
