"""Tampering with an archive's catalog as someone with the database file would, and reading it back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dossier.archive import Archive
from dossier.archive.catalog.models import Document


def sql(archive: Archive, statement: str, *params: object) -> list[tuple]:
    """Change the catalog the way someone with the database would: behind dossier's back, going round
    the append-only triggers (SQLite: dropped and put back; PostgreSQL: a superuser's replica role)."""
    if archive.engine.dialect.name == "postgresql":
        return _postgresql(archive, statement, params)
    connection = sqlite3.connect(archive.home / ".dossier" / "catalog.sqlite")
    try:
        # The append-only triggers (migrations 0005, 0010): whoever has the database file drops them.
        guards = dict(connection.execute("select name, sql from sqlite_master where type = 'trigger'"))
        for name in guards:
            connection.execute(f"drop trigger {name}")
        rows = connection.execute(statement, params).fetchall()
        for ddl in guards.values():
            connection.execute(ddl)
        connection.commit()
        return rows
    finally:
        connection.close()


def _postgresql(archive: Archive, statement: str, params: tuple[object, ...]) -> list[tuple]:
    import psycopg

    url = archive.engine.url
    dsn = psycopg.conninfo.make_conninfo(
        host=url.query.get("host") or url.host or "",
        port=str(url.query.get("port") or url.port or 5432),
        user=url.username or "",
        dbname=url.database or "",
    )
    with psycopg.connect(dsn) as connection:
        connection.execute("SET session_replication_role = replica")
        cursor = connection.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []


def documents(archive: Archive) -> list[Document]:
    return archive.transaction(lambda s: list(s.execute(select(Document).order_by(Document.id)).scalars()))


@contextmanager
def tampering(archive: Archive) -> Iterator[Session]:
    """A catalog session that goes round the append-only triggers, committed at the end: what someone
    with the database (and the rights to drop a trigger) could do behind dossier's back."""
    with archive.session() as session:
        if archive.engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL session_replication_role = replica"))
            yield session
            return
        triggers = text("select name, sql from sqlite_master where type = 'trigger'")
        guards = dict(session.execute(triggers).all())
        for name in guards:
            session.execute(text(f"drop trigger {name}"))
        yield session
        session.flush()
        for ddl in guards.values():
            session.execute(text(ddl))  # the DDL SQLite kept, exactly as it was created
