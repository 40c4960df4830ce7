"""`dossier completeness | export | retention | hold | settle`: reviewing a credit archive."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dossier.cli.archive import ActorOption, HomeOption, JsonFlag, default_actor, note_view, open_archive
from dossier.cli.args import BadArgument, day
from dossier.cli.output import emit
from dossier.errors import DossierError

if TYPE_CHECKING:
    # The archive and its reviews are imported by each command when it runs.
    from sqlalchemy.orm import Session

    from dossier.archive import Archive
    from dossier.archive.completeness import CompletenessResult, PortfolioSummary
    from dossier.archive.completeness.snapshot import BorrowerSnapshot

AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Review date, e.g. 2026-03-31 (default: today).")
]

# Keyed by ItemStatus's values (a StrEnum, so its members find them).
_STYLE = {
    "present": "green",
    "missing": "bold red",
    "expired": "yellow",
    "overdue": "magenta",
    "not-due": "dim",
    "not-applicable": "dim",
    "unverified": "bold yellow",
}


def _as_of(value: str | None) -> date:
    return day("--as-of", value) if value else date.today()


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _snapshot(archive: Archive, borrower: str) -> BorrowerSnapshot:
    from dossier.archive.completeness.snapshot import load_snapshot
    from dossier.archive.export import find_borrower_by_key_or_name

    def read(session: Session) -> BorrowerSnapshot:
        try:
            row = find_borrower_by_key_or_name(session, borrower, archive)
        except DossierError as exc:
            raise BadArgument("BORROWER", str(exc)) from None
        return load_snapshot(session, row.key)

    return archive.transaction(read, write=False)


# --------------------------------------------------------------------------- completeness


def completeness(
    borrower: Annotated[
        str | None, typer.Argument(help="Borrower key or exact name; without it, the portfolio summary.")
    ] = None,
    as_of: AsOfOption = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the report as one self-contained HTML file.")
    ] = None,
    officer: Annotated[
        str | None, typer.Option("--officer", help="Portfolio: only this officer's loans.")
    ] = None,
    product: Annotated[
        str | None, typer.Option("--product", help="Portfolio: only loans of this product.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Each loan's checklist items as present, missing, expired or overdue; without BORROWER, counts per
    status over all files, worst first."""
    from dossier.archive.completeness import evaluate, load_checklists, summarize
    from dossier.archive.completeness.report_html import borrower_report_html, portfolio_report_html
    from dossier.archive.completeness.snapshot import load_snapshots

    if as_json and html is not None:
        raise BadArgument("--html", "give either --json or --html, not both (二者只能选一)")
    if borrower is not None and (officer or product):
        raise BadArgument("--officer", "--officer and --product filter the portfolio, not one borrower")
    when = _as_of(as_of)
    with open_archive(home) as archive:
        checklists = load_checklists(archive.config)
        if borrower is not None:
            snapshot = _snapshot(archive, borrower)
            note_view(archive, f"borrower:{snapshot.key}", borrower_key=snapshot.key, part="completeness")
            result = evaluate(snapshot, checklists, when, config=archive.config)
            if html is not None:
                _write_html(html, borrower_report_html(result))
                return
            emit(result, as_json, lambda c: _print_borrower(c, result))
            return
        snapshots = archive.transaction(load_snapshots, write=False)
        note_view(archive, "portfolio", part="completeness")
        results = [evaluate(s, checklists, when, config=archive.config) for s in snapshots]
    summary = summarize(results, officer=officer, product=product, as_of=when)
    if html is not None:
        _write_html(html, portfolio_report_html(summary))
        return
    emit(summary, as_json, lambda c: _print_portfolio(c, summary))


