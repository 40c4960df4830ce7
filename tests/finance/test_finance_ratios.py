from decimal import Decimal

import pytest

from dossier.config import load_config
from dossier.finance.ratios import (
    current_ratio,
    debt_to_asset,
    debt_to_income,
    guarantee_coverage,
    interest_coverage,
    mortgage_ratio,
    quick_ratio,
)


def test_debt_to_asset_in_percent() -> None:
    assert debt_to_asset(Decimal(600), Decimal(1000)) == Decimal("60.00")
    assert debt_to_asset(Decimal(1), Decimal(3)) == Decimal("33.33")
    assert debt_to_asset(Decimal(2), Decimal(3)) == Decimal("66.67")


def test_current_ratio() -> None:
    assert current_ratio(Decimal(1500), Decimal(1000)) == Decimal("1.50")
    assert current_ratio(Decimal(1), Decimal(8)) == Decimal("0.13")  # 0.125 rounds half-up


def test_quick_ratio_standard_ignores_the_strict_items() -> None:
    result = quick_ratio(
        Decimal(1500),
        Decimal(500),
        Decimal(800),
        prepayments=Decimal(100),
        other_current=Decimal(50),
        config=load_config(),
    )
    assert result == Decimal("1.25")


def test_quick_ratio_strict_from_config(config_with) -> None:
    config = config_with("ratios", quick_ratio="strict")
    result = quick_ratio(
        Decimal(1500),
        Decimal(500),
        Decimal(800),
        prepayments=Decimal(100),
        current_noncurrent=Decimal(20),
        other_current=Decimal(80),
        config=config,
    )
    assert result == Decimal("1.00")  # (1500 − 500 − 100 − 20 − 80) / 800


def test_interest_coverage() -> None:
    assert interest_coverage(Decimal(500000), Decimal(120000)) == Decimal("4.17")
    assert interest_coverage(Decimal(-50000), Decimal(100000)) == Decimal("-0.50")


def test_mortgage_and_guarantee_coverage() -> None:
    assert mortgage_ratio(Decimal(800000), Decimal(2000000)) == Decimal("40.00")
    assert guarantee_coverage(Decimal(2000000), Decimal(50), Decimal(800000)) == Decimal("125.00")
    assert guarantee_coverage(Decimal(1000000), Decimal(70), Decimal(900000)) == Decimal("77.78")


def test_debt_to_income() -> None:
    assert debt_to_income(Decimal(3500), Decimal(10000)) == Decimal("35.00")


@pytest.mark.parametrize(
    "call",
    [
        lambda: debt_to_asset(Decimal(1), Decimal(0)),
        lambda: current_ratio(Decimal(1), Decimal(0)),
        lambda: quick_ratio(Decimal(1), Decimal(0), Decimal(0), config=load_config()),
        lambda: interest_coverage(Decimal(1), Decimal(0)),
        lambda: mortgage_ratio(Decimal(1), Decimal(0)),
        lambda: guarantee_coverage(Decimal(1), Decimal(50), Decimal(0)),
        lambda: debt_to_income(Decimal(1), Decimal(0)),
    ],
)
def test_zero_denominator_gives_none(call) -> None:
    assert call() is None


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        current_ratio(1.5, Decimal(1))  # type: ignore[arg-type]


def test_ints_and_strings_are_accepted() -> None:
    assert current_ratio(3, "2") == Decimal("1.50")
