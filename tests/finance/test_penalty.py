from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.config import ConfigError, load_config
from dossier.finance.penalty import (
    ChargeKind,
    PenaltyResult,
    compound_interest,
    overdue_charges,
    penalty_interest,
    penalty_rate,
)

RATE = Decimal("4.35")
DUE = date(2024, 3, 20)


def test_penalty_rate_is_a_multiplier() -> None:
    assert penalty_rate(RATE, ChargeKind.OVERDUE, config=load_config()) == Decimal("6.525")
    assert penalty_rate(RATE, ChargeKind.MISUSE, config=load_config()) == Decimal("8.70")
    assert penalty_rate(RATE, ChargeKind.OVERDUE, Decimal("0.3"), config=load_config()) == Decimal("5.655")
    assert penalty_rate(RATE, "misuse", Decimal("0.5"), config=load_config()) == Decimal("6.525")


@pytest.mark.parametrize(
    ("kind", "markup"),
    [
        (ChargeKind.OVERDUE, Decimal("0.29")),
        (ChargeKind.OVERDUE, Decimal("0.51")),
        (ChargeKind.MISUSE, Decimal("0.49")),
        (ChargeKind.MISUSE, Decimal("1.01")),
    ],
)
def test_markup_outside_the_range_is_refused(kind: ChargeKind, markup: Decimal) -> None:
    with pytest.raises(ValueError, match="超出允许范围"):
        penalty_rate(RATE, kind, markup, config=load_config())


def test_penalty_golden() -> None:
    result = penalty_interest(Decimal(10000), RATE, DUE, date(2024, 4, 19), config=load_config())
    assert result == PenaltyResult(days=30, rate_percent=Decimal("6.525"), amount=Decimal("54.38"))


def test_misuse_penalty() -> None:
    # 10,000 × 4.35 % × 2 / 360 × 30 = 72.50
    result = penalty_interest(
        Decimal(10000), RATE, DUE, date(2024, 4, 19), kind=ChargeKind.MISUSE, config=load_config()
    )
    assert result.amount == Decimal("72.50")


def test_compound_interest_at_the_penalty_rate() -> None:
    # 362.50 unpaid interest × 6.525 % / 360 × 30 = 1.97109… → 1.97
    result = compound_interest(Decimal("362.50"), RATE, DUE, date(2024, 4, 19), config=load_config())
    assert result == PenaltyResult(days=30, rate_percent=Decimal("6.525"), amount=Decimal("1.97"))


def test_markup_default_from_config(config_with) -> None:
    config = config_with("penalty", overdue_markup="0.3")
    result = penalty_interest(Decimal(10000), RATE, DUE, date(2024, 4, 19), config=config)
    # 10,000 × 5.655 % / 360 × 30 = 47.125 → 47.13
    assert result.amount == Decimal("47.13")


def test_configured_default_outside_its_range_is_refused(config_with) -> None:
    config = config_with("penalty", overdue_markup="0.8")
    with pytest.raises(ValueError, match="超出允许范围"):
        penalty_rate(RATE, ChargeKind.OVERDUE, config=config)


def test_inverted_range_is_a_config_error(config_with) -> None:
    config = config_with("penalty", overdue_markup_min="0.6")
    with pytest.raises(ConfigError, match="overdue_markup_min"):
        penalty_rate(RATE, ChargeKind.OVERDUE, config=config)


def test_overdue_charges_simple() -> None:
    charges = overdue_charges(
        overdue_principal=Decimal(10000),
        unpaid_interest=Decimal("362.50"),
        contract_rate_percent=RATE,
        overdue_since=DUE,
        interest_unpaid_since=DUE,
        as_of=date(2024, 4, 19),
        config=load_config(),
    )
    assert charges.penalty == Decimal("54.38")
    assert charges.compound == Decimal("1.97")
    assert charges.total == Decimal("10418.85")
    assert charges.days_past_due == 30
    assert charges.penalty_rate_percent == Decimal("6.525")
    assert charges.annualised_cost_percent == Decimal("6.525")
    assert charges.warnings == ()


def test_days_past_due_from_the_earliest_unpaid_item() -> None:
    charges = overdue_charges(
        overdue_principal=Decimal(10000),
        unpaid_interest=Decimal(100),
        contract_rate_percent=RATE,
        overdue_since=DUE,
        interest_unpaid_since=date(2023, 12, 20),
        as_of=date(2024, 4, 19),
        config=load_config(),
    )
    assert charges.days_past_due == 121
    only_interest = overdue_charges(
        overdue_principal=Decimal(0),
        unpaid_interest=Decimal(100),
        contract_rate_percent=RATE,
        overdue_since=date(2023, 1, 1),  # no principal overdue: this date does not count
        interest_unpaid_since=DUE,
        as_of=date(2024, 4, 19),
        config=load_config(),
    )
    assert only_interest.days_past_due == 30
    assert only_interest.penalty == 0


def _both(policy_config=None, **extra):
    return overdue_charges(
        overdue_principal=Decimal(10000),
        unpaid_interest=Decimal(0),
        contract_rate_percent=Decimal(18),
        overdue_since=date(2024, 1, 1),
        interest_unpaid_since=None,
        as_of=date(2024, 1, 31),
        misuse_principal=Decimal(5000),
        misuse_since=date(2024, 1, 11),
        config=policy_config or load_config(),
        **extra,
    )


