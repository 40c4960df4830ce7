"""Tampering with an archive's catalog as someone with the database file would, and reading it back."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document


def sql(archive: Archive, statement: str, *params: object) -> list[tuple]:
    """Change the catalog the way someone with the database file would: behind dossier's back."""
    connection = sqlite3.connect(archive.home / ".dossier" / "catalog.sqlite")
    try:
        rows = connection.execute(statement, params).fetchall()
        connection.commit()
        return rows
    finally:
        connection.close()


def documents(archive: Archive) -> list[Document]:
    return archive.transaction(lambda s: list(s.execute(select(Document).order_by(Document.id)).scalars()))
