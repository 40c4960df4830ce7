from decimal import Decimal

import pytest

from dossier.config import load_config
from dossier.finance.working_capital import (
    Turnover,
    WorkingCapitalInput,
    estimate_working_capital,
)


def _example(**changes: Decimal) -> WorkingCapitalInput:
    figures = {
        "last_year_sales": Decimal(12_000_000),
        "last_year_cost_of_sales": Decimal(9_000_000),
        "sales_profit_margin_percent": Decimal(10),
        "growth_rate_percent": Decimal(20),
        "inventory": Decimal(1_500_000),
        "receivables": Decimal(2_000_000),
        "payables": Decimal(750_000),
        "prepayments": Decimal(250_000),
        "advances_received": Decimal(400_000),
        "own_funds": Decimal(1_000_000),
        "existing_wc_loans": Decimal(1_200_000),
        "other_wc_sources": Decimal(300_000),
    }
    figures.update(changes)
    return WorkingCapitalInput(**figures)


def test_hand_computed_example() -> None:
    # By hand: inventory 9,000,000 / 1,500,000 = 6 times → 60 days; receivables 12,000,000 / 2,000,000 = 6
    # → 60; payables 9,000,000 / 750,000 = 12 → 30; prepayments 9,000,000 / 250,000 = 36 → 10; advances
    # 12,000,000 / 400,000 = 30 → 12. Cycle 60 + 60 − 30 + 10 − 12 = 88 days, 360 / 88 = 4.0909 times.
    # Need 12,000,000 × 0.9 × 1.2 / 4.0909… = 3,168,000; new loan 3,168,000 − 1,000,000 − 1,200,000
    # − 300,000 = 668,000.
    result = estimate_working_capital(_example(), config=load_config())
    assert result.inventory == Turnover(Decimal("6.00"), Decimal("60.00"))
    assert result.receivables == Turnover(Decimal("6.00"), Decimal("60.00"))
    assert result.payables == Turnover(Decimal("12.00"), Decimal("30.00"))
    assert result.prepayments == Turnover(Decimal("36.00"), Decimal("10.00"))
    assert result.advances_received == Turnover(Decimal("30.00"), Decimal("12.00"))
    assert result.turnover_days == Decimal("88.00")
    assert result.turnover_count == Decimal("4.09")
    assert result.working_capital_need == Decimal("3168000.00")
    assert result.new_loan_limit == Decimal("668000.00")
    assert result.needs_new_loan


def test_zero_balance_turns_over_in_no_days() -> None:
    result = estimate_working_capital(
        _example(prepayments=Decimal(0), advances_received=Decimal(0)), config=load_config()
    )
    assert result.prepayments == Turnover(None, Decimal("0.00"))
    # Cycle 90 days: need 12,960,000 × 90 / 360 = 3,240,000.
    assert result.turnover_days == Decimal("90.00")
    assert result.working_capital_need == Decimal("3240000.00")


def test_own_funds_can_cover_the_need() -> None:
    result = estimate_working_capital(_example(own_funds=Decimal(5_000_000)), config=load_config())
    assert result.new_loan_limit == Decimal("-3332000.00")
    assert not result.needs_new_loan


def test_supplier_financed_cycle_needs_nothing() -> None:
    result = estimate_working_capital(_example(payables=Decimal(5_000_000)), config=load_config())
    assert result.turnover_days < 0
    assert result.turnover_count is None
    assert result.working_capital_need == 0


def test_year_from_config(config_with) -> None:
    result = estimate_working_capital(_example(), config=config_with("ratios", turnover_days_year=365))
    # Days scale with the year, counts do not, so the need is unchanged.
    assert result.inventory.days == Decimal("60.83")
    assert result.working_capital_need == Decimal("3168000.00")


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="上年销售收入必须大于零"):
        estimate_working_capital(_example(last_year_sales=Decimal(0)), config=load_config())
    with pytest.raises(ValueError, match="存货不能为负数"):
        estimate_working_capital(_example(inventory=Decimal(-1)), config=load_config())
    with pytest.raises(ValueError, match="销售收入或成本为零"):
        estimate_working_capital(_example(last_year_cost_of_sales=Decimal(0)), config=load_config())
