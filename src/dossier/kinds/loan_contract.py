"""借款合同: the loan contract (民法典 art. 667–680; domain.md §1.5, §3.7–§3.9).

Art. 668 names the usual terms — 借款种类、币种、用途、数额、利率、期限、还款方式 — and every one is required
here. The execution rate (LPR + spread), the penalty rates, the term in words and the repayment schedule
printed as the appendix are all derived, never typed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationInfo, model_validator

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.enums import GuaranteeMethod, LabeledEnum, PaymentMode, Product, RateType
from dossier.domain.identifiers.types import ContractNumber, config_from_context
from dossier.domain.models import DomainModel, Lender, Loan, Percent, RateTerms, labelled
from dossier.domain.rules import Problems
from dossier.finance.daycount import day_basis
from dossier.finance.penalty import ChargeKind, penalty_rate, penalty_settings
from dossier.finance.schedule import RepaymentMethod, build_schedule, schedule_totals
from dossier.kinds.base import Kind
from dossier.kinds.contract_common import (
    ContractBase,
    ContractParty,
    dispute_values,
    lender_service_row,
    party_service_row,
    percent_text,
    service_warnings,
    term_text,
)

_HUNDRED = Decimal(100)
_MONTHS_PER_YEAR = 12
_WORKING_CAPITAL = frozenset({Product.WORKING_CAPITAL, Product.SMALL_BUSINESS_WORKING_CAPITAL})


class RepriceDay(LabeledEnum):
    """重定价日 of a floating-rate loan."""

    ANNIVERSARY = ("anniversary", "借款起始日在每个重定价周期的对应日", "对应日")
    JANUARY_FIRST = ("january-1", "每年1月1日", "1月1日")


class PenaltyTerms(DomainModel):
    """罚息上浮比例 agreed in the contract; left out, the bank's [penalty] defaults apply."""

    overdue_markup_percent: Percent | None = labelled("逾期罚息上浮比例(%)", default=None)
    misuse_markup_percent: Percent | None = labelled("挪用罚息上浮比例(%)", default=None)


class LoanContractInput(ContractBase):
    lender: Lender = labelled("贷款人")
    borrower: ContractParty = labelled("借款人")
    loan: Loan = labelled("借款要素")
    reprice_day: RepriceDay = labelled("重定价日", default=RepriceDay.ANNIVERSARY)
    disbursement_account: str | None = labelled("借款人放款账户", default=None, max_length=40)
    payee_account: str | None = labelled("受托支付对象账号", default=None, max_length=40)
    payee_bank: str | None = labelled("受托支付对象开户行", default=None, max_length=100)
    guarantee_contracts: list[ContractNumber] = labelled("担保合同编号", default_factory=list)
    penalty: PenaltyTerms = labelled("罚息约定", default_factory=PenaltyTerms)
    extra_default_events: list[str] = labelled("其他违约事件", default_factory=list)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> LoanContractInput:
        problems = Problems()
        loan = self.loan
        if loan.contract_number is not None and loan.contract_number != self.contract_number:
            problems.add(
                ("loan", "contract_number"),
                f"differs from the contract number {self.contract_number} "
                f"(与合同编号 {self.contract_number} 不一致)",
                loan.contract_number,
            )
        expected_maturity = add_months(loan.start_date, loan.term_months)
        if loan.maturity_date != expected_maturity:
            problems.add(
                ("loan", "maturity_date"),
                f"must be {loan.term_months} months after the start date, {expected_maturity} "
                f"(到期日应为起始日后{loan.term_months}个月，即{expected_maturity})",
                loan.maturity_date,
            )
        if self.signing_date > loan.start_date:
            problems.add(
                ("signing_date",),
                "the contract must be signed on or before the loan starts (签订日期不得晚于借款起始日)",
                self.signing_date,
            )
        _check_rate(loan.rate, self.signing_date, self.reprice_day, problems)
        if loan.payment_mode is PaymentMode.ENTRUSTED and not loan.payee:
            problems.add(("loan", "payee"), "entrusted payment needs a payee (受托支付须填写支付对象)")
        if not loan.repayment_account:
            problems.add(("loan", "repayment_account"), "the repayment account is required (须填写还款账户)")
        secured = _secured(loan.guarantee_methods)
        if secured and not self.guarantee_contracts:
            problems.add(
                ("guarantee_contracts",),
                "a secured loan must name its guarantee contracts (有担保的借款须列明担保合同编号)",
            )
        if not secured and self.guarantee_contracts:
            problems.add(
                ("guarantee_contracts",),
                "a credit loan has no guarantee contracts (信用借款不应列担保合同)",
                self.guarantee_contracts,
            )
        _check_markups(self.penalty, config_from_context(info), problems)
        problems.raise_if_any(type(self).__name__)
        return self


