"""`dossier catalog migrate`: an archive's catalog copied into an empty PostgreSQL database.

The order of work, and why:

1. The archive is verified as `dossier audit verify` does (chain, catalog and files): a damaged archive is
   not moved, its damage would only be harder to see afterwards.
2. The target is checked empty: no revision and no row in any dossier table. Nothing is ever merged.
3. Under the target's migration lock (a node starting on the target meanwhile waits, then finds it
   migrated) and the source's filing lock held exclusively (no filing half-way, none starting), ONE
   transaction on the target creates the schema (the migrations, PostgreSQL's DDL is transactional),
   copies every table of the models' metadata in foreign-key order, in chunks, with SQLAlchemy Core,
   and sets each sequence to the table's largest id. The source is read in one read transaction, so the
   copy is one snapshot; its chain is verified again in that snapshot, and the source's audit head is
   read once more before the commit: an event appended meanwhile (the service still running) refuses
   the copy instead of losing the event.
4. Any failure rolls the whole transaction back: the target is left as empty as it was, and running the
   command again starts from the beginning. That is how it "refuses cleanly after a failure"; it does
   not resume half-way.
5. The target is opened as the archive's catalog and verified again, chain, catalog and files; that
   check is the first event of the chain's new home.

The source catalog is never written, and stays as the fallback until ``[catalog].url`` is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, func, inspect, literal_column, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from dossier.archive.audit import verify_chain
from dossier.archive.catalog import Base, db
from dossier.archive.catalog.models import AuditHead
from dossier.archive.home import Archive
from dossier.config import Config
from dossier.errors import DossierError
from dossier.locks import AdvisoryLocks, LockName

if TYPE_CHECKING:
    from dossier.archive.integrity import IntegrityReport

CHUNK_ROWS = 1000
"""Rows read and inserted at a time: memory stays flat whatever the catalog's size."""


class MigrationRefused(DossierError):
    """The catalog was not copied, and the target was left as it was."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int


@dataclass(frozen=True)
class MigrationReport:
    source: str
    """The source catalog's URL (no password)."""
    target: str
    """The target's URL (no password), as ``[catalog].url`` takes it."""
    tables: tuple[TableCopy, ...]
    events: int
    """Audit events copied (the chain's length)."""
    documents: int
    """Documents the chain filed, verified before and after."""
    files: int
    """Files re-hashed by the verification after the copy."""

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def target_url(url: str) -> str:
    """``url`` with the psycopg 3 driver named: ``postgresql://`` would make SQLAlchemy look for psycopg2."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise MigrationRefused(f"--to: not a database URL (不是数据库地址): {exc}") from None
    if parsed.get_backend_name() != "postgresql":
        raise MigrationRefused(
            f"--to {db.redacted(url)}: the target must be PostgreSQL (目标必须是 PostgreSQL 数据库), "
            "e.g. postgresql+psycopg://dossier@db.example/dossier"
        )
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def migrate_catalog(
    archive: Archive, to: str, *, actor: str = "system", chunk_rows: int = CHUNK_ROWS
) -> MigrationReport:
    """Copy ``archive``'s catalog into the empty PostgreSQL database ``to`` (see the module's steps)."""
    from dossier.archive.integrity import verify_archive

    url = target_url(to)
    source = archive.engine.url.render_as_string(hide_password=False)
    if make_url(source) == make_url(url):
        raise MigrationRefused(
            f"--to {db.redacted(url)} is this archive's catalog already (已是本档案库的目录)"
        )
    before = verify_archive(archive, record=False)
    if not before.ok:
        raise MigrationRefused(
            f"the archive does not verify (档案库校验未通过): {_first_problem(before)}; "
            "run `dossier audit verify` to see every problem and `dossier repair` to settle interrupted "
            "filings, then migrate"
        )
    pool = db.Pool(size=2, overflow=2)
    try:
        engine = db.make_engine(url, pool)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise MigrationRefused(f"--to {db.redacted(url)}: {exc}") from exc
    try:
        with AdvisoryLocks(engine).hold(LockName.MIGRATION), archive.filing_lock(exclusive=True):
            tables, events = _copy(archive, engine, url, chunk_rows)
    except OperationalError as exc:  # not reached, refused, no permission to connect
        raise MigrationRefused(
            f"--to {db.redacted(url)}: cannot connect to the target (无法连接目标数据库): {_cause(exc)}"
        ) from exc
    except DBAPIError as exc:
        raise MigrationRefused(
            f"--to {db.redacted(url)}: {_cause(exc)}; nothing was kept in the target (目标数据库未作任何改动)"
        ) from exc
    finally:
        engine.dispose()
    after = _verify_target(archive, url, actor)
    return MigrationReport(
        source=db.redacted(source),
        target=db.redacted(url),
        tables=tables,
        events=events,
        documents=after.documents,
        files=after.files,
    )


def _copy(archive: Archive, target: Engine, url: str, chunk_rows: int) -> tuple[tuple[TableCopy, ...], int]:
    """One read transaction on the source, one writing transaction on the target; all or nothing."""
    read_only = archive.engine.connect().execution_options(**{db.WRITE_OPTION: False})
    # The migration option: the target has no schema yet, so the writer hook's revision check must wait
    # for the commit (the migration lock above keeps other nodes out meanwhile).
    writing = target.connect().execution_options(**{db.MIGRATING_OPTION: True})
    with read_only as src, src.begin(), writing as dst, dst.begin():
        _refuse_unless_empty(dst, url)
        chain = verify_chain(Session(bind=src))
        if not chain.ok:
            assert chain.problem is not None
            raise MigrationRefused(
                f"the audit chain does not verify (审计链校验未通过): {chain.problem.message}"
            )
        _create_schema(dst, url)
        _clear_seeds(dst)
        copied = tuple(_copy_table(src, dst, table, chunk_rows) for table in Base.metadata.sorted_tables)
        _reset_sequences(dst)
        _refuse_if_source_moved(archive, chain.last_seq)
    return copied, chain.events


def _refuse_unless_empty(connection: Connection, url: str) -> None:
    present = set(inspect(connection).get_table_names())
    where = f"--to {db.redacted(url)}"
    if "alembic_version" in present:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision is not None:
            raise MigrationRefused(
                f"{where}: the target holds a dossier catalog already (schema revision {revision}) "
                "(目标数据库非空，拒绝覆盖); migrate into a new, empty database"
            )
    for table in Base.metadata.sorted_tables:
        if table.name in present and _has_rows(connection, table):
            raise MigrationRefused(
                f"{where}: table {table.name} has rows (目标数据库非空，拒绝覆盖); migrate into a new, "
                "empty database"
            )


def _has_rows(connection: Connection, table: Table) -> bool:
    # No columns named: a table of that name made by something else may have other columns.
    return connection.execute(select(literal_column("1")).select_from(table).limit(1)).first() is not None


def _create_schema(connection: Connection, url: str) -> None:
    """Every migration, inside the caller's transaction (rolled back with it)."""
    from alembic import command

    cfg = db.alembic_config(url)
    cfg.attributes["connection"] = connection
    try:
        command.upgrade(cfg, "head")
    except DBAPIError as exc:
        raise MigrationRefused(
            f"creating the catalog's tables in {db.redacted(url)} failed (建立目录表失败): {_cause(exc)}; "
            "nothing was kept in the target (目标数据库未作任何改动); migrate into a new, empty database"
        ) from exc


