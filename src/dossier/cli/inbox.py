"""`dossier watch | quarantine list | quarantine assign`: the inbox watcher and what it set aside."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dossier.cli.archive import ActorOption, HomeOption, JsonFlag, default_actor, note_view, open_archive
from dossier.cli.args import BadArgument
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit
from dossier.errors import DossierError

quarantine_app = typer.Typer(
    help="Files the inbox watcher could not file: list them, assign them to a borrower.",
    no_args_is_help=True,
)


def watch(
    home: HomeOption = None,
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll",
            help="Scan the inbox every SECONDS instead of using file events (network shares).",
            metavar="SECONDS",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Take what is in the inbox now, then exit (tests, cron).")
    ] = False,
    standby: Annotated[
        bool,
        typer.Option(
            "--standby",
            help="If another watcher (on any host) runs on this archive, wait and take over when it stops.",
        ),
    ] = False,
) -> None:
    """File what is dropped into <home>/_inbox/ until stopped (Ctrl-C, SIGTERM).

    Drop files anywhere under _inbox/, or under _inbox/<borrower key>/[<category or type>/]. Each file is
    taken once complete, filed into its borrower's archive and made searchable, or moved to _quarantine/
    with a reason (see `dossier quarantine list`)."""
    from dossier.inbox.watcher import Watcher

    if poll is not None and poll <= 0:
        raise BadArgument("--poll", f"must be a positive number of seconds (须为正数): {poll}")
    _log_to_stderr()
    with open_archive(home, create_if_new=True) as archive:
        report = Watcher(archive, poll=poll, once=once, standby=standby).run()
    typer.echo(
        f"已归档 filed {report.filed}, 重复 duplicates {report.duplicates}, "
        f"隔离 quarantined {report.quarantined}, 退回 returned {report.returned}",
        err=True,
    )


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    for name in ("dossier.inbox", "watchdog"):
        logger = logging.getLogger(name)
        if not any(getattr(h, "_dossier_cli", False) for h in logger.handlers):
            handler._dossier_cli = True  # type: ignore[attr-defined]  # our mark, found again on reuse
            logger.addHandler(handler)
            logger.propagate = False
    logging.getLogger("dossier.inbox").setLevel(logging.INFO)


@quarantine_app.command("list")
def quarantine_list(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """Files waiting in _quarantine/, with the reason and what the watcher found out."""
    from dossier.inbox.quarantine import entries

    with open_archive(home) as archive:
        rows = entries(archive)
        note_view(archive, "quarantine", part="list")

    def human(c: Console) -> None:
        if not rows:
            c.print("隔离区为空 nothing in quarantine")
            return
        table = Table(title="隔离区 quarantine")
        for heading in ("id", "文件 file", "原因 reason", "说明 message", "时间 arrived"):
            table.add_column(heading)
        for r in rows:
            table.add_row(str(r.id), r.inbox_path, r.reason, r.message, r.arrived_at[:19])
        c.print(table)
        c.print("dossier quarantine assign ID --borrower KEY --type TYPE [--category C]")

    emit(rows, as_json, human)


@quarantine_app.command("assign")
def quarantine_assign(
    item: Annotated[int, typer.Argument(help="The id `dossier quarantine list` shows.")],
    borrower: Annotated[str, typer.Option("--borrower", help="Borrower key: ID number or credit code.")],
    doc_type: Annotated[str, typer.Option("--type", help="Document type (key or label).")],
    category: Annotated[
        str | None, typer.Option("--category", help="Archive category (default: the type's).")
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """File a quarantined file into a borrower's archive; it then leaves quarantine."""
    from dossier.archive.registry import normalize_key
    from dossier.domain.categories import get_category
    from dossier.domain.document_types import get_document_type
    from dossier.inbox.facts import FilingStatus
    from dossier.inbox.quarantine import assign

    for option, check, value in (
        ("--borrower", normalize_key, borrower),
        ("--type", get_document_type, doc_type),
        ("--category", get_category, category),
    ):
        if value is None:
            continue
        try:
            check(value, cli_config())
        except (DossierError, ValueError) as exc:
            raise BadArgument(option, str(exc)) from None
    with open_archive(home) as archive:
        result = assign(
            archive, item, borrower=borrower, doc_type=doc_type, category=category, actor=default_actor(actor)
        )
        _index(archive)
    payload: dict[str, Any] = {
        "item": item,
        "document_id": result.document_id,
        "status": result.status,
        "path": result.path,
        "sha256": result.sha256,
    }
    label = "重复 duplicate" if FilingStatus(result.status) is FilingStatus.DUPLICATE else "已归档 filed"
    emit(payload, as_json, lambda c: c.print(f"{label} #{result.document_id}: {result.path}"))


def _index(archive: Any) -> None:
    """Make the document searchable now, unless another process is indexing (then it waits its turn)."""
    try:
        from dossier.jobs.followups import index_soon

        index_soon(archive)
    except (DossierError, OSError) as exc:
        typer.echo(f"warning: not indexed yet (尚未建立索引): {exc}", err=True)