def _secured(methods: list[GuaranteeMethod]) -> bool:
    return any(m is not GuaranteeMethod.CREDIT for m in methods)


def _check_rate(rate: RateTerms, signed: date, reprice_day: RepriceDay, problems: Problems) -> None:
    if rate.rate_type is not RateType.FLOATING:
        return
    for name, label in (
        ("lpr_tenor", "LPR期限品种"),
        ("lpr_date", "LPR报价日"),
        ("reprice_months", "重定价周期"),
    ):
        if getattr(rate, name) is None:
            problems.add(
                ("loan", "rate", name), f"a floating-rate contract needs {name} (浮动利率须约定{label})"
            )
    if rate.lpr_date is not None and rate.lpr_date > signed:
        problems.add(
            ("loan", "rate", "lpr_date"),
            "the LPR quote must be published before the contract is signed (LPR报价日不得晚于合同签订日)",
            rate.lpr_date,
        )
    if reprice_day is RepriceDay.JANUARY_FIRST and rate.reprice_months not in (None, _MONTHS_PER_YEAR):
        problems.add(
            ("reprice_day",),
            "repricing on 1 January needs a 12-month cycle (每年1月1日重定价的，重定价周期须为12个月)",
            reprice_day.value,
        )


def _check_markups(terms: PenaltyTerms, config: Config, problems: Problems) -> None:
    settings = penalty_settings(config)
    for kind, name, value in (
        (ChargeKind.OVERDUE, "overdue_markup_percent", terms.overdue_markup_percent),
        (ChargeKind.MISUSE, "misuse_markup_percent", terms.misuse_markup_percent),
    ):
        if value is None:
            continue
        low, high = (bound * _HUNDRED for bound in settings.markup_range(kind))
        if not low <= value <= high:
            problems.add(
                ("penalty", name),
                f"{kind.value} markup must lie between {low:f} % and {high:f} % "
                f"({kind.label}罚息上浮比例须在{low:f}%至{high:f}%之间)",
                value,
            )


def product_name(product: Product) -> str:
    """The product's full name for a contract (小微企业流动资金贷款, not the short label 小微流贷)."""
    return product.aliases[0] if product.aliases else product.label


def first_reprice_date(start: date, months: int, day: RepriceDay) -> date:
    """The first 重定价日 after ``start``."""
    if day is RepriceDay.JANUARY_FIRST:
        return date(start.year + 1, 1, 1)
    return add_months(start, months)


def spread_text(bp: int) -> str:
    """``45`` → ``加45个基点（0.45个百分点）``; negative spreads subtract."""
    points = (Decimal(abs(bp)) / _HUNDRED).quantize(Decimal("0.01"))
    word = "加" if bp >= 0 else "减"
    return f"{word}{abs(bp)}个基点（{points}个百分点）"


def _settlement_text(method: RepaymentMethod, day: int) -> str:
    if method is RepaymentMethod.BULLET:
        return "利随本清，借款人于借款到期日一次性偿还全部本金和利息"
    if method is RepaymentMethod.QUARTERLY_INTEREST:
        return (
            f"按季结息，结息日为每季末月的{day}日，借款人应于结息日支付当期利息，最后一期利息随本金一并结清"
        )
    if method is RepaymentMethod.MONTHLY_INTEREST:
        return f"按月结息，结息日为每月{day}日，借款人应于结息日支付当期利息，最后一期利息随本金一并结清"
    return f"按月结息，结息日为每月{day}日；借款人按附件《还款计划表》所列还款日和金额分期偿还本金和利息"


