"""贷后检查报告: the post-loan inspection report (domain.md §1.3, §2.4, §3.5).

Decisions on the values the report may either compute or take as typed:

* 贷款余额: repayment amounts are cumulative from disbursement to the check date. When the cumulative
  principal repaid (``repayment.principal_paid``) is given, the balance is derived as 发放金额 − 累计实还本金
  and a typed ``loan.balance`` must agree with it; otherwise the balance is taken as typed (the core-banking
  figure) and is then required.
* 欠息: when both 应还利息 and 实还利息 are given, 欠息 is their difference and a typed
  ``repayment.interest_arrears`` must agree; otherwise it is taken as typed (blank when not known).
* 逾期天数 counts from the earliest unpaid due date to the check date (the due date is day 0); the
  classification rules give its floor, and the class the report records is worse(proposal, floor).
* 下次检查日期 = check date + the shortest interval that the recorded class, the term and the customer
  grade call for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints, ValidationInfo, field_validator, model_validator

from dossier.config import Config
from dossier.domain.enums import GuaranteeMethod, LabeledEnum, Product
from dossier.domain.identifiers.types import ContractNumber, ReceiptNumber, config_from_context
from dossier.domain.models import (
    DomainModel,
    Lender,
    Money,
    NonNegativeMoney,
    Party,
    PositiveMoney,
    Rate,
    labelled,
)
from dossier.domain.money import ZERO, format_amount
from dossier.domain.rules import Problems
from dossier.finance.classification import (
    ClassificationSettings,
    days_past_due,
    dpd_floor,
    rule_sets,
    worse,
)
from dossier.finance.inspection_cadence import (
    first_inspection_due,
    inspection_interval_months,
    inspection_settings,
    next_inspection_date,
)
from dossier.finance.ratios import current_ratio, debt_to_asset, mortgage_ratio, quick_ratio
from dossier.kinds.base import Kind
from dossier.kinds.classification_fields import FiveClassField, RuleSetName

CHECKED = "☑"
UNCHECKED = "☐"


# -- enumerations -----------------------------------------------------------------------------------------
class InspectionType(LabeledEnum):
    FIRST = ("first", "首次", "首次检查", "首次跟踪检查")
    PERIODIC = ("periodic", "定期", "定期检查")
    SPECIAL = ("special", "专项", "专项检查")
    PRE_MATURITY = ("pre-maturity", "到期前", "到期前检查")


class InspectionMethod(LabeledEnum):
    ON_SITE = ("on-site", "现场", "现场检查")
    OFF_SITE = ("off-site", "非现场", "非现场检查")


class FundMisuse(LabeledEnum):
    NO = ("no", "否", "未挪用")
    YES = ("yes", "是", "挪用")


def _misuse_input(value: Any) -> Any:
    # YAML reads a bare yes/no as a boolean.
    if isinstance(value, bool):
        return FundMisuse.YES if value else FundMisuse.NO
    return value


MisuseField = Annotated[FundMisuse, BeforeValidator(_misuse_input)]
InspectorName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


# -- input blocks -----------------------------------------------------------------------------------------
class InspectedLoan(DomainModel):
    contract_number: ContractNumber = labelled("借款合同编号")
    receipt_number: ReceiptNumber = labelled("借据编号")
    product: Product | None = labelled("业务品种", default=None)
    amount: PositiveMoney = labelled("发放金额")
    balance: NonNegativeMoney | None = labelled("贷款余额", default=None)
    start_date: date = labelled("发放日")
    maturity_date: date = labelled("到期日")
    term_months: int = labelled("期限(月)", ge=1, le=360)
    annual_rate: Rate | None = labelled("执行年利率(%)", default=None)
    guarantee_methods: list[GuaranteeMethod] = labelled("担保方式", default_factory=list)
    current_class: FiveClassField = labelled("当前五级分类")

    @model_validator(mode="after")
    def _consistent(self) -> InspectedLoan:
        problems = Problems()
        if self.maturity_date <= self.start_date:
            problems.add((), "maturity must be after the disbursement date (到期日须晚于发放日)")
        if self.balance is not None and self.balance > self.amount:
            problems.add((), "balance exceeds the amount disbursed (贷款余额大于发放金额)")
        problems.raise_if_any(type(self).__name__)
        return self


class FundFlow(DomainModel):
    # Annotated through the module: a field named ``date`` hides the type inside the class body.
    date: dt.date = labelled("支付日期")
    payee: str = labelled("收款人", min_length=1, max_length=200)
    amount: PositiveMoney = labelled("金额")
    use: str = labelled("用途", min_length=1, max_length=200)


class FundUse(DomainModel):
    payee: str | None = labelled("受托支付对象", default=None, max_length=200)
    flows: list[FundFlow] = labelled("资金流向", default_factory=list)
    summary: str = labelled("资金使用情况", min_length=1, max_length=2000)
    misused: MisuseField = labelled("是否挪用")
    misuse_detail: str | None = labelled("挪用情况说明", default=None, max_length=2000)

    @model_validator(mode="after")
    def _detail_when_misused(self) -> FundUse:
        problems = Problems()
        if self.misused is FundMisuse.YES and not self.misuse_detail:
            problems.add((), "misuse found: describe it in misuse_detail (存在挪用的，须填写挪用情况说明)")
        problems.raise_if_any(type(self).__name__)
        return self


class Repayment(DomainModel):
    """Cumulative from disbursement to the check date."""

    principal_due: NonNegativeMoney | None = labelled("累计应还本金", default=None)
    principal_paid: NonNegativeMoney | None = labelled("累计实还本金", default=None)
    interest_due: NonNegativeMoney | None = labelled("累计应还利息", default=None)
    interest_paid: NonNegativeMoney | None = labelled("累计实还利息", default=None)
    interest_arrears: NonNegativeMoney | None = labelled("欠息", default=None)
    earliest_unpaid_due: date | None = labelled("最早未还款到期日", default=None)
    note: str | None = labelled("还款情况说明", default=None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> Repayment:
        problems = Problems()
        if (self.interest_due is None) != (self.interest_paid is None):
            problems.add(
                (), "give both interest due and interest paid, or neither (应还利息与实还利息须同时填写)"
            )
        if self.interest_due is not None and self.interest_paid is not None:
            computed = self.interest_due - self.interest_paid
            if self.interest_paid > self.interest_due:
                problems.add((), "interest paid exceeds interest due (实还利息大于应还利息)")
            elif self.interest_arrears is not None and self.interest_arrears != computed:
                problems.add(
                    (),
                    f"interest arrears should be {format_amount(computed)}, interest due minus paid "
                    f"(欠息应为应还利息减实还利息 {format_amount(computed)})",
                )
        unpaid = [v for v in (overdue_principal(self), interest_arrears(self)) if v is not None]
        if any(v > 0 for v in unpaid) and self.earliest_unpaid_due is None:
            problems.add(
                (),
                "amounts are unpaid: give the earliest unpaid due date "
                "(存在欠本欠息，须填写最早未还款到期日)",
            )
        if self.earliest_unpaid_due is not None and len(unpaid) == 2 and not any(v > 0 for v in unpaid):
            problems.add(
                (), "an unpaid due date is given but nothing is unpaid (未欠本欠息，不应填写最早未还款到期日)"
            )
        problems.raise_if_any(type(self).__name__)
        return self


class FinancialSnapshot(DomainModel):
    period: str = labelled("报表期间", min_length=1, max_length=40)
    total_assets: NonNegativeMoney = labelled("资产总额")
    total_liabilities: NonNegativeMoney = labelled("负债总额")
    current_assets: NonNegativeMoney = labelled("流动资产")
    current_liabilities: NonNegativeMoney = labelled("流动负债")
    inventory: NonNegativeMoney = labelled("存货")
    revenue: NonNegativeMoney | None = labelled("营业收入", default=None)
    net_profit: Money | None = labelled("净利润", default=None)

    @model_validator(mode="after")
    def _parts_fit(self) -> FinancialSnapshot:
        problems = Problems()
        if self.current_assets > self.total_assets:
            problems.add((), "current assets exceed total assets (流动资产大于资产总额)")
        if self.inventory > self.current_assets:
            problems.add((), "inventory exceeds current assets (存货大于流动资产)")
        problems.raise_if_any(type(self).__name__)
        return self


class FinanceChange(DomainModel):
    operations: str = labelled("生产经营情况", min_length=1, max_length=2000)
    at_investigation: FinancialSnapshot = labelled("贷前调查时财务数据")
    current: FinancialSnapshot = labelled("本期财务数据")


class CollateralCheck(DomainModel):
    name: str = labelled("抵押物名称", min_length=1, max_length=200)
    certificate_no: str | None = labelled("权证号", default=None, max_length=100)
    original_value: PositiveMoney = labelled("原评估价值")
    revalued_value: PositiveMoney | None = labelled("重估价值", default=None)
    revaluation_date: date | None = labelled("重估日期", default=None)
    condition: str = labelled("抵押物现状", min_length=1, max_length=500)

    @model_validator(mode="after")
    def _date_needs_value(self) -> CollateralCheck:
        problems = Problems()
        if self.revaluation_date is not None and self.revalued_value is None:
            problems.add((), "a revaluation date needs the revalued value (填写重估日期的须填写重估价值)")
        problems.raise_if_any(type(self).__name__)
        return self


class WarningSignals(DomainModel):
    litigation: bool = labelled("涉及诉讼", default=False)
    account_frozen: bool = labelled("账户被冻结", default=False)
    ownership_change: bool = labelled("股东或法定代表人变更", default=False)
    new_credit_overdue: bool = labelled("征信报告新增逾期", default=False)
    other: str | None = labelled("其他预警信号", default=None, max_length=200)
    details: str | None = labelled("预警情况说明", default=None, max_length=2000)


class ClassificationProposal(DomainModel):
    proposal: FiveClassField = labelled("分类建议")
    rules: RuleSetName | None = labelled("分类规则", default=None, max_length=40)
    reason: str | None = labelled("分类理由", default=None, max_length=2000)


class InspectionInput(DomainModel):
    doc_no: str | None = labelled("报告编号", default=None, max_length=60)
    lender: Lender = labelled("检查机构")
    borrower: Party = labelled("借款人")
    check_type: InspectionType = labelled("检查类型")
    check_method: InspectionMethod = labelled("检查方式")
    check_date: date = labelled("检查日期")
    last_check_date: date | None = labelled("上次检查日期", default=None)
    customer_grade: str | None = labelled("客户评级", default=None, max_length=10)
    loan: InspectedLoan = labelled("贷款信息")
    fund_use: FundUse = labelled("资金用途")
    repayment: Repayment = labelled("还款情况")
    finance: FinanceChange | None = labelled("经营及财务变化", default=None)
    collateral: list[CollateralCheck] = labelled("抵押物", default_factory=list)
    guarantor_capacity: str | None = labelled("保证人担保能力", default=None, max_length=2000)
    warning_signals: WarningSignals = labelled("预警信号", default_factory=WarningSignals)
    classification: ClassificationProposal = labelled("风险分类")
    conclusion: str = labelled("检查结论", min_length=1, max_length=4000)
    measures: str = labelled("风险防控措施", min_length=1, max_length=4000)
    inspectors: list[InspectorName] = labelled("检查人", min_length=1, max_length=2)
    reviewer: str | None = labelled("审核人", default=None, max_length=50)

    @field_validator("inspectors")
    @classmethod
    def _distinct_inspectors(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("the two inspectors must be different people (两名检查人不能为同一人)")
        return value

    @field_validator("customer_grade")
    @classmethod
    def _known_grade(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        grades = inspection_settings(config_from_context(info)).by_grade
        key = value.upper()
        if key not in grades:
            raise ValueError(
                f"unknown customer grade (未知客户评级) {value!r}; accepted (可选): {', '.join(grades)}"
            )
        return key

    @model_validator(mode="after")
    def _fits_the_check(self) -> InspectionInput:
        # A rule spanning blocks reports the block it finds wrong, once.
        problems = Problems()
        check, loan = self.check_date, self.loan
        if self.last_check_date is not None and self.last_check_date >= check:
            problems.add(
                ("last_check_date",),
                "the last check must precede this one (上次检查日期须早于本次检查日期)",
                self.last_check_date,
            )
        if loan.start_date > check:
            problems.add(("loan",), "the loan is disbursed after the check date (发放日晚于检查日期)")
        else:  # funds and repayments are checked against a loan that fits the check
            for loc, message in (
                (("fund_use",), self._fund_use_problem()),
                (("repayment",), self._repayment_problem()),
            ):
                if message is not None:
                    problems.add(loc, message)
        problems.raise_if_any(type(self).__name__)
        return self

    def _fund_use_problem(self) -> str | None:
        """Fund flows dated inside disbursement to check date, adding up to no more than the loan."""
        fund_use, loan, check = self.fund_use, self.loan, self.check_date
        for i, flow in enumerate(fund_use.flows, start=1):
            if not loan.start_date <= flow.date <= check:
                return (
                    f"fund flow {i} is dated outside disbursement to check date "
                    f"(第{i}笔资金流向日期不在发放日至检查日之间)"
                )
        total = sum((flow.amount for flow in fund_use.flows), ZERO)
        if total > loan.amount:
            return (
                f"fund flows total {format_amount(total)}, more than the amount disbursed "
                f"(资金流向合计 {format_amount(total)} 大于发放金额)"
            )
        return None

    def _repayment_problem(self) -> str | None:
        """Repayments that fit the loan: principal within it, its balance agreeing, an unpaid due date
        inside the loan's life."""
        repayment, loan, check = self.repayment, self.loan, self.check_date
        if repayment.principal_paid is not None:
            if repayment.principal_paid > loan.amount:
                return "principal repaid exceeds the amount disbursed (累计实还本金大于发放金额)"
            computed = loan.amount - repayment.principal_paid
            if loan.balance is not None and loan.balance != computed:
                return (
                    f"loan.balance should be {format_amount(computed)}, amount minus principal repaid "
                    f"(贷款余额应为发放金额减累计实还本金 {format_amount(computed)})"
                )
        elif loan.balance is None:
            return "give loan.balance or repayment.principal_paid (须填写贷款余额或累计实还本金)"
        due = repayment.earliest_unpaid_due
        if due is not None and not loan.start_date < due <= check:
            return (
                "the earliest unpaid due date must fall after disbursement and by the check date "
                "(最早未还款到期日须晚于发放日且不晚于检查日期)"
            )
        return None


