"""A credit file's financial figures (domain.md §1.1 section 3): an enterprise's statements with their
totals checked, a household's assets, income and debts; and the tables and ratios derived from them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import model_validator

from dossier.config import Config
from dossier.domain.models import DomainModel, Money, NonNegativeMoney, PositiveMoney, labelled
from dossier.domain.money import ZERO
from dossier.domain.rules import Problems
from dossier.finance import ratios
from dossier.kinds.credit_terms import Terms, monthly_payment


class FinancialPeriod(DomainModel):
    """One column of the statements: a year-end, or the latest period (income figures year to date)."""

    label: str = labelled("报表期间", min_length=1, max_length=20)
    period_end: date = labelled("报表截止日")
    audited: bool = labelled("是否审计", default=False)
    cash: NonNegativeMoney = labelled("货币资金", default=ZERO)
    receivables: NonNegativeMoney = labelled("应收账款", default=ZERO)
    prepayments: NonNegativeMoney = labelled("预付账款", default=ZERO)
    inventory: NonNegativeMoney = labelled("存货", default=ZERO)
    current_portion_noncurrent: NonNegativeMoney = labelled("一年内到期的非流动资产", default=ZERO)
    other_current_assets: NonNegativeMoney = labelled("其他流动资产", default=ZERO)
    current_assets: NonNegativeMoney = labelled("流动资产合计")
    fixed_assets: NonNegativeMoney = labelled("固定资产", default=ZERO)
    total_assets: PositiveMoney = labelled("资产总计")
    short_term_loans: NonNegativeMoney = labelled("短期借款", default=ZERO)
    payables: NonNegativeMoney = labelled("应付账款", default=ZERO)
    advances_received: NonNegativeMoney = labelled("预收账款", default=ZERO)
    current_liabilities: NonNegativeMoney = labelled("流动负债合计")
    long_term_loans: NonNegativeMoney = labelled("长期借款", default=ZERO)
    total_liabilities: NonNegativeMoney = labelled("负债合计")
    revenue: NonNegativeMoney = labelled("营业收入")
    cost_of_sales: NonNegativeMoney = labelled("营业成本")
    interest_expense: NonNegativeMoney = labelled("利息费用", default=ZERO)
    total_profit: Money = labelled("利润总额")
    net_profit: Money = labelled("净利润")
    operating_cash_flow: Money | None = labelled("经营活动现金流量净额", default=None)

    @model_validator(mode="after")
    def _totals_hold(self) -> FinancialPeriod:
        problems = Problems()
        if self.current_assets > self.total_assets:
            problems.add(
                ("current_assets",),
                "current assets exceed total assets (流动资产合计大于资产总计)",
                self.current_assets,
            )
        listed = (
            self.cash
            + self.receivables
            + self.prepayments
            + self.inventory
            + self.current_portion_noncurrent
            + self.other_current_assets
        )
        if listed > self.current_assets:
            problems.add(
                ("current_assets",),
                f"the current-asset items add up to {listed}, more than the total "
                f"(流动资产各项合计{listed}大于流动资产合计)",
                self.current_assets,
            )
        if self.current_liabilities > self.total_liabilities:
            problems.add(
                ("current_liabilities",),
                "current liabilities exceed total liabilities (流动负债合计大于负债合计)",
                self.current_liabilities,
            )
        listed = self.short_term_loans + self.payables + self.advances_received
        if listed > self.current_liabilities:
            problems.add(
                ("current_liabilities",),
                f"the current-liability items add up to {listed}, more than the total "
                f"(流动负债各项合计{listed}大于流动负债合计)",
                self.current_liabilities,
            )
        problems.raise_if_any("financial period")
        return self

    @property
    def equity(self) -> Decimal:
        return self.total_assets - self.total_liabilities

    @property
    def ebit(self) -> Decimal:
        return self.total_profit + self.interest_expense


class FinancialStatements(DomainModel):
    """Up to three year-ends, oldest first, and the latest interim period."""

    annual: list[FinancialPeriod] = labelled("年度报表", min_length=1, max_length=3)
    latest: FinancialPeriod | None = labelled("最近一期报表", default=None)
    source: str | None = labelled("报表来源", default=None, max_length=300)
    analysis: str | None = labelled("财务分析", default=None, max_length=3000)

    @model_validator(mode="after")
    def _in_order(self) -> FinancialStatements:
        problems = Problems()
        for i in range(1, len(self.annual)):
            if self.annual[i].period_end <= self.annual[i - 1].period_end:
                problems.add(
                    ("annual", i, "period_end"),
                    "list the years oldest first (年度报表须按时间先后排列)",
                    self.annual[i].period_end,
                )
        if self.latest is not None and self.latest.period_end <= self.annual[-1].period_end:
            problems.add(
                ("latest", "period_end"),
                "the latest period must end after the last year-end (最近一期报表截止日须晚于最后一个年度末)",
                self.latest.period_end,
            )
        problems.raise_if_any("financial statements")
        return self


class HouseholdFinances(DomainModel):
    """家庭资产负债及收支 of a natural-person or sole-proprietor borrower."""

    total_assets: NonNegativeMoney = labelled("家庭总资产")
    total_liabilities: NonNegativeMoney = labelled("家庭总负债")
    monthly_income: PositiveMoney = labelled("家庭月收入")
    monthly_expenses: NonNegativeMoney = labelled("家庭月支出(不含还贷)")
    monthly_debt_service: NonNegativeMoney = labelled("现有债务月还款额", default=ZERO)
    assets_note: str | None = labelled("资产构成说明", default=None, max_length=1000)
    income_source: str | None = labelled("收入来源", default=None, max_length=500)


_BALANCE_ITEMS = (
    "cash",
    "receivables",
    "prepayments",
    "inventory",
    "current_assets",
    "fixed_assets",
    "total_assets",
    "short_term_loans",
    "payables",
    "advances_received",
    "current_liabilities",
    "long_term_loans",
    "total_liabilities",
)


_INCOME_ITEMS = ("revenue", "cost_of_sales", "interest_expense", "total_profit", "net_profit")


_SUMMARY_ITEMS = ("total_assets", "total_liabilities", "revenue", "net_profit")


_COLUMNS = 4  # three year-ends and the latest period


def _label(field: str) -> str:
    return FinancialPeriod.model_fields[field].title or field


def period_ratios(period: FinancialPeriod, config: Config) -> dict[str, Decimal | None]:
    return {
        "debt_to_asset": ratios.debt_to_asset(period.total_liabilities, period.total_assets),
        "current_ratio": ratios.current_ratio(period.current_assets, period.current_liabilities),
        "quick_ratio": ratios.quick_ratio(
            period.current_assets,
            period.inventory,
            period.current_liabilities,
            prepayments=period.prepayments,
            current_noncurrent=period.current_portion_noncurrent,
            other_current=period.other_current_assets,
            config=config,
        ),
        "interest_coverage": ratios.interest_coverage(period.ebit, period.interest_expense),
    }


_RATIO_LABELS = {
    "debt_to_asset": "资产负债率(%)",
    "current_ratio": "流动比率",
    "quick_ratio": "速动比率",
    "interest_coverage": "利息保障倍数(倍)",
}


def statement_facts(statements: FinancialStatements, config: Config) -> dict[str, Any]:
    """The statement tables, one row per item and four columns: three year-ends (blank columns on the
    left when fewer years exist) and the latest period; and the ratios of every period."""
    blanks: list[FinancialPeriod | None] = [None] * (_COLUMNS - 1 - len(statements.annual))
    columns: list[FinancialPeriod | None] = [*blanks, *statements.annual, statements.latest]

    def row(item: str, values: list[Decimal | None]) -> dict[str, Any]:
        return {"item": item, "figures": values}

    def item_row(name: str) -> dict[str, Any]:
        return row(_label(name), [getattr(p, name) if p else None for p in columns])

    per_period = [period_ratios(p, config) if p else None for p in columns]
    equity = row("所有者权益合计", [p.equity if p else None for p in columns])
    ebit = row("息税前利润(EBIT)", [p.ebit if p else None for p in columns])
    cash_flow = row("经营活动现金流量净额", [p.operating_cash_flow if p else None for p in columns])
    ratio_rows = [
        row(label, [r[key] if r else None for r in per_period]) for key, label in _RATIO_LABELS.items()
    ]
    last = statements.latest or statements.annual[-1]
    return {
        "headers": [(f"{p.label}（经审计）" if p.audited else p.label) if p else "" for p in columns],
        "balance_rows": [*(item_row(n) for n in _BALANCE_ITEMS), equity],
        "income_rows": [*(item_row(n) for n in _INCOME_ITEMS), ebit, cash_flow],
        "ratio_rows": ratio_rows,
        "summary_rows": [*(item_row(n) for n in _SUMMARY_ITEMS[:2]), equity]
        + [item_row(n) for n in _SUMMARY_ITEMS[2:]],
        "periods": [
            {"label": p.label, "period_end": p.period_end, **period_ratios(p, config)}
            for p in [*statements.annual, *([statements.latest] if statements.latest else [])]
        ],
        "last_label": last.label,
        "last_equity": last.equity,
        "insolvent": last.equity < 0,
    }


_HOUSEHOLD_KEYS = (
    "net_assets",
    "monthly_surplus",
    "debt_to_income",
    "new_monthly_payment",
    "debt_to_income_with_loan",
)


def household_facts(
    household: HouseholdFinances | None, terms: Terms, on: date, config: Config
) -> dict[str, Any]:
    """Net assets, monthly surplus and 负债收入比, before and with the new loan's monthly payment;
    all None when the file has no household figures (an enterprise)."""
    if household is None:
        return dict.fromkeys(_HOUSEHOLD_KEYS)
    new_payment = monthly_payment(terms, on, config)
    with_loan = (
        None
        if new_payment is None
        else ratios.debt_to_income(household.monthly_debt_service + new_payment, household.monthly_income)
    )
    return {
        "net_assets": household.total_assets - household.total_liabilities,
        "monthly_surplus": household.monthly_income
        - household.monthly_expenses
        - household.monthly_debt_service,
        "debt_to_income": ratios.debt_to_income(household.monthly_debt_service, household.monthly_income),
        "new_monthly_payment": new_payment,
        "debt_to_income_with_loan": with_loan,
    }
