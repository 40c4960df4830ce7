"""流动资金贷款需求测算 (annex to the 流动资金贷款管理办法; domain.md §1.6).

    营运资金量 = 上年销售收入 × (1 − 上年销售利润率) × (1 + 预计销售收入增长率) / 营运资金周转次数
    营运资金周转次数 = Y / (存货周转天数 + 应收账款周转天数 − 应付账款周转天数
                          + 预付账款周转天数 − 预收账款周转天数)
    周转天数 = Y / 周转次数; 周转次数 = 销售成本 (存货, 预付, 应付) or 销售收入 (应收, 预收) / 平均余额
    新增流动资金贷款额度 = 营运资金量 − 自有资金 − 现有流动资金贷款 − 其他渠道营运资金

Y is ``[ratios].turnover_days_year`` (360). Figures are computed unrounded and rounded only on output:
counts and days to 2 dp, amounts to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dossier.config import Config
from dossier.finance._common import HUNDRED, as_decimal, round2
from dossier.finance.ratios import ratio_settings

_ZERO = Decimal("0.00")


@dataclass
class WorkingCapitalInput:
    """Last year's figures (balances are averages over the year) and the planned growth."""

    last_year_sales: Decimal
    last_year_cost_of_sales: Decimal
    sales_profit_margin_percent: Decimal
    growth_rate_percent: Decimal
    inventory: Decimal
    receivables: Decimal
    payables: Decimal
    prepayments: Decimal = Decimal(0)
    advances_received: Decimal = Decimal(0)
    own_funds: Decimal = Decimal(0)
    existing_wc_loans: Decimal = Decimal(0)
    other_wc_sources: Decimal = Decimal(0)


@dataclass(frozen=True)
class Turnover:
    """One balance-sheet item: turnover count (None for a zero balance) and days (0 for a zero balance)."""

    count: Decimal | None
    days: Decimal


@dataclass(frozen=True)
class WorkingCapitalEstimate:
    inventory: Turnover
    receivables: Turnover
    payables: Turnover
    prepayments: Turnover
    advances_received: Turnover
    turnover_days: Decimal
    # None when the cycle is not positive: payables and advances finance the whole cycle.
    turnover_count: Decimal | None
    working_capital_need: Decimal
    # ≤ 0 means the borrower needs no new working-capital loan.
    new_loan_limit: Decimal

    @property
    def needs_new_loan(self) -> bool:
        return self.new_loan_limit > 0


def _non_negative(value: Decimal, name: str, label: str) -> Decimal:
    number = as_decimal(value, name)
    if number < 0:
        raise ValueError(f"{name} must not be negative ({label}不能为负数): {number}")
    return number


def _days(balance: Decimal, base: Decimal, year: int, name: str, label: str) -> Decimal:
    """Unrounded turnover days ``year × balance / base``; a zero balance turns over in no time."""
    if balance == 0:
        return Decimal(0)
    if base == 0:
        raise ValueError(
            f"{name} has a balance but its turnover base is zero ({label}有余额但对应的销售收入或成本为零)"
        )
    return year * balance / base


def _turnover(balance: Decimal, base: Decimal, days: Decimal) -> Turnover:
    return Turnover(count=None if balance == 0 else round2(base / balance), days=round2(days))


def estimate_working_capital(inp: WorkingCapitalInput, *, config: Config) -> WorkingCapitalEstimate:
    """The working-capital need and the new working-capital loan it supports."""
    year = ratio_settings(config).turnover_days_year
    sales = _non_negative(inp.last_year_sales, "last-year sales", "上年销售收入")
    cost = _non_negative(inp.last_year_cost_of_sales, "last-year cost of sales", "上年销售成本")
    if sales == 0:
        raise ValueError("last-year sales must be positive (上年销售收入必须大于零)")
    margin = as_decimal(inp.sales_profit_margin_percent, "sales profit margin") / HUNDRED
    growth = as_decimal(inp.growth_rate_percent, "growth rate") / HUNDRED

    # (name, label, balance, base): 存货/预付/应付 turn over against cost of sales, 应收/预收 against sales.
    items = {
        "inventory": ("inventory", "存货", inp.inventory, cost),
        "receivables": ("receivables", "应收账款", inp.receivables, sales),
        "payables": ("payables", "应付账款", inp.payables, cost),
        "prepayments": ("prepayments", "预付账款", inp.prepayments, cost),
        "advances_received": ("advances received", "预收账款", inp.advances_received, sales),
    }
    days: dict[str, Decimal] = {}
    turnovers: dict[str, Turnover] = {}
    for key, (name, label, raw, base) in items.items():
        balance = _non_negative(raw, name, label)
        days[key] = _days(balance, base, year, name, label)
        turnovers[key] = _turnover(balance, base, days[key])

    cycle = (
        days["inventory"]
        + days["receivables"]
        - days["payables"]
        + days["prepayments"]
        - days["advances_received"]
    )
    if cycle > 0:
        count: Decimal | None = year / cycle
        # = … / (year / cycle), written with the division last to keep exact figures exact.
        need = sales * (1 - margin) * (1 + growth) * cycle / year
    else:
        count, need = None, Decimal(0)
    need = round2(need)
    funded = sum(
        (
            _non_negative(inp.own_funds, "own funds", "自有资金"),
            _non_negative(inp.existing_wc_loans, "existing working-capital loans", "现有流动资金贷款"),
            _non_negative(inp.other_wc_sources, "other working-capital sources", "其他渠道营运资金"),
        ),
        start=_ZERO,
    )
    return WorkingCapitalEstimate(
        inventory=turnovers["inventory"],
        receivables=turnovers["receivables"],
        payables=turnovers["payables"],
        prepayments=turnovers["prepayments"],
        advances_received=turnovers["advances_received"],
        turnover_days=round2(cycle),
        turnover_count=None if count is None else round2(count),
        working_capital_need=need,
        new_loan_limit=round2(need - funded),
    )