# -- derivation -------------------------------------------------------------------------------------------
def overdue_principal(repayment: Repayment) -> Decimal | None:
    """累计应还 − 累计实还 principal, never negative (prepaid principal is not overdue); None if unknown."""
    if repayment.principal_due is None or repayment.principal_paid is None:
        return None
    return max(ZERO, repayment.principal_due - repayment.principal_paid)


def interest_arrears(repayment: Repayment) -> Decimal | None:
    """欠息: 应还利息 − 实还利息 when both are given, else the typed figure (None if not known)."""
    if repayment.interest_due is not None and repayment.interest_paid is not None:
        return repayment.interest_due - repayment.interest_paid
    return repayment.interest_arrears


def loan_balance(data: InspectionInput) -> Decimal:
    if data.repayment.principal_paid is not None:
        return data.loan.amount - data.repayment.principal_paid
    assert data.loan.balance is not None  # the validator requires one of the two
    return data.loan.balance


@dataclass(frozen=True)
class Comparison:
    """One row of the finance table: the figure at the investigation, now, and the change."""

    before: Decimal | None
    now: Decimal | None
    change: Decimal | None
    change_text: str


def _compare(before: Decimal | None, now: Decimal | None, unit: str) -> Comparison:
    if before is None or now is None:
        return Comparison(before, now, None, "—")
    change = now - before
    up, down = ("增加", "减少") if unit == "money" else ("上升", "下降")
    if change == 0:
        text = "持平"
    elif unit == "money":
        text = f"{up if change > 0 else down}{format_amount(abs(change))}元"
    elif unit == "percent":
        text = f"{up if change > 0 else down}{abs(change)}个百分点"
    else:
        text = f"{up if change > 0 else down}{abs(change)}"
    return Comparison(before, now, change, text)


