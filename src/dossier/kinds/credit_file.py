"""The credit file shared by the 贷前调查报告 and the 授信调查审批报告 (domain.md §1.1, §1.2): its blocks put
together, the investigators, and everything the two reports derive alike.

Both reports describe the same borrower, application, statements, credit record, security and risk; the
investigation adds operations, the use of funds and the investigators' proposal, the approval report adds
the review and the decision. The blocks live in credit_terms, credit_statements, credit_record,
credit_security and credit_risk; every computed figure goes through :mod:`dossier.finance`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, model_validator

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.models import Borrower, DomainModel, EnterpriseBorrower, Lender, labelled
from dossier.domain.money import ZERO
from dossier.domain.rules import Problems
from dossier.kinds.credit_record import CreditRecord, credit_facts
from dossier.kinds.credit_risk import RiskAssessment, risk_facts
from dossier.kinds.credit_security import GuaranteeAnalysis, check_security, guarantee_facts
from dossier.kinds.credit_statements import (
    FinancialStatements,
    HouseholdFinances,
    household_facts,
    statement_facts,
)
from dossier.kinds.credit_terms import LoanRequest, Terms, terms_facts


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
        problems = Problems()
        if isinstance(self.borrower, EnterpriseBorrower):
            if self.financials is None:
                problems.add(
                    ("financials",),
                    "an enterprise borrower needs its statements (企业客户须提供财务报表)",
                    None,
                )
        elif self.household is None:
            problems.add(
                ("household",),
                "a natural-person borrower needs household finances (个人客户须填写家庭资产负债及收支)",
                None,
            )
        check_security(self.request.guarantee_methods, self.guarantee, ("guarantee",), problems)
        problems.raise_if_any("credit file")
        return self


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
