"""`dossier ledger import`, `dossier due`, `dossier notices`, `dossier report` (portfolio monitoring)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dossier.cli.archive import (
    ActorOption,
    HomeOption,
    default_actor,
    make_searchable,
    note_view,
    open_archive,
)
from dossier.cli.args import BadArgument, day, positive_int, read
from dossier.cli.output import emit

if TYPE_CHECKING:
    # The ledger (the catalog, generation, openpyxl, matplotlib for the report) is imported by each
    # command when it runs.
    from dossier.ledger.notices import NoticeOutcome

ledger_app = typer.Typer(help="The loan ledger (贷款台账).", no_args_is_help=True)
report_app = typer.Typer(help="Portfolio reports (月报 / 旬报).", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day to compute for, YYYY-MM-DD (default: today).")
]


def _as_of(value: str | None) -> date:
    return date.today() if value is None else day("--as-of", value)


@ledger_app.command("import")
def ledger_import(
    file: Annotated[Path, typer.Argument(help="The ledger, .csv or .xlsx; Chinese or English headers.")],
    as_of: AsOfOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Import the branch's loans: each row validated, bad rows reported by line and column, the others
    imported; importing again updates loans by contract number. Exit 0, or 2 if any row was rejected."""
    from dossier.ledger.importer import import_ledger
    from dossier.ledger.readers import LedgerFileError

    when = _as_of(as_of)
    with open_archive(home, create_if_new=True) as archive:
        try:
            report = import_ledger(archive, file, as_of=when, actor=default_actor(actor))
        except LedgerFileError as exc:
            raise BadArgument("FILE", str(exc)) from None

    def human(c: Console) -> None:
        c.print(
            f"{report.source}: {report.rows} 行 rows — 新增 added {len(report.added)}, "
            f"更新 updated {len(report.updated)}, 未变 unchanged {len(report.unchanged)}, "
            f"拒绝 rejected {len(report.rejected_lines)}"
        )
        err = Console(stderr=True, highlight=False)
        for problem in report.problems:
            err.print(f"  ✗ {problem}", markup=False)

    emit(report.as_dict(), as_json, human)
    if report.problems:
        raise typer.Exit(2)


