"""逾期贷款催收通知书 and, sent to a guarantor, 担保人履行责任通知书 (domain.md §1.4, §3.8).

The figures come from :func:`dossier.finance.penalty.overdue_charges`: 罚息 on the overdue principal and
复利 on the unpaid interest, both at the overdue penalty rate, counted 算头不算尾 to the 截至日. The
signed 回执 is the bank's evidence that the limitation period was interrupted (民法典第一百九十五条); a
demand to a guarantor must reach it inside the 保证期间, which nothing interrupts (民法典第六百九十二条).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo, field_validator, model_validator

from dossier.config import Config
from dossier.domain.enums import LabeledEnum
from dossier.domain.identifiers.types import ContractNumber, ReceiptNumber, config_from_context
from dossier.domain.models import DomainModel, NonNegativeMoney, Party, Percent, labelled
from dossier.domain.rules import Problems
from dossier.finance.daycount import day_basis, days_between
from dossier.finance.penalty import ChargeKind, overdue_charges, penalty_settings
from dossier.kinds.base import Kind
from dossier.kinds.notice_common import LoanRef, NoticeHeader

BORROWER_TITLE = "逾期贷款催收通知书"
GUARANTOR_TITLE = "担保人履行责任通知书"

# Call logs are written in bank-branch wall-clock time; a time without an offset is Beijing time.
BEIJING = timezone(timedelta(hours=8), "CST")


class Recipient(LabeledEnum):
    BORROWER = ("borrower", "借款人")
    GUARANTOR = ("guarantor", "保证人", "担保人")


class CollectionMethod(LabeledEnum):
    PHONE = ("phone", "电话")
    VISIT = ("visit", "上门")
    LETTER = ("letter", "信函")
    SMS = ("sms", "短信")
    PUBLIC_NOTICE = ("public-notice", "公告")


class GuaranteeLiability(LabeledEnum):
    JOINT = ("joint", "连带责任保证", "连带")
    GENERAL = ("general", "一般保证", "一般")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=BEIJING)


LocalTimestamp = Annotated[datetime, AfterValidator(_aware)]
"""A timestamp; one written without an offset is taken as Beijing time (UTC+8)."""


class CollectionLoan(LoanRef):
    """The loan as printed on the 借据; a collection notice must name the 借据 it demands."""

    receipt_number: ReceiptNumber | None = labelled("借据编号", default=None, validate_default=True)

    @field_validator("receipt_number", mode="after")
    @classmethod
    def _receipt_required(cls, value: str | None) -> str:
        if not value:
            raise ValueError("a collection notice needs the loan receipt number (催收通知书须填写借据编号)")
        return value


class PhoneCall(DomainModel):
    called_at: LocalTimestamp = labelled("通话时间")
    number: str = labelled("拨打号码", min_length=5, max_length=30, pattern=r"^[0-9+\-() ]+$")
    answered_by: str = labelled("接听人", min_length=1, max_length=50)
    promised_date: date | None = labelled("承诺还款日", default=None)
    recording_id: str | None = labelled("录音编号", default=None, max_length=60)
    summary: str | None = labelled("通话摘要", default=None, max_length=300)


class Visit(DomainModel):
    visited_on: date = labelled("上门日期")
    address: str = labelled("走访地址", min_length=1, max_length=200)
    staff: list[Annotated[str, labelled("催收人员姓名", min_length=1, max_length=50)]] = labelled(
        "催收人员", min_length=2, max_length=4
    )
    witness: str | None = labelled("见证人", default=None, max_length=100)
    photos: str | None = labelled("现场照片", default=None, max_length=200)
    result: str | None = labelled("走访情况", default=None, max_length=500)

    @field_validator("staff", mode="after")
    @classmethod
    def _two_different_people(cls, value: list[str]) -> list[str]:
        if len(set(value)) < len(value):
            raise ValueError("the same person is listed twice (催收人员重复，上门催收须两名不同人员)")
        return value


class CollectionInput(NoticeHeader):
    recipient: Recipient = labelled("通知对象", default=Recipient.BORROWER)
    borrower: Party = labelled("借款人")
    guarantor: Party | None = labelled("保证人", default=None, validate_default=True)
    guarantee_type: GuaranteeLiability = labelled("保证方式", default=GuaranteeLiability.JOINT)
    guarantee_contract_number: ContractNumber | None = labelled("保证合同编号", default=None)
    guarantee_period_end: date | None = labelled("保证期间届满日", default=None)
    loan: CollectionLoan = labelled("贷款信息")
    as_of: date = labelled("截至日")
    overdue_principal: NonNegativeMoney = labelled("逾期本金")
    unpaid_interest: NonNegativeMoney = labelled("欠息", default=Decimal("0.00"))
    overdue_since: date = labelled("逾期起始日")
    interest_unpaid_since: date | None = labelled("欠息起始日", default=None, validate_default=True)
    penalty_markup: Percent | None = labelled("罚息上浮比例(%)", default=None)
    deadline: date = labelled("限期还款日")
    method: CollectionMethod = labelled("催收方式")
    repayment_account: str | None = labelled("还款账户", default=None, max_length=40)
    contact: str | None = labelled("联系人及电话", default=None, max_length=80)
    phone_log: list[PhoneCall] = labelled("电话催收记录", default_factory=list)
    visit: Visit | None = labelled("上门催收情况", default=None)

    @field_validator("penalty_markup", mode="after")
    @classmethod
    def _markup_in_configured_range(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return value
        low, high = penalty_settings(config_from_context(info)).markup_range(ChargeKind.OVERDUE)
        low, high = (low * 100).normalize(), (high * 100).normalize()
        if not low <= value <= high:
            raise ValueError(
                f"penalty markup must lie between {low:f} % and {high:f} % "
                f"(罚息上浮比例须在 {low:f}%–{high:f}% 之间)"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CollectionInput:
        problems = Problems()
        if self.guarantor is None and self.recipient is Recipient.GUARANTOR:
            problems.add(
                ("guarantor",),
                "a notice to a guarantor needs the guarantor (向保证人发出履行责任通知书须填写保证人)",
            )
        notice = self.notice_date
        if self.as_of > notice:
            problems.add(
                ("as_of",),
                f"as-of date is after the notice date {notice} (截至日不能晚于通知日期 {notice})",
                self.as_of,
            )
        if self.overdue_principal > self.loan.amount:
            problems.add(
                ("overdue_principal",),
                "overdue principal exceeds the loan amount (逾期本金大于贷款金额)",
                self.overdue_principal,
            )
        self._check_since("overdue_since", self.overdue_since, "逾期起始日", problems)
        if self.interest_unpaid_since is None:
            if self.unpaid_interest > 0:
                problems.add(
                    ("interest_unpaid_since",),
                    "unpaid interest needs the date it fell due (有欠息时须填写欠息起始日)",
                )
        else:
            self._check_since("interest_unpaid_since", self.interest_unpaid_since, "欠息起始日", problems)
        if self.deadline <= notice:
            problems.add(
                ("deadline",),
                f"the repayment deadline must be after the notice date {notice} "
                f"(限期还款日须晚于通知日期 {notice})",
                self.deadline,
            )
        if self.overdue_principal == 0 and self.unpaid_interest == 0:
            problems.add(
                (),
                "nothing is overdue: overdue principal and unpaid interest are both zero "
                "(逾期本金与欠息均为零，无需催收)",
            )
        problems.raise_if_any(type(self).__name__)
        return self

    def _check_since(self, name: str, value: date, label: str, problems: Problems) -> None:
        """A date arrears started: not before the loan was drawn, not after the as-of date."""
        what = "overdue start" if name == "overdue_since" else "interest due date"
        if value < self.loan.start_date:
            problems.add((name,), f"{what} is before the loan was drawn ({label}早于贷款发放日)", value)
        elif value > self.as_of:
            problems.add((name,), f"{what} is after the as-of date ({label}晚于截至日)", value)

    @property
    def to_guarantor(self) -> bool:
        return self.recipient is Recipient.GUARANTOR

    @property
    def addressee(self) -> Party:
        if self.to_guarantor and self.guarantor is not None:
            return self.guarantor
        return self.borrower


def _call_time(at: datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def _guarantee_warnings(data: CollectionInput) -> list[str]:
    warnings: list[str] = []
    end = data.guarantee_period_end
    if end is None:
        warnings.append(
            "guarantee period end not given: check the demand reaches the guarantor inside it "
            "(未填写保证期间届满日，请核实本通知在保证期间内送达保证人)"
        )
    else:
        for label_en, label_zh, when in (
            ("as-of date", "截至日", data.as_of),
            ("notice date", "通知日期", data.notice_date),
        ):
            if when > end:
                warnings.append(
                    f"{label_en} {when} is after the guarantee period ended on {end}; the guarantor may be "
                    f"released (民法典第六百九十二条、第六百九十三条) "
                    f"({label_zh} {when} 晚于保证期间届满日 {end}，保证人可能不再承担保证责任)"
                )
    if data.guarantee_type is GuaranteeLiability.GENERAL:
        warnings.append(
            "general guarantee: a demand letter does not preserve the claim; sue or arbitrate against the "
            "borrower within the guarantee period (一般保证须在保证期间内对债务人提起诉讼或申请仲裁，"
            "民法典第六百九十三条)"
        )
    return warnings


def _evidence_warnings(data: CollectionInput) -> list[str]:
    if data.method is CollectionMethod.PHONE and not data.phone_log:
        return ["collection by phone without a call log (电话催收未附通话记录)"]
    if data.method is CollectionMethod.VISIT and data.visit is None:
        return ["collection by visit without visit details (上门催收未填写走访情况)"]
    return []


def derive(data: CollectionInput, config: Config) -> dict[str, Any]:
    markup = None if data.penalty_markup is None else data.penalty_markup / 100
    charges = overdue_charges(
        overdue_principal=data.overdue_principal,
        unpaid_interest=data.unpaid_interest,
        contract_rate_percent=data.loan.annual_rate,
        overdue_since=data.overdue_since,
        interest_unpaid_since=data.interest_unpaid_since,
        as_of=data.as_of,
        markup=markup,
        config=config,
    )
    warnings = list(charges.warnings)
    if data.to_guarantor:
        warnings.extend(_guarantee_warnings(data))
    warnings.extend(_evidence_warnings(data))
    if data.overdue_principal > 0 and data.overdue_since > data.loan.maturity_date:
        warnings.append("overdue start is after the loan's maturity date (逾期起始日晚于贷款到期日，请核实)")
    interest_days = (
        days_between(data.interest_unpaid_since, data.as_of) if data.interest_unpaid_since else None
    )
    addressee = data.addressee
    return {
        "title": GUARANTOR_TITLE if data.to_guarantor else BORROWER_TITLE,
        "to_guarantor": data.to_guarantor,
        # The 692 sentence claims the demand is inside the period; print it only when that is not known false.
        "within_guarantee_period": data.guarantee_period_end is None
        or data.notice_date <= data.guarantee_period_end,
        "addressee_name": addressee.name,
        "addressee_id": addressee.key,
        "days_past_due": charges.days_past_due,
        "principal_days": days_between(data.overdue_since, data.as_of),
        "interest_days": interest_days,
        "day_basis": day_basis(config),
        "penalty_rate": charges.penalty_rate_percent,
        "penalty": charges.penalty,
        "compound": charges.compound,
        "total": charges.total,
        "phone_rows": [
            {
                "no": i,
                "at": _call_time(call.called_at),
                "number": call.number,
                "answered_by": call.answered_by,
                "promised_date": call.promised_date,
                "recording_id": call.recording_id,
                "summary": call.summary,
            }
            for i, call in enumerate(data.phone_log, start=1)
        ],
        "warnings": warnings,
    }


KIND = Kind(
    name="collection",
    title=BORROWER_TITLE,
    schema=CollectionInput,
    derive=derive,
    category="collection",
    doc_type="collection-notice",
    filename=lambda d: (
        f"{GUARANTOR_TITLE if d.to_guarantor else BORROWER_TITLE}-{d.loan.contract_number}-{d.addressee.name}"
    ),
)
