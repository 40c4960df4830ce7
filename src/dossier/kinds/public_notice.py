"""催收公告: one newspaper notice demanding repayment from many absconded debtors (domain.md §1.4).

For a debtor whose whereabouts are unknown, a notice in a national medium or a provincial medium of the
debtor's domicile counts as a demand and interrupts the limitation period (最高人民法院关于审理民事案件
适用诉讼时效制度若干问题的规定 第八条第一款第（四）项). The debtors are printed as one table with
per-row totals, column totals and the count of debtors.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import field_validator, model_validator

from dossier.config import Config
from dossier.domain.enums import LabeledEnum
from dossier.domain.identifiers.types import ContractNumber, ReceiptNumber
from dossier.domain.models import NonNegativeMoney, Party, labelled
from dossier.domain.money import ZERO
from dossier.domain.rules import Problems
from dossier.kinds.base import Kind, Subject, party_subject
from dossier.kinds.notice_common import NoticeHeader

TITLE = "催收公告"


class MediaLevel(LabeledEnum):
    NATIONAL = ("national", "国家级媒体", "全国性媒体", "国家级")
    PROVINCIAL = ("provincial", "住所地省级媒体", "省级媒体", "省级")
    OTHER = ("other", "其他媒体", "其他")


class DebtorRow(Party):
    """One line of the notice: the debtor, its loan, and what it owes on the cut-off date."""

    contract_number: ContractNumber = labelled("借款合同编号")
    receipt_number: ReceiptNumber = labelled("借据编号")
    principal: NonNegativeMoney = labelled("本金余额")
    interest: NonNegativeMoney = labelled("欠息", default=Decimal("0.00"))
    guarantors: list[Annotated[str, labelled("保证人名称", min_length=1, max_length=200)]] = labelled(
        "保证人", default_factory=list
    )

    @model_validator(mode="after")
    def _owes_something(self) -> DebtorRow:
        problems = Problems()
        if self.principal == 0 and self.interest == 0:
            problems.add((), "the debtor owes nothing (本金余额与欠息均为零，不应列入催收公告)")
        problems.raise_if_any(type(self).__name__)
        return self


class PublicNoticeInput(NoticeHeader):
    media_name: str = labelled("媒体名称", min_length=1, max_length=100)
    media_level: MediaLevel = labelled("媒体级别")
    publish_date: date = labelled("刊登日期")
    page: str = labelled("版面", min_length=1, max_length=40)
    as_of: date = labelled("欠款截至日")
    debtors: list[DebtorRow] = labelled("债务人清单", min_length=1)
    contact: str | None = labelled("联系人及电话", default=None, max_length=80)

    @model_validator(mode="after")
    def _dated_around_the_notice(self) -> PublicNoticeInput:
        problems = Problems()
        notice = self.notice_date
        if self.publish_date < notice:
            problems.add(
                ("publish_date",),
                f"the publication date is before the notice date {notice} "
                f"(刊登日期早于公告落款日期 {notice})",
                self.publish_date,
            )
        if self.as_of > notice:
            problems.add(
                ("as_of",),
                f"the cut-off date is after the notice date {notice} "
                f"(欠款截至日不能晚于公告落款日期 {notice})",
                self.as_of,
            )
        problems.raise_if_any(type(self).__name__)
        return self

    @field_validator("debtors", mode="after")
    @classmethod
    def _each_loan_once(cls, value: list[DebtorRow]) -> list[DebtorRow]:
        seen: set[str] = set()
        names: dict[str, str] = {}
        for row in value:
            if row.receipt_number in seen:
                raise ValueError(
                    f"loan receipt {row.receipt_number} is listed twice "
                    f"(借据编号 {row.receipt_number} 重复列示)"
                )
            seen.add(row.receipt_number)
            # One debtor may have several loans, but one identifier must always carry the same name.
            name = names.setdefault(row.key, row.name)
            if name != row.name:
                raise ValueError(
                    f"{row.key} is listed as both {name} and {row.name} "
                    f"(同一证件号码对应不同名称：{name}、{row.name})"
                )
        return value


def derive(data: PublicNoticeInput, config: Config) -> dict[str, Any]:
    principal_total = sum((d.principal for d in data.debtors), ZERO)
    interest_total = sum((d.interest for d in data.debtors), ZERO)
    warnings = []
    if data.media_level is MediaLevel.OTHER:
        warnings.append(
            "a notice outside a national or the debtor's provincial medium may not interrupt the limitation "
            "period (非国家级或债务人住所地省级媒体刊登的公告可能不产生诉讼时效中断效力)"
        )
    return {
        # In the order of ``debtors``: the template prints row i's total as row_totals[i].
        "row_totals": [d.principal + d.interest for d in data.debtors],
        # A debtor with two loans is one debtor on two rows.
        "debtor_count": len({d.key for d in data.debtors}),
        "loan_count": len(data.debtors),
        "principal_total": principal_total,
        "interest_total": interest_total,
        "grand_total": principal_total + interest_total,
        "warnings": warnings,
    }


def subjects(data: PublicNoticeInput) -> list[Subject]:
    """The notice is each listed debtor's evidence that the limitation period was interrupted, so a
    copy files into every debtor's archive."""
    subjects: dict[str, Subject] = {}
    for row in data.debtors:  # a debtor with two loans on the notice gets one copy, under its first loan
        subject = party_subject(row, row.contract_number, receipt_numbers=[row.receipt_number])
        subjects.setdefault(row.key, subject)
    return list(subjects.values())


KIND = Kind(
    name="public-notice",
    title=TITLE,
    schema=PublicNoticeInput,
    derive=derive,
    category="collection",
    doc_type="public-notice",
    subjects=subjects,
    filename=lambda d: f"{TITLE}-{d.media_name}-{d.publish_date.isoformat()}",
)
