"""Financial ratios of a borrower and its collateral (domain.md §1.6).

Conventions, shared by every function here:

* inputs are Decimal, int or str (floats are refused);
* a zero denominator gives ``None`` (the ratio is undefined, and a report prints "—");
* results are rounded half-up to two decimals; "percent" results are already multiplied by 100
  (``debt_to_asset(60, 100)`` is ``60.00``, not ``0.60``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from dossier.config import Config
from dossier.finance._common import HUNDRED, as_decimal, round2

Number = Decimal | int | str


class RatioSettings(BaseModel):
    """``[ratios]`` of the configuration."""

    quick_ratio: Literal["standard", "strict"] = "standard"
    turnover_days_year: int = Field(default=360, gt=0)


def ratio_settings(config: Config) -> RatioSettings:
    return config.section("ratios", RatioSettings)


def _ratio(numerator: Decimal, denominator: Decimal, scale: Decimal = Decimal(1)) -> Decimal | None:
    if denominator == 0:
        return None
    return round2(numerator * scale / denominator)


def debt_to_asset(liabilities: Number, assets: Number) -> Decimal | None:
    """资产负债率 = total liabilities / total assets × 100, percent to 2 dp; None when assets are 0."""
    return _ratio(as_decimal(liabilities, "liabilities"), as_decimal(assets, "assets"), HUNDRED)


def current_ratio(current_assets: Number, current_liabilities: Number) -> Decimal | None:
    """流动比率 = current assets / current liabilities, a plain ratio to 2 dp; None when liabilities are 0."""
    return _ratio(
        as_decimal(current_assets, "current assets"), as_decimal(current_liabilities, "current liabilities")
    )


def quick_ratio(
    current_assets: Number,
    inventory: Number,
    current_liabilities: Number,
    *,
    prepayments: Number = 0,
    current_noncurrent: Number = 0,
    other_current: Number = 0,
    config: Config,
) -> Decimal | None:
    """速动比率, a plain ratio to 2 dp; None when current liabilities are 0.

    ``[ratios].quick_ratio = "standard"``: (current assets − inventory) / current liabilities.
    ``"strict"`` also subtracts prepayments (预付账款), the current portion of non-current assets
    (一年内到期的非流动资产, ``current_noncurrent``) and other current assets (其他流动资产).
    """
    quick = as_decimal(current_assets, "current assets") - as_decimal(inventory, "inventory")
    if ratio_settings(config).quick_ratio == "strict":
        quick -= (
            as_decimal(prepayments, "prepayments")
            + as_decimal(current_noncurrent, "current portion of non-current assets")
            + as_decimal(other_current, "other current assets")
        )
    return _ratio(quick, as_decimal(current_liabilities, "current liabilities"))


def interest_coverage(ebit: Number, interest: Number) -> Decimal | None:
    """利息保障倍数 = EBIT / interest expense, times to 2 dp; None when interest is 0."""
    return _ratio(as_decimal(ebit, "EBIT"), as_decimal(interest, "interest expense"))


def mortgage_ratio(loan: Number, appraised: Number) -> Decimal | None:
    """抵押率 = loan / appraised collateral value × 100, percent to 2 dp; None when the value is 0."""
    return _ratio(as_decimal(loan, "loan"), as_decimal(appraised, "appraised value"), HUNDRED)


def guarantee_coverage(
    collateral_value: Number, mortgage_ratio_percent: Number, loan: Number
) -> Decimal | None:
    """担保覆盖率 = collateral value × discount (抵押率) / loan × 100, percent to 2 dp; None when loan is 0.

    Example: collateral 2,000,000 at a 50 % mortgage ratio against a 800,000 loan → 125.00.
    """
    discounted = (
        as_decimal(collateral_value, "collateral value")
        * as_decimal(mortgage_ratio_percent, "mortgage ratio")
        / HUNDRED
    )
    return _ratio(discounted, as_decimal(loan, "loan"), HUNDRED)


def debt_to_income(monthly_debt_service: Number, monthly_income: Number) -> Decimal | None:
    """负债收入比 = monthly debt service / monthly income × 100, percent to 2 dp; None when income is 0."""
    return _ratio(
        as_decimal(monthly_debt_service, "monthly debt service"),
        as_decimal(monthly_income, "monthly income"),
        HUNDRED,
    )
