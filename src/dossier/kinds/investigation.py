"""贷前调查报告: the two investigators' report on a borrower and its application (domain.md §1.1).

The seven parts the rural-bank rules ask for: the borrower, the application, operations and finances,
the credit record, the use of funds and repayment source, the guarantee, the risk (with 贷款风险度) and
the investigators' conclusion. The proposal in the conclusion is what the risk degree and 抵押率 are
computed on; it may not exceed the amount applied for.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import model_validator

from dossier.config import Config
from dossier.domain.enums import LabeledEnum, Product
from dossier.domain.models import (
    DomainModel,
    EnterpriseBorrower,
    NonNegativeMoney,
    Percent,
    PositiveMoney,
    RateTerms,
    labelled,
)
from dossier.domain.money import ZERO
from dossier.domain.rules import Problems
from dossier.errors import FieldProblem
from dossier.finance.schedule import RepaymentMethod
from dossier.finance.working_capital import WorkingCapitalInput, estimate_working_capital
from dossier.kinds.base import Kind
from dossier.kinds.credit_file import CreditFile, Investigators, derive_file
from dossier.kinds.credit_security import check_security
from dossier.kinds.credit_terms import GuaranteeMethods, Terms, terms_facts

_WORKING_CAPITAL_PRODUCTS = (Product.WORKING_CAPITAL, Product.SMALL_BUSINESS_WORKING_CAPITAL)


class CounterpartyRole(LabeledEnum):
    SUPPLIER = ("supplier", "上游", "供应商")
    CUSTOMER = ("customer", "下游", "客户")


class Counterparty(DomainModel):
    role: CounterpartyRole = labelled("上下游")
    name: str = labelled("名称", min_length=1, max_length=200)
    goods: str | None = labelled("主要产品/内容", default=None, max_length=200)
    annual_amount: NonNegativeMoney | None = labelled("年交易额", default=None)
    share_percent: Percent | None = labelled("占比(%)", default=None)
    settlement: str | None = labelled("结算方式", default=None, max_length=100)
    years: int | None = labelled("合作年限", default=None, ge=0, le=100)


class Operations(DomainModel):
    main_business: str = labelled("主营业务", min_length=1, max_length=1000)
    annual_sales: NonNegativeMoney = labelled("年销售收入")
    counterparties: list[Counterparty] = labelled("上下游客户", default_factory=list)
    analysis: str | None = labelled("经营情况分析", default=None, max_length=3000)
    market: str | None = labelled("行业及市场分析", default=None, max_length=3000)


class UsageItem(DomainModel):
    item: str = labelled("用款项目", min_length=1, max_length=200)
    payee: str | None = labelled("交易对象", default=None, max_length=200)
    amount: PositiveMoney = labelled("金额")
    planned_date: date | None = labelled("计划支付日期", default=None)


class WorkingCapitalBlock(DomainModel):
    """流动资金需求测算 inputs: last year's figures, average balances and the funding already in place."""

    last_year_sales: PositiveMoney = labelled("上年销售收入")
    last_year_cost_of_sales: NonNegativeMoney = labelled("上年销售成本")
    sales_profit_margin_percent: Decimal = labelled("上年销售利润率(%)", ge=-100, lt=100, decimal_places=4)
    growth_rate_percent: Decimal = labelled("预计销售收入年增长率(%)", ge=-100, le=1000, decimal_places=4)
    inventory: NonNegativeMoney = labelled("存货平均余额")
    receivables: NonNegativeMoney = labelled("应收账款平均余额")
    payables: NonNegativeMoney = labelled("应付账款平均余额")
    prepayments: NonNegativeMoney = labelled("预付账款平均余额", default=ZERO)
    advances_received: NonNegativeMoney = labelled("预收账款平均余额", default=ZERO)
    own_funds: NonNegativeMoney = labelled("借款人自有资金", default=ZERO)
    existing_wc_loans: NonNegativeMoney = labelled("现有流动资金贷款", default=ZERO)
    other_wc_sources: NonNegativeMoney = labelled("其他渠道提供的营运资金", default=ZERO)

    @model_validator(mode="after")
    def _costed(self) -> WorkingCapitalBlock:
        if self.last_year_cost_of_sales == 0 and (self.inventory or self.payables or self.prepayments):
            problems = Problems()
            problems.add(
                ("last_year_cost_of_sales",),
                "inventory, payables and prepayments turn over against the cost of sales, which is "
                "zero (存货、应付、预付账款按销售成本计算周转，销售成本不能为零)",
                self.last_year_cost_of_sales,
            )
            problems.raise_if_any("working capital")
        return self


class Conclusion(Terms):
    """The investigators' proposal and opinion: domain.md §1.1 section 8."""

    amount: PositiveMoney = labelled("建议金额")
    term_months: int = labelled("建议期限(月)", ge=1, le=360)
    rate: RateTerms = labelled("建议利率")
    repayment_method: RepaymentMethod = labelled("建议还款方式")
    guarantee_methods: GuaranteeMethods = labelled("建议担保方式", min_length=1)
    opinion: str = labelled("调查意见", min_length=1, max_length=3000)
    conditions: list[str] = labelled("放款前提条件及限制性条款", default_factory=list)
    investigators: Investigators = labelled("调查人")
    investigation_date: date = labelled("调查日期")


