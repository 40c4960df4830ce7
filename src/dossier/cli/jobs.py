"""`dossier worker` (work the job queue) and `dossier jobs` (list, show and retry job runs)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from dossier.cli.archive import ActorOption, HomeOption, default_actor, open_archive
from dossier.cli.args import BadArgument, positive_int
from dossier.cli.output import emit

if TYPE_CHECKING:
    from dossier.jobs.state import JobView

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
QUEUE_NAMES = ("ocr", "index", "render", "batch")

jobs_app = typer.Typer(
    help="Slow work run as jobs: list them (--failed: only the failed ones), show one, retry a failed one.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def worker(
    queues: Annotated[
        str, typer.Option("--queues", help="Comma-separated queues to work: ocr, index, render, batch.")
    ] = ",".join(QUEUE_NAMES),
    concurrency: Annotated[int, typer.Option("--concurrency", help="Jobs worked at the same time.")] = 1,
    home: HomeOption = None,
) -> None:
    """Work the job queue of a PostgreSQL catalog until SIGTERM (the job in hand finishes or is released).
    Runs on any host with the catalog URL ([catalog].url) and the shared archive folder (--home)."""
    positive_int("--concurrency", concurrency)
    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in chosen if q not in QUEUE_NAMES]
    if unknown or not chosen:
        raise BadArgument(
            "--queues",
            f"choose among {', '.join(QUEUE_NAMES)} (队列名称无效): {', '.join(unknown) or queues!r}",
        )
    from dossier.archive.catalog.db import is_postgresql
    from dossier.errors import DossierError
    from dossier.jobs.definitions import Queue
    from dossier.jobs.worker import run_worker

    with open_archive(home) as archive:
        if not is_postgresql(archive.engine):
            raise DossierError(
                "[catalog].url (目录数据库地址): `dossier worker` needs a PostgreSQL catalog; on the "
                "embedded default (SQLite) jobs run in the process that asks (嵌入式目录无需工作进程)"
            )
        run_worker(archive, [Queue(q) for q in chosen], concurrency)


@jobs_app.callback()
def jobs(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only jobs that ran out of attempts.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Job runs, newest first: kind, subject, status, progress, attempts, error."""
    if ctx.invoked_subcommand is not None:
        return
    positive_int("--limit", limit)
    from dossier.jobs.state import list_runs

    with open_archive(home) as archive:
        runs = list_runs(archive, failed=failed, limit=limit)
    emit([r.as_dict() for r in runs], as_json, lambda c: _print(c, runs))


@jobs_app.command("show")
def show(run_id: Annotated[int, typer.Argument(help="The job's id.")], home: HomeOption = None) -> None:
    """One job run as JSON: status, progress, attempts, error, result."""
    from dossier.jobs.state import view

    with open_archive(home) as archive:
        emit(view(archive, run_id).as_dict(), True, lambda c: None)


@jobs_app.command("retry")
def retry(
    run_id: Annotated[int, typer.Argument(help="The failed job's id.")],
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Try a failed job again (an audit event). On the embedded default it runs now; on the queue a worker
    takes it. Exit 1 if it failed again here."""
    from dossier.jobs.definitions import JobStatus
    from dossier.jobs.dispatch import retry as retry_run

    with open_archive(home) as archive:
        status = retry_run(archive, run_id, default_actor(actor))
    emit(
        {"id": run_id, "status": status.value},
        as_json,
        lambda c: c.print(f"job {run_id}: {status.value}", markup=False),
    )
    if status is JobStatus.FAILED:
        raise typer.Exit(1)


@jobs_app.command("start")
def start(
    kind: Annotated[str, typer.Argument(help="volume, export or reindex.")],
    borrower: Annotated[
        str | None, typer.Option("--borrower", help="Borrower key or name (volume, export).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The file to write (volume: *.pdf, export: *.zip).")
    ] = None,
    loan: Annotated[str | None, typer.Option("--loan", help="Only this loan's volume.")] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Start a volume, an export or a full reindex as a job: on the queue when workers serve it, else here
    and now. Prints the job's id (follow it with `dossier jobs show ID`)."""
    kinds = ("volume", "export", "reindex")
    if kind not in kinds:
        raise BadArgument("KIND", f"choose volume, export or reindex (任务种类无效): {kind!r}")
    params: dict[str, object] = {}
    if kind != "reindex":
        if not borrower or output is None:
            raise BadArgument(
                "--borrower/--output", f"{kind} needs --borrower and --output (需指定借款人和输出文件)"
            )
        params = {"borrower": borrower, "output": str(output.expanduser().absolute()), "loan": loan}
    from dossier.jobs.definitions import JobKind
    from dossier.jobs.dispatch import start as start_job
    from dossier.jobs.state import view

    with open_archive(home) as archive:
        run = view(archive, start_job(archive, JobKind(kind), params, default_actor(actor)))
    emit(run.as_dict(), as_json, lambda c: c.print(f"job {run.id} ({run.kind}): {run.status}", markup=False))
    if run.status == "failed":
        raise typer.Exit(1)


def _print(console: Console, runs: list[JobView]) -> None:
    if not runs:
        console.print("no jobs (没有任务)")
        return
    table = Table("id", "kind", "subject", "status", "progress", "tries", "error")
    for r in runs:
        progress = f"{r.done}/{r.total}" if r.total else ""
        table.add_row(str(r.id), r.kind, r.subject, r.status, progress, str(r.attempts), (r.error or "")[:80])
    console.print(table)
