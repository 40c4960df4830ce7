"""The loan: product, amount, term, rate (fixed or LPR + spread), repayment and guarantee."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import model_validator

from dossier.domain.dates import add_months
from dossier.domain.enums import (
    Currency,
    GuaranteeMethod,
    LprTenor,
    PaymentMode,
    Product,
    RateType,
    RepaymentMethod,
)
from dossier.domain.identifiers.types import ContractNumber, ReceiptNumber
from dossier.domain.models.fields import PositiveMoney, Rate, labelled
from dossier.domain.models.party import DomainModel

_BP_PER_PERCENT = Decimal(100)

LOAN_FACTS = (
    "product",
    "amount",
    "term_months",
    "start_date",
    "maturity_date",
    "guarantee_methods",
    "receipt_numbers",
    "officer",
)
"""The loan facts the catalog records; a generated document's input may carry any of them."""


class RateTerms(DomainModel):
    """利率: fixed, or LPR(tenor) + spread in basis points, repriced every ``reprice_months``."""

    rate_type: RateType = labelled("利率类型", default=RateType.FLOATING)
    fixed_percent: Rate | None = labelled("固定年利率(%)", default=None)
    lpr_tenor: LprTenor | None = labelled("LPR期限品种", default=None)
    lpr_percent: Rate | None = labelled("LPR报价(%)", default=None)
    lpr_date: date | None = labelled("LPR报价日", default=None)
    spread_bp: int | None = labelled("加点(基点)", default=None, ge=-1000, le=5000)
    reprice_months: int | None = labelled("重定价周期(月)", default=None, ge=1, le=120)

    @model_validator(mode="after")
    def _complete(self) -> RateTerms:
        if self.rate_type is RateType.FIXED and self.fixed_percent is None:
            raise ValueError("a fixed rate needs fixed_percent (固定利率须填写年利率)")
        if self.rate_type is RateType.FLOATING:
            missing = [
                label
                for label, value in (
                    ("lpr_percent LPR报价", self.lpr_percent),
                    ("spread_bp 加点", self.spread_bp),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"a floating rate needs {', '.join(missing)} (浮动利率要素不全)")
            if self.annual_percent < 0:
                raise ValueError("LPR plus spread is negative (LPR加点后利率为负)")
        return self

    @property
    def annual_percent(self) -> Decimal:
        """The contract's annual rate in percent, computed, never typed for a floating rate."""
        if self.rate_type is RateType.FIXED:
            assert self.fixed_percent is not None
            return self.fixed_percent
        assert self.lpr_percent is not None and self.spread_bp is not None
        return self.lpr_percent + Decimal(self.spread_bp) / _BP_PER_PERCENT


class Loan(DomainModel):
    contract_number: ContractNumber | None = labelled("借款合同编号", default=None)
    receipt_numbers: list[ReceiptNumber] = labelled("借据编号", default_factory=list)
    product: Product = labelled("业务品种")
    currency: Currency = labelled("币种", default=Currency.CNY)
    amount: PositiveMoney = labelled("借款金额")
    term_months: int = labelled("期限(月)", ge=1, le=360)
    purpose: str = labelled("借款用途", min_length=1, max_length=500)
    rate: RateTerms = labelled("利率")
    repayment_method: RepaymentMethod = labelled("还款方式")
    start_date: date = labelled("起始日")
    maturity_date: date | None = labelled("到期日", default=None)
    guarantee_methods: list[GuaranteeMethod] = labelled("担保方式", min_length=1)
    payment_mode: PaymentMode = labelled("支付方式", default=PaymentMode.ENTRUSTED)
    payee: str | None = labelled("受托支付对象", default=None, max_length=200)
    repayment_account: str | None = labelled("还款账户", default=None, max_length=40)
    settlement_day: int = labelled("结息日", default=20, ge=1, le=31)
    officer: str | None = labelled("客户经理", default=None, max_length=50)

    @model_validator(mode="after")
    def _dates(self) -> Loan:
        if self.maturity_date is None:
            self.maturity_date = add_months(self.start_date, self.term_months)
        elif self.maturity_date <= self.start_date:
            raise ValueError("maturity must be after the start date (到期日须晚于起始日)")
        if self.payment_mode is PaymentMode.ENTRUSTED and self.payee is not None and not self.payee.strip():
            raise ValueError("entrusted payment needs a payee (受托支付须填写支付对象)")
        return self

    @property
    def annual_rate(self) -> Decimal:
        return self.rate.annual_percent

    @property
    def due_date(self) -> date:
        assert self.maturity_date is not None  # set by the validator
        return self.maturity_date