def _penalty_values(data: LoanContractInput, rate: Decimal, config: Config) -> dict[str, Any]:
    settings = penalty_settings(config)
    values: dict[str, Any] = {"penalty_higher_only": settings.both_policy == "higher"}
    for kind, given in (
        (ChargeKind.OVERDUE, data.penalty.overdue_markup_percent),
        (ChargeKind.MISUSE, data.penalty.misuse_markup_percent),
    ):
        markup = settings.default_markup(kind) if given is None else given / _HUNDRED
        penalty = penalty_rate(rate, kind, markup, config=config)
        values[f"{kind.value}_markup"] = f"{(markup * _HUNDRED).normalize():f}"
        values[f"{kind.value}_rate"] = penalty
        values[f"{kind.value}_rate_text"] = percent_text(penalty)
    return values


def derive(data: LoanContractInput, config: Config) -> dict[str, Any]:
    loan = data.loan
    rate = loan.rate
    execution_rate = rate.annual_percent
    maturity = loan.due_date
    floating = rate.rate_type is RateType.FLOATING

    schedule = build_schedule(
        loan.amount, execution_rate, loan.term_months, loan.repayment_method, loan.start_date, config=config
    )
    principal_total, interest_total, payment_total = schedule_totals(schedule)

    reprice_first = None
    if floating:
        assert rate.reprice_months is not None  # checked by the model validator
        reprice_first = first_reprice_date(loan.start_date, rate.reprice_months, data.reprice_day)

    notices = [
        lender_service_row("贷款人", data.lender, data.lender_service),
        party_service_row("借款人", data.borrower),
    ]
    penalties = _penalty_values(data, execution_rate, config)
    warnings = service_warnings(notices)
    cap = penalty_settings(config).annual_cost_cap_percent
    highest = max(penalties["overdue_rate"], penalties["misuse_rate"])
    if cap is not None and highest > cap:
        warnings.append(
            f"penalty rate {percent_text(highest)} exceeds {cap:f} %; a court may cut the excess "
            f"(罚息利率{percent_text(highest)}超过{cap:f}%，超出部分可能不受法院支持)"
        )

    return {
        "loan_kind_text": product_name(loan.product),
        "working_capital": loan.product in _WORKING_CAPITAL,
        "term_text": term_text(loan.start_date, maturity),
        "term_days": (maturity - loan.start_date).days,
        "floating": floating,
        "execution_rate": execution_rate,
        "execution_rate_text": percent_text(execution_rate),
        "lpr_text": percent_text(rate.lpr_percent) if rate.lpr_percent is not None else "",
        "spread_text": spread_text(rate.spread_bp) if rate.spread_bp is not None else "",
        "first_reprice_date": reprice_first,
        "reprices_within_term": reprice_first is not None and reprice_first < maturity,
        "day_basis": day_basis(config),
        "settlement_text": _settlement_text(loan.repayment_method, loan.settlement_day),
        "entrusted": loan.payment_mode is PaymentMode.ENTRUSTED,
        "secured": _secured(loan.guarantee_methods),
        "schedule": schedule,
        "schedule_periods": len(schedule),
        "schedule_principal_total": principal_total,
        "schedule_interest_total": interest_total,
        "schedule_payment_total": payment_total,
        **penalties,
        "borrower_enterprise": data.borrower.is_enterprise,
        "notices": notices,
        **dispute_values(data.dispute),
        "borrower_id": data.borrower.credit_code or data.borrower.id_number or "",
        "warnings": warnings,
    }


KIND = Kind(
    name="loan-contract",
    title="借款合同",
    schema=LoanContractInput,
    derive=derive,
    category="contracts",
    doc_type="loan-contract",
    filename=lambda d: f"借款合同-{d.contract_number}",
)
