"""授信调查审批报告: the review and approval of an investigated application (domain.md §1.2).

It carries the credit file the investigation built (borrower, application, statements, credit record,
guarantee, risk, the two investigators) and adds the reviewer's compliance opinion and conclusion and the
approver's decision. An approval (同意/有条件同意) must state the approved amount, term, rate and
guarantee, and may not approve more than was applied for; 风险度 and 信用等级 are computed on the
approved terms (on the requested ones when nothing is approved).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import model_validator

from dossier.config import Config
from dossier.domain.enums import LabeledEnum
from dossier.domain.models import DomainModel, PositiveMoney, RateTerms, labelled
from dossier.domain.rules import Problems
from dossier.finance.schedule import RepaymentMethod
from dossier.kinds.base import Kind
from dossier.kinds.credit_file import CreditFile, Investigators, derive_file
from dossier.kinds.credit_security import check_security
from dossier.kinds.credit_terms import GuaranteeMethods, Terms, terms_facts


class ReviewConclusion(LabeledEnum):
    APPROVED = ("approved", "同意")
    CONDITIONAL = ("conditional", "有条件同意")
    REJECTED = ("rejected", "不同意")
    MORE_INFORMATION = ("more-information", "补充资料", "补充资料后再议")

    @property
    def approves(self) -> bool:
        return self in (ReviewConclusion.APPROVED, ReviewConclusion.CONDITIONAL)


class ApprovalLevel(LabeledEnum):
    SUB_BRANCH = ("sub-branch", "支行")
    BRANCH = ("branch", "分行")
    COMMITTEE = ("committee", "贷审会", "贷款审查委员会")


class Review(DomainModel):
    """审查意见: legal standing, lawful purpose, complete file, and the reviewer's view of the risk."""

    compliance: str = labelled("合规性审查意见", min_length=1, max_length=3000)
    risk_opinion: str | None = labelled("风险评价意见", default=None, max_length=3000)
    conclusion: ReviewConclusion = labelled("审查结论")
    reviewer: str = labelled("审查人", min_length=1, max_length=50)
    review_date: date | None = labelled("审查日期", default=None)


class Approval(DomainModel):
    """The decision. Amount, term, rate and guarantee are required when the conclusion approves."""

    approval_no: str | None = labelled("批复编号", default=None, max_length=60)
    amount: PositiveMoney | None = labelled("审批金额", default=None)
    term_months: int | None = labelled("审批期限(月)", default=None, ge=1, le=360)
    rate: RateTerms | None = labelled("审批利率", default=None)
    repayment_method: RepaymentMethod | None = labelled("审批还款方式", default=None)
    guarantee_methods: GuaranteeMethods = labelled("审批担保方式", default_factory=list)
    valid_until: date | None = labelled("额度有效期至", default=None)
    conditions: list[str] = labelled("用款/放款条件", default_factory=list)
    level: ApprovalLevel = labelled("审批层级")
    approver: str = labelled("审批人", min_length=1, max_length=50)
    approval_date: date = labelled("审批日期")
    opinion: str | None = labelled("审批意见", default=None, max_length=3000)


class CreditInput(CreditFile):
    profile: str | None = labelled("借款人概况", default=None, max_length=3000)
    investigators: Investigators = labelled("调查人")
    investigation_date: date | None = labelled("调查日期", default=None)
    investigation_opinion: str | None = labelled("调查意见", default=None, max_length=3000)
    review: Review = labelled("审查意见")
    approval: Approval = labelled("审批意见")

    @model_validator(mode="after")
    def _decision_fits(self) -> CreditInput:
        problems = Problems()
        approval = self.approval
        conclusion = self.review.conclusion
        if conclusion.approves:
            required = (
                ("amount", "审批金额", approval.amount),
                ("term_months", "审批期限", approval.term_months),
                ("rate", "审批利率", approval.rate),
                ("guarantee_methods", "审批担保方式", approval.guarantee_methods or None),
            )
            for name, label, value in required:
                if value is None:
                    problems.add(
                        ("approval", name),
                        f"an approval ({conclusion.label}) needs the approved {name.replace('_', ' ')} "
                        f"(审查结论为{conclusion.label}时须填写{label})",
                        value,
                    )
        if conclusion is ReviewConclusion.CONDITIONAL and not approval.conditions:
            problems.add(
                ("approval", "conditions"),
                "a conditional approval needs its conditions (有条件同意须列明用款/放款条件)",
                [],
            )
        requested = self.request.amount
        if approval.amount is not None and approval.amount > requested:
            problems.add(
                ("approval", "amount"),
                f"the approved amount exceeds the {requested} applied for "
                f"(审批金额不得超过申请金额{requested}元)",
                approval.amount,
            )
        if approval.valid_until is not None and approval.valid_until <= approval.approval_date:
            problems.add(
                ("approval", "valid_until"),
                "the facility must stay valid after the approval date (额度有效期须晚于审批日期)",
                approval.valid_until,
            )
        earlier = (
            (("review", "review_date"), self.review.review_date, "审查日期"),
            (("investigation_date",), self.investigation_date, "调查日期"),
            (("credit_record", "query_date"), self.credit_record.query_date, "征信查询日期"),
        )
        for loc, when, label in earlier:
            if when is not None and when > approval.approval_date:
                problems.add(
                    loc, f"dated after the approval (晚于审批日期{approval.approval_date}的{label})", when
                )
        extra = [m for m in approval.guarantee_methods if m not in self.request.guarantee_methods]
        check_security(extra, self.guarantee, ("guarantee",), problems)
        problems.raise_if_any("credit approval")
        return self

    def approved_terms(self) -> Terms | None:
        """The approved terms, or None when the conclusion does not approve."""
        approval = self.approval
        if not self.review.conclusion.approves:
            return None
        assert approval.amount is not None and approval.term_months is not None and approval.rate is not None
        return Terms(
            amount=approval.amount,
            term_months=approval.term_months,
            rate=approval.rate,
            repayment_method=approval.repayment_method or self.request.repayment_method,
            guarantee_methods=approval.guarantee_methods,
        )


def derive(data: CreditInput, config: Config) -> dict[str, Any]:
    approved = data.approved_terms()
    terms: Terms = approved or data.request
    facts = derive_file(data, terms, data.approval.approval_date, config)
    facts["effective_terms"] = {
        "amount": terms.amount,
        "term_months": terms.term_months,
        "repayment_method": terms.repayment_method,
    }
    facts["effective_terms_facts"] = terms_facts(terms)
    facts["approval_facts"] = {
        "approved": approved is not None,
        "repayment_method": approved.repayment_method if approved else None,
        "reduction": data.request.amount - approved.amount if approved else None,
        "investigator_names": "、".join(p.name for p in data.investigators),
        **(terms_facts(approved) if approved else {"annual_rate": None, "spread": "", "guarantee": ""}),
    }
    return facts


def _filename(d: CreditInput) -> str:
    return (
        f"授信调查审批报告-{d.borrower.name}-{d.approval.approval_no or d.approval.approval_date.isoformat()}"
    )


KIND = Kind(
    name="credit",
    title="授信调查审批报告",
    schema=CreditInput,
    derive=derive,
    category="approval",
    doc_type="credit-approval",
    filename=_filename,
)
