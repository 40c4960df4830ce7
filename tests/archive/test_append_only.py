"""The audit chain and the verification records are append-only in the database itself (migration 0010),
on SQLite and on PostgreSQL alike: dossier's own connection cannot change or remove a row of either."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dossier.archive import Archive
from dossier.archive.integrity import verify_archive
from dossier.config import load_config

STATEMENTS = [
    "update events set actor = 'mallory' where seq = 1",
    "delete from events where seq = 1",
    "delete from events",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_chain_refuses_update_and_delete(tmp_path, statement):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        with pytest.raises(DBAPIError, match="append-only"), archive.session() as session:
            session.execute(text(statement))
        assert archive.transaction(lambda s: s.execute(text("select count(*) from events")).scalar_one()) == 1
        assert verify_archive(archive, record=False).ok


def test_postgresql_also_refuses_truncate(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        statement = "truncate events" if archive.engine.dialect.name == "postgresql" else "delete from events"
        with pytest.raises(DBAPIError, match="append-only"), archive.session() as session:
            session.execute(text(statement))
