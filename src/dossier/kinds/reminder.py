"""到期还款提示: the maturity reminder 贷款通则 requires before a loan falls due (domain.md §1.4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import model_validator

from dossier.config import Config
from dossier.domain.models import NonNegativeMoney, Party, labelled
from dossier.domain.rules import Problems
from dossier.finance.daycount import day_basis, days_between, simple_interest
from dossier.finance.reminders import is_short_term, reminder_due_date
from dossier.kinds.base import Kind
from dossier.kinds.notice_common import LoanRef, NoticeHeader


class ReminderInput(NoticeHeader):
    borrower: Party = labelled("借款人")
    loan: LoanRef = labelled("贷款信息")
    balance: NonNegativeMoney = labelled("贷款余额")
    principal_due: NonNegativeMoney = labelled("本次应还本金")
    interest_from: date = labelled("本期计息起始日")
    due_date: date = labelled("本次还款日")
    repayment_account: str | None = labelled("还款账户", default=None, max_length=40)
    contact: str | None = labelled("联系人及电话", default=None, max_length=80)

    @model_validator(mode="after")
    def _consistent(self) -> ReminderInput:
        problems = Problems()
        if self.principal_due > self.balance:
            problems.add((), "principal due exceeds the balance (本次应还本金大于贷款余额)")
        if self.interest_from >= self.due_date:
            problems.add((), "interest start must be before the due date (计息起始日须早于还款日)")
        problems.raise_if_any(type(self).__name__)
        return self


def derive(data: ReminderInput, config: Config) -> dict[str, Any]:
    basis = day_basis(config)
    interest = simple_interest(
        data.balance, data.loan.annual_rate, data.interest_from, data.due_date, config=config
    )
    total = data.principal_due + interest
    latest = reminder_due_date(data.loan.maturity_date, data.loan.term_months, config=config)
    warnings = []
    if data.due_date == data.loan.maturity_date and data.notice_date > latest:
        warnings.append(
            f"notice dated {data.notice_date} is later than the {latest} the rules require "
            f"(提示日期晚于规定的最迟发送日 {latest})"
        )
    return {
        "interest_days": days_between(data.interest_from, data.due_date),
        "day_basis": basis,
        "interest_due": interest,
        "total_due": total,
        "total_capital": total,
        "short_term": is_short_term(data.loan.term_months, config),
        "latest_notice_date": latest,
        "warnings": warnings,
    }


KIND = Kind(
    name="reminder",
    title="到期还款提示",
    schema=ReminderInput,
    derive=derive,
    category="post-loan",
    doc_type="maturity-reminder",
    filename=lambda d: f"到期还款提示-{d.loan.contract_number}-{d.due_date.isoformat()}",
)
