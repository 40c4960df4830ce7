"""`dossier demo`: the worked example `make run` shows, grown issue by issue into the full demo."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dossier.cli.output import console
from dossier.domain.capital import to_capital
from dossier.domain.dates import format_capital_date, format_cn_date
from dossier.domain.identifiers import parse_credit_code, parse_resident_id
from dossier.domain.money import format_amount
from dossier.finance.classification import dpd_floor
from dossier.finance.penalty import penalty_interest
from dossier.finance.schedule import RepaymentMethod, build_schedule, schedule_totals


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's output files.")] = Path("out/demo"),
) -> None:
    """Run the worked example: a loan of 100,000 yuan at 4.35 % over 12 months."""
    c = console()
    out.mkdir(parents=True, exist_ok=True)
    principal, rate, start = Decimal("100000.00"), Decimal("4.35"), date(2024, 1, 15)

    c.rule("dossier · 示例 worked example")
    borrower = parse_resident_id("11010519491231002X")
    company = parse_credit_code("91350200776049653A")
    c.print(
        f"借款人身份证 11010519491231002X：有效，{borrower.sex}，生于 {format_cn_date(borrower.birth_date)}"
    )
    c.print(f"保证人统一社会信用代码 {company.code}：有效，{company.authority} · {company.org_type}")
    c.print(f"借款金额 {format_amount(principal)} 元，大写 {to_capital(principal)}")
    c.print(f"起始日 {format_cn_date(start)}（票据大写 {format_capital_date(start)}）")

    table = Table(title="还款方式比较 (12 个月, 年利率 4.35%)")
    for heading in ("还款方式", "首期还款", "末期还款", "利息合计"):
        table.add_column(heading, justify="right")
    for method in RepaymentMethod:
        rows = build_schedule(principal, rate, 12, method, start)
        _, interest, _ = schedule_totals(rows)
        table.add_row(
            method.label,
            format_amount(rows[0].payment),
            format_amount(rows[-1].payment),
            format_amount(interest),
        )
    c.print(table)

    penalty = penalty_interest(Decimal("10000.00"), rate, date(2024, 3, 1), date(2024, 3, 31))
    c.print(
        f"逾期本金 10,000.00 元 30 天：罚息利率 {penalty.rate_percent}%，罚息 {format_amount(penalty.amount)} 元"
    )
    for dpd in (0, 30, 120, 300, 400):
        c.print(f"逾期 {dpd} 天 → 五级分类不优于 {dpd_floor(dpd)}")

    schedule_file = out / "schedule.csv"
    rows = build_schedule(principal, rate, 12, RepaymentMethod.ANNUITY, start)
    lines = ["period,due_date,principal,interest,payment,balance"]
    lines += [
        f"{r.period},{r.due_date.isoformat()},{r.principal},{r.interest},{r.payment},{r.balance}"
        for r in rows
    ]
    schedule_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    c.print(f"等额本息还款计划表已写入 {schedule_file}")
