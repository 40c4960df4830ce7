"""`dossier verify-doc` and `dossier diligence` (due diligence you can prove)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dossier.cli.archive import (
    ActorOption,
    HomeOption,
    JsonFlag,
    default_actor,
    make_searchable,
    open_archive,
)
from dossier.cli.args import BadArgument, day, positive_int
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit
from dossier.domain.dates import InvalidDate
from dossier.errors import DossierError

if TYPE_CHECKING:
    # Verification (the archive, media, the report) is imported by each command when it runs.
    from dossier.verification import Report, VerificationRecord


def register(app: typer.Typer) -> None:
    """Adds this module's top-level commands to the `dossier` app."""
    app.command("verify-doc")(verify_doc)
    app.command("diligence")(diligence)


# --------------------------------------------------------------------------- verify-doc


def _when(value: str) -> datetime | date:
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("/", "-")) if (":" in text) else day("--at", text)
    except ValueError:
        raise BadArgument(
            "--at", f"not a date or time (应为日期或时间，如 2026-03-20 14:30): {value!r}"
        ) from None
    except InvalidDate as exc:
        raise BadArgument("--at", str(exc)) from None


def _choice(option: str, enum: Any, value: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise BadArgument(option, f"unknown value {value!r}; accepted (可选): {enum.accepted()}") from None


def verify_doc(
    document_id: Annotated[
        int, typer.Argument(metavar="DOC_ID", help="The checked document's id (`dossier docs`).")
    ],
    method: Annotated[
        str,
        typer.Option("--method", help="原件核对 / 上门核实 / 电话核实 / 系统查询 / 第三方核实 (or English)."),
    ],
    result: Annotated[str, typer.Option("--result", help="一致 / 不一致 / 无法核实 (consistent / …).")],
    evidence: Annotated[
        list[Path] | None,
        typer.Option("--evidence", help="Evidence file (photo, recording, screenshot); repeat."),
    ] = None,
    evidence_doc: Annotated[
        list[int] | None,
        typer.Option(
            "--evidence-doc", help="A document already filed (e.g. by the inbox) as evidence; repeat."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Remarks (备注).")] = None,
    with_people: Annotated[
        list[str] | None,
        typer.Option("--with", help="Another person present; repeat (site visits need one)."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="When the check took place, e.g. '2026-03-20 14:30' (local time)."),
    ] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where (核实地点).")] = None,
    corrects: Annotated[int | None, typer.Option("--corrects", help="The record this one corrects.")] = None,
    aspect: Annotated[
        str | None,
        typer.Option("--aspect", help="真实性 / 实物/现场状况 / 权属 / 当事人确认 (default by method)."),
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a verification (核实记录) of a filed document, with its evidence filed beside it."""
    from dossier.verification import VerificationError, record_verification
    from dossier.verification.enums import Aspect, Method, Result

    positive_int("DOC_ID", document_id)
    how = _choice("--method", Method, method)
    found = _choice("--result", Result, result)
    what = _choice("--aspect", Aspect, aspect) if aspect else None
    claimed = _when(at) if at else None
    if corrects is not None:
        positive_int("--corrects", corrects)
    files = list(evidence or [])
    for path in files:
        if not path.is_file():
            raise BadArgument("--evidence", f"file not found (文件不存在): {path}")
    with open_archive(home) as archive:
        try:
            record = record_verification(
                archive,
                document_id,
                how,
                found,
                default_actor(actor),
                evidence_paths=files,
                with_people=list(with_people or []),
                claimed_at=claimed,
                place=place,
                note=note,
                corrects=corrects,
                aspect=what,
                evidence_documents=[positive_int("--evidence-doc", d) for d in evidence_doc or []],
            )
        except VerificationError as exc:
            raise BadArgument(_option_of(str(exc)), str(exc).split(": ", 1)[-1]) from None
        if record.evidence:
            make_searchable(archive)
    emit(record.to_dict(), as_json, lambda c: _print_record(c, record))


_FIELDS = {
    "with": "--with",
    "claimed time": "--at",
    "corrects": "--corrects",
    "note": "--note",
    "place": "--place",
    "evidence (证据文档)": "--evidence-doc",
    "evidence": "--evidence",
    "document": "DOC_ID",
    "actor": "--actor",
    "method": "--method",
    "result": "--result",
    "aspect": "--aspect",
}


def _option_of(message: str) -> str:
    """The option a core message names first (``with (同行人员): …`` is about --with)."""
    for field in sorted(_FIELDS, key=len, reverse=True):
        if message.startswith(field):
            return _FIELDS[field]
    return "DOC_ID"


def _print_record(c: Console, record: VerificationRecord) -> None:
    from dossier.verification.settings import verification_settings

    zone = verification_settings(cli_config()).local_zone
    c.print(
        f"核实记录 第{record.id}号 record {record.id}: 文档 {record.document_id} {record.document_title} — "
        f"{record.method.label}，{record.result.label}（{'、'.join(record.people)}）",
        markup=False,
    )
    if record.claimed_at is not None:
        c.print(f"  核实时间 claimed: {record.claimed_at.astimezone(zone):%Y-%m-%d %H:%M}", markup=False)
    c.print(f"  记录时间 recorded: {record.recorded_at.astimezone(zone):%Y-%m-%d %H:%M:%S}", markup=False)
    if record.corrects is not None:
        c.print(f"  更正第{record.corrects}号记录 corrects record {record.corrects}", markup=False)
    for ref in record.evidence:
        c.print(f"  证据 evidence: 文档 {ref.document_id} {ref.path} sha256 {ref.sha256[:16]}…", markup=False)


# --------------------------------------------------------------------------- diligence


def diligence(
    borrower: Annotated[str, typer.Argument(help="Borrower key: ID number or credit code.")],
    loan: Annotated[str | None, typer.Option("--loan", help="One loan's contract number.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the printable report (HTML) here.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Review date (default: today).")] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Check a report saved with --json against the archive instead."),
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The due-diligence report of a borrower's file or one loan: every required verification with who,
    how, when and the evidence, every filing, notice and receipt, in time order; its fingerprint is
    appended to the audit chain."""
    from dossier.verification import diligence_report, record_report

    review_day = day("--as-of", as_of) if as_of else None
    if check is not None:
        _check(borrower, check, home, as_json)
        return
    with open_archive(home) as archive:
        try:
            report = diligence_report(archive, borrower, loan, as_of=review_day)
        except DossierError as exc:
            message = str(exc)
            option = "--loan" if message.startswith("loan (") else "BORROWER"
            raise BadArgument(option, message.split(": ", 1)[-1]) from None
        issued = record_report(archive, report, default_actor(actor))
    if html is not None:
        html.write_text(report.to_html(cli_config(), issued_seq=issued), encoding="utf-8")
    payload = {**report.to_dict(), "issued_seq": issued}
    emit(payload, as_json, lambda c: _print_report(c, report, issued, html))


def _check(borrower: str, path: Path, home: Path | None, as_json: bool) -> None:
    from dossier.verification import check_report

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadArgument("--check", f"cannot read the report (无法读取报告): {exc}") from None
    if (
        not isinstance(data, dict)
        or (data.get("borrower") or {}).get("key", "").upper() != borrower.strip().upper()
    ):
        raise BadArgument("--check", f"not a diligence report of {borrower} (不是该借款人的尽职报告)")
    with open_archive(home) as archive:
        outcome = check_report(archive, data)
    emit(
        {"ok": outcome.ok, "fingerprint": outcome.fingerprint, "message": outcome.message},
        as_json,
        lambda c: c.print(("✓ " if outcome.ok else "✗ ") + outcome.message, markup=False),
    )
    if not outcome.ok:
        raise typer.Exit(1)


def _print_report(c: Console, report: Report, issued: int, html: Path | None) -> None:
    from dossier.verification.settings import verification_settings

    zone = verification_settings(cli_config()).local_zone
    c.print(
        f"尽职调查档案 {report.borrower_name}（{report.borrower_key}）"
        + (f" 贷款 {report.loan}" if report.loan else ""),
        markup=False,
    )
    table = Table("贷款", "项目", "核实要求", "状态", "记录", "说明")
    for check in report.required:
        table.add_row(
            check.loan,
            check.label,
            check.requirement,
            check.status_label,
            "、".join(f"第{i}号" for i in check.satisfied_by) or "—",
            check.note or "",
        )
    c.print(table)
    timeline = Table("记录时间", "类别", "文档", "操作人", "事件")
    for entry in report.timeline:
        what = entry.title
        if entry.verification is not None:
            v = entry.verification
            what = f"{entry.title}：{v.method.label}，{v.result.label}（{'、'.join(v.people)}）"
        timeline.add_row(
            f"{entry.at.astimezone(zone):%Y-%m-%d %H:%M}", entry.kind_label, what, entry.actor, str(entry.seq)
        )
    c.print(timeline)
    c.print(
        f"审计链头 head: 第{report.head_seq}号事件; 报告指纹 fingerprint {report.fingerprint} "
        f"(记入第{issued}号事件 logged as event {issued})",
        markup=False,
    )
    if html is not None:
        c.print(f"HTML: {html}", markup=False)
