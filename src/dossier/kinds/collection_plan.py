"""催收计划: one overdue account's collection plan — what is owed, what has been done, what comes next.

The figures are the collection notice's (罚息 and 复利 from :func:`dossier.finance.penalty.overdue_charges`),
the class floor comes from the days past due (domain.md §3.5), and the contacts are the notices and
receipts the archive holds for the loan. `dossier notices` fills the input from the ledger; an officer can
also write one by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import model_validator

from dossier.config import Config
from dossier.domain.models import DomainModel, Lender, NonNegativeMoney, Party, labelled
from dossier.domain.rules import Problems
from dossier.finance.classification import dpd_floor, worse
from dossier.finance.penalty import overdue_charges
from dossier.kinds.base import Kind
from dossier.kinds.classification_fields import FiveClassField
from dossier.kinds.collection import CollectionLoan

TITLE = "逾期贷款催收计划"


class ContactRow(DomainModel):
    contact_date: date = labelled("日期")
    means: str = labelled("催收方式/文书", min_length=1, max_length=60)
    note: str | None = labelled("情况说明", default=None, max_length=300)


class CollectionPlanInput(DomainModel):
    doc_no: str | None = labelled("计划编号", default=None, max_length=60)
    plan_date: date = labelled("制定日期")
    lender: Lender = labelled("贷款人")
    borrower: Party = labelled("借款人")
    loan: CollectionLoan = labelled("贷款信息")
    as_of: date = labelled("截至日")
    balance: NonNegativeMoney = labelled("贷款余额")
    overdue_principal: NonNegativeMoney = labelled("逾期本金")
    unpaid_interest: NonNegativeMoney = labelled("欠息", default=Decimal("0.00"))
    overdue_since: date = labelled("逾期起始日")
    interest_unpaid_since: date | None = labelled("欠息起始日", default=None)
    five_class: FiveClassField = labelled("五级分类（现认定）")
    officer: str | None = labelled("客户经理", default=None, max_length=50)
    guarantors: list[Annotated[str, labelled("保证人证件号码", min_length=1, max_length=40)]] = labelled(
        "保证人", default_factory=list
    )
    contacts: list[ContactRow] = labelled("已采取的催收措施", default_factory=list)
    limitation_end: date | None = labelled("诉讼时效届满日", default=None)
    guarantee_period_end: date | None = labelled("保证期间届满日", default=None)
    next_action: str = labelled("下一步措施", min_length=1, max_length=200)
    next_action_date: date = labelled("完成期限")
    next_action_reason: str | None = labelled("理由", default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> CollectionPlanInput:
        problems = Problems()
        if self.overdue_principal > self.balance:
            problems.add((), "overdue principal exceeds the balance (逾期本金大于贷款余额)")
        if self.overdue_principal == 0 and self.unpaid_interest == 0:
            problems.add((), "nothing is overdue (逾期本金与欠息均为零，无需制定催收计划)")
        if self.overdue_since > self.as_of:
            problems.add((), "overdue start is after the as-of date (逾期起始日晚于截至日)")
        if self.unpaid_interest > 0 and self.interest_unpaid_since is None:
            problems.add((), "unpaid interest needs the date it fell due (有欠息时须填写欠息起始日)")
        if self.next_action_date < self.plan_date:
            problems.add((), "the next action is due before the plan date (完成期限早于制定日期)")
        problems.raise_if_any(type(self).__name__)
        return self


def derive(data: CollectionPlanInput, config: Config) -> dict[str, Any]:
    charges = overdue_charges(
        overdue_principal=data.overdue_principal,
        unpaid_interest=data.unpaid_interest,
        contract_rate_percent=data.loan.annual_rate,
        overdue_since=data.overdue_since,
        interest_unpaid_since=data.interest_unpaid_since,
        as_of=data.as_of,
        config=config,
    )
    floor = dpd_floor(charges.days_past_due, config=config)
    final = worse(data.five_class, floor)
    warnings = list(charges.warnings)
    if final is not data.five_class:
        warnings.append(
            f"recorded class {data.five_class.value} is better than the floor {floor.value} of "
            f"{charges.days_past_due} days past due (现认定分类优于逾期天数对应的下限{floor.value}，应调整)"
        )
    return {
        "title": TITLE,
        "days_past_due": charges.days_past_due,
        "floor_class": floor.value,
        "final_class": final.value,
        "class_below_floor": final is not data.five_class,
        "penalty_rate": charges.penalty_rate_percent,
        "penalty": charges.penalty,
        "compound": charges.compound,
        "total": charges.total,
        "contact_rows": [
            {"no": i, "on": c.contact_date, "means": c.means, "note": c.note}
            for i, c in enumerate(data.contacts, start=1)
        ],
        "warnings": warnings,
    }


KIND = Kind(
    name="collection-plan",
    title=TITLE,
    schema=CollectionPlanInput,
    derive=derive,
    category="collection",
    doc_type="collection-plan",
    filename=lambda d: f"催收计划-{d.loan.contract_number}-{d.as_of.isoformat()}",
)
