"""Terms of a credit file (domain.md §1.1, §1.2): amount, term, rate, repayment and guarantee as applied
for, proposed or approved, and what they print as (the annual rate, the spread, 组合（抵押+保证）, the
first monthly payment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator

from dossier.config import Config
from dossier.domain.enums import GuaranteeMethod, PaymentMode, Product
from dossier.domain.models import DomainModel, PositiveMoney, RateTerms, labelled
from dossier.finance.schedule import RepaymentMethod, build_schedule

# Methods whose first schedule row is what the borrower pays every month.
_MONTHLY_METHODS = (
    RepaymentMethod.ANNUITY,
    RepaymentMethod.EQUAL_PRINCIPAL,
    RepaymentMethod.MONTHLY_INTEREST,
)


def check_guarantee_methods(methods: list[GuaranteeMethod]) -> list[GuaranteeMethod]:
    if len(set(methods)) != len(methods):
        raise ValueError("a guarantee method is listed twice (担保方式重复)")
    if len(methods) > 1 and GuaranteeMethod.CREDIT in methods:
        raise ValueError("信用 (unsecured) cannot be combined with security (信用方式不能与其他担保方式并列)")
    if len(methods) > 1 and GuaranteeMethod.COMBINED in methods:
        raise ValueError(
            "list the methods of a combined guarantee instead of 组合 "
            "(组合担保请列明具体担保方式，如抵押+保证)"
        )
    return methods


GuaranteeMethods = Annotated[list[GuaranteeMethod], AfterValidator(check_guarantee_methods)]


def guarantee_text(methods: Iterable[GuaranteeMethod]) -> str:
    """``[抵押, 保证]`` → ``组合（抵押+保证）``; one method prints its own label."""
    labels = [m.label for m in methods]
    if len(labels) > 1:
        return f"{GuaranteeMethod.COMBINED.label}（{'+'.join(labels)}）"
    return labels[0] if labels else ""


def guarantee_key(methods: Sequence[GuaranteeMethod]) -> str:
    """The [risk_degree.guarantee] key: the method itself, or 组合 when several secure the loan."""
    if len(methods) > 1:
        return GuaranteeMethod.COMBINED.label
    return methods[0].label


class Terms(DomainModel):
    """Amount, term, rate, repayment and guarantee: what is applied for, proposed or approved."""

    amount: PositiveMoney = labelled("金额")
    term_months: int = labelled("期限(月)", ge=1, le=360)
    rate: RateTerms = labelled("利率")
    repayment_method: RepaymentMethod = labelled("还款方式")
    guarantee_methods: GuaranteeMethods = labelled("担保方式", min_length=1)


class LoanRequest(Terms):
    """The application: the header of domain.md §1.1."""

    product: Product = labelled("业务品种")
    amount: PositiveMoney = labelled("申请金额")
    purpose: str = labelled("借款用途", min_length=1, max_length=500)
    payment_mode: PaymentMode | None = labelled("支付方式", default=None)


def spread_text(rate: RateTerms) -> str:
    """``55`` → ``加55个基点``, ``-20`` → ``减20个基点``: how the rate stands to the LPR."""
    if rate.spread_bp is None:
        return ""
    if rate.spread_bp < 0:
        return f"减{-rate.spread_bp}个基点"
    return f"加{rate.spread_bp}个基点"


def terms_facts(terms: Terms) -> dict[str, Any]:
    """Rate and guarantee of a set of terms as printed: the computed annual rate, the spread, 组合（…）."""
    return {
        "annual_rate": terms.rate.annual_percent,
        "spread": spread_text(terms.rate),
        "guarantee": guarantee_text(terms.guarantee_methods),
    }


def monthly_payment(terms: Terms, start: date, config: Config) -> Decimal | None:
    """What the new loan costs a month: the first schedule row for monthly methods, else None."""
    if terms.repayment_method not in _MONTHLY_METHODS:
        return None
    rows = build_schedule(
        terms.amount,
        terms.rate.annual_percent,
        terms.term_months,
        terms.repayment_method,
        start,
        config=config,
    )
    return rows[0].payment
