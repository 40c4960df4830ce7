"""征信 and other debts of a credit file (domain.md §1.1 section 4), and the totals derived from them."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import model_validator

from dossier.domain.enums import GuaranteeMethod
from dossier.domain.models import DomainModel, NonNegativeMoney, PositiveMoney, labelled
from dossier.domain.money import ZERO
from dossier.domain.rules import Problems
from dossier.kinds.classification_fields import FiveClassField


class OtherBankLoan(DomainModel):
    """One line of 他行融资 as the credit report shows it."""

    institution: str = labelled("融资机构", min_length=1, max_length=200)
    product: str | None = labelled("融资品种", default=None, max_length=100)
    amount: PositiveMoney = labelled("授信/借款金额")
    balance: NonNegativeMoney = labelled("余额")
    start_date: date | None = labelled("起始日", default=None)
    maturity_date: date | None = labelled("到期日", default=None)
    guarantee: GuaranteeMethod | None = labelled("担保方式", default=None)
    classification: FiveClassField | None = labelled("五级分类", default=None)

    @model_validator(mode="after")
    def _consistent(self) -> OtherBankLoan:
        problems = Problems()
        if self.balance > self.amount:
            problems.add(("balance",), "balance exceeds the amount (余额大于授信/借款金额)", self.balance)
        if self.start_date and self.maturity_date and self.maturity_date <= self.start_date:
            problems.add(
                ("maturity_date",),
                "maturity must be after the start (到期日须晚于起始日)",
                self.maturity_date,
            )
        problems.raise_if_any("other-bank loan")
        return self


class CreditRecord(DomainModel):
    """征信 and other debts: domain.md §1.1 section 4."""

    query_date: date = labelled("征信查询日期")
    current_overdue: NonNegativeMoney = labelled("当前逾期金额", default=ZERO)
    overdue_times_24m: int = labelled("近24个月逾期次数", default=0, ge=0, le=24)
    other_bank_loans: list[OtherBankLoan] = labelled("他行融资", default_factory=list)
    external_guarantees: NonNegativeMoney = labelled("对外担保金额", default=ZERO)
    litigation: str | None = labelled("涉诉/被执行情况", default=None, max_length=1000)
    remarks: str | None = labelled("征信情况说明", default=None, max_length=2000)


def credit_facts(record: CreditRecord) -> dict[str, Any]:
    loans = record.other_bank_loans
    return {
        "other_bank_count": len(loans),
        "other_bank_amount": sum((x.amount for x in loans), ZERO),
        "other_bank_balance": sum((x.balance for x in loans), ZERO),
        "clean": record.current_overdue == 0 and record.overdue_times_24m == 0,
    }
