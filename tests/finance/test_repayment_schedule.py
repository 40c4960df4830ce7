from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.config import Config, load_config
from dossier.errors import ConfigError
from dossier.finance.schedule import (
    RepaymentMethod,
    ScheduleRow,
    build_schedule,
    parse_method,
    schedule_totals,
)

P = Decimal(100000)
RATE = Decimal("4.35")
START = date(2024, 1, 15)


def test_annuity_golden() -> None:
    rows = build_schedule(P, RATE, 12, RepaymentMethod.ANNUITY, START, config=load_config())
    assert [row.payment for row in rows[:-1]] == [Decimal("8530.99")] * 11
    assert abs(rows[-1].payment - Decimal("8530.99")) <= Decimal("0.05")
    assert rows[0].interest == Decimal("362.50")  # 100000 × 4.35 % / 12
    assert rows[0].principal == Decimal("8168.49")
    assert rows[-1].balance == 0
    assert schedule_totals(rows)[0] == P


def test_equal_principal_golden() -> None:
    rows = build_schedule(P, RATE, 12, RepaymentMethod.EQUAL_PRINCIPAL, START, config=load_config())
    # P/n = 8,333.333… → 8,333.33 in periods 1–11; the last takes 100,000 − 11 × 8,333.33 = 8,333.37.
    assert [row.principal for row in rows] == [Decimal("8333.33")] * 11 + [Decimal("8333.37")]
    assert rows[0].payment == Decimal("8695.83")  # 8,333.33 + 100,000 × 4.35 %/12 = 8,333.33 + 362.50
    # 8,333.37 × 4.35 %/12 = 30.2085… → 30.21; 8,333.37 + 30.21.
    assert rows[-1].payment == Decimal("8363.58")
    principal, interest, payment = schedule_totals(rows)
    # Balances 100,000 − (k−1) × 8,333.33, each × 0.3625 % rounded: 362.50 + 332.29 + 302.08 + 271.88
    # + 241.67 + 211.46 + 181.25 + 151.04 + 120.83 + 90.63 + 60.42 + 30.21.
    assert (principal, interest, payment) == (P, Decimal("2356.26"), Decimal("102356.26"))


def test_equal_principal_issue_example_per_period() -> None:
    # Issue 14: 88,888.88 at 4.90 % over 24 months. 88,888.88 / 24 = 3,703.7033… → 3,703.70.
    amount, rate = Decimal("88888.88"), Decimal("4.90")
    rows = build_schedule(amount, rate, 24, RepaymentMethod.EQUAL_PRINCIPAL, START, config=load_config())
    share = Decimal("3703.70")
    last_principal = amount - 23 * share
    assert last_principal == Decimal("3703.78")
    assert [row.principal for row in rows] == [share] * 23 + [last_principal]
    # First: 88,888.88 × 4.90 %/12 = 362.9629… → 362.96.
    assert (rows[0].interest, rows[0].payment) == (Decimal("362.96"), Decimal("4066.66"))
    # Last: 3,703.78 × 4.90 %/12 = 15.1237… → 15.12, so 3,703.78 + 15.12.
    assert (rows[-1].interest, rows[-1].payment) == (Decimal("15.12"), Decimal("3718.90"))
    # Period 23 owes interest on 2 × 3,703.70 + 0.08 = 7,407.48: × 4.90 %/12 = 30.2472… → 30.25.
    assert (rows[-2].interest, rows[-2].balance) == (Decimal("30.25"), Decimal("3703.78"))
    assert schedule_totals(rows)[0] == amount and rows[-1].balance == 0


