"""风险预警报告 (逾期预警报告 when the loan is past due): a loan's warning signals, the class proposed
against the days-past-due floor, the measures taken and the people informed (domain.md §1.3, §3.5).

Derived: 逾期天数 from the earliest unpaid due date (the due date itself is day 0), the five-class floor
those days impose under the configured rules (dossier.finance.classification), the class recorded
(worse of the proposal and the floor) and the overdue total. The loan ledger fills what it knows
(dossier.ledger.inputs.warning_report_input).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import StringConstraints, model_validator

from dossier.config import Config
from dossier.domain.enums import LabeledEnum
from dossier.domain.models import DomainModel, Lender, NonNegativeMoney, Party, labelled
from dossier.domain.rules import Problems
from dossier.finance.classification import days_past_due, dpd_floor, rule_sets, worse
from dossier.kinds.base import Kind
from dossier.kinds.classification_fields import FiveClassField, RuleSetName
from dossier.kinds.notice_common import LoanRef

TITLE = "风险预警报告"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SignalKind(LabeledEnum):
    OVERDUE = ("overdue", "贷款逾期", "逾期")
    CREDIT_REPORT = ("credit-report", "征信新增逾期", "征信")
    LITIGATION = ("litigation", "涉诉", "诉讼")
    ACCOUNT_FREEZE = ("account-freeze", "账户冻结", "冻结")
    CONTROLLER_CHANGE = ("controller-change", "实际控制人变更", "股东或法定代表人变更", "控制人变更")
    COLLATERAL_LOSS = ("collateral-loss", "抵押物灭失或贬值", "抵押物贬值", "抵押物灭失")
    OPERATIONS = ("operations", "经营异常", "停产", "经营恶化")
    OTHER = ("other", "其他")


class Signal(DomainModel):
    kind: SignalKind = labelled("预警信号")
    found_on: date = labelled("发现日期")
    description: Line = labelled("情况说明")
    source: str | None = labelled("信息来源", default=None, max_length=200)


class Informed(DomainModel):
    name: Name = labelled("姓名")
    role: str = labelled("职务/部门", min_length=1, max_length=60)
    informed_on: date = labelled("报告日期")


class WarningReportInput(DomainModel):
    doc_no: str | None = labelled("报告编号", default=None, max_length=60)
    as_of: date = labelled("报告日")
    lender: Lender = labelled("贷款人")
    borrower: Party = labelled("借款人")
    loan: LoanRef = labelled("贷款信息")
    balance: NonNegativeMoney = labelled("贷款余额")
    earliest_unpaid_due: date | None = labelled("最早未还款到期日", default=None)
    overdue_principal: NonNegativeMoney = labelled("逾期本金", default=Decimal("0.00"))
    unpaid_interest: NonNegativeMoney = labelled("欠息", default=Decimal("0.00"))
    current_class: FiveClassField | None = labelled("当前五级分类", default=None)
    proposed_class: FiveClassField = labelled("拟认定分类")
    rules: RuleSetName | None = labelled("分类规则", default=None, max_length=40)
    signals: list[Signal] = labelled("预警信号", min_length=1)
    measures: list[Line] = labelled("应对措施", min_length=1)
    informed: list[Informed] = labelled("已报告人员", default_factory=list)
    reporter: Name = labelled("报告人")
    reviewer: Name | None = labelled("复核人", default=None)

    @model_validator(mode="after")
    def _consistent(self) -> WarningReportInput:
        problems = Problems()
        if self.balance > self.loan.amount:
            problems.add((), "balance exceeds the loan amount (贷款余额大于贷款金额)")
        if self.overdue_principal > self.balance:
            problems.add((), "overdue principal exceeds the balance (逾期本金大于贷款余额)")
        if self.earliest_unpaid_due is not None and self.earliest_unpaid_due > self.as_of:
            problems.add(
                (), "the earliest unpaid due date is after the report date (最早未还款到期日晚于报告日)"
            )
        if (self.overdue_principal > 0 or self.unpaid_interest > 0) and self.earliest_unpaid_due is None:
            problems.add(
                (), "overdue amounts need the earliest unpaid due date (有逾期金额时须填写最早未还款到期日)"
            )
        for signal in self.signals:
            if signal.found_on > self.as_of:
                problems.add(
                    (), f"a signal found on {signal.found_on} is after the report date (发现日期晚于报告日)"
                )
        problems.raise_if_any(type(self).__name__)
        return self


def derive(data: WarningReportInput, config: Config) -> dict[str, Any]:
    dpd = days_past_due(data.earliest_unpaid_due, data.as_of)
    floor = dpd_floor(dpd, rules=data.rules, config=config)
    final = worse(data.proposed_class, floor)
    rules_name = data.rules or config.raw("classification").get("default_rules", "")
    warnings: list[str] = []
    if data.proposed_class.rank < floor.rank:
        warnings.append(
            f"proposed class {data.proposed_class.english} is better than the floor {floor.english} "
            f"that {dpd} days past due impose; recorded as {final.english} "
            f"(拟认定分类{data.proposed_class.value}优于逾期{dpd}天对应的下限{floor.value}，认定为{final.value})"
        )
    if not data.informed:
        warnings.append("nobody informed of the warning yet (尚未向任何人员报告预警)")
    downgrade = data.current_class is not None and final.rank > data.current_class.rank
    return {
        "report_type": "逾期预警" if dpd > 0 else "风险预警",
        "days_past_due": dpd,
        "dpd_floor": floor.value,
        "rules_label": rule_sets(config).get(rules_name, rules_name),
        "final_class": final.value,
        "downgrade": downgrade,
        "overdue_total": data.overdue_principal + data.unpaid_interest,
        "warnings": warnings,
    }


KIND = Kind(
    name="warning-report",
    title=TITLE,
    schema=WarningReportInput,
    derive=derive,
    category="post-loan",
    doc_type="warning-report",
    filename=lambda d: f"{TITLE}-{d.loan.contract_number}-{d.as_of.isoformat()}",
)

__all__ = ["KIND", "Informed", "Signal", "SignalKind", "WarningReportInput", "derive"]