def due(as_of: AsOfOption = None, home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """What is due on a day: reminders, the two-month look-ahead, overdue loans and their class floor,
    inspections, limitation and guarantee periods ending soon."""
    from dossier.ledger.due import (
        SECTION_DATE_LABELS,
        SECTION_LABELS,
        SECTION_PAST_LABELS,
        SECTIONS,
        compute_due,
    )
    from dossier.ledger.store import load_views

    when = _as_of(as_of)
    with open_archive(home) as archive:
        views = archive.transaction(lambda s: load_views(s, with_contacts=True), write=False)
        report = compute_due(views, when, archive.config)
        note_view(archive, "ledger", part="due", as_of=when.isoformat())

    def human(c: Console) -> None:
        c.print(f"截至 as of {when.isoformat()}: {len(views)} 笔贷款 loans in the ledger")
        for name in SECTIONS:
            items = report.section(name)
            if not items:
                continue
            table = Table(title=f"{SECTION_LABELS[name]} ({name}) — {len(items)}")
            # Contract numbers and notes fold rather than end in "…": a cut number cannot be looked up.
            table.add_column("合同编号", overflow="fold")
            table.add_column("借款人", overflow="fold")
            table.add_column(SECTION_DATE_LABELS[name], no_wrap=True)
            table.add_column("剩余天数", justify="right", no_wrap=True)
            table.add_column(SECTION_PAST_LABELS.get(name, "逾期天数"), justify="right", no_wrap=True)
            table.add_column("状态", overflow="fold")
            table.add_column("说明", overflow="fold")
            for item in items:
                left, late = item.days_left, item.days_late
                table.add_row(
                    item.contract_number,
                    item.borrower_name,
                    item.on.isoformat(),
                    "" if left is None else str(left),
                    "" if late is None else str(late),
                    item.status.label,
                    item.notes(),
                )
            c.print(table)

    emit(report.as_dict(), as_json, human)


def notices(
    as_of: AsOfOption = None,
    kinds: Annotated[
        str | None,
        typer.Option(
            "--kinds",
            help="Comma-separated: reminder, collection, collection-plan (default: ledger.notice_kinds).",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", help="Worker processes.")] = 1,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Generate every notice that is due and not yet sent, file each into its borrower's archive and
    print a summary; a second run the same day generates nothing. Exit 0, or 1 if any notice failed."""
    from dossier.ledger.notices import parse_kinds, plan_notices, send_notices
    from dossier.ledger.settings import ledger_settings

    when = _as_of(as_of)
    positive_int("--jobs", jobs, maximum=64)
    with open_archive(home) as archive:
        chosen = read(
            "--kinds",
            kinds or "",
            lambda t: parse_kinds(t or None, ledger_settings(archive.config).notice_kinds),
        )
        plan = plan_notices(archive, when, chosen)
        who = default_actor(actor)
        from dossier.jobs.dispatch import is_queue

        if is_queue(archive):  # a server catalog: slices of the batch go to the workers' queue
            from dossier.jobs.dispatch import submit_batch

            runs = submit_batch(archive, when, chosen, who)
            queued = {"as_of": when.isoformat(), "pending": plan.total, "jobs": runs}
            emit(queued, as_json, lambda c: c.print(f"{plan.total} notices in {len(runs)} jobs: {runs}"))
            return
        show_bar = not as_json and plan.total > 0 and sys.stderr.isatty()
        if show_bar:
            with Progress(
                TextColumn("生成通知 notices"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            ) as bar:
                task = bar.add_task("notices", total=plan.total)

                def advance(_: NoticeOutcome) -> None:
                    bar.advance(task)

                report = send_notices(archive, plan, jobs=jobs, actor=who, progress=advance)
        else:
            report = send_notices(archive, plan, jobs=jobs, actor=who)
        if any(o.document_id for o in report.outcomes):
            make_searchable(archive)
    summary = report.summary()
    payload = {
        "as_of": when.isoformat(),
        "summary": summary,
        "notices": [
            {
                "kind": o.kind,
                "contract_number": o.contract_number,
                "event": o.event,
                "status": o.status,
                "document_id": o.document_id,
                "errors": o.errors,
            }
            for o in report.outcomes
        ],
    }

    def human(c: Console) -> None:
        table = Table(title=f"通知 notices, as of {when.isoformat()}")
        for heading in ("kind", "生成 generated", "补登 adopted", "已发 sent", "失败 failed"):
            table.add_column(heading)
        for kind, row in summary.items():
            table.add_row(kind, *(str(row[k]) for k in ("generated", "adopted", "already_sent", "failed")))
        c.print(table)
        err = Console(stderr=True, highlight=False)
        for o in report.failed:
            err.print(f"  ✗ {o.kind} {o.contract_number}: {'; '.join(o.errors)}", markup=False)

    emit(payload, as_json, human)
    if report.failed:
        raise typer.Exit(1)


@report_app.command("monthly")
def report_monthly(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    dekad: Annotated[
        int | None, typer.Option("--dekad", help="1, 2 or 3: the 上旬, 中旬 or 下旬 of the month only.")
    ] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the DOCX and XLSX.")] = Path("out"),
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The month's (or 旬's) portfolio report as DOCX and XLSX: counts and balances by class, overdue
    buckets, recovery rate of loans due in the period, inspections done against due, two charts."""
    from dossier.ledger.report import build_report
    from dossier.ledger.report.periods import parse_period

    period = read("--month", month, parse_period)
    if dekad is not None:
        period = read("--dekad", str(dekad), lambda _: parse_period(month, dekad))
    with open_archive(home) as archive:
        result = build_report(archive, period, out)

    def human(c: Console) -> None:
        c.print(f"{period.label}: {result.docx} , {result.xlsx}")
        totals = result.figures.totals
        c.print(
            f"  贷款 loans {totals.loans}, 余额 balance {totals.balance}, 逾期 overdue {totals.overdue_loans}"
        )

    emit(
        {"period": period.label, "docx": result.docx, "xlsx": result.xlsx, **result.figures.as_dict()},
        as_json,
        human,
    )


def register(app: typer.Typer) -> None:
    """Adds this module's top-level commands to the `dossier` app."""
    app.command("due")(due)
    app.command("notices")(notices)