def test_equal_principal_running_total_option(config_with) -> None:
    config = config_with("schedule", equal_principal_rounding="running-total")
    amount, rate = Decimal("88888.88"), Decimal("4.90")
    rows = build_schedule(amount, rate, 24, RepaymentMethod.EQUAL_PRINCIPAL, START, config=config)
    # Running totals k × 88,888.88 / 24 = 3,703.703…, 7,407.406…, 11,111.11, 14,814.813… round to
    # 3,703.70, 7,407.41, 11,111.11, 14,814.81: the principal alternates by a fen.
    expected = [Decimal(v) for v in ("3703.70", "3703.71", "3703.70", "3703.70")]
    assert [row.principal for row in rows[:4]] == expected
    # 23 × 88,888.88 / 24 = 85,185.176… → 85,185.18, so the last principal is 3,703.70. Interest is the
    # difference of running totals: all 24 periods 88,888.88 × 4.90 %/12 × 12.5 = 4,537.036… → 4,537.04,
    # the first 23 × 23·26/48 = 4,521.909… → 4,521.91, so 15.13 and the issue's 3,718.83.
    assert (rows[-1].principal, rows[-1].interest) == (Decimal("3703.70"), Decimal("15.13"))
    assert rows[-1].payment == Decimal("3718.83")
    # The domain.md §3.7 figures are the running-total ones.
    reference = build_schedule(P, RATE, 12, RepaymentMethod.EQUAL_PRINCIPAL, START, config=config)
    assert (reference[0].payment, reference[-1].payment) == (Decimal("8695.83"), Decimal("8363.54"))
    assert schedule_totals(reference)[1] == Decimal("2356.25")
    assert all(abs(row.principal - P / 12) < Decimal("0.01") for row in reference)


def test_unknown_equal_principal_rounding_is_a_config_error(config_with) -> None:
    with pytest.raises(ConfigError, match=r"schedule\.equal_principal_rounding"):
        build_schedule(
            P,
            RATE,
            12,
            RepaymentMethod.EQUAL_PRINCIPAL,
            START,
            config=config_with("schedule", equal_principal_rounding="nearest"),
        )


def test_tiny_equal_principal_never_repays_early() -> None:
    # 0.11 over 7 months: 0.0157… rounds up to 0.02, and 6 × 0.02 > 0.11, so the share rounds down.
    rows = build_schedule(
        Decimal("0.11"), Decimal(0), 7, RepaymentMethod.EQUAL_PRINCIPAL, START, config=load_config()
    )
    assert [row.principal for row in rows] == [Decimal("0.01")] * 6 + [Decimal("0.05")]


def test_bullet_golden() -> None:
    rows = build_schedule(P, RATE, 6, RepaymentMethod.BULLET, START, config=load_config())
    assert rows == [
        ScheduleRow(1, date(2024, 7, 15), P, Decimal("2199.17"), Decimal("102199.17"), Decimal("0.00"))
    ]


def test_monthly_interest_uses_actual_days() -> None:
    rows = build_schedule(P, RATE, 3, RepaymentMethod.MONTHLY_INTEREST, START, config=load_config())
    # 2024-01-15 → 02-15: 31 days, → 03-15: 29 days (leap year), → 04-15: 31 days.
    assert [row.interest for row in rows] == [Decimal("374.58"), Decimal("350.42"), Decimal("374.58")]
    assert [row.principal for row in rows] == [Decimal("0.00"), Decimal("0.00"), P]
    assert [row.balance for row in rows] == [P, P, Decimal("0.00")]


def test_quarterly_interest_with_a_short_final_period() -> None:
    rows = build_schedule(P, RATE, 7, RepaymentMethod.QUARTERLY_INTEREST, START, config=load_config())
    assert [row.due_date for row in rows] == [date(2024, 4, 15), date(2024, 7, 15), date(2024, 8, 15)]
    # 91 days, 91 days, 31 days at 100000 × 4.35 % / 360.
    assert [row.interest for row in rows] == [Decimal("1099.58"), Decimal("1099.58"), Decimal("374.58")]
    assert rows[-1].payment == Decimal("100374.58")


def test_quarterly_with_whole_quarters_has_no_extra_period() -> None:
    rows = build_schedule(P, RATE, 12, RepaymentMethod.QUARTERLY_INTEREST, START, config=load_config())
    assert [row.period for row in rows] == [1, 2, 3, 4]
    assert rows[-1].due_date == date(2025, 1, 15)