class InvestigationInput(CreditFile):
    operations: Operations | None = labelled("经营情况", default=None)
    usage_plan: list[UsageItem] = labelled("用款计划", default_factory=list)
    working_capital: WorkingCapitalBlock | None = labelled("流动资金需求测算", default=None)
    repayment_source: str = labelled("第一还款来源", min_length=1, max_length=2000)
    secondary_source: str | None = labelled("第二还款来源", default=None, max_length=2000)
    benefit: str | None = labelled("综合效益分析", default=None, max_length=2000)
    conclusion: Conclusion = labelled("调查结论")

    @model_validator(mode="after")
    def _proposal_fits(self) -> InvestigationInput:
        problems = Problems()
        requested = self.request.amount
        if self.conclusion.amount > requested:
            problems.add(
                ("conclusion", "amount"),
                f"the proposed amount exceeds the {requested} applied for "
                f"(建议金额不得超过申请金额{requested}元)",
                self.conclusion.amount,
            )
        used = sum((u.amount for u in self.usage_plan), ZERO)
        if used > requested:
            problems.add(
                ("usage_plan",),
                f"the use-of-funds plan totals {used}, more than the {requested} applied for "
                f"(用款计划合计{used}元超过申请金额{requested}元)",
                used,
            )
        if self.credit_record.query_date > self.conclusion.investigation_date:
            problems.add(
                ("credit_record", "query_date"),
                "the credit report is dated after the investigation (征信查询日期晚于调查日期)",
                self.credit_record.query_date,
            )
        if isinstance(self.borrower, EnterpriseBorrower) and self.operations is None:
            problems.add(
                ("operations",), "an enterprise borrower needs its operations (企业客户须填写经营情况)", None
            )
        extra = [m for m in self.conclusion.guarantee_methods if m not in self.request.guarantee_methods]
        check_security(extra, self.guarantee, ("guarantee",), problems)
        problems.raise_if_any("investigation report")
        return self


def _working_capital(block: WorkingCapitalBlock, requested: Decimal, config: Config) -> dict[str, Any]:
    try:
        estimate = estimate_working_capital(WorkingCapitalInput(**block.model_dump()), config=config)
    except ValueError as exc:
        # The generator reports a derive error at the field its ``problem`` names.
        exc.problem = FieldProblem(  # type: ignore[attr-defined]  # read back by the generator
            path="working_capital", label="流动资金需求测算", reason=str(exc)
        )
        raise
    balances = (
        ("存货", block.inventory, estimate.inventory),
        ("应收账款", block.receivables, estimate.receivables),
        ("应付账款", block.payables, estimate.payables),
        ("预付账款", block.prepayments, estimate.prepayments),
        ("预收账款", block.advances_received, estimate.advances_received),
    )
    return {
        "rows": [
            {"item": item, "balance": balance, "count": turnover.count, "days": turnover.days}
            for item, balance, turnover in balances
        ],
        "turnover_days": estimate.turnover_days,
        "turnover_count": estimate.turnover_count,
        "need": estimate.working_capital_need,
        "new_loan_limit": estimate.new_loan_limit,
        "needs_new_loan": estimate.needs_new_loan,
        "covers_request": requested <= estimate.new_loan_limit,
    }


def derive(data: InvestigationInput, config: Config) -> dict[str, Any]:
    conclusion = data.conclusion
    facts = derive_file(data, conclusion, conclusion.investigation_date, config)
    warnings: list[str] = facts.pop("warnings")
    requested = data.request.amount
    facts["conclusion_facts"] = {
        **terms_facts(conclusion),
        "reduction": requested - conclusion.amount,
        "investigator_names": "、".join(p.name for p in conclusion.investigators),
    }
    facts["usage_total"] = sum((u.amount for u in data.usage_plan), ZERO) if data.usage_plan else None
    facts["working_capital_facts"] = None
    if data.working_capital is not None:
        wc = _working_capital(data.working_capital, requested, config)
        facts["working_capital_facts"] = wc
        if not wc["covers_request"]:
            warnings.append(
                f"the {requested} applied for exceeds the estimated new working-capital need of "
                f"{wc['new_loan_limit']} (申请金额{requested}元超过测算的新增流动资金贷款额度"
                f"{wc['new_loan_limit']}元)"
            )
    elif isinstance(data.borrower, EnterpriseBorrower) and data.request.product in _WORKING_CAPITAL_PRODUCTS:
        warnings.append(
            "a working-capital loan to an enterprise should carry a need estimate "
            "(企业流动资金贷款应进行流动资金需求测算)"
        )
    facts["counterparty_total"] = (
        sum((c.annual_amount or ZERO for c in data.operations.counterparties), ZERO)
        if data.operations
        else None
    )
    facts["warnings"] = warnings
    return facts


def _filename(d: InvestigationInput) -> str:
    return f"贷前调查报告-{d.borrower.name}-{d.report_no or d.conclusion.investigation_date.isoformat()}"


KIND = Kind(
    name="investigation",
    title="贷前调查报告",
    schema=InvestigationInput,
    derive=derive,
    category="approval",
    doc_type="investigation-report",
    filename=_filename,
)