def _clear_seeds(connection: Connection) -> None:
    """Rows the migrations themselves put in (the audit head's genesis row) make way for the source's."""
    for table in reversed(Base.metadata.sorted_tables):
        if _has_rows(connection, table):
            connection.execute(table.delete())


def _copy_table(src: Connection, dst: Connection, table: Table, chunk_rows: int) -> TableCopy:
    # Ordered by the key: rows that point at earlier rows of their own table (a document's earlier
    # version, a corrected verification record) arrive after them.
    query = select(table).order_by(*table.primary_key.columns)
    result = src.execution_options(yield_per=chunk_rows).execute(query)
    columns = list(table.columns)
    count = 0
    for chunk in result.partitions():
        rows = [{c.key: row._mapping[c] for c in columns} for row in chunk]
        try:
            dst.execute(table.insert(), rows)
        except DBAPIError as exc:
            first = ", ".join(f"{c.key}={rows[0][c.key]!r}" for c in table.primary_key.columns)
            raise MigrationRefused(
                f"copying table {table.name} failed (复制目录表失败) in the {len(rows)} rows from "
                f"{first}: {_cause(exc)}; nothing was kept in the target (目标数据库未作任何改动), fix the "
                "cause and run the command again"
            ) from exc
        count += len(rows)
    return TableCopy(table.name, count)


def _reset_sequences(connection: Connection) -> None:
    """Each serial key's sequence continues after the largest copied id (the copy wrote ids itself)."""
    for table in Base.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        ).scalar()
        if sequence is None:
            continue
        largest = connection.execute(select(func.max(column))).scalar()
        connection.execute(
            text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
            {"sequence": sequence, "value": largest or 1, "called": largest is not None},
        )


def _refuse_if_source_moved(archive: Archive, copied_seq: int) -> None:
    head = archive.transaction(lambda s: s.get(AuditHead, 1), write=False)
    now = head.seq if head is not None else 0
    if now != copied_seq:
        raise MigrationRefused(
            f"the archive was written to during the copy (audit event {now} after {copied_seq}) "
            "(复制期间档案库有新的写入); stop the service, the watchers and other commands on this archive, "
            "then run the command again; nothing was kept in the target"
        )


def _verify_target(archive: Archive, url: str, actor: str) -> IntegrityReport:
    from dossier.archive.integrity import verify_archive

    catalog = {**archive.config.raw("catalog"), "url": url}
    config = Config(
        data={**archive.config.data, "catalog": catalog}, sources=(*archive.config.sources, "--to")
    )
    with Archive.open(archive.home, config=config) as moved:
        after = verify_archive(moved, actor=actor)
    if not after.ok:
        raise MigrationRefused(
            f"the copy in {db.redacted(url)} does not verify (复制后的目录校验未通过): "
            f"{_first_problem(after)}; "
            "keep [catalog].url as it is, drop and create the target database again, and report this"
        )
    return after


def _first_problem(report: IntegrityReport) -> str:
    if report.chain.problem is not None:
        return report.chain.problem.message
    summary: dict[str, Any] = report.summary()
    for key in ("missing", "changed", "unknown", "catalog", "pending", "pending_renditions"):
        if summary[key]:
            return f"{len(summary[key])} {key.replace('_', ' ')}: {summary[key][0]}"
    return "anchor problems"


def _cause(exc: DBAPIError) -> str:
    lines = str(exc.orig or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