def test_due_dates_clamp_to_month_end() -> None:
    rows = build_schedule(P, RATE, 4, RepaymentMethod.ANNUITY, date(2024, 1, 31), config=load_config())
    assert [row.due_date for row in rows] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_zero_rate() -> None:
    for method in RepaymentMethod:
        rows = build_schedule(Decimal(1200), Decimal(0), 12, method, START, config=load_config())
        principal, interest, payment = schedule_totals(rows)
        assert (principal, interest, payment) == (Decimal(1200), 0, Decimal(1200))
    annuity = build_schedule(
        Decimal(1200), Decimal(0), 12, RepaymentMethod.ANNUITY, START, config=load_config()
    )
    assert {row.payment for row in annuity} == {Decimal("100.00")}


def test_tiny_annuity_does_not_repay_early() -> None:
    # 1.00 over 150 months at 0 %: 0.0067 a month rounds to 0.01, which would clear the loan in month 100.
    rows = build_schedule(
        Decimal("1.00"), Decimal(0), 150, RepaymentMethod.ANNUITY, START, config=load_config()
    )
    assert all(row.balance >= 0 for row in rows)
    assert len({row.payment for row in rows[:-1]}) == 1
    assert schedule_totals(rows)[0] == Decimal("1.00")


def test_day_basis_override_changes_interest_only_schedules(config_with) -> None:
    config = config_with("interest", day_basis=365)
    rows = build_schedule(P, RATE, 6, RepaymentMethod.BULLET, START, config=config)
    assert rows[0].interest == Decimal("2169.04")
    # The monthly-rate methods do not use the day basis.
    default = build_schedule(P, RATE, 12, RepaymentMethod.ANNUITY, START, config=load_config())
    assert build_schedule(P, RATE, 12, RepaymentMethod.ANNUITY, START, config=config) == default


def test_as_dict() -> None:
    row = build_schedule(P, RATE, 12, RepaymentMethod.EQUAL_PRINCIPAL, START, config=load_config())[0]
    assert row.as_dict() == {
        "period": 1,
        "due_date": "2024-02-15",
        "principal": "8333.33",
        "interest": "362.50",
        "payment": "8695.83",
        "balance": "91666.67",
    }


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("annuity", RepaymentMethod.ANNUITY),
        ("等额本息", RepaymentMethod.ANNUITY),
        ("等额本息还款", RepaymentMethod.ANNUITY),
        ("等额本息还款法", RepaymentMethod.ANNUITY),
        ("Equal Principal", RepaymentMethod.EQUAL_PRINCIPAL),
        ("equal_principal", RepaymentMethod.EQUAL_PRINCIPAL),
        ("等额本金", RepaymentMethod.EQUAL_PRINCIPAL),
        ("按月付息到期还本", RepaymentMethod.MONTHLY_INTEREST),
        ("按月付息，到期还本", RepaymentMethod.MONTHLY_INTEREST),
        ("按季付息、到期一次还本", RepaymentMethod.QUARTERLY_INTEREST),
        ("quarterly-interest", RepaymentMethod.QUARTERLY_INTEREST),
        ("利随本清", RepaymentMethod.BULLET),
        ("到期一次性还本付息", RepaymentMethod.BULLET),
        (" BULLET ", RepaymentMethod.BULLET),
    ],
)
def test_parse_method(text: str, method: RepaymentMethod) -> None:
    assert parse_method(text) is method


def test_parse_method_lists_accepted_names() -> None:
    with pytest.raises(ValueError, match="未知还款方式") as info:
        parse_method("气球贷")
    assert "等额本金" in str(info.value) and "bullet" in str(info.value)


def test_labels() -> None:
    assert RepaymentMethod.ANNUITY.label == "等额本息"
    assert RepaymentMethod.BULLET.label == "到期一次还本付息"
    assert RepaymentMethod.QUARTERLY_INTEREST.label == "按季付息到期还本"


