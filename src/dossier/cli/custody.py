"""`dossier handover`, `dossier transfer` and `dossier file-loans` (custody over time).

The command line is the archive room's own tool: whoever runs it may act for any user, named with
``--user`` (an officer acknowledging a handover, a reader asking for a loan). Every step is the same core
call the service makes, with the same audit events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from dossier.cli.archive import (
    ActorOption,
    HomeOption,
    JsonFlag,
    default_actor,
    make_searchable,
    note_view,
    open_archive,
)
from dossier.cli.args import BadArgument, day
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dossier.access.users import Principal

handover_app = typer.Typer(
    help="Hand borrowers from one officer to another (客户移交).", no_args_is_help=True
)
transfer_app = typer.Typer(
    help="Transfer a loan or borrower to 资产保全 (移交资产保全).", no_args_is_help=True
)
file_loans_app = typer.Typer(
    help="Loans of files (档案借阅): without a command, lists open, overdue and past loans.",
    invoke_without_command=True,
)

NumberArg = Annotated[str, typer.Argument(metavar="NUMBER", help="借阅单号 / 移交单号, e.g. JY2026-00001")]
UserOption = Annotated[str, typer.Option("--user", help="The user (sign-in name) this is done for.")]


def register(app: typer.Typer) -> None:
    app.add_typer(handover_app, name="handover")
    app.add_typer(transfer_app, name="transfer")
    app.add_typer(file_loans_app, name="file-loans")


def _now() -> datetime:
    return datetime.now(UTC)


def _principal(session: Session, username: str) -> Principal:
    from dossier.access.users import Principal, UnknownUser, get_user

    try:
        return Principal.of(get_user(session, username), "cli")
    except UnknownUser:
        raise BadArgument("--user", f"no user {username!r} (用户不存在)") from None


# --------------------------------------------------------------------------- handover


@handover_app.command("create")
def handover_create(
    from_officer: Annotated[str, typer.Option("--from", help="移交人 (user name).")],
    to_officer: Annotated[str, typer.Option("--to", help="接收人 (user name).")],
    on: Annotated[str, typer.Option("--on", help="移交日期 YYYY-MM-DD.")],
    borrower: Annotated[
        list[str] | None,
        typer.Option("--borrower", help="A borrower key; repeat. None: the whole portfolio."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注.")] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Start a handover; both officers then acknowledge it (`dossier handover ack`)."""
    from dossier.access.roles import access_settings
    from dossier.custody import handover

    effective = day("--on", on)
    with open_archive(home) as archive:

        def work(session: Session) -> Any:
            made = handover.create_handover(
                session,
                from_username=from_officer,
                to_username=to_officer,
                borrower_keys=borrower or None,
                effective_on=effective,
                note=note,
                actor=default_actor(actor),
                access=access_settings(cli_config()),
                now=_now(),
            )
            return made.number

        number = archive.transaction(work)
        _file_list(archive, number, default_actor(actor))
        made = archive.transaction(lambda s: handover.info(s, handover.find_handover(s, number)), write=False)
    emit(
        made,
        as_json,
        lambda c: c.print(f"{made.number} {made.state_label}: {len(made.borrowers)} 户 → {made.to_name}"),
    )


@handover_app.command("ack")
def handover_ack(
    number: NumberArg, user: UserOption, home: HomeOption = None, as_json: JsonFlag = False
) -> None:
    """Acknowledge a handover for one of its two officers (交接签字)."""
    from dossier.custody import handover

    with open_archive(home) as archive:
        done = archive.transaction(
            lambda s: handover.info(s, handover.acknowledge(s, number, _principal(s, user), now=_now()))
        )
        if done.state is handover.HandoverState.COMPLETED:
            _file_list(archive, number, user)  # the signed list, a new version
            done = archive.transaction(
                lambda s: handover.info(s, handover.find_handover(s, number)), write=False
            )
    emit(done, as_json, lambda c: c.print(f"{done.number} {done.state_label}"))


def _file_list(archive: Any, number: str, actor: str) -> None:
    from dossier.custody.documents import file_handover_list
    from dossier.domain.local_time import local_zone

    file_handover_list(
        archive, number, actor=actor, today=_now().astimezone(local_zone(archive.config)).date()
    )
    make_searchable(archive)