def _ratios(s: FinancialSnapshot, config: Config) -> dict[str, Decimal | None]:
    return {
        "debt_to_asset": debt_to_asset(s.total_liabilities, s.total_assets),
        "current_ratio": current_ratio(s.current_assets, s.current_liabilities),
        "quick_ratio": quick_ratio(s.current_assets, s.inventory, s.current_liabilities, config=config),
    }


def finance_comparison(finance: FinanceChange, config: Config) -> dict[str, Comparison]:
    """Ratios at the investigation and now, and their change, keyed by the template's names."""
    before, now = finance.at_investigation, finance.current
    rb, rn = _ratios(before, config), _ratios(now, config)
    return {
        "total_assets": _compare(before.total_assets, now.total_assets, "money"),
        "total_liabilities": _compare(before.total_liabilities, now.total_liabilities, "money"),
        "debt_to_asset": _compare(rb["debt_to_asset"], rn["debt_to_asset"], "percent"),
        "current_ratio": _compare(rb["current_ratio"], rn["current_ratio"], "ratio"),
        "quick_ratio": _compare(rb["quick_ratio"], rn["quick_ratio"], "ratio"),
        "revenue": _compare(before.revenue, now.revenue, "money"),
        "net_profit": _compare(before.net_profit, now.net_profit, "money"),
    }


