"""`dossier catalog status | upgrade | migrate`: where the catalog is, its schema, moving it to a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from dossier.cli.archive import ActorOption, HomeOption, JsonFlag, default_actor, open_archive
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit

app = typer.Typer(
    help="The catalog (目录数据库): its state, its schema, moving it to PostgreSQL.", no_args_is_help=True
)


def _engine_for(home: Path | None) -> tuple[str, Any]:
    """The configured catalog's URL and an engine for it, without opening (or migrating) the archive."""
    from dossier.archive.catalog import db
    from dossier.archive.home import CatalogUnavailable, catalog_settings, resolve_home

    url, pool = catalog_settings(resolve_home(home), cli_config())
    try:
        return url, db.make_engine(url, pool)
    except Exception as exc:  # a URL SQLAlchemy cannot read or whose driver is missing
        raise CatalogUnavailable(url, exc) from exc


@app.command("status")
def status(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """The catalog's URL (no password), backend, schema revision against this dossier's, and whether it
    answers. Exit 0 when it answers at this dossier's revision, 1 otherwise. Nothing is migrated."""
    from dossier.archive.catalog import db
    from dossier.archive.catalog.probe import probe

    url, engine = _engine_for(home)
    try:
        found = probe(engine)
    finally:
        engine.dispose()
    payload: dict[str, Any] = {
        "url": db.redacted(url),
        "backend": found.backend,
        "reachable": found.reachable,
        "revision": found.revision,
        "head": found.head,
        "state": found.state,
        "error": found.error,
    }

    def human(c: Console) -> None:
        c.print(f"目录数据库 catalog: {payload['url']} ({found.backend})")
        if not found.reachable:
            c.print(f"无法连接 unreachable ([catalog].url): {found.error}")
            return
        c.print(
            f"结构版本 schema revision: {found.revision or 'none'} (this dossier: {found.head}) — "
            f"{found.state.value}"
        )

    emit(payload, as_json, human)
    if not found.ready:
        raise typer.Exit(1)


@app.command("upgrade")
def upgrade(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """Run the catalog's migrations now (opening the archive runs them too; this does it explicitly, e.g.
    before starting the nodes of a new version). One node migrates while the others wait."""
    from sqlalchemy.exc import DBAPIError

    from dossier.archive.catalog import db
    from dossier.archive.home import STATE, CatalogUnavailable, resolve_home
    from dossier.locks import AdvisoryLocks, FileLocks, Locks

    url, engine = _engine_for(home)
    locks: Locks = (
        AdvisoryLocks(engine) if db.is_postgresql(engine) else FileLocks(resolve_home(home) / STATE / "state")
    )
    try:
        before = db.current_revision(engine)
        ran = db.upgrade(engine, locks)
    except DBAPIError as exc:
        raise CatalogUnavailable(url, exc) from exc
    finally:
        engine.dispose()
    payload = {"url": db.redacted(url), "from": before, "to": db.HEAD, "migrated": ran}
    emit(
        payload,
        as_json,
        lambda c: c.print(
            f"已升级 upgraded {payload['url']}: {before or 'empty'} → {db.HEAD}"
            if ran
            else f"已是最新 already at {db.HEAD}: {payload['url']}"
        ),
    )


@app.command("migrate")
def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to", help="An empty PostgreSQL database: postgresql+psycopg://user:password@host/database."
        ),
    ],
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Copy this archive's catalog into an empty PostgreSQL database, verifying the archive before and the
    copy after; all in one transaction, so a failure leaves the target empty. Stop the service first."""
    from dossier.archive.catalog_transfer import migrate_catalog

    with open_archive(home) as archive:
        report = migrate_catalog(archive, to, actor=default_actor(actor))
    payload = {
        "source": report.source,
        "target": report.target,
        "tables": {t.table: t.rows for t in report.tables},
        "rows": report.rows,
        "events": report.events,
        "documents": report.documents,
        "files": report.files,
        "next": {"catalog.url": report.target},
    }

    def human(c: Console) -> None:
        c.print(
            f"已迁移 copied {report.rows} rows in {len(report.tables)} tables: "
            f"{report.source} → {report.target}"
        )
        c.print(
            f"校验通过 verified: the audit chain ({report.events} events), {report.documents} documents and "
            f"{report.files} files match in the new catalog"
        )
        c.print(
            "下一步 next: set the catalog in your configuration file (with the password), then start dossier:"
        )
        c.print(f'  [catalog]\n  url = "{report.target}"')
        c.print("The old catalog is left as it was; do not file into it any more.")

    emit(payload, as_json, human)
