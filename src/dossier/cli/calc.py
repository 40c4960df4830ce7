"""`dossier calc`: the arithmetic of credit documents from the command line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from dossier.cli import args
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit
from dossier.domain.capital import parse_capital, to_capital
from dossier.domain.money import format_amount, parse_amount

if TYPE_CHECKING:
    # finance/ reads the rule tables (pydantic models of the configuration): imported by the commands
    # that compute with them, so that `dossier calc capital` starts at once.
    from dossier.finance.penalty import ChargeKind

app = typer.Typer(
    help="Amounts in capitals, schedules, interest, penalties, classification.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("capital")
def capital(
    amount: Annotated[str, typer.Argument(help="Amount in yuan, e.g. 1680.32")],
    as_json: JsonFlag = False,
) -> None:
    """Write an amount in capital numerals (大写金额)."""
    value = args.read("AMOUNT", amount, _non_negative_amount)
    text = args.read("AMOUNT", str(value), to_capital)
    emit({"amount": value, "capital": text}, as_json, lambda c: c.print(text))


@app.command("parse-capital")
def parse_capital_cmd(
    text: Annotated[str, typer.Argument(help="Capital-numeral text, e.g. 人民币壹仟陆佰捌拾元零叁角贰分")],
    as_json: JsonFlag = False,
) -> None:
    """Read a capital-numeral amount back to a number."""
    value = args.read("TEXT", text, parse_capital)
    emit({"capital": text, "amount": value}, as_json, lambda c: c.print(format(value, "f")))


@app.command("schedule")
def schedule(
    principal: Annotated[str, typer.Option(help="Loan amount in yuan.")],
    rate: Annotated[str, typer.Option(help="Annual rate in percent: 4.35 means 4.35 %.")],
    months: Annotated[int, typer.Option(help="Term in months.")],
    method: Annotated[
        str,
        typer.Option(
            help="annuity (等额本息), equal-principal (等额本金), monthly-interest (按月付息到期还本), "
            "quarterly-interest (按季付息到期还本), bullet (到期一次还本付息)."
        ),
    ],
    start: Annotated[str, typer.Option(help="Disbursement date, YYYY-MM-DD.")],
    as_json: JsonFlag = False,
) -> None:
    """A repayment schedule (还款计划表)."""
    from dossier.finance.schedule import build_schedule, parse_method, schedule_totals

    p = args.amount("--principal", principal)
    r = args.percent("--rate", rate)
    n = args.positive_int("--months", months, maximum=360)
    m = args.read("--method", method, parse_method)
    s = args.day("--start", start)
    rows = args.read("--principal", str(p), lambda _: build_schedule(p, r, n, m, s, config=cli_config()))

    def human(c: Console) -> None:
        table = Table(title=f"还款计划表 · {m.label} · {format_amount(p)} 元 · 年利率 {r}% · {n} 个月")
        for heading in ("期次", "还款日", "本金", "利息", "还款额", "剩余本金"):
            table.add_column(heading, justify="right")
        for row in rows:
            table.add_row(
                str(row.period),
                row.due_date.isoformat(),
                format_amount(row.principal),
                format_amount(row.interest),
                format_amount(row.payment),
                format_amount(row.balance),
            )
        total_p, total_i, total_pay = schedule_totals(rows)
        table.add_row(
            "合计", "", format_amount(total_p), format_amount(total_i), format_amount(total_pay), ""
        )
        c.print(table)

    emit([row.as_dict() for row in rows], as_json, human)


@app.command("interest")
def interest(
    principal: Annotated[str, typer.Option(help="Principal in yuan.")],
    rate: Annotated[str, typer.Option(help="Annual rate in percent.")],
    from_: Annotated[str, typer.Option("--from", help="First day (counted).")],
    to: Annotated[str, typer.Option("--to", help="Last day (not counted).")],
    as_json: JsonFlag = False,
) -> None:
    """Interest between two dates, actual days (算头不算尾)."""
    from dossier.finance.daycount import days_between, simple_interest

    p = args.amount("--principal", principal)
    r = args.percent("--rate", rate)
    start, end = _period(from_, to)
    days = days_between(start, end)
    amount = simple_interest(p, r, start, end, config=cli_config())
    result = {"principal": p, "rate_percent": r, "from": start, "to": end, "days": days, "interest": amount}
    emit(result, as_json, lambda c: c.print(f"{days} 天，利息 {format_amount(amount)} 元"))


@app.command("penalty")
def penalty(
    principal: Annotated[str, typer.Option(help="Overdue (or misused) principal in yuan.")],
    rate: Annotated[str, typer.Option(help="Contract annual rate in percent.")],
    from_: Annotated[str, typer.Option("--from", help="First overdue day.")],
    to: Annotated[str, typer.Option("--to", help="Date of repayment or cut-off (not counted).")],
    kind: Annotated[str, typer.Option(help="overdue (逾期) or misuse (挪用).")] = "overdue",
    markup: Annotated[
        str | None, typer.Option(help="Markup on the contract rate, e.g. 0.5 for +50 %.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Penalty interest (罚息) as a multiple of the contract rate."""
    from dossier.finance.penalty import penalty_interest

    p = args.amount("--principal", principal)
    r = args.percent("--rate", rate)
    k = args.read("--kind", kind, _charge_kind)
    mk = None if markup is None else args.read("--markup", markup, _decimal)
    start, end = _period(from_, to)
    result = args.read(
        "--markup",
        markup or "",
        lambda _: penalty_interest(p, r, start, end, kind=k, markup=mk, config=cli_config()),
    )
    payload = {
        "principal": p,
        "contract_rate_percent": r,
        "kind": k,
        "from": start,
        "to": end,
        "days": result.days,
        "penalty_rate_percent": result.rate_percent,
        "penalty": result.amount,
    }
    emit(
        payload,
        as_json,
        lambda c: c.print(
            f"{_KIND_LABELS[k]}：{result.days} 天，罚息利率 {result.rate_percent}%，"
            f"罚息 {format_amount(result.amount)} 元"
        ),
    )