def warning_marks(signals: WarningSignals) -> list[dict[str, str]]:
    """The checklist as printed: each signal's label and ☑ (present) or ☐ (absent)."""
    fields = WarningSignals.model_fields
    items = [
        (fields[name].title or name, bool(getattr(signals, name)))
        for name in ("litigation", "account_frozen", "ownership_change", "new_credit_overdue")
    ]
    other = f"其他：{signals.other}" if signals.other else "其他"
    items.append((other, bool(signals.other)))
    return [{"label": label, "mark": CHECKED if present else UNCHECKED} for label, present in items]


def _collateral(data: InspectionInput, balance: Decimal) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for item in data.collateral:
        value_now = item.revalued_value if item.revalued_value is not None else item.original_value
        rows.append(
            {
                "name": item.name,
                "certificate_no": item.certificate_no,
                "original_value": item.original_value,
                "value_now": value_now,
                "value_change": value_now - item.original_value,
                "revaluation_date": item.revaluation_date,
                "condition": item.condition,
            }
        )
    original = sum((item.original_value for item in data.collateral), ZERO)
    now = sum((row["value_now"] for row in rows), ZERO)
    return {
        "collateral_rows": rows,
        "collateral_original_total": original if rows else None,
        "collateral_value_total": now if rows else None,
        "mortgage_ratio_original": mortgage_ratio(data.loan.amount, original) if rows else None,
        "mortgage_ratio_now": mortgage_ratio(balance, now) if rows else None,
    }


