"""The credit process on the command line: `dossier apply`, `applications`, `application`, the moves
(`advance`, `return`, `reject`, `request`, `approve`, `withdraw`), `application-record` (审批流程记录),
`application-input` (the decided figures into a document's input) and `application-numbers` (the month).

``--actor`` names a user of the archive (`dossier users add`); their role is the one the catalog holds,
so the same rules bind the CLI as the service."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dossier.cli.archive import ActorOption, HomeOption, JsonFlag, default_actor, open_archive
from dossier.cli.args import BadArgument
from dossier.cli.output import emit, to_json

if TYPE_CHECKING:
    from rich.console import Console

    from dossier.archive import Archive
    from dossier.process.store import Application

VersionOption = Annotated[
    int | None,
    typer.Option("--version", help="The version you saw (optimistic lock): refused if it moved since."),
]
ReasonOption = Annotated[list[str] | None, typer.Option("--reason", help="A reason (理由); repeat.")]
DocOption = Annotated[
    list[int] | None, typer.Option("--doc", help="A filed document this step relies on (its id); repeat.")
]
AppArgument = Annotated[int, typer.Argument(metavar="APP", help="The application's number (id).")]


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
    app.command("applications")(applications)
    app.command("application")(application)
    app.command("advance")(advance)
    app.command("return")(return_)
    app.command("reject")(reject)
    app.command("request")(request)
    app.command("approve")(approve)
    app.command("withdraw")(withdraw)
    app.command("application-record")(application_record)
    app.command("application-input")(application_input)
    app.command("application-numbers")(application_numbers)


def _role(archive: Archive, actor: str) -> Any:
    from dossier.access.roles import Role
    from dossier.access.users import get_user

    user = archive.transaction(lambda s: get_user(s, actor), write=False)
    if not user.active or user.disabled_at is not None:
        raise BadArgument("--actor", f"user {actor} is disabled (用户已停用)")
    return Role(user.role)


def _show(app: Application, as_json: bool) -> None:
    def human(c: Console) -> None:
        c.print(
            f"{app.number} {app.borrower_name}（{app.borrower_key}） {app.amount}元/{app.term_months}个月 "
            f"环节 stage: {app.stage_label}（{app.stage}） 状态 status: {app.status.label} "
            f"经办 holder: {app.holder or app.stage_role.label} 版本 version: {app.version}"
        )
        for item in app.open_items:
            c.print(f"  补充材料 open item: {item.doc_type_label}（{item.doc_type}）")

    emit(app.to_dict(), as_json, human)


def apply(
    borrower: Annotated[
        str, typer.Option("--borrower", help="The borrower's key (身份证号/统一社会信用代码).")
    ],
    product: Annotated[
        str, typer.Option("--product", help="个人消费 / 个人经营 / 流动资金 / 小微流贷 / 固定资产.")
    ],
    amount: Annotated[str, typer.Option("--amount", help="Requested amount in yuan (申请金额).")],
    term: Annotated[int, typer.Option("--term", help="Requested term in months (申请期限).")],
    guarantee: Annotated[
        list[str], typer.Option("--guarantee", help="Guarantee offered (信用/保证/抵押/质押); repeat.")
    ],
    purpose: Annotated[str | None, typer.Option("--purpose", help="Purpose (借款用途).")] = None,
    contract: Annotated[str | None, typer.Option("--contract", help="Contract number, when known.")] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Submit a credit application (授信申请): it starts at the flow's first stage, held by you."""
    from dossier.process.transitions import submit

    who = default_actor(actor)
    with open_archive(home) as archive:
        made = submit(
            archive,
            borrower_key=borrower,
            product=product,
            amount=amount,
            term_months=term,
            guarantees=guarantee,
            actor=who,
            role=_role(archive, who),
            purpose=purpose,
            contract_number=contract,
        )
    _show(made, as_json)