@pytest.mark.parametrize(
    ("principal", "rate", "months", "message"),
    [
        (Decimal(0), RATE, 12, "贷款本金必须大于零"),
        (Decimal("100.001"), RATE, 12, "最多两位小数"),
        (P, Decimal("-0.01"), 12, "年利率不能为负数"),
        (P, RATE, 0, "贷款期限至少一个月"),
    ],
)
def test_invalid_inputs(principal: Decimal, rate: Decimal, months: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_schedule(principal, rate, months, RepaymentMethod.ANNUITY, START, config=load_config())


principals = st.integers(min_value=1, max_value=10**11).map(lambda fen: Decimal(fen).scaleb(-2))
rates = st.integers(min_value=0, max_value=2400).map(lambda bp: Decimal(bp).scaleb(-2))
months = st.integers(min_value=1, max_value=360)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
_RUNNING_TOTAL = Config(
    data={**load_config().data, "schedule": {"equal_principal_rounding": "running-total"}},
    sources=("defaults", "test: running-total"),
)
configs = st.sampled_from([load_config(), _RUNNING_TOTAL])


def _has_fen_precision(value: Decimal) -> bool:
    return value.as_tuple().exponent >= -2  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(principals, rates, months, st.sampled_from(list(RepaymentMethod)), starts, configs)
def test_schedule_invariants(
    principal: Decimal, rate: Decimal, n: int, method: RepaymentMethod, start: date, config: Config
) -> None:
    rows = build_schedule(principal, rate, n, method, start, config=config)
    assert schedule_totals(rows)[0] == principal
    assert [row.period for row in rows] == list(range(1, len(rows) + 1))
    expected_periods = {RepaymentMethod.BULLET: 1, RepaymentMethod.QUARTERLY_INTEREST: -(-n // 3)}
    assert len(rows) == expected_periods.get(method, n)
    assert rows[-1].balance == 0
    assert rows[-1].due_date.month == (start.month - 1 + n) % 12 + 1
    previous_balance, previous_due = principal, start
    for row in rows:
        for value in (row.principal, row.interest, row.payment, row.balance):
            assert _has_fen_precision(value)
            assert value >= 0
        assert row.payment == row.principal + row.interest
        assert row.balance == previous_balance - row.principal
        assert row.balance <= previous_balance
        assert row.due_date > previous_due
        previous_balance, previous_due = row.balance, row.due_date


@settings(max_examples=300, deadline=None)
@given(principals, rates, months, starts)
def test_annuity_payments_are_constant_except_the_last(
    principal: Decimal, rate: Decimal, n: int, start: date
) -> None:
    rows = build_schedule(principal, rate, n, RepaymentMethod.ANNUITY, start, config=load_config())
    assert len({row.payment for row in rows[:-1]}) <= 1


@settings(max_examples=300, deadline=None)
@given(principals, rates, months, starts)
def test_equal_principal_per_period_shares(principal: Decimal, rate: Decimal, n: int, start: date) -> None:
    rows = build_schedule(principal, rate, n, RepaymentMethod.EQUAL_PRINCIPAL, start, config=load_config())
    share = (principal / n).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    if share * (n - 1) > principal:
        share = (principal / n).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert [row.principal for row in rows[:-1]] == [share] * (n - 1)
    assert rows[-1].principal == principal - share * (n - 1) >= 0
    before = principal
    for row in rows:
        assert row.interest == (before * rate / 1200).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        before = row.balance


@settings(max_examples=300, deadline=None)
@given(principals, rates, months, starts)
def test_equal_principal_running_total_matches_the_closed_forms(
    principal: Decimal, rate: Decimal, n: int, start: date
) -> None:
    rows = build_schedule(principal, rate, n, RepaymentMethod.EQUAL_PRINCIPAL, start, config=_RUNNING_TOTAL)
    assert schedule_totals(rows)[0] == principal and rows[-1].balance == 0
    share = principal / n
    assert all(abs(row.principal - share) < Decimal("0.01") for row in rows)
    closed_form = principal * rate / 1200 * (n + 1) / 2
    assert schedule_totals(rows)[1] == closed_form.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
