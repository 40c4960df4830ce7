"""Day counts and simple interest (domain.md §3.6).

Days are counted 算头不算尾: the start day counts, the end day does not, so ``days = end − start``.
Daily rate = annual rate / day basis; the basis is 360 unless the product says otherwise
(``[interest].day_basis``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from dossier.config import Config
from dossier.finance._common import HUNDRED, as_decimal, round2


class InterestSettings(BaseModel):
    """``[interest]`` of the configuration."""

    day_basis: int = Field(gt=0)
    settlement_day: int = Field(default=20, ge=1, le=31)


def interest_settings(config: Config) -> InterestSettings:
    return config.section("interest", InterestSettings)


def day_basis(config: Config) -> int:
    """Days in the interest year (360 or 365) from ``[interest].day_basis``."""
    return interest_settings(config).day_basis


def days_between(start: date, end: date) -> int:
    """Interest days from ``start`` to ``end``, counting the start day and not the end day (算头不算尾)."""
    if end < start:
        raise ValueError(
            f"end date {end.isoformat()} is before start date {start.isoformat()} (结束日早于起始日)"
        )
    return (end - start).days


def interest_for_days(principal: Decimal, annual_rate_percent: Decimal, days: int, basis: int) -> Decimal:
    """Unrounded ``principal × rate/100 / basis × days``; callers round once, at the end.

    The one division comes last so an amount that is exactly half a fen stays exact and rounds up
    (dividing first would leave 47.124999… for 10,000 × 5.655 % / 360 × 30).
    """
    return principal * annual_rate_percent * days / (HUNDRED * basis)


def simple_interest(
    principal: Decimal,
    annual_rate_percent: Decimal,
    start: date,
    end: date,
    *,
    basis: int | None = None,
    config: Config,
) -> Decimal:
    """``principal × rate/100 / basis × days`` rounded half-up to the fen.

    ``basis`` defaults to ``[interest].day_basis``. Example: 100,000 at 4.35 % from 2024-01-15 to
    2024-07-15 is 182 days and 2,199.17 on a 360-day basis.
    """
    amount = as_decimal(principal, "principal")
    rate = as_decimal(annual_rate_percent, "annual rate")
    if amount < 0:
        raise ValueError(f"principal must not be negative (本金不能为负数): {amount}")
    if rate < 0:
        raise ValueError(f"annual rate must not be negative (年利率不能为负数): {rate}")
    if basis is None:
        basis = day_basis(config)
    elif basis <= 0:
        raise ValueError(f"day basis must be positive (计息基础天数必须大于零): {basis}")
    return round2(interest_for_days(amount, rate, days_between(start, end), basis))
