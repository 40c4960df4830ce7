"""Input blocks shared by the notices: the document header and the loan a notice is about."""

from __future__ import annotations

from datetime import date

from dossier.domain.identifiers.types import ContractNumber, ReceiptNumber
from dossier.domain.models import DomainModel, Lender, PositiveMoney, Rate, labelled


class NoticeHeader(DomainModel):
    doc_no: str | None = labelled("文书编号", default=None, max_length=60)
    notice_date: date = labelled("通知日期", default_factory=date.today)
    lender: Lender = labelled("贷款人")


class LoanRef(DomainModel):
    """The loan a notice is about, as printed on the 借据."""

    contract_number: ContractNumber = labelled("借款合同编号")
    receipt_number: ReceiptNumber | None = labelled("借据编号", default=None)
    amount: PositiveMoney = labelled("贷款金额")
    start_date: date = labelled("发放日")
    maturity_date: date = labelled("到期日")
    annual_rate: Rate = labelled("执行年利率(%)")
    term_months: int = labelled("期限(月)", ge=1, le=360)
