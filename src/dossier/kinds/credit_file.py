"""Input blocks of a credit file shared by the 贷前调查报告 and the 授信调查审批报告 (domain.md §1.1, §1.2),
and the figures derived from them.

Both reports describe the same borrower, application, statements, credit record, security and risk; the
investigation adds operations, the use of funds and the investigators' proposal, the approval report adds
the review and the decision. Every computed figure goes through :mod:`dossier.finance`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.enums import GuaranteeMethod, PaymentMode, Product
from dossier.domain.identifiers.types import config_from_context
from dossier.domain.models import (
    Borrower,
    Collateral,
    DomainModel,
    EnterpriseBorrower,
    Guarantor,
    Lender,
    Money,
    NonNegativeMoney,
    PositiveMoney,
    RateTerms,
    labelled,
)
from dossier.domain.money import ZERO
from dossier.finance import ratios
from dossier.finance.classification import FiveClass, parse_five_class
from dossier.finance.risk import RiskDegreeSettings, credit_grade, risk_degree
from dossier.finance.schedule import RepaymentMethod, build_schedule

Loc = tuple[str | int, ...]

# Methods whose first schedule row is what the borrower pays every month.
_MONTHLY_METHODS = (
    RepaymentMethod.ANNUITY,
    RepaymentMethod.EQUAL_PRINCIPAL,
    RepaymentMethod.MONTHLY_INTEREST,
)
# Security a guarantee method needs listed in the guarantee block.
_NEEDS_COLLATERAL = (GuaranteeMethod.MORTGAGE, GuaranteeMethod.PLEDGE)


# -- located errors ----------------------------------------------------------------------------------------


def rule_error(problems: Sequence[tuple[Loc, str, Any]], title: str = "credit file") -> ValidationError:
    """A ValidationError whose entries point at fields (``loc``), for rules a model validator checks.

    Pydantic nests the locations under the model's own path, so ``approval.amount`` comes out as the
    path of the approved amount even though the rule compares two blocks.
    """
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError("credit_rule", message), loc=loc, input=value)
            for loc, message, value in problems
        ],
    )


def raise_problems(problems: Sequence[tuple[Loc, str, Any]], title: str = "credit file") -> None:
    if problems:
        raise rule_error(problems, title)


# -- terms -------------------------------------------------------------------------------------------------


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


# -- financial statements ----------------------------------------------------------------------------------


class FinancialPeriod(DomainModel):
    """One column of the statements: a year-end, or the latest period (income figures year to date)."""

    label: str = labelled("报表期间", min_length=1, max_length=20)
    period_end: date = labelled("报表截止日")
    audited: bool = labelled("是否审计", default=False)
    cash: NonNegativeMoney = labelled("货币资金", default=ZERO)
    receivables: NonNegativeMoney = labelled("应收账款", default=ZERO)
    prepayments: NonNegativeMoney = labelled("预付账款", default=ZERO)
    inventory: NonNegativeMoney = labelled("存货", default=ZERO)
    current_portion_noncurrent: NonNegativeMoney = labelled("一年内到期的非流动资产", default=ZERO)
    other_current_assets: NonNegativeMoney = labelled("其他流动资产", default=ZERO)
    current_assets: NonNegativeMoney = labelled("流动资产合计")
    fixed_assets: NonNegativeMoney = labelled("固定资产", default=ZERO)
    total_assets: PositiveMoney = labelled("资产总计")
    short_term_loans: NonNegativeMoney = labelled("短期借款", default=ZERO)
    payables: NonNegativeMoney = labelled("应付账款", default=ZERO)
    advances_received: NonNegativeMoney = labelled("预收账款", default=ZERO)
    current_liabilities: NonNegativeMoney = labelled("流动负债合计")
    long_term_loans: NonNegativeMoney = labelled("长期借款", default=ZERO)
    total_liabilities: NonNegativeMoney = labelled("负债合计")
    revenue: NonNegativeMoney = labelled("营业收入")
    cost_of_sales: NonNegativeMoney = labelled("营业成本")
    interest_expense: NonNegativeMoney = labelled("利息费用", default=ZERO)
    total_profit: Money = labelled("利润总额")
    net_profit: Money = labelled("净利润")
    operating_cash_flow: Money | None = labelled("经营活动现金流量净额", default=None)

    @model_validator(mode="after")
    def _totals_hold(self) -> FinancialPeriod:
        problems: list[tuple[Loc, str, Any]] = []
        if self.current_assets > self.total_assets:
            problems.append(
                (
                    ("current_assets",),
                    "current assets exceed total assets (流动资产合计大于资产总计)",
                    self.current_assets,
                )
            )
        listed = (
            self.cash
            + self.receivables
            + self.prepayments
            + self.inventory
            + self.current_portion_noncurrent
            + self.other_current_assets
        )
        if listed > self.current_assets:
            problems.append(
                (
                    ("current_assets",),
                    f"the current-asset items add up to {listed}, more than the total "
                    f"(流动资产各项合计{listed}大于流动资产合计)",
                    self.current_assets,
                )
            )
        if self.current_liabilities > self.total_liabilities:
            problems.append(
                (
                    ("current_liabilities",),
                    "current liabilities exceed total liabilities (流动负债合计大于负债合计)",
                    self.current_liabilities,
                )
            )
        listed = self.short_term_loans + self.payables + self.advances_received
        if listed > self.current_liabilities:
            problems.append(
                (
                    ("current_liabilities",),
                    f"the current-liability items add up to {listed}, more than the total "
                    f"(流动负债各项合计{listed}大于流动负债合计)",
                    self.current_liabilities,
                )
            )
        raise_problems(problems, "financial period")
        return self

    @property
    def equity(self) -> Decimal:
        return self.total_assets - self.total_liabilities

    @property
    def ebit(self) -> Decimal:
        return self.total_profit + self.interest_expense


class FinancialStatements(DomainModel):
    """Up to three year-ends, oldest first, and the latest interim period."""

    annual: list[FinancialPeriod] = labelled("年度报表", min_length=1, max_length=3)
    latest: FinancialPeriod | None = labelled("最近一期报表", default=None)
    source: str | None = labelled("报表来源", default=None, max_length=300)
    analysis: str | None = labelled("财务分析", default=None, max_length=3000)

    @model_validator(mode="after")
    def _in_order(self) -> FinancialStatements:
        problems: list[tuple[Loc, str, Any]] = []
        for i in range(1, len(self.annual)):
            if self.annual[i].period_end <= self.annual[i - 1].period_end:
                problems.append(
                    (
                        ("annual", i, "period_end"),
                        "list the years oldest first (年度报表须按时间先后排列)",
                        self.annual[i].period_end,
                    )
                )
        if self.latest is not None and self.latest.period_end <= self.annual[-1].period_end:
            problems.append(
                (
                    ("latest", "period_end"),
                    "the latest period must end after the last year-end "
                    "(最近一期报表截止日须晚于最后一个年度末)",
                    self.latest.period_end,
                )
            )
        raise_problems(problems, "financial statements")
        return self


class HouseholdFinances(DomainModel):
    """家庭资产负债及收支 of a natural-person or sole-proprietor borrower."""

    total_assets: NonNegativeMoney = labelled("家庭总资产")
    total_liabilities: NonNegativeMoney = labelled("家庭总负债")
    monthly_income: PositiveMoney = labelled("家庭月收入")
    monthly_expenses: NonNegativeMoney = labelled("家庭月支出(不含还贷)")
    monthly_debt_service: NonNegativeMoney = labelled("现有债务月还款额", default=ZERO)
    assets_note: str | None = labelled("资产构成说明", default=None, max_length=1000)
    income_source: str | None = labelled("收入来源", default=None, max_length=500)


# -- credit record -----------------------------------------------------------------------------------------


def _five_class(value: Any) -> Any:
    return parse_five_class(value) if isinstance(value, str) else value


class OtherBankLoan(DomainModel):
    """One line of 他行融资 as the credit report shows it."""

    institution: str = labelled("融资机构", min_length=1, max_length=200)
    product: str | None = labelled("融资品种", default=None, max_length=100)
    amount: PositiveMoney = labelled("授信/借款金额")
    balance: NonNegativeMoney = labelled("余额")
    start_date: date | None = labelled("起始日", default=None)
    maturity_date: date | None = labelled("到期日", default=None)
    guarantee: GuaranteeMethod | None = labelled("担保方式", default=None)
    classification: Annotated[FiveClass, BeforeValidator(_five_class)] | None = labelled(
        "五级分类", default=None
    )

    @model_validator(mode="after")
    def _consistent(self) -> OtherBankLoan:
        problems: list[tuple[Loc, str, Any]] = []
        if self.balance > self.amount:
            problems.append(
                (("balance",), "balance exceeds the amount (余额大于授信/借款金额)", self.balance)
            )
        if self.start_date and self.maturity_date and self.maturity_date <= self.start_date:
            problems.append(
                (
                    ("maturity_date",),
                    "maturity must be after the start (到期日须晚于起始日)",
                    self.maturity_date,
                )
            )
        raise_problems(problems, "other-bank loan")
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


# -- guarantee ---------------------------------------------------------------------------------------------


class SecuredCollateral(Collateral):
    """A collateral item; ``secured_amount`` is the claim it secures when it is not the whole loan."""

    secured_amount: PositiveMoney | None = labelled("担保债权金额", default=None)


class GuaranteeAnalysis(DomainModel):
    guarantors: list[Guarantor] = labelled("保证人", default_factory=list)
    collateral: list[SecuredCollateral] = labelled("抵(质)押物", default_factory=list)
    analysis: str | None = labelled("担保分析", default=None, max_length=3000)


def security_problems(
    methods: Iterable[GuaranteeMethod], guarantee: GuaranteeAnalysis, loc: Loc
) -> list[tuple[Loc, str, Any]]:
    """A mortgage or pledge needs collateral listed, a surety a guarantor."""
    wanted = set(methods)
    problems: list[tuple[Loc, str, Any]] = []
    if wanted & set(_NEEDS_COLLATERAL) and not guarantee.collateral:
        problems.append(
            (
                (*loc, "collateral"),
                "a mortgage or pledge needs the collateral listed (抵押/质押担保须列明抵(质)押物)",
                [],
            )
        )
    if GuaranteeMethod.SURETY in wanted and not guarantee.guarantors:
        problems.append(
            (((*loc, "guarantors")), "a surety needs its guarantors listed (保证担保须列明保证人)", [])
        )
    return problems


# -- risk --------------------------------------------------------------------------------------------------


class RiskAssessment(DomainModel):
    """风险评价: the grade (or the scorecard score it comes from), risk points and mitigation."""

    credit_grade: str | None = labelled("信用等级", default=None, max_length=10)
    credit_score: Decimal | None = labelled("信用评分", default=None, ge=0, le=1000, decimal_places=2)
    risk_points: list[Annotated[str, AfterValidator(str.strip)]] = labelled("风险点", min_length=1)
    mitigation: str | None = labelled("风险缓释措施", default=None, max_length=2000)
    project_factor_percent: Decimal | None = labelled(
        "项目风险等级系数(%)", default=None, gt=0, le=1000, decimal_places=2
    )

    @model_validator(mode="after")
    def _grade_known(self, info: ValidationInfo) -> RiskAssessment:
        config = config_from_context(info)
        problems: list[tuple[Loc, str, Any]] = []
        if self.credit_grade is None and self.credit_score is None:
            problems.append(
                (
                    ("credit_grade",),
                    "give the credit grade or the score (信用等级与信用评分至少填写一项)",
                    None,
                )
            )
        if self.credit_grade is not None:
            self.credit_grade = self.credit_grade.strip().upper()
            known = config.section("risk_degree", RiskDegreeSettings).grade
            if self.credit_grade not in known:
                problems.append(
                    (
                        ("credit_grade",),
                        f"unknown credit grade {self.credit_grade!r} (未知信用等级); "
                        f"accepted (可选): {', '.join(known)}",
                        self.credit_grade,
                    )
                )
        if self.credit_score is not None and self.credit_grade is not None and not problems:
            scored = credit_grade(self.credit_score, config=config)
            if scored != self.credit_grade:
                problems.append(
                    (
                        ("credit_grade",),
                        f"a score of {self.credit_score} gives grade {scored}, not {self.credit_grade} "
                        f"(评分{self.credit_score}对应信用等级为{scored}，与填写的{self.credit_grade}不符)",
                        self.credit_grade,
                    )
                )
        raise_problems(problems, "risk assessment")
        return self


# -- investigators -----------------------------------------------------------------------------------------


class Investigator(DomainModel):
    name: str = labelled("姓名", min_length=1, max_length=50)
    position: str | None = labelled("职务", default=None, max_length=50)
    staff_no: str | None = labelled("工号", default=None, max_length=30)


def _two_people(people: list[Investigator]) -> list[Investigator]:
    if len(people) < 2:
        raise ValueError(
            "a loan investigation needs two investigators (贷前调查实行双人调查，调查人不得少于两名)"
        )
    if len({p.name for p in people}) != len(people):
        raise ValueError("the investigators must be different people (调查人不得重复)")
    return people


Investigators = Annotated[list[Investigator], AfterValidator(_two_people)]


# -- the shared base ---------------------------------------------------------------------------------------


class CreditFile(DomainModel):
    """What the investigation and the approval report both carry."""

    report_no: str | None = labelled("报告编号", default=None, max_length=60)
    lender: Lender = labelled("贷款人")
    borrower: Borrower = labelled("借款人")
    request: LoanRequest = labelled("申请信息")
    financials: FinancialStatements | None = labelled("财务报表", default=None)
    household: HouseholdFinances | None = labelled("家庭财务状况", default=None)
    credit_record: CreditRecord = labelled("征信及融资情况")
    guarantee: GuaranteeAnalysis = labelled("担保分析", default_factory=GuaranteeAnalysis)
    risk: RiskAssessment = labelled("风险评价")

    @model_validator(mode="after")
    def _file_complete(self) -> CreditFile:
        problems: list[tuple[Loc, str, Any]] = []
        if isinstance(self.borrower, EnterpriseBorrower):
            if self.financials is None:
                problems.append(
                    (
                        ("financials",),
                        "an enterprise borrower needs its statements (企业客户须提供财务报表)",
                        None,
                    )
                )
        elif self.household is None:
            problems.append(
                (
                    ("household",),
                    "a natural-person borrower needs household finances (个人客户须填写家庭资产负债及收支)",
                    None,
                )
            )
        problems += security_problems(self.request.guarantee_methods, self.guarantee, ("guarantee",))
        raise_problems(problems)
        return self


# -- derivations -------------------------------------------------------------------------------------------


def borrower_facts(borrower: Any, on: date) -> dict[str, Any]:
    """What the ID number and registration dates tell: sex, birth date, age, years in business.

    Every key is present for every customer type (None where it does not apply), so a template reads
    the same fields whatever the borrower is.
    """
    facts: dict[str, Any] = dict.fromkeys(
        (
            "sex",
            "birth_date",
            "age",
            "spouse_sex",
            "spouse_age",
            "years_in_business",
            "share_total",
            "contribution_total",
            "representative_sex",
            "representative_age",
        )
    )
    if isinstance(borrower, EnterpriseBorrower):
        rep = borrower.legal_representative
        facts |= {
            "id_label": "统一社会信用代码",
            "id_value": borrower.credit_code,
            "years_in_business": borrower.years_in_business(on),
            "representative_sex": rep.sex,
            "representative_age": rep.age(on),
        }
        if borrower.shareholders:
            facts["share_total"] = sum((s.share_percent for s in borrower.shareholders), Decimal(0))
            facts["contribution_total"] = sum((s.contribution for s in borrower.shareholders), ZERO)
        return facts
    established = getattr(borrower, "established", None)
    if established is not None:
        before_anniversary = (on.month, on.day) < (established.month, established.day)
        facts["years_in_business"] = on.year - established.year - before_anniversary
    spouse = borrower.spouse
    return facts | {
        "id_label": "身份证号",
        "id_value": borrower.id_number,
        "sex": borrower.sex,
        "birth_date": borrower.birth_date,
        "age": borrower.age(on),
        "spouse_sex": spouse.sex if spouse else None,
        "spouse_age": spouse.age(on) if spouse else None,
    }


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


_BALANCE_ITEMS = (
    "cash",
    "receivables",
    "prepayments",
    "inventory",
    "current_assets",
    "fixed_assets",
    "total_assets",
    "short_term_loans",
    "payables",
    "advances_received",
    "current_liabilities",
    "long_term_loans",
    "total_liabilities",
)
_INCOME_ITEMS = ("revenue", "cost_of_sales", "interest_expense", "total_profit", "net_profit")
_SUMMARY_ITEMS = ("total_assets", "total_liabilities", "revenue", "net_profit")
_COLUMNS = 4  # three year-ends and the latest period


def _label(field: str) -> str:
    return FinancialPeriod.model_fields[field].title or field


def period_ratios(period: FinancialPeriod, config: Config) -> dict[str, Decimal | None]:
    return {
        "debt_to_asset": ratios.debt_to_asset(period.total_liabilities, period.total_assets),
        "current_ratio": ratios.current_ratio(period.current_assets, period.current_liabilities),
        "quick_ratio": ratios.quick_ratio(
            period.current_assets,
            period.inventory,
            period.current_liabilities,
            prepayments=period.prepayments,
            current_noncurrent=period.current_portion_noncurrent,
            other_current=period.other_current_assets,
            config=config,
        ),
        "interest_coverage": ratios.interest_coverage(period.ebit, period.interest_expense),
    }


_RATIO_LABELS = {
    "debt_to_asset": "资产负债率(%)",
    "current_ratio": "流动比率",
    "quick_ratio": "速动比率",
    "interest_coverage": "利息保障倍数(倍)",
}


def statement_facts(statements: FinancialStatements, config: Config) -> dict[str, Any]:
    """The statement tables, one row per item and four columns: three year-ends (blank columns on the
    left when fewer years exist) and the latest period; and the ratios of every period."""
    blanks: list[FinancialPeriod | None] = [None] * (_COLUMNS - 1 - len(statements.annual))
    columns: list[FinancialPeriod | None] = [*blanks, *statements.annual, statements.latest]

    def row(item: str, values: list[Decimal | None]) -> dict[str, Any]:
        return {"item": item, "figures": values}

    def item_row(name: str) -> dict[str, Any]:
        return row(_label(name), [getattr(p, name) if p else None for p in columns])

    per_period = [period_ratios(p, config) if p else None for p in columns]
    equity = row("所有者权益合计", [p.equity if p else None for p in columns])
    ebit = row("息税前利润(EBIT)", [p.ebit if p else None for p in columns])
    cash_flow = row("经营活动现金流量净额", [p.operating_cash_flow if p else None for p in columns])
    ratio_rows = [
        row(label, [r[key] if r else None for r in per_period]) for key, label in _RATIO_LABELS.items()
    ]
    last = statements.latest or statements.annual[-1]
    return {
        "headers": [(f"{p.label}（经审计）" if p.audited else p.label) if p else "" for p in columns],
        "balance_rows": [*(item_row(n) for n in _BALANCE_ITEMS), equity],
        "income_rows": [*(item_row(n) for n in _INCOME_ITEMS), ebit, cash_flow],
        "ratio_rows": ratio_rows,
        "summary_rows": [*(item_row(n) for n in _SUMMARY_ITEMS[:2]), equity]
        + [item_row(n) for n in _SUMMARY_ITEMS[2:]],
        "periods": [
            {"label": p.label, "period_end": p.period_end, **period_ratios(p, config)}
            for p in [*statements.annual, *([statements.latest] if statements.latest else [])]
        ],
        "last_label": last.label,
        "last_equity": last.equity,
        "insolvent": last.equity < 0,
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


_HOUSEHOLD_KEYS = (
    "net_assets",
    "monthly_surplus",
    "debt_to_income",
    "new_monthly_payment",
    "debt_to_income_with_loan",
)


def household_facts(
    household: HouseholdFinances | None, terms: Terms, on: date, config: Config
) -> dict[str, Any]:
    """Net assets, monthly surplus and 负债收入比, before and with the new loan's monthly payment;
    all None when the file has no household figures (an enterprise)."""
    if household is None:
        return dict.fromkeys(_HOUSEHOLD_KEYS)
    new_payment = monthly_payment(terms, on, config)
    with_loan = (
        None
        if new_payment is None
        else ratios.debt_to_income(household.monthly_debt_service + new_payment, household.monthly_income)
    )
    return {
        "net_assets": household.total_assets - household.total_liabilities,
        "monthly_surplus": household.monthly_income
        - household.monthly_expenses
        - household.monthly_debt_service,
        "debt_to_income": ratios.debt_to_income(household.monthly_debt_service, household.monthly_income),
        "new_monthly_payment": new_payment,
        "debt_to_income_with_loan": with_loan,
    }


def credit_facts(record: CreditRecord) -> dict[str, Any]:
    loans = record.other_bank_loans
    return {
        "other_bank_count": len(loans),
        "other_bank_amount": sum((x.amount for x in loans), ZERO),
        "other_bank_balance": sum((x.balance for x in loans), ZERO),
        "clean": record.current_overdue == 0 and record.overdue_times_24m == 0,
    }


def guarantee_facts(guarantee: GuaranteeAnalysis, loan_amount: Decimal) -> dict[str, Any]:
    """Per-item 抵押率 = secured claim (the whole loan unless stated) / appraised value; and overall."""
    rows = []
    for item in guarantee.collateral:
        secured = item.secured_amount or loan_amount
        rows.append(
            {
                "item": item,
                "secured": secured,
                "mortgage_ratio": ratios.mortgage_ratio(secured, item.appraised_value),
            }
        )
    appraised = sum((c.appraised_value for c in guarantee.collateral), ZERO)
    return {
        "collateral_rows": rows,
        "appraised_total": appraised if guarantee.collateral else None,
        "overall_mortgage_ratio": ratios.mortgage_ratio(loan_amount, appraised)
        if guarantee.collateral
        else None,
        "guarantor_net_assets": sum((g.net_assets or ZERO for g in guarantee.guarantors), ZERO)
        if guarantee.guarantors
        else None,
    }


def risk_facts(risk: RiskAssessment, terms: Terms, config: Config) -> dict[str, Any]:
    """信用等级 (from the score when one is given) and 贷款风险度 of ``terms``."""
    if risk.credit_score is not None:
        grade, source = credit_grade(risk.credit_score, config=config), "评分卡"
    else:
        assert risk.credit_grade is not None  # the validator requires one of the two
        grade, source = risk.credit_grade, "评级结果"
    degree = risk_degree(
        grade,
        guarantee_key(terms.guarantee_methods),
        terms.term_months,
        project_factor_percent=risk.project_factor_percent,
        config=config,
    )
    return {
        "grade": grade,
        "grade_source": source,
        "degree": degree.percent,
        "grade_coefficient": degree.grade_coefficient,
        "guarantee_coefficient": degree.guarantee_coefficient,
        "term_coefficient": degree.term_coefficient,
        "project_coefficient": degree.project_coefficient,
        "high_risk": degree.high_risk,
        "guarantee_key": guarantee_key(terms.guarantee_methods),
        "high_risk_above": config.section("risk_degree", RiskDegreeSettings).high_risk_above_percent,
    }


def file_warnings(data: CreditFile, facts: dict[str, Any], terms: Terms, on: date) -> list[str]:
    """Things a reviewer should see that do not make the file invalid."""
    warnings: list[str] = []
    record = data.credit_record
    if record.current_overdue > 0:
        warnings.append(
            f"the credit report shows {record.current_overdue} overdue now "
            f"(征信报告显示当前逾期{record.current_overdue}元)"
        )
    risk = facts["risk_facts"]
    if risk["high_risk"]:
        warnings.append(
            f"risk degree {risk['degree']}% is above {risk['high_risk_above']}%: a high-risk loan "
            f"(贷款风险度{risk['degree']}%超过{risk['high_risk_above']}%，属高风险贷款)"
        )
    statements = facts.get("statements")
    if statements and statements["insolvent"]:
        warnings.append(
            f"liabilities exceed assets at {statements['last_label']} "
            f"(截至{statements['last_label']}资不抵债)"
        )
    borrower = data.borrower
    maturity = add_months(on, terms.term_months)
    if (
        isinstance(borrower, EnterpriseBorrower)
        and borrower.lease_until is not None
        and borrower.lease_until < maturity
    ):
        warnings.append(
            f"the premises lease ends {borrower.lease_until}, before the loan would mature on {maturity} "
            f"(经营场所租期{borrower.lease_until}早于贷款预计到期日{maturity})"
        )
    for i, g in enumerate(data.guarantee.guarantors):
        if g.net_assets is not None and g.net_assets < terms.amount:
            warnings.append(
                f"guarantor {i + 1} ({g.name}) has net assets below the loan "
                f"(保证人{g.name}净资产{g.net_assets}元低于贷款金额{terms.amount}元，保证能力不足)"
            )
    return warnings


def derive_file(data: CreditFile, terms: Terms, on: date, config: Config) -> dict[str, Any]:
    """Everything the two reports derive alike. ``terms`` are the terms the report proposes or approves
    (risk degree, 抵押率 and the new monthly payment are computed on them); ``on`` is the report date."""
    facts: dict[str, Any] = {
        "borrower_facts": borrower_facts(data.borrower, on),
        "request_facts": terms_facts(data.request),
        "credit_facts": credit_facts(data.credit_record),
        "guarantee_facts": guarantee_facts(data.guarantee, terms.amount),
        "risk_facts": risk_facts(data.risk, terms, config),
        "statements": statement_facts(data.financials, config) if data.financials else None,
        "household_facts": household_facts(data.household, terms, on, config),
    }
    facts["warnings"] = file_warnings(data, facts, terms, on)
    return facts
