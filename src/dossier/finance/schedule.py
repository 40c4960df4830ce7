"""Repayment schedules (domain.md §3.7).

* 等额本息 (annuity) and 等额本金 (equal principal) use the monthly rate ``i = annual / 12``.
* 等额本金 repays P/n rounded to the fen each period and the last period the remainder, as banks print
  it; ``[schedule].equal_principal_rounding = "running-total"`` instead rounds the running totals.
* 按月/按季付息到期还本 and 到期一次还本付息 charge ``balance × annual / basis × actual days`` between
  consecutive due dates (算头不算尾, basis from ``[interest].day_basis``).

Due date k is ``start + k months`` clamped to the month end (a loan drawn on 31 January falls due on
29 February, then on 31 March). Every figure is rounded half-up to the fen; the principal column always
sums exactly to the loan and the last balance is 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from pydantic import BaseModel

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.enums import RepaymentMethod
from dossier.finance._common import CENT, HUNDRED, as_decimal, round2
from dossier.finance.daycount import day_basis, days_between, interest_for_days

_ZERO = Decimal("0.00")
_MONTHS_PER_YEAR = 12
_MONTHS_PER_QUARTER = 3


class EqualPrincipalRounding(StrEnum):
    """How 等额本金 spreads the fen P/n does not divide (``[schedule].equal_principal_rounding``)."""

    PER_PERIOD = "per-period"
    """P/n rounded to the fen every period, the last period takes the remainder (banks' schedules)."""
    RUNNING_TOTAL = "running-total"
    """Each running total rounded; periods differ by a fen and totals equal the closed forms."""


class ScheduleSettings(BaseModel):
    """``[schedule]`` of the configuration."""

    equal_principal_rounding: EqualPrincipalRounding = EqualPrincipalRounding.PER_PERIOD


def schedule_settings(config: Config) -> ScheduleSettings:
    return config.section("schedule", ScheduleSettings)


# Punctuation and spacing people put inside method names (按月付息，到期还本 / 按月付息、到期还本).
_NOISE_RE = re.compile(r"[\s,，、;；:：()（）]+")
_SUFFIXES = ("还款方式", "还款法", "方式", "法")


def _normalise(text: str) -> str:
    cleaned = _NOISE_RE.sub("", text.strip()).lower().replace("_", "-")
    for suffix in _SUFFIXES:
        if cleaned.endswith(suffix) and len(cleaned) > len(suffix):
            cleaned = cleaned.removesuffix(suffix)
            break
    return cleaned


def _spellings(member: RepaymentMethod) -> set[str]:
    names = {member.value, member.label, member.name, *member.aliases}
    return {_normalise(name) for name in names} | {_normalise(name.replace("-", " ")) for name in names}


def parse_method(text: str) -> RepaymentMethod:
    """Read a repayment method from its English value, Chinese name or a common alias."""
    wanted = _normalise(text)
    for member in RepaymentMethod:
        if wanted in _spellings(member):
            return member
    accepted = ", ".join(f"{m.value} ({m.label})" for m in RepaymentMethod)
    raise ValueError(f"unknown repayment method (未知还款方式) {text!r}; accepted (可选): {accepted}")


@dataclass(frozen=True)
class ScheduleRow:
    """One instalment: what falls due on ``due_date`` and the principal still owed afterwards."""

    period: int
    due_date: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal

    def as_dict(self) -> dict[str, int | str]:
        return {
            "period": self.period,
            "due_date": self.due_date.isoformat(),
            "principal": str(self.principal),
            "interest": str(self.interest),
            "payment": str(self.payment),
            "balance": str(self.balance),
        }


def _row(period: int, due: date, principal: Decimal, interest: Decimal, balance: Decimal) -> ScheduleRow:
    return ScheduleRow(period, due, principal, interest, principal + interest, balance)


def _validate(principal: Decimal, rate: Decimal, months: int) -> None:
    if principal <= 0:
        raise ValueError(f"principal must be positive (贷款本金必须大于零): {principal}")
    if principal != round2(principal):
        raise ValueError(f"principal has more than two decimals (贷款本金最多两位小数): {principal}")
    if rate < 0:
        raise ValueError(f"annual rate must not be negative (年利率不能为负数): {rate}")
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError(f"months must be an int (期限月数必须为整数): {months!r}")
    if months < 1:
        raise ValueError(f"term must be at least one month (贷款期限至少一个月): {months}")


def _monthly_interest(balance: Decimal, rate: Decimal) -> Decimal:
    # balance × annual/12, with the one division last so exact half-fen amounts stay exact.
    return round2(balance * rate / (_MONTHS_PER_YEAR * HUNDRED))


def _annuity_try(
    principal: Decimal, rate: Decimal, payment: Decimal, dues: list[date]
) -> list[ScheduleRow] | None:
    """The schedule for a fixed ``payment``, or None if that payment would clear the loan early."""
    rows: list[ScheduleRow] = []
    balance = principal
    last = len(dues)
    for period, due in enumerate(dues, start=1):
        interest = _monthly_interest(balance, rate)
        part = balance if period == last else payment - interest
        if part > balance:
            return None
        balance -= part
        rows.append(_row(period, due, part, interest, balance))
    return rows


def _annuity(principal: Decimal, rate: Decimal, dues: list[date]) -> list[ScheduleRow]:
    # A = P·i·(1+i)ⁿ / ((1+i)ⁿ − 1), rounded to the fen; interest = balance × i, principal = A − interest,
    # and the last period pays whatever is left.
    n = len(dues)
    monthly_rate = rate / HUNDRED / _MONTHS_PER_YEAR
    if monthly_rate == 0:
        exact = principal / n
    else:
        growth = (1 + monthly_rate) ** n
        exact = principal * monthly_rate * growth / (growth - 1)
    floor = _monthly_interest(principal, rate)
    payment = max(round2(exact), floor)
    # For loans of a few yuan the fen rounded up n times can repay the loan before the last period; such
    # a payment is lowered a fen at a time. It never needs to drop below the first period's interest, at
    # which the principal simply waits for the last period.
    while (rows := _annuity_try(principal, rate, payment, dues)) is None:
        payment = max(payment - CENT, floor)
    return rows


def _equal_principal(principal: Decimal, rate: Decimal, dues: list[date]) -> list[ScheduleRow]:
    # What a borrower's repayment schedule shows: principal P/n rounded half-up to the fen in every
    # period but the last, which takes whatever is left; interest = balance before the period × i.
    n = len(dues)
    share = round2(principal / n)
    if share * (n - 1) > principal:
        # Only for loans of a few yuan over many periods (P < n(n−1)/200): rounding the share up
        # would repay the loan before the last period, so the share is rounded down instead.
        share = (principal / n).quantize(CENT, rounding=ROUND_DOWN)
    rows: list[ScheduleRow] = []
    balance = principal
    for period, due in enumerate(dues, start=1):
        interest = _monthly_interest(balance, rate)
        part = balance if period == n else share
        balance -= part
        rows.append(_row(period, due, part, interest, balance))
    return rows


def _equal_principal_running_total(principal: Decimal, rate: Decimal, dues: list[date]) -> list[ScheduleRow]:
    # Principal P/n and interest (P − (k−1)·P/n)·i per period. Each running total (principal repaid,
    # interest charged) is the exact figure rounded to the fen and each period takes the difference, so
    # every figure is within a fen of the formula and the totals equal the closed forms: principal P,
    # interest P·i·(n+1)/2. The principal column alternates by a fen (3,703.70 / 3,703.71).
    n = len(dues)
    rows: list[ScheduleRow] = []
    repaid = charged = _ZERO
    for period, due in enumerate(dues, start=1):
        # Σ_{j<k} (n − j) = k(2n − k + 1)/2; one division each keeps exact ties exact.
        cum_principal = round2(principal * period / n)
        cum_interest = round2(
            principal * rate * (period * (2 * n - period + 1)) / (2 * n * _MONTHS_PER_YEAR * HUNDRED)
        )
        part, interest = cum_principal - repaid, cum_interest - charged
        repaid, charged = cum_principal, cum_interest
        rows.append(_row(period, due, part, interest, principal - repaid))
    return rows


def _interest_only(
    principal: Decimal, rate: Decimal, start: date, dues: list[date], basis: int
) -> list[ScheduleRow]:
    # Balance × annual/basis × actual days since the previous due date; principal at maturity.
    rows: list[ScheduleRow] = []
    previous = start
    last = len(dues)
    for period, due in enumerate(dues, start=1):
        interest = round2(interest_for_days(principal, rate, days_between(previous, due), basis))
        part = principal if period == last else _ZERO
        rows.append(_row(period, due, part, interest, principal - part if period == last else principal))
        previous = due
    return rows


def _due_offsets(method: RepaymentMethod, months: int) -> list[int]:
    if method is RepaymentMethod.BULLET:
        return [months]
    if method is RepaymentMethod.QUARTERLY_INTEREST:
        offsets = list(range(_MONTHS_PER_QUARTER, months + 1, _MONTHS_PER_QUARTER))
        # A term that is not whole quarters ends with a short period at maturity.
        if not offsets or offsets[-1] != months:
            offsets.append(months)
        return offsets
    return list(range(1, months + 1))


def build_schedule(
    principal: Decimal,
    annual_rate_percent: Decimal,
    months: int,
    method: RepaymentMethod,
    start: date,
    *,
    config: Config,
) -> list[ScheduleRow]:
    """The repayment schedule of a loan drawn on ``start`` for ``months`` months.

    Example: 100,000 at 4.35 % for 12 months pays 8,530.99 a month as 等额本息; as 等额本金 the first
    payment is 8,695.83, the last 8,363.58 (principal 8,333.37) and the interest totals 2,356.26
    (with ``[schedule].equal_principal_rounding = "running-total"``: 8,363.54 and 2,356.25).
    """
    amount = as_decimal(principal, "principal")
    rate = as_decimal(annual_rate_percent, "annual rate")
    _validate(amount, rate, months)
    amount = round2(amount)  # 100000 → 100000.00, so every figure prints with two decimals
    method = method if isinstance(method, RepaymentMethod) else parse_method(method)
    dues = [add_months(start, offset) for offset in _due_offsets(method, months)]
    if method is RepaymentMethod.ANNUITY:
        return _annuity(amount, rate, dues)
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        if schedule_settings(config).equal_principal_rounding is EqualPrincipalRounding.RUNNING_TOTAL:
            return _equal_principal_running_total(amount, rate, dues)
        return _equal_principal(amount, rate, dues)
    return _interest_only(amount, rate, start, dues, day_basis(config))


def schedule_totals(rows: Iterable[ScheduleRow]) -> tuple[Decimal, Decimal, Decimal]:
    """Sums of the principal, interest and payment columns."""
    principal = interest = payment = _ZERO
    for row in rows:
        principal += row.principal
        interest += row.interest
        payment += row.payment
    return principal, interest, payment
