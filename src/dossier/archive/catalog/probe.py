"""Is the catalog there, and at the schema this code expects? One read-only look, for `/ready` and
`dossier catalog status`.

The look never writes and never takes the catalog writer lock (a read-only connection, see
``db.WRITE_OPTION``): a monitor polling it must not queue behind, or hold up, a filing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, inspect, text

from dossier.archive.catalog import db


class SchemaState(StrEnum):
    CURRENT = "current"
    """At this code's head: reads and writes."""
    BEHIND = "behind"
    """At an older revision this code knows: `dossier catalog upgrade` (or opening the archive) migrates."""
    AHEAD = "ahead"
    """At a revision this code does not know: a newer dossier migrated it; this node refuses to write."""
    EMPTY = "empty"
    """No dossier schema yet."""
    UNREACHABLE = "unreachable"


def schema_state(revision: str | None) -> SchemaState:
    if revision == db.HEAD:
        return SchemaState.CURRENT
    if revision is None:
        return SchemaState.EMPTY
    return SchemaState.BEHIND if revision in db.known_revisions() else SchemaState.AHEAD


@dataclass(frozen=True)
class CatalogProbe:
    backend: str
    state: SchemaState
    revision: str | None = None
    head: str = db.HEAD
    error: str | None = None
    """Why it could not be reached (the driver's first line); None when it answered."""

    @property
    def reachable(self) -> bool:
        return self.state is not SchemaState.UNREACHABLE

    @property
    def ready(self) -> bool:
        return self.state is SchemaState.CURRENT


def probe(engine: Engine) -> CatalogProbe:
    """Connect, read the schema revision, let go; every failure is reported, none raised."""
    try:
        with engine.connect().execution_options(**{db.WRITE_OPTION: False}) as connection:
            revision = None
            if inspect(connection).has_table("alembic_version"):
                revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # a probe reports, it does not fail
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = lines[0] if lines else type(exc).__name__
        return CatalogProbe(engine.dialect.name, SchemaState.UNREACHABLE, error=reason)
    return CatalogProbe(engine.dialect.name, schema_state(revision), revision)