@app.command("classify")
def classify(
    dpd: Annotated[int, typer.Option(help="Days past due.")],
    rules: Annotated[str, typer.Option(help="Rule set: 2023 (default), legacy, credit-card.")] = "2023",
    as_json: JsonFlag = False,
) -> None:
    """The five-class floor (五级分类下限) for a number of days past due."""
    from dossier.finance.classification import dpd_floor, rule_sets

    days = args.non_negative_int("--dpd", dpd)
    floor = args.read("--rules", rules, lambda name: dpd_floor(days, rules=name, config=cli_config()))
    payload = {"dpd": days, "rules": rules, "rules_label": rule_sets(cli_config())[rules], "floor": floor}
    emit(payload, as_json, lambda c: c.print(str(floor)))


def _non_negative_amount(text: str) -> Decimal:
    value = parse_amount(text)
    if value < 0:
        raise ValueError(f"must not be negative (金额不得为负): {text}")
    return value


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"not a number (应为数字): {text!r}") from None


# Keyed by ChargeKind's values (a StrEnum, so its members find them).
_KIND_LABELS = {"overdue": "逾期", "misuse": "挪用"}


def _charge_kind(text: str) -> ChargeKind:
    from dossier.finance.penalty import ChargeKind

    aliases = {label: kind for kind, label in _KIND_LABELS.items()}
    try:
        return ChargeKind(aliases.get(text.strip()) or text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown kind {text!r}; use overdue (逾期) or misuse (挪用)") from None


def _period(from_: str, to: str) -> tuple[date, date]:
    start = args.day("--from", from_)
    end = args.day("--to", to)
    if end < start:
        raise args.BadArgument("--to", f"is before --from (截止日早于起始日): {end} < {start}")
    return start, end