def derive(data: InspectionInput, config: Config) -> dict[str, Any]:
    warnings: list[str] = []
    balance = loan_balance(data)
    repayment = data.repayment
    dpd = days_past_due(repayment.earliest_unpaid_due, data.check_date)
    rules = data.classification.rules
    rules_name = rules if rules is not None else _default_rules(config)
    floor = dpd_floor(dpd, rules=rules, config=config)
    proposal = data.classification.proposal
    final = worse(proposal, floor)
    below_floor = proposal.rank < floor.rank
    if below_floor:
        warnings.append(
            f"proposed class {proposal.english} is better than the floor {floor.english} that {dpd} days "
            f"past due impose; recorded as {final.english} "
            f"(分类建议{proposal.value}优于逾期{dpd}天对应的下限{floor.value}，认定为{final.value})"
        )
    if data.check_type is InspectionType.FIRST:
        latest = first_inspection_due(data.loan.start_date, config=config)
        if data.check_date > latest:
            warnings.append(
                f"first check on {data.check_date} is later than the {latest} the rules require "
                f"(首次检查日期晚于规定的最迟检查日 {latest})"
            )
    interval = inspection_interval_months(
        five_class=final, term_months=data.loan.term_months, grade=data.customer_grade, config=config
    )
    next_date = next_inspection_date(
        data.check_date,
        five_class=final,
        term_months=data.loan.term_months,
        grade=data.customer_grade,
        config=config,
    )
    flows_total = sum((flow.amount for flow in data.fund_use.flows), ZERO)
    marks = warning_marks(data.warning_signals)
    return {
        "loan_balance": balance,
        "balance_derived": repayment.principal_paid is not None,
        "guarantee_text": "、".join(m.label for m in data.loan.guarantee_methods),
        "fund_flow_total": flows_total,
        "fund_misused": data.fund_use.misused is FundMisuse.YES,
        "overdue_principal": overdue_principal(repayment),
        "interest_arrears_amount": interest_arrears(repayment),
        "days_past_due": dpd,
        "classification_rules_label": rule_sets(config)[rules_name],
        "dpd_floor": floor,
        "final_class": final,
        "proposal_below_floor": below_floor,
        "class_changed": final is not data.loan.current_class,
        "finance_rows": finance_comparison(data.finance, config) if data.finance is not None else None,
        **_collateral(data, balance),
        "warning_marks": marks,
        "warning_signal_count": sum(1 for m in marks if m["mark"] == CHECKED),
        "inspection_interval_months": interval,
        "next_check_date": next_date,
        "warnings": warnings,
    }


def _default_rules(config: Config) -> str:
    return config.section("classification", ClassificationSettings).default_rules


KIND = Kind(
    name="inspection",
    title="贷后检查报告",
    schema=InspectionInput,
    derive=derive,
    category="post-loan",
    doc_type="inspection-report",
    filename=lambda d: f"贷后检查报告-{d.loan.receipt_number}-{d.check_date.isoformat()}",
)
