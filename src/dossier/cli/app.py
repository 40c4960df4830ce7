"""The `dossier` command line: one typer app, one module per command group."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Annotated

import typer

from dossier import __version__
from dossier.cli import applications as applications_cli
from dossier.cli import archive, calc, check, demo, diligence, documents, ledger, review, service, templates
from dossier.cli import catalog as catalog_cli
from dossier.cli import custody as custody_cli
from dossier.cli import inbox as inbox_cli
from dossier.cli import jobs as jobs_cli
from dossier.cli import search as search_cli
from dossier.cli import volume as volume_cli
from dossier.cli.args import BadArgument
from dossier.cli.configuration import ConfigSource
from dossier.errors import DossierError

# Spelled out, not imported: importing dossier.config would load pydantic on every start.
ENV_CONFIG = "DOSSIER_CONFIG"

app = typer.Typer(
    name="dossier",
    help="dossier: credit documents generated, filed, searched and reviewed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(calc.app, name="calc")
# `dossier check id|uscc` validates identifiers; `dossier repair` alone is the old name of `dossier repair`,
# kept as an alias that says so.
app.add_typer(
    check.app,
    name="check",
    callback=archive.check_alias,
    invoke_without_command=True,
    no_args_is_help=False,
    help="Validate an identifier (id, uscc). Alone: the old name of `dossier repair`.",
)
app.add_typer(archive.audit_app, name="audit")
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(templates.app, name="templates")
app.command("kinds")(documents.kinds)
app.command("example")(documents.example)
app.command("schema")(documents.schema)
app.command("generate")(documents.generate)
app.command("demo")(demo.demo)
app.command("init")(archive.init)
app.command("repair")(archive.repair)
app.command("ingest")(archive.ingest)
app.command("borrowers")(archive.borrowers)
app.command("docs")(archive.docs)
app.command("completeness")(review.completeness)
app.command("export")(review.export)
app.command("retention")(review.retention)
app.command("hold")(review.hold)
app.command("settle")(review.settle)
app.command("search")(search_cli.search)
app.command("index")(search_cli.index)
app.command("reindex")(search_cli.reindex)
app.command("volume")(volume_cli.volume)
app.command("watch")(inbox_cli.watch)
app.add_typer(inbox_cli.quarantine_app, name="quarantine")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(ledger.report_app, name="report")
app.add_typer(service.users_app, name="users")
app.add_typer(service.tokens_app, name="tokens")
app.add_typer(jobs_cli.jobs_app, name="jobs")
app.command("worker")(jobs_cli.worker)
# Commands of the portfolio, diligence and service modules register themselves on `app` below.
ledger.register(app)
diligence.register(app)
service.register(app)
applications_cli.register(app)
custody_cli.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dossier {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A TOML file overriding the shipped rule tables.", envvar=ENV_CONFIG),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    # Resolved here, once (typer reads $DOSSIER_CONFIG when --config is absent), and passed down through
    # the context: every command takes it with cli_config() and hands it to the core.
    source = ConfigSource(config)
    ctx.obj = source
    if config is not None:
        source.get()  # a named file that is missing or broken fails before the command starts


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with one line naming the argument and exit code 2."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="dossier", standalone_mode=False)
    except BadArgument as exc:
        _fail(f"{exc.name}: {exc.problem}")
        return 2
    except typer.TyperException as exc:
        # Usage errors (exit code 2) and other parser errors, on one line with a pointer to --help.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        _fail(exc.format_message() + hint)
        return exc.exit_code
    except typer.Abort:
        _fail("aborted (已取消)")
        return 130
    except DossierError as exc:
        _fail(str(exc))
        return 2
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # The filing steps clean up after themselves (the temporary copy is removed, no row is kept),
        # so a full disk is an answer to give in one line, not a crash to show.
        where = f" ({exc.filename})" if exc.filename else ""
        _fail(
            f"the disk is full (磁盘空间不足){where}: {exc.strerror}; "
            "free some space and run the command again"
        )
        return 2
    except Exception as exc:
        refusal = _catalog_refusal(exc)
        if refusal is None:
            raise
        _fail(refusal)
        return 2
    return code if isinstance(code, int) else 0


CATALOG_REFUSALS = ("08", "28", "53", "57P", "42501")
"""SQLSTATE classes of a catalog that went away or says no: connection, authorization, insufficient
resources, operator intervention (a shutdown), and a missing privilege."""


def _catalog_refusal(exc: BaseException) -> str | None:
    """A database error that left a command after the archive opened (a connection lost, a table the
    role may not read): one line naming the setting and the cause, as at start-up, instead of a traceback.
    Other database errors (a constraint, a bug) keep their traceback."""
    # Asked of sys.modules, not imported: an error from SQLAlchemy means SQLAlchemy is loaded already.
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.DBAPIError):
        return None
    state = str(getattr(exc.orig, "sqlstate", None) or "")
    lost = isinstance(exc, sqlalchemy_exc.OperationalError) or exc.connection_invalidated
    if not lost and not state.startswith(CATALOG_REFUSALS):
        return None
    lines = str(exc.orig or exc).strip().splitlines()
    cause = lines[0] if lines else type(exc).__name__
    return (
        "[catalog].url (目录数据库地址): the catalog refused or lost the command "
        f"(目录数据库拒绝或中断了操作): {cause}"
    )


def _fail(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def run() -> None:
    sys.exit(main())
