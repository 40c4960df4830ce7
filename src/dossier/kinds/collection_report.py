"""催收报告: the collection history of an overdue account, for the bank's own files (domain.md §1.4, §2.5).

Each action (call, visit, letter, SMS, public notice, lawsuit) with its date, result, people and the
evidence in the archive; the amounts recovered; the next step; and whether the 3-year limitation period
(民法典第一百八十八条) has been interrupted (第一百九十五条). Derived: 逾期天数 and the five-class floor,
the amounts recovered, and the limitation period: it runs from the overdue date and restarts at each
action that interrupts it: a demand the debtor signed for (回执), a part payment or a promise to pay, a
lawsuit, or a public notice in a qualifying medium (最高人民法院诉讼时效规定第八条). A phone call or a
letter without a receipt proves no interruption on its own, unless the officer marks it so.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import StringConstraints, model_validator

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.enums import LabeledEnum
from dossier.domain.models import DomainModel, Lender, NonNegativeMoney, Party, labelled
from dossier.domain.money import ZERO
from dossier.domain.rules import Problems
from dossier.finance.classification import days_past_due, dpd_floor
from dossier.kinds.base import Kind
from dossier.kinds.collection import CollectionLoan
from dossier.ledger.settings import ledger_settings
from dossier.ledger.workdays import period_end

TITLE = "催收报告"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class ActionKind(LabeledEnum):
    PHONE = ("phone", "电话催收", "电话")
    VISIT = ("visit", "上门催收", "上门")
    LETTER = ("letter", "信函催收", "信函", "催收通知书")
    SMS = ("sms", "短信催收", "短信")
    PUBLIC_NOTICE = ("public-notice", "公告催收", "公告")
    LAWSUIT = ("lawsuit", "提起诉讼", "诉讼", "起诉")
    OTHER = ("other", "其他")


_INTERRUPTING = {ActionKind.PUBLIC_NOTICE, ActionKind.LAWSUIT}


class Action(DomainModel):
    # Not "on": YAML 1.1 reads a bare `on:` key as the boolean true.
    acted_on: date = labelled("日期")
    kind: ActionKind = labelled("催收方式")
    result: str = labelled("催收结果", min_length=1, max_length=500)
    staff: list[Name] = labelled("催收人员", min_length=1, max_length=4)
    contact: str | None = labelled("接触对象", default=None, max_length=100)
    receipt_signed: bool = labelled("债务人签收回执", default=False)
    promised: bool = labelled("债务人承诺还款", default=False)
    recovered: NonNegativeMoney = labelled("本次收回金额", default=Decimal("0.00"))
    evidence: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = labelled(
        "证据（档案文档）", default_factory=list
    )
    interrupts: bool | None = labelled("中断诉讼时效", default=None)
    """Set by the officer when the rule above does not fit (a court ruling, a recorded promise)."""

    @model_validator(mode="after")
    def _two_for_visits(self) -> Action:
        problems = Problems()
        if self.kind is ActionKind.VISIT and len(set(self.staff)) < 2:
            problems.add((), "a collection visit needs two different staff (上门催收须两名不同人员)")
        problems.raise_if_any(type(self).__name__)
        return self

    @property
    def interrupts_limitation(self) -> bool:
        if self.interrupts is not None:
            return self.interrupts
        return self.receipt_signed or self.promised or self.recovered > 0 or self.kind in _INTERRUPTING


class CollectionReportInput(DomainModel):
    doc_no: str | None = labelled("报告编号", default=None, max_length=60)
    as_of: date = labelled("截至日")
    lender: Lender = labelled("贷款人")
    borrower: Party = labelled("借款人")
    loan: CollectionLoan = labelled("贷款信息")
    overdue_since: date = labelled("逾期起始日")
    overdue_principal: NonNegativeMoney = labelled("逾期本金")
    unpaid_interest: NonNegativeMoney = labelled("欠息", default=Decimal("0.00"))
    actions: list[Action] = labelled("催收记录", min_length=1)
    next_step: str = labelled("下一步措施", min_length=1, max_length=500)
    next_step_date: date | None = labelled("计划日期", default=None)
    reporter: Name = labelled("报告人")
    reviewer: Name | None = labelled("复核人", default=None)

    @model_validator(mode="after")
    def _consistent(self) -> CollectionReportInput:
        problems = Problems()
        if self.overdue_since > self.as_of:
            problems.add((), "overdue start is after the as-of date (逾期起始日晚于截至日)")
        if self.overdue_since < self.loan.start_date:
            problems.add((), "overdue start is before the loan was drawn (逾期起始日早于贷款发放日)")
        if self.overdue_principal > self.loan.amount:
            problems.add((), "overdue principal exceeds the loan amount (逾期本金大于贷款金额)")
        for action in self.actions:
            if action.acted_on > self.as_of:
                problems.add(
                    (), f"an action on {action.acted_on} is after the as-of date (催收日期晚于截至日)"
                )
            if action.acted_on < self.overdue_since:
                problems.add(
                    (), f"an action on {action.acted_on} is before the overdue start (催收日期早于逾期起始日)"
                )
        problems.raise_if_any(type(self).__name__)
        return self


def derive(data: CollectionReportInput, config: Config) -> dict[str, Any]:
    dpd = days_past_due(data.overdue_since, data.as_of)
    actions = sorted(data.actions, key=lambda a: a.acted_on)
    recovered = sum((a.recovered for a in actions), ZERO)
    owed = data.overdue_principal + data.unpaid_interest
    interruptions = [a.acted_on for a in actions if a.interrupts_limitation]
    # One home for the period and its alert: the ledger's settings ([ledger] limitation_*, period_end_shift).
    settings = ledger_settings(config)
    years = settings.limitation_years
    runs_from = max(interruptions) if interruptions else data.overdue_since
    ends = period_end(add_months(runs_from, 12 * years), settings)
    days_left = (ends - data.as_of).days
    warnings: list[str] = []
    if days_left < 0:
        warnings.append(
            f"the limitation period ended on {ends} (诉讼时效已于{ends}届满，请核实有无其他中断事由)"
        )
    elif days_left <= settings.limitation_alert_days:
        warnings.append(
            f"the limitation period ends on {ends}, in {days_left} days (诉讼时效将于{ends}届满，"
            f"剩余{days_left}天，请及时取得签收回执或提起诉讼)"
        )
    if recovered > owed:
        warnings.append("more recovered than owed (收回金额大于欠款合计，请核实)")
    return {
        "days_past_due": dpd,
        "dpd_floor": dpd_floor(dpd, config=config).value,
        "owed": owed,
        "recovered_total": recovered,
        "outstanding": max(owed - recovered, ZERO),
        "action_count": len(actions),
        "interrupted": bool(interruptions),
        "last_interruption": max(interruptions) if interruptions else None,
        "limitation_years": years,
        "limitation_runs_from": runs_from,
        "limitation_ends": ends,
        "limitation_days_left": days_left,
        # In input order, beside the actions the template lists.
        "interrupt_marks": ["是" if a.interrupts_limitation else "否" for a in data.actions],
        "warnings": warnings,
    }


KIND = Kind(
    name="collection-report",
    title=TITLE,
    schema=CollectionReportInput,
    derive=derive,
    category="collection",
    doc_type="collection-report",
    filename=lambda d: f"{TITLE}-{d.loan.contract_number}-{d.as_of.isoformat()}",
)
