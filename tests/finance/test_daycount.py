from datetime import date
from decimal import Decimal

import pytest

from dossier.config import load_config
from dossier.finance.daycount import days_between, simple_interest


def test_days_count_the_start_day_and_not_the_end_day() -> None:
    assert days_between(date(2024, 1, 15), date(2024, 7, 15)) == 182
    assert days_between(date(2024, 1, 15), date(2024, 1, 15)) == 0
    assert days_between(date(2024, 2, 28), date(2024, 3, 1)) == 2  # leap year


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="结束日早于起始日"):
        days_between(date(2024, 1, 15), date(2024, 1, 14))


def test_lump_sum_golden() -> None:
    interest = simple_interest(
        Decimal(100000), Decimal("4.35"), date(2024, 1, 15), date(2024, 7, 15), config=load_config()
    )
    assert interest == Decimal("2199.17")


def test_explicit_365_basis() -> None:
    interest = simple_interest(
        Decimal(100000),
        Decimal("4.35"),
        date(2024, 1, 15),
        date(2024, 7, 15),
        basis=365,
        config=load_config(),
    )
    # 100000 × 0.0435 / 365 × 182 = 2169.04…
    assert interest == Decimal("2169.04")


def test_basis_from_config(config_with) -> None:
    config = config_with("interest", day_basis=365)
    interest = simple_interest(
        Decimal(100000), Decimal("4.35"), date(2024, 1, 15), date(2024, 7, 15), config=config
    )
    assert interest == Decimal("2169.04")


def test_half_up_rounding() -> None:
    # 1000 × 3.6 % / 360 × 1 day = 0.10 exactly; 375 → 0.0375 → 0.04
    assert simple_interest(
        Decimal(1000), Decimal("3.6"), date(2024, 1, 1), date(2024, 1, 2), config=load_config()
    ) == Decimal("0.10")
    assert simple_interest(
        Decimal(375), Decimal("3.6"), date(2024, 1, 1), date(2024, 1, 2), config=load_config()
    ) == Decimal("0.04")
    # 50 × 3.6 % / 360 × 25 days = 0.125 → 0.13 (half-up, not half-even)
    assert simple_interest(
        Decimal(50), Decimal("3.6"), date(2024, 1, 1), date(2024, 1, 26), config=load_config()
    ) == Decimal("0.13")


def test_bad_inputs() -> None:
    start, end = date(2024, 1, 1), date(2024, 2, 1)
    with pytest.raises(ValueError, match="本金不能为负数"):
        simple_interest(Decimal(-1), Decimal(4), start, end, config=load_config())
    with pytest.raises(ValueError, match="年利率不能为负数"):
        simple_interest(Decimal(1), Decimal(-4), start, end, config=load_config())
    with pytest.raises(ValueError, match="计息基础"):
        simple_interest(Decimal(1), Decimal(4), start, end, basis=0, config=load_config())
    with pytest.raises(TypeError):
        simple_interest(100.0, Decimal(4), start, end, config=load_config())  # type: ignore[arg-type]
