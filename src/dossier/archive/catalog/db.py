"""The catalog's engine and migrations.

SQLite (the default) is opened so that several processes can write: WAL journal, a long busy timeout,
and ``BEGIN IMMEDIATE`` for every writing transaction, so a writer takes the write lock when it starts
rather than failing to upgrade a read lock half-way (which SQLite reports at once, without waiting).
Readers use a plain ``BEGIN`` and never block writers. Migrations run through Alembic's API with the
scripts shipped inside this package; no ``alembic.ini`` is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text

from dossier.locks import LockName, Locks
from dossier.retrying import CATALOG_ATTEMPTS, catalog_busy

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0012"
"""The newest revision in ``migrations/versions``; a test keeps it equal to Alembic's head. Knowing it
here spares every open the cost of importing Alembic when there is nothing to migrate."""
BUSY_TIMEOUT_S = 60.0
WRITE_OPTION = "dossier_write"
"""Execution option read by the ``begin`` hook: False for read-only sessions."""

T = TypeVar("T")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets the multi-process settings described above."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin hook issue BEGIN itself; pysqlite would otherwise defer it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: a committed catalog row survives a power cut, which the filing protocol relies on.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def use_wal(engine: Engine) -> None:
    """Switch a SQLite catalog to write-ahead logging (persistent; readers then never block writers)."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
    finally:
        raw.close()


def retrying(fn: Callable[[], T], *, attempts: int = CATALOG_ATTEMPTS) -> T:
    """Run ``fn`` (one whole transaction) again when the catalog is busy; the busy timeout waits first.
    The policy (how often, how long apart) is :func:`dossier.retrying.catalog_busy`'s."""
    return catalog_busy(fn, attempts=attempts)


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic configuration pointing at the migrations shipped in this package."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The head as Alembic finds it in the scripts (slower than HEAD; for tests and tools)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the catalog is at, None for an empty database."""
    with engine.connect().execution_options(**{WRITE_OPTION: False}) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("select version_num from alembic_version")).scalar_one_or_none()


def upgrade(engine: Engine, locks: Locks) -> bool:
    """Migrate the catalog to the newest revision; True if anything ran.

    Several processes open the same catalog at once (batch workers); the migration lock lets one of them
    migrate while the others wait, then find nothing to do.
    """
    if current_revision(engine) == HEAD:
        return False
    with locks.hold(LockName.MIGRATION):
        if current_revision(engine) == HEAD:
            return False
        from alembic import command

        cfg = alembic_config(str(engine.url))
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    return True