def _write_html(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise BadArgument("--html", f"folder not found (目录不存在): {path.parent}")
    path.write_text(text, encoding="utf-8")
    typer.echo(f"报告已写入 report written: {path}")


def _counts_line(counts: dict[str, int]) -> str:
    from dossier.archive.completeness import ItemStatus

    return "  ".join(f"{ItemStatus(k).label} {v}" for k, v in counts.items())


def _print_borrower(c: Console, result: CompletenessResult) -> None:
    hold = "  [bold red]法律冻结 legal hold[/]" if result.legal_hold else ""
    c.print(f"[bold]{result.borrower_name}[/] ({result.borrower_key})  检查基准日 as of {result.as_of}{hold}")
    if not result.loans:
        c.print("该借款人名下没有登记贷款 no loans registered")
    for loan in result.loans:
        inferred = "（按客户类型推定）" if loan.product_inferred else ""
        title = (
            f"合同 {loan.contract_number} · {loan.checklist_product_label}{inferred} · "
            f"{'、'.join(loan.guarantee_labels) or '—'}"
        )
        table = Table(title=title, title_justify="left")
        for heading in ("阶段", "文件", "状态", "文件日期", "基准日", "有效至", "应检查日", "文档", "说明"):
            table.add_column(heading)
        for item in loan.items:
            anchor = f"{item.anchor} {item.anchor_date}" if item.anchor_date else ""
            table.add_row(
                item.stage_label,
                item.label,
                f"[{_STYLE[item.status]}]{item.status_label}[/]",
                _iso(item.document_date),
                anchor,
                _iso(item.expires_on),
                _iso(item.due_date),
                ", ".join(str(i) for i in item.document_ids),
                item.note or "",
            )
        c.print(table)
        c.print(_counts_line(loan.counts))


def _print_portfolio(c: Console, summary: PortfolioSummary) -> None:
    c.print(
        f"档案 {summary.borrowers} 户，贷款 {summary.loans} 笔，检查基准日 as of {summary.as_of}\n"
        + _counts_line(summary.counts)
    )
    table = Table(title="问题档案（问题多者在前）worst files first", title_justify="left")
    for heading in ("借款人", "标识 key", "客户经理", "贷款", "产品", "缺失", "已失效", "已逾期", "问题合计"):
        table.add_column(heading)
    for f in summary.files:
        table.add_row(
            f.borrower_name + (" [red](冻结)[/]" if f.legal_hold else ""),
            f.borrower_key,
            f.officer or "",
            str(f.loans),
            "、".join(f.products),
            str(f.counts["missing"]),
            str(f.counts["expired"]),
            str(f.counts["overdue"]),
            str(f.score),
        )
    c.print(table)


# --------------------------------------------------------------------------- export


def export(
    borrower: Annotated[str, typer.Argument(help="Borrower key (ID number or credit code) or exact name.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The zip file to write (outside the home).")],
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Export the borrower's credit file as a zip: documents in archive order, manifest with SHA-256 of
    every file, the borrower's audit events, and a README on verifying it offline."""
    from dossier.archive.export import export_borrower

    if output.suffix.lower() != ".zip":
        raise BadArgument(
            "--output", f"the export is a zip file; name it *.zip (导出文件应为 .zip): {output}"
        )
    with open_archive(home) as archive:
        result = export_borrower(archive, borrower, output, actor=default_actor(actor), overwrite=force)
    emit(
        result,
        as_json,
        lambda c: c.print(
            f"已导出 exported {result.borrower_name} ({result.borrower_key}): {result.documents} 份文档, "
            f"{result.files} 个文件, {result.events} 条审计事件 → {result.path} "
            f"(export event #{result.event_seq})"
        ),
    )


# --------------------------------------------------------------------------- retention


def retention(as_of: AsOfOption = None, home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """List documents past their retention period (counted from 1 January after settlement). Nothing is
    ever deleted; documents under a legal hold are shown as held."""
    from dossier.archive.retention import retention_report

    when = _as_of(as_of)
    with open_archive(home) as archive:
        report = retention_report(archive, when)
    payload: dict[str, Any] = {
        "as_of": report.as_of,
        "past_retention": len(report.documents),
        "held": report.held,
        "may_be_destroyed": report.may_be_destroyed,
        "documents": [
            {**dataclasses.asdict(d), "may_be_destroyed": d.may_be_destroyed} for d in report.documents
        ],
    }

    def human(c: Console) -> None:
        c.print(
            f"检查基准日 as of {when}: {len(report.documents)} 份文档已过保管期限 past retention, "
            f"其中 {report.held} 份法律冻结 held; 系统不会自动删除任何文件 nothing is deleted automatically"
        )
        if not report.documents:
            return
        table = Table()
        for heading in ("id", "借款人", "合同编号", "类型", "标题", "结清日", "保管至", "年限", "法律冻结"):
            table.add_column(heading)
        for d in report.documents:
            table.add_row(
                str(d.document_id),
                f"{d.borrower_name} ({d.borrower_key})",
                d.loan or "",
                d.doc_type_label,
                d.title,
                _iso(d.settled_on),
                _iso(d.keep_until),
                str(d.years),
                "[bold red]冻结 " + ", ".join(d.hold_on) + "[/]" if d.legal_hold else "",
            )
        c.print(table)

    emit(payload, as_json, human)


# --------------------------------------------------------------------------- hold and settle


def hold(
    borrower: Annotated[str, typer.Argument(help="Borrower key (ID number or credit code).")],
    loan: Annotated[str | None, typer.Option("--loan", help="Hold only this loan (contract number).")] = None,
    release: Annotated[
        bool, typer.Option("--release", help="Release the hold instead of setting it.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, for the audit log (e.g. a case number).")
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Set (or --release) a legal hold on a borrower or one loan: held documents must not be destroyed."""
    from dossier.archive.retention import set_legal_hold

    with open_archive(home) as archive:
        change = set_legal_hold(
            archive, borrower, loan=loan, hold=not release, reason=reason, actor=default_actor(actor)
        )
    state = "法律冻结 legal hold set" if change.legal_hold else "已解除冻结 legal hold released"
    note = "" if change.changed else "（无变化 unchanged）"
    emit(change, as_json, lambda c: c.print(f"{change.target}: {state}{note}"))


def settle(
    borrower: Annotated[str, typer.Argument(help="Borrower key (ID number or credit code).")],
    loan: Annotated[str, typer.Option("--loan", help="Contract number of the settled loan.")],
    settled_on: Annotated[str, typer.Option("--date", help="Settlement (结清/核销) date, e.g. 2026-03-31.")],
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a loan's settlement date (结清/核销), from which its retention period counts."""
    from dossier.archive.retention import settle_loan

    when = day("--date", settled_on)
    with open_archive(home) as archive:
        changed = settle_loan(archive, borrower, loan, when, actor=default_actor(actor))
    payload = {"borrower": borrower, "loan": loan, "settled_on": when, "changed": changed}
    note = "" if changed else "（无变化 unchanged）"
    emit(payload, as_json, lambda c: c.print(f"贷款 {loan} 结清日 settled on {when}{note}"))