def test_overdue_and_misused_charges_only_the_higher_rate() -> None:
    charges = _both()
    # Overdue 27 %, misuse 36 %. 5,000 is only overdue for 30 days: 112.50; 5,000 overdue alone for
    # 10 days: 37.50, then overdue and misused for 20 days at 36 % only: 100.00.
    assert charges.penalty == Decimal("250.00")
    assert charges.penalty_rate_percent == Decimal("36.0")


def test_both_policy_from_config_charges_both(config_with) -> None:
    charges = _both(config_with("penalty", both_policy="both"))
    # Plus 5,000 × 27 % / 360 × 20 = 75.00 on the overlap.
    assert charges.penalty == Decimal("325.00")
    assert charges.annualised_cost_percent == Decimal("63.0")


def test_unknown_both_policy_is_a_config_error(config_with) -> None:
    with pytest.raises(ConfigError, match="both_policy"):
        _both(config_with("penalty", both_policy="sum"))


def test_annual_cost_cap_warning() -> None:
    charges = _both()
    assert charges.annualised_cost_percent == Decimal("36.0")
    assert len(charges.warnings) == 1
    assert (
        "24" in charges.warnings[0] and "年化" in charges.warnings[0] and "annual cost" in charges.warnings[0]
    )


def test_no_warning_below_the_cap_and_cap_from_config(config_with) -> None:
    kwargs = {
        "overdue_principal": Decimal(10000),
        "unpaid_interest": Decimal(0),
        "contract_rate_percent": Decimal(15),
        "overdue_since": DUE,
        "interest_unpaid_since": None,
        "as_of": date(2024, 4, 19),
    }
    assert overdue_charges(**kwargs, config=load_config()).warnings == ()  # 22.5 % ≤ 24 %
    lowered = overdue_charges(**kwargs, config=config_with("penalty", annual_cost_cap_percent="20"))
    assert len(lowered.warnings) == 1


def test_contract_rate_above_the_cap_warns_even_with_zero_markup(config_with) -> None:
    config = config_with("penalty", overdue_markup="0", overdue_markup_min="0")
    charges = overdue_charges(
        overdue_principal=Decimal(100),
        unpaid_interest=Decimal(0),
        contract_rate_percent=Decimal(25),
        overdue_since=DUE,
        interest_unpaid_since=None,
        as_of=DUE,
        config=config,
    )
    assert charges.annualised_cost_percent == Decimal(25)
    assert charges.warnings


def test_missing_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="欠息起始日"):
        overdue_charges(
            overdue_principal=Decimal(1),
            unpaid_interest=Decimal(1),
            contract_rate_percent=RATE,
            overdue_since=DUE,
            interest_unpaid_since=None,
            as_of=DUE,
            config=load_config(),
        )
    with pytest.raises(ValueError, match="挪用起始日"):
        overdue_charges(
            overdue_principal=Decimal(1),
            unpaid_interest=Decimal(0),
            contract_rate_percent=RATE,
            overdue_since=DUE,
            interest_unpaid_since=None,
            as_of=DUE,
            misuse_principal=Decimal(1),
            config=load_config(),
        )
    with pytest.raises(ValueError, match="结束日早于起始日"):
        overdue_charges(
            overdue_principal=Decimal(1),
            unpaid_interest=Decimal(0),
            contract_rate_percent=RATE,
            overdue_since=DUE,
            interest_unpaid_since=None,
            as_of=date(2024, 3, 19),
            config=load_config(),
        )


amounts = st.integers(min_value=0, max_value=10**10).map(lambda fen: Decimal(fen).scaleb(-2))
contract_rates = st.integers(min_value=0, max_value=2400).map(lambda bp: Decimal(bp).scaleb(-2))
markups = st.integers(min_value=30, max_value=50).map(lambda pct: Decimal(pct).scaleb(-2))
periods = st.integers(min_value=0, max_value=2000)


@settings(max_examples=300, deadline=None)
@given(amounts, amounts, contract_rates, markups, periods, periods)
def test_overdue_charges_add_up(
    principal: Decimal, interest: Decimal, rate: Decimal, markup: Decimal, days: int, interest_days: int
) -> None:
    as_of = date(2030, 1, 1)
    since = date.fromordinal(as_of.toordinal() - days)
    interest_since = date.fromordinal(as_of.toordinal() - interest_days)
    charges = overdue_charges(
        overdue_principal=principal,
        unpaid_interest=interest,
        contract_rate_percent=rate,
        overdue_since=since,
        interest_unpaid_since=interest_since,
        as_of=as_of,
        markup=markup,
        config=load_config(),
    )
    penalty = penalty_interest(principal, rate, since, as_of, markup=markup, config=load_config())
    compound = compound_interest(interest, rate, interest_since, as_of, markup=markup, config=load_config())
    assert charges.penalty == penalty.amount
    assert charges.compound == compound.amount
    assert charges.total == principal + interest + penalty.amount + compound.amount
    assert charges.penalty_rate_percent == rate * (1 + markup)
    assert charges.penalty >= 0 and charges.compound >= 0
    # Penalty never below contract interest for the same days (markup ≥ 0).
    contract_interest = principal * rate * days / 36000
    assert charges.penalty >= contract_interest.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
