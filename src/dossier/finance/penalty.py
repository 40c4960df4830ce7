"""Penalty interest (罚息) and compound interest (复利) on overdue or misused loans (domain.md §3.8).

Penalty rates are multipliers on the contract rate, not added points (银发〔2003〕251号): overdue
``rate × (1 + 30 %…50 %)``, misuse (挪用) ``rate × (1 + 50 %…100 %)``. Amounts are
``base × penalty rate / basis × days`` with days counted 算头不算尾 from the first overdue (or misuse)
date, which is the missed due date itself, to the as-of date. The markups, their allowed ranges, the
policy for a loan that is both overdue and misused and the annual-cost cap live in ``[penalty]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, model_validator

from dossier.config import Config
from dossier.finance._common import as_decimal, round2
from dossier.finance.daycount import day_basis, days_between, interest_for_days

_ZERO = Decimal("0.00")


class ChargeKind(StrEnum):
    """Why a penalty rate applies."""

    OVERDUE = "overdue"
    MISUSE = "misuse"

    @property
    def label(self) -> str:
        return {ChargeKind.OVERDUE: "逾期", ChargeKind.MISUSE: "挪用"}[self]


class PenaltySettings(BaseModel):
    """``[penalty]`` of the configuration."""

    overdue_markup: Decimal
    overdue_markup_min: Decimal
    overdue_markup_max: Decimal
    misuse_markup: Decimal
    misuse_markup_min: Decimal
    misuse_markup_max: Decimal
    # "higher": charge only the higher rate where overdue and misused principal overlap; "both": charge both.
    both_policy: Literal["higher", "both"] = "higher"
    annual_cost_cap_percent: Decimal | None = None

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> PenaltySettings:
        for kind in ChargeKind:
            low, high = self.markup_range(kind)
            if low > high:
                raise ValueError(f"{kind.value}_markup_min must not exceed {kind.value}_markup_max")
        return self

    def markup_range(self, kind: ChargeKind) -> tuple[Decimal, Decimal]:
        if kind is ChargeKind.OVERDUE:
            return self.overdue_markup_min, self.overdue_markup_max
        return self.misuse_markup_min, self.misuse_markup_max

    def default_markup(self, kind: ChargeKind) -> Decimal:
        return self.overdue_markup if kind is ChargeKind.OVERDUE else self.misuse_markup


def penalty_settings(config: Config) -> PenaltySettings:
    return config.section("penalty", PenaltySettings)


@dataclass(frozen=True)
class PenaltyResult:
    """Days charged, the annual penalty rate in percent, and the amount rounded to the fen."""

    days: int
    rate_percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class OverdueCharges:
    """What an overdue loan owes on ``as_of``: the figures of a 催收通知书.

    ``penalty_rate_percent`` is the highest penalty rate applied; ``annualised_cost_percent`` the highest
    annual rate the borrower pays on any part of the debt (contract or penalty rate).
    """

    overdue_principal: Decimal
    unpaid_interest: Decimal
    penalty: Decimal
    compound: Decimal
    total: Decimal
    days_past_due: int
    penalty_rate_percent: Decimal
    annualised_cost_percent: Decimal
    warnings: tuple[str, ...]


def _rate(value: Decimal) -> Decimal:
    rate = as_decimal(value, "contract rate")
    if rate < 0:
        raise ValueError(f"contract rate must not be negative (合同利率不能为负数): {rate}")
    return rate


def _amount(value: Decimal, name: str, label: str) -> Decimal:
    amount = as_decimal(value, name)
    if amount < 0:
        raise ValueError(f"{name} must not be negative ({label}不能为负数): {amount}")
    return amount


def penalty_rate(
    contract_rate_percent: Decimal,
    kind: ChargeKind,
    markup: Decimal | None = None,
    *,
    config: Config,
) -> Decimal:
    """Annual penalty rate in percent: ``contract rate × (1 + markup)``, unrounded.

    ``markup`` (a fraction, 0.5 = +50 %) defaults to ``[penalty].<kind>_markup`` and must lie in the
    configured ``[<kind>_markup_min, <kind>_markup_max]``. Example: 4.35 % overdue +50 % → 6.525 %.
    """
    kind = ChargeKind(kind)
    settings = penalty_settings(config)
    chosen = settings.default_markup(kind) if markup is None else as_decimal(markup, "markup")
    low, high = settings.markup_range(kind)
    if not low <= chosen <= high:
        raise ValueError(
            f"{kind.value} markup {chosen} is outside the allowed range {low}–{high} "
            f"({kind.label}罚息上浮比例 {chosen} 超出允许范围 {low}–{high})"
        )
    return _rate(contract_rate_percent) * (1 + chosen)


def _charge(base: Decimal, rate_percent: Decimal, start: date, end: date, config: Config) -> PenaltyResult:
    days = days_between(start, end)
    amount = round2(interest_for_days(base, rate_percent, days, day_basis(config)))
    return PenaltyResult(days, rate_percent, amount)


def penalty_interest(
    principal: Decimal,
    contract_rate_percent: Decimal,
    start: date,
    end: date,
    *,
    kind: ChargeKind = ChargeKind.OVERDUE,
    markup: Decimal | None = None,
    config: Config,
) -> PenaltyResult:
    """罚息 = principal × penalty rate / basis × days, days = end − start.

    Example: 10,000 at 4.35 % overdue (+50 %) for 30 days → 10,000 × 6.525 % / 360 × 30 = 54.38.
    """
    base = _amount(principal, "principal", "本金")
    rate = penalty_rate(contract_rate_percent, kind, markup, config=config)
    return _charge(base, rate, start, end, config)


def compound_interest(
    unpaid_interest: Decimal,
    contract_rate_percent: Decimal,
    start: date,
    end: date,
    *,
    markup: Decimal | None = None,
    config: Config,
) -> PenaltyResult:
    """复利 = unpaid interest × overdue penalty rate / basis × days, from the day the interest fell due."""
    base = _amount(unpaid_interest, "unpaid interest", "欠息")
    rate = penalty_rate(contract_rate_percent, ChargeKind.OVERDUE, markup, config=config)
    return _charge(base, rate, start, end, config)


def overdue_charges(
    *,
    overdue_principal: Decimal,
    unpaid_interest: Decimal,
    contract_rate_percent: Decimal,
    overdue_since: date,
    interest_unpaid_since: date | None,
    as_of: date,
    misuse_principal: Decimal = Decimal(0),
    misuse_since: date | None = None,
    markup: Decimal | None = None,
    misuse_markup: Decimal | None = None,
    config: Config,
) -> OverdueCharges:
    """Everything an overdue (and possibly misused) loan owes on ``as_of``.

    * ``overdue_since`` / ``interest_unpaid_since`` / ``misuse_since`` are the missed due dates (or the
      first misuse day); each counts as day 0, so days = as_of − date.
    * 罚息 = overdue principal at the overdue rate + misused principal at the misuse rate. Where both
      apply, the overlap is taken as ``min(overdue, misused)`` principal over the days both ran; with
      ``[penalty].both_policy = "higher"`` only the higher rate is charged on it, with ``"both"`` both.
    * 复利 = unpaid interest at the overdue penalty rate (``interest_unpaid_since`` is required when
      there is unpaid interest).
    * total = overdue principal + unpaid interest + 罚息 + 复利.
    * days_past_due counts from the earliest date that still has money unpaid (principal or interest).
    * A warning (English and Chinese) is added when the highest annual rate charged exceeds
      ``[penalty].annual_cost_cap_percent``.
    """
    settings = penalty_settings(config)
    basis = day_basis(config)
    principal = _amount(overdue_principal, "overdue principal", "逾期本金")
    interest = _amount(unpaid_interest, "unpaid interest", "欠息")
    misused = _amount(misuse_principal, "misused principal", "挪用本金")
    contract = _rate(contract_rate_percent)
    overdue_rate = penalty_rate(contract, ChargeKind.OVERDUE, markup, config=config)
    overdue_days = days_between(overdue_since, as_of)

    exact = interest_for_days(principal, overdue_rate, overdue_days, basis)
    rates = [overdue_rate]
    if misused > 0:
        if misuse_since is None:
            raise ValueError(
                "misuse_since is required when misused principal > 0 (有挪用本金时须提供挪用起始日)"
            )
        misuse_rate = penalty_rate(contract, ChargeKind.MISUSE, misuse_markup, config=config)
        rates.append(misuse_rate)
        exact += interest_for_days(misused, misuse_rate, days_between(misuse_since, as_of), basis)
        overlap = min(principal, misused)
        if overlap > 0:
            overlap_days = days_between(max(overdue_since, misuse_since), as_of)
            if settings.both_policy == "higher":
                # Both charges above include the overlap; dropping the lower one leaves the higher only.
                exact -= interest_for_days(overlap, min(overdue_rate, misuse_rate), overlap_days, basis)
            elif overlap_days > 0:
                rates.append(overdue_rate + misuse_rate)
    penalty = round2(exact)

    compound = _ZERO
    if interest > 0:
        if interest_unpaid_since is None:
            raise ValueError(
                "interest_unpaid_since is required when unpaid interest > 0 (有欠息时须提供欠息起始日)"
            )
        compound = _charge(interest, overdue_rate, interest_unpaid_since, as_of, config).amount

    unpaid_since = [overdue_since] if principal > 0 else []
    if interest > 0 and interest_unpaid_since is not None:
        unpaid_since.append(interest_unpaid_since)
    dpd = (as_of - min(unpaid_since)).days if unpaid_since else 0

    highest_penalty = max(rates[:2])
    annual_cost = max(contract, *rates)
    warnings: list[str] = []
    cap = settings.annual_cost_cap_percent
    if cap is not None and annual_cost > cap:
        cost, limit = f"{annual_cost.normalize():f}", f"{cap.normalize():f}"
        warnings.append(
            f"annual cost {cost} % exceeds {limit} %; a court may cut the excess "
            f"(年化资金成本 {cost}% 超过 {limit}%，超出部分可能不受法院支持)"
        )
    return OverdueCharges(
        overdue_principal=round2(principal),
        unpaid_interest=round2(interest),
        penalty=penalty,
        compound=compound,
        total=round2(principal + interest) + penalty + compound,
        days_past_due=dpd,
        penalty_rate_percent=highest_penalty,
        annualised_cost_percent=annual_cost,
        warnings=tuple(warnings),
    )
