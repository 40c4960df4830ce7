"""The catalog's engine and migrations.

SQLite (the default) is opened so that several processes can write: WAL journal, a long busy timeout,
and ``BEGIN IMMEDIATE`` for every writing transaction, so a writer takes the write lock when it starts
rather than failing to upgrade a read lock half-way (which SQLite reports at once, without waiting).
Readers use a plain ``BEGIN`` and never block writers. Migrations run through Alembic's API with the
scripts shipped inside this package; no ``alembic.ini`` is needed.

PostgreSQL (``[catalog].url = "postgresql+psycopg://…"``) is opened through psycopg 3 with a pool sized in
``[catalog]``. Every writing transaction starts by taking the catalog writer lock, a transaction-level
advisory lock: writers on every node then run one at a time, as on SQLite, so the checks that read before
they write (is this content filed already? is this key registered?) mean the same on both catalogs, while
readers never wait. The audit head row is still locked ``FOR UPDATE`` by the chain itself. The same first
statement reads the schema revision, so a node older than the catalog refuses to write instead of writing
rows an older schema shapes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError

from dossier.errors import DossierError
from dossier.locks import CATALOG_WRITER_KEY, NAMESPACE, LockName, Locks
from dossier.retrying import CATALOG_ATTEMPTS, catalog_busy, is_busy

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0014"
"""The newest revision in ``migrations/versions``; a test keeps it equal to Alembic's head. Knowing it
here spares every open the cost of importing Alembic when there is nothing to migrate."""
BUSY_TIMEOUT_S = 60.0
_BUSY_TIMEOUT_PRAGMA = f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}"
WRITE_OPTION = "dossier_write"
"""Execution option read by the ``begin`` hook: False for read-only sessions."""
MIGRATING_OPTION = "dossier_migrating"
"""Execution option of the migration's own connection: it writes before the schema is current."""
EXPLICIT_BEGIN_OPTION = "dossier_explicit_begin"
"""Execution option of an AUTOCOMMIT connection on PostgreSQL whose writing transactions the ``begin``
hook opens itself (``BEGIN``, then the writer lock), as on SQLite; its reads run without a transaction.
Archive.filing_connection keeps one for a filing: the filing lock and the filing's transactions share it."""

NO_WAIT_OPTION = "dossier_no_wait"
"""Execution option of a writing session that must not wait for the catalog's write lock: SQLite begins
it with no busy timeout, PostgreSQL only tries the writer lock; a lock another writer holds is
:class:`CatalogBusy` at once."""

T = TypeVar("T")


class CatalogBusy(DossierError):
    """Another writer holds the catalog's write lock, and the transaction was not to wait for it."""

    def __init__(self) -> None:
        super().__init__("the catalog's write lock is held by another writer (目录正被其他写入者占用)")


class SchemaMismatch(DossierError):
    """The catalog's schema is not the one this node's code was written for."""

    def __init__(self, found: str | None) -> None:
        self.found = found
        super().__init__(
            f"the catalog is at schema revision {found or 'none'}, this dossier expects {HEAD}: refusing to "
            "write (目录数据库的结构版本与本节点不一致，拒绝写入); upgrade this node to the version the "
            "other nodes run, or run `dossier catalog upgrade` if this node is the newer one"
        )


@dataclass(frozen=True)
class Pool:
    """Connection pool settings for a catalog on a server (``[catalog]``); SQLite ignores them."""

    size: int = 5
    overflow: int = 10
    connect_timeout_s: int = 10
    ping_after_idle_s: float = 1.0
    """A pooled connection idle longer than this is pinged at checkout; 0 pings every checkout."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def redacted(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"


def make_engine(url: str, pool: Pool) -> Engine:
    """An engine for ``url``; SQLite gets the multi-process settings described above."""
    if not url.startswith("sqlite"):
        return _server_engine(url, pool)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin hook issue BEGIN itself; pysqlite would otherwise defer it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(_BUSY_TIMEOUT_PRAGMA)
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: a committed catalog row survives a power cut, which the filing protocol relies on.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if not options.get(WRITE_OPTION, True):
            connection.exec_driver_sql("BEGIN")
        elif options.get(NO_WAIT_OPTION, False):
            _begin_immediate_now(connection)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _begin_immediate_now(connection: Connection) -> None:
    """SQLite's BEGIN IMMEDIATE without its busy timeout: the write lock now, or :class:`CatalogBusy`.
    Only the begin can wait in WAL mode: a writer that holds the lock commits without waiting for
    readers."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    # On the driver's own connection: the pragmas are not statements of the transaction.
    dbapi_connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except DBAPIError as exc:
        if is_busy(exc):
            raise CatalogBusy() from exc
        raise
    finally:
        dbapi_connection.execute(_BUSY_TIMEOUT_PRAGMA)