def applications(
    mine: Annotated[bool, typer.Option("--mine", help="Only those waiting on --actor (待办).")] = False,
    stage: Annotated[str | None, typer.Option("--stage", help="Only this stage (key or label).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past their stage's limit.")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Only applications still in progress.")] = False,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List applications, newest first, with stage, holder and days waited (working days)."""
    from dossier.process.enums import Status
    from dossier.process.queue import list_applications

    with open_archive(home) as archive:
        who = default_actor(actor) if mine else None
        found = list_applications(
            archive,
            mine=(who, _role(archive, who)) if who else None,
            stage=stage,
            overdue=overdue,
            status=Status.OPEN if open_only or overdue else None,
        )
    rows = [item.to_dict() for item in found]

    def human(c: Console) -> None:
        from rich.table import Table

        table = Table("申请", "借款人", "金额", "环节", "状态", "经办", "已等(工作日)/时限")
        for r in rows:
            late = " 超时" if r["overdue"] else ""
            table.add_row(
                r["number"],
                r["borrower_name"],
                r["amount"],
                r["stage_label"],
                r["status_label"],
                r["holder"] or r["stage_role_label"],
                f"{r['waited_days']}/{r['limit_days']}{late}",
            )
        c.print(table)

    emit(rows, as_json, human)


def application(app_id: AppArgument, home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """One application: its facts, steps, open items and what blocks its stage (gate)."""
    from dossier.process.store import load
    from dossier.process.transitions import gate_status

    with open_archive(home) as archive:
        found = archive.transaction(lambda s: load(s, app_id, archive.config), write=False)
        gate = gate_status(archive, app_id)
    data = {**found.to_dict(), "gate": gate.to_dict() if gate else None}

    def human(c: Console) -> None:
        _show(found, False)
        for step in found.steps:
            c.print(
                f"  #{step.seq} {step.actor}（{step.role_label}） {step.kind.label} "
                f"{step.from_label}→{step.to_label} {'；'.join(step.reasons)}"
            )
        if gate is not None:
            c.print("  可办结 gate open" if gate.open else "  尚不能办结 blocked by:")
            for blocker in gate.blockers:
                c.print(f"    {blocker}")

    emit(data, as_json, human)


def _move(app_id: int, kind: str, home: Path | None, actor: str | None, as_json: bool, **kwargs: Any) -> None:
    from dossier.process.transitions import act

    who = default_actor(actor)
    with open_archive(home) as archive:
        moved = act(archive, app_id, kind, actor=who, role=_role(archive, who), **kwargs)
    _show(moved, as_json)


def advance(
    app_id: AppArgument,
    reason: ReasonOption = None,
    doc: DocOption = None,
    version: VersionOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Pass the application to its next stage (the stage's gate must be open)."""
    _move(
        app_id,
        "advance",
        home,
        actor,
        as_json,
        reasons=reason or [],
        documents=doc or [],
        expected_version=version,
    )


def return_(
    app_id: AppArgument,
    reason: ReasonOption = None,
    to: Annotated[
        str | None, typer.Option("--to", help="The earlier stage (default: the one before).")
    ] = None,
    missing: Annotated[
        list[str] | None,
        typer.Option("--missing", help="A document type that is missing (opens an item); repeat."),
    ] = None,
    version: VersionOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """退回: send the application back to an earlier stage, with reasons."""
    _move(
        app_id,
        "return",
        home,
        actor,
        as_json,
        reasons=reason or [],
        to_stage=to,
        doc_types=missing or [],
        expected_version=version,
    )


def reject(
    app_id: AppArgument,
    reason: ReasonOption = None,
    version: VersionOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """否决: refuse the application, for good, with reasons."""
    _move(app_id, "reject", home, actor, as_json, reasons=reason or [], expected_version=version)


def request(
    app_id: AppArgument,
    doc_type: Annotated[
        list[str], typer.Option("--type", help="A document type asked for (key or label); repeat.")
    ],
    reason: ReasonOption = None,
    version: VersionOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """要求补充材料: open items that close themselves when a document of the type is filed."""
    _move(
        app_id,
        "request",
        home,
        actor,
        as_json,
        reasons=reason or [],
        doc_types=doc_type,
        expected_version=version,
    )


def approve(
    app_id: AppArgument,
    amount: Annotated[
        str | None, typer.Option("--amount", help="A lower approved amount (审批金额).")
    ] = None,
    term: Annotated[int | None, typer.Option("--term", help="A shorter approved term in months.")] = None,
    add_guarantee: Annotated[
        list[str] | None, typer.Option("--add-guarantee", help="A guarantee to add (追加担保); repeat.")
    ] = None,
    condition: Annotated[
        list[str] | None, typer.Option("--condition", help="A condition in words; repeat.")
    ] = None,
    reason: ReasonOption = None,
    doc: DocOption = None,
    version: VersionOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """批准 / 有条件通过: pass the application on, with conditions when given."""
    from dossier.process.transitions import parse_conditions

    conditions = parse_conditions(
        amount=amount, term_months=term, add_guarantees=add_guarantee or [], notes=condition or []
    )
    _move(
        app_id,
        "approve",
        home,
        actor,
        as_json,
        reasons=reason or [],
        conditions=conditions,
        documents=doc or [],
        expected_version=version,
    )


def withdraw(
    app_id: AppArgument,
    reason: ReasonOption = None,
    version: VersionOption = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """撤回: the applicant withdraws the application."""
    _move(app_id, "withdraw", home, actor, as_json, reasons=reason or [], expected_version=version)


def application_record(
    app_id: AppArgument,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the record as an HTML page.")
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """审批流程记录: the application's path from the audit chain; its fingerprint is logged."""
    from dossier.process.record import process_record, record_issue

    with open_archive(home) as archive:
        record = process_record(archive, app_id)
        seq = record_issue(archive, record, default_actor(actor))
        if html is not None:
            html.write_text(record.to_html(archive.config, issued_seq=seq), encoding="utf-8")
    data = {**record.to_dict(), "issued_seq": seq}

    def human(c: Console) -> None:
        for p in record.path:
            c.print(
                f"#{p['seq']} {p['at']} {p['actor']}（{p['role_label']}） {p['kind']} "
                f"{p['from_label']}→{p['to_label']}"
            )
        for s in record.separation:
            c.print(f"{s['rule']}: {'held 已遵守' if s['held'] else 'BROKEN 未遵守'}")
        c.print(f"fingerprint 指纹: {record.fingerprint} (audit event {seq})")

    emit(data, as_json, human)


def application_input(
    app_id: AppArgument,
    kind: Annotated[str, typer.Option("--kind", help="credit (授信调查审批报告) or loan-contract.")],
    base: Annotated[Path, typer.Option("--from", help="The input (YAML/JSON) the figures are written into.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the input here (JSON); else print it.")
    ] = None,
    home: HomeOption = None,
) -> None:
    """The application's requested and decided figures written into a document's input."""
    from dossier.domain.local_time import local_zone
    from dossier.inputs import load_input
    from dossier.process.figures import input_for
    from dossier.process.store import load

    with open_archive(home) as archive:
        found = archive.transaction(lambda s: load(s, app_id, archive.config), write=False)
        data = input_for(kind, found, load_input(base), zone=local_zone(archive.config))
    text = to_json(data)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


def application_numbers(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM (default: this month).")] = "",
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The month's numbers: received, approved, rejected, returned, median days per stage, and the share
    returned for missing materials."""
    from dossier.process.numbers import monthly_numbers

    year, number = _month(month)
    with open_archive(home) as archive:
        figures = monthly_numbers(archive, year, number)
    data = figures.to_dict()

    def human(c: Console) -> None:
        c.print(
            f"{data['month']} 受理 received {data['received']}  批准 approved {data['approved']}  "
            f"否决 rejected {data['rejected']}  退回 returned {data['returned']}  "
            f"补充材料 requested {data['requested']}"
        )
        for key, days in data["median_days"].items():
            c.print(f"  {data['stage_labels'].get(key, key)} 中位天数 median days: {days}")
        c.print(
            "  因材料不全退回占比 share returned for missing materials: "
            f"{data['share_returned_for_materials']}"
        )

    emit(data, as_json, human)


def _month(text: str) -> tuple[int, int]:
    if not text:
        today = date.today()
        return today.year, today.month
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        date(year, month, 1)
        if not 1900 <= year <= 2999:
            raise ValueError(year)
    except ValueError:
        raise BadArgument("--month", f"not a month like 2026-12 (月份格式应为 2026-12): {text!r}") from None
    return year, month