@handover_app.command("list")
def handover_list(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """Every handover, newest first."""
    from dossier.custody import handover

    with open_archive(home) as archive:
        rows = archive.transaction(lambda s: handover.list_handovers(s), write=False)
        note_view(archive, "handovers:list", shown=[h.number for h in rows])

    def human(c: Console) -> None:
        for h in rows:
            c.print(
                f"{h.number}  {h.effective_on}  {h.from_name} → {h.to_name}  "
                f"{len(h.borrowers)} 户  {h.state_label}",
                markup=False,
            )

    emit(rows, as_json, human)


# --------------------------------------------------------------------------- transfer


@transfer_app.command("create")
def transfer_create(
    borrower: Annotated[str, typer.Option("--borrower", help="The borrower's key.")],
    department: Annotated[str, typer.Option("--department", help="A key of [custody].departments.")],
    reason: Annotated[str, typer.Option("--reason", help="移交原因.")],
    contract: Annotated[str | None, typer.Option("--contract", help="One loan; none: every loan.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="移交日期 YYYY-MM-DD (default: today).")] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Transfer with a snapshot of the file (completeness state and the chain head)."""
    from dossier.custody import transfer

    now = _now()
    effective = day("--on", on) if on else now.date()
    with open_archive(home) as archive:

        def work(session: Session) -> Any:
            made = transfer.transfer(
                session,
                borrower_key=borrower,
                contract_number=contract,
                department=department,
                reason=reason,
                effective_on=effective,
                actor=default_actor(actor),
                config=archive.config,
                now=now,
            )
            return made.number

        number = archive.transaction(work)
        from dossier.custody.documents import file_transfer_list

        file_transfer_list(archive, number, actor=default_actor(actor))
        make_searchable(archive)
        made = archive.transaction(lambda s: transfer.info(s, transfer.find_transfer(s, number)), write=False)
    emit(
        made,
        as_json,
        lambda c: c.print(
            f"{made.number} {made.borrower_key} → {made.department_label} (chain #{made.chain_seq})"
        ),
    )


@transfer_app.command("list")
def transfer_list(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    from dossier.custody import transfer

    with open_archive(home) as archive:
        rows = archive.transaction(lambda s: transfer.list_transfers(s), write=False)
        note_view(archive, "transfers:list", shown=[t.number for t in rows])

    def human(c: Console) -> None:
        for t in rows:
            c.print(
                f"{t.number}  {t.effective_on}  {t.borrower_key}  "
                f"{t.contract_number or '全部'}  → {t.department_label}",
                markup=False,
            )

    emit(rows, as_json, human)


# --------------------------------------------------------------------------- file loans


@file_loans_app.callback()
def file_loans(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="pending / open / overdue / past (default: all).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List loans of files: open, overdue and past (档案借阅登记)."""
    if ctx.invoked_subcommand is not None:
        return
    from dossier.custody import lending

    wanted = None
    if status:
        try:
            wanted = lending.LoanStatus(status)
        except ValueError:
            raise BadArgument(
                "--status", f"one of {', '.join(s.value for s in lending.LoanStatus)}"
            ) from None
    with open_archive(home) as archive:
        rows = archive.transaction(lambda s: lending.list_loans(s, _now(), status=wanted), write=False)
        note_view(archive, "file-loans:list", shown=[r.number for r in rows])

    def human(c: Console) -> None:
        for r in rows:
            until = r.ends_at.isoformat(timespec="minutes") if r.ends_at else "—"
            c.print(
                f"{r.number}  {r.status_label:<8} {r.username:<12} {r.borrower_key}  至 {until}  {r.purpose}",
                markup=False,
            )

    emit(rows, as_json, human)


@file_loans_app.command("request")
def loan_request(
    user: UserOption,
    borrower: Annotated[str, typer.Option("--borrower", help="The borrower's key.")],
    purpose: Annotated[str, typer.Option("--purpose", help="借阅目的.")],
    days: Annotated[
        int | None, typer.Option("--days", help="借阅天数 (default [custody].loan_default_days).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="A category to lend; repeat.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask to read a borrower's file, for ``--user``."""
    from dossier.custody import lending

    with open_archive(home) as archive:

        def work(session: Session) -> Any:
            who = _principal(session, user)
            loan = lending.request_loan(
                session,
                who,
                borrower,
                purpose,
                days=days,
                categories=category,
                config=archive.config,
                now=_now(),
            )
            return lending.loan_info(session, loan.number, _now())

        made = archive.transaction(work)
    emit(made, as_json, lambda c: c.print(f"{made.number} {made.status_label}"))


@file_loans_app.command("approve")
def loan_approve(
    number: NumberArg,
    days: Annotated[int | None, typer.Option("--days")] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Narrow to categories; repeat.")
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve a request from now on (an archivist's step)."""
    from dossier.custody import lending

    with open_archive(home) as archive:

        def work(session: Session) -> Any:
            lending.approve(
                session,
                number,
                actor=default_actor(actor),
                now=_now(),
                config=archive.config,
                days=days,
                categories=category or None,
            )
            return lending.loan_info(session, number, _now())

        done = archive.transaction(work)
    emit(done, as_json, lambda c: c.print(f"{done.number} {done.status_label} 至 {done.ends_at}"))


@file_loans_app.command("refuse")
def loan_refuse(
    number: NumberArg,
    reason: Annotated[str, typer.Option("--reason", help="拒绝理由.")],
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Refuse a request, with the reason (an archivist's step)."""
    from dossier.custody import lending

    with open_archive(home) as archive:

        def work(session: Session) -> Any:
            lending.refuse(session, number, actor=default_actor(actor), reason=reason, now=_now())
            return lending.loan_info(session, number, _now())

        done = archive.transaction(work)
    emit(done, as_json, lambda c: c.print(f"{done.number} {done.status_label}"))


@file_loans_app.command("return")
def loan_return(
    number: NumberArg, home: HomeOption = None, actor: ActorOption = None, as_json: JsonFlag = False
) -> None:
    """Record that a loan is closed (归还)."""
    from dossier.custody import lending

    with open_archive(home) as archive:

        def work(session: Session) -> Any:
            lending.return_loan(session, number, actor=default_actor(actor), now=_now())
            return lending.loan_info(session, number, _now())

        done = archive.transaction(work)
    emit(done, as_json, lambda c: c.print(f"{done.number} {done.status_label}"))