def _server_engine(url: str, pool: Pool) -> Engine:
    """PostgreSQL: a pool of psycopg connections named after this node, and the writer lock above."""
    application = f"dossier:{socket.gethostname()}:{os.getpid()}"[:63]
    engine = create_engine(
        url,
        pool_size=pool.size,
        max_overflow=pool.overflow,
        connect_args={"application_name": application, "connect_timeout": pool.connect_timeout_s},
    )
    if engine.dialect.name != "postgresql":
        return engine
    _ping_when_idle(engine, pool.ping_after_idle_s)
    writer = text(
        "SELECT pg_advisory_xact_lock(:ns, :key), "
        "(SELECT version_num FROM alembic_version LIMIT 1) AS revision"
    )
    writer_now = text(
        "SELECT pg_try_advisory_xact_lock(:ns, :key) AS taken, "
        "(SELECT version_num FROM alembic_version LIMIT 1) AS revision"
    )

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # Read-only sessions, the migration's own connection and the lock connections (dossier.locks,
        # which set the write option off) have nothing to serialize.
        if not options.get(WRITE_OPTION, True) or options.get(MIGRATING_OPTION, False):
            return
        if options.get(EXPLICIT_BEGIN_OPTION, False):
            revision = _begin_writing(connection)
        elif options.get(NO_WAIT_OPTION, False):
            row = connection.execute(writer_now, {"ns": NAMESPACE, "key": CATALOG_WRITER_KEY}).one()
            if not row.taken:
                raise CatalogBusy()
            revision = row.revision
        else:
            revision = connection.execute(writer, {"ns": NAMESPACE, "key": CATALOG_WRITER_KEY}).one().revision
        if revision != HEAD:
            raise SchemaMismatch(revision)

    return engine


def _ping_when_idle(engine: Engine, after_s: float) -> None:
    """SQLAlchemy's pre-ping, but only for connections idle longer than ``after_s``: a filing checks out
    one connection per document, and a ping on each was one round trip in fifteen. A connection back in
    the pool moments ago was alive then; a dead one found later is invalidated by SQLAlchemy as usual."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh(_dbapi: Any, record: Any) -> None:
        # Just opened, or just given back: known alive now.
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < after_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the catalog connection did not answer its ping")


_IDLE_SINCE = "dossier_idle_since"

_BEGIN_WRITING = (
    "BEGIN ISOLATION LEVEL READ COMMITTED; "
    f"SELECT pg_advisory_xact_lock({NAMESPACE}, {CATALOG_WRITER_KEY}), "
    "(SELECT version_num FROM alembic_version LIMIT 1)"
)
"""Both in one round trip: a query without parameters may hold several statements (simple protocol)."""


def _begin_writing(connection: Connection) -> str | None:
    """Open a writing transaction on an AUTOCOMMIT connection (EXPLICIT_BEGIN_OPTION) with the writer
    lock taken; the catalog's schema revision. On any failure nothing is left open on the connection."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_BEGIN_WRITING)
        cursor.nextset()  # past BEGIN's empty result
        row = cursor.fetchone()
        revision = None if row is None else row[1]
        if revision != HEAD:
            dbapi_connection.rollback()
        return revision
    except connection.dialect.loaded_dbapi.Error as exc:
        with contextlib.suppress(Exception):
            dbapi_connection.rollback()
        # The same exception types as a statement run through SQLAlchemy (the busy-retry reads them).
        raise DBAPIError.instance(
            _BEGIN_WRITING, None, exc, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        ) from exc
    finally:
        cursor.close()


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
    if _settled(current_revision(engine)):
        return False
    with locks.hold(LockName.MIGRATION):
        if _settled(current_revision(engine)):
            return False
        from alembic import command

        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.connect().execution_options(**{MIGRATING_OPTION: True}) as connection:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
    return True


def _settled(found: str | None) -> bool:
    """True at the head; :class:`SchemaMismatch` for a catalog a newer dossier migrated past it."""
    if found is not None and found != HEAD and found not in known_revisions():
        raise SchemaMismatch(found)
    return found == HEAD


def known_revisions() -> frozenset[str]:
    return frozenset(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
