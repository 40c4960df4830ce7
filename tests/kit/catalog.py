"""Tampering with an archive's catalog as someone with the database file would, and reading it back; its
write lock held as another writer holds it."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def _dsn(archive: Archive) -> str:
    import psycopg

    url = archive.engine.url
    return psycopg.conninfo.make_conninfo(
        host=url.query.get("host") or url.host or "",
        port=str(url.query.get("port") or url.port or 5432),
        user=url.username or "",
        dbname=url.database or "",
    )


@contextmanager
def write_lock_held(archive: Archive) -> Iterator[None]:
    """The catalog's write lock held by another connection, as a long filing in another process holds it
    (SQLite: BEGIN IMMEDIATE; PostgreSQL: the catalog writer's advisory lock)."""
    if archive.engine.dialect.name == "postgresql":
        import psycopg

        from dossier.locks import CATALOG_WRITER_KEY, NAMESPACE

        with psycopg.connect(_dsn(archive)) as writer:
            writer.execute("SELECT pg_advisory_xact_lock(%s, %s)", (NAMESPACE, CATALOG_WRITER_KEY))
            try:
                yield
            finally:
                writer.rollback()
        return
    holder = sqlite3.connect(archive.home / ".dossier" / "catalog.sqlite", timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _postgresql(archive: Archive, statement: str, params: tuple[object, ...]) -> list[tuple]:
    import psycopg

    with psycopg.connect(_dsn(archive)) as connection:
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


def copy_home(source: Path, target: Path) -> None:
    """A copy of archive home ``source`` at ``target``, catalog and all: on the PostgreSQL test pass the
    catalog is a database of its own (kit/pg_pass.py), copied beside the folder."""
    shutil.copytree(source, target)
    from kit import pg_pass

    host = os.environ.get(pg_pass.ENV_HOST)
    if host:
        pg_pass.clone_database(host, source, target)
