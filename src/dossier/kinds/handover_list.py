"""移交清单: the list a handover (客户移交) of borrowers from one officer to another is signed on.

For each borrower: the loans, the balance, the five-class, the completeness state (missing, expired,
unverified), the material still to be supplied and the pending timers (maturities, inspections,
诉讼时效). A copy files into every listed borrower's archive (贷后管理), so each file shows when it
changed hands. dossier.custody.documents builds the input from the catalog.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dossier.config import Config
from dossier.domain.models import DomainModel, labelled
from dossier.domain.money import ZERO
from dossier.kinds.base import Kind, Subject
from dossier.kinds.custody_common import FileLine, file_rows, file_subject

TITLE = "客户移交清单"


class HandoverListInput(DomainModel):
    number: str = labelled("移交单号", min_length=1, max_length=30)
    lender_name: str = labelled("机构名称", min_length=1, max_length=200)
    from_officer: str = labelled("移交人", min_length=1, max_length=100)
    to_officer: str = labelled("接收人", min_length=1, max_length=100)
    effective_on: date = labelled("移交日期")
    made_on: date = labelled("制表日期")
    from_signed_on: date | None = labelled("移交人签字日期", default=None)
    to_signed_on: date | None = labelled("接收人签字日期", default=None)
    note: str | None = labelled("备注", default=None, max_length=500)
    borrowers: list[FileLine] = labelled("移交客户", min_length=1)


def derive(data: HandoverListInput, config: Config) -> dict[str, Any]:
    return {
        "rows": file_rows(data.borrowers),
        "borrower_count": len(data.borrowers),
        "loan_count": sum(len(b.loans) for b in data.borrowers),
        "balance_total": sum((b.balance for b in data.borrowers), ZERO),
    }


def subjects(data: HandoverListInput) -> list[Subject]:
    return [file_subject(b) for b in data.borrowers]


KIND = Kind(
    name="handover-list",
    title=TITLE,
    schema=HandoverListInput,
    derive=derive,
    category="post-loan",
    doc_type="handover-list",
    subjects=subjects,
    filename=lambda d: f"{TITLE}-{d.number}",
)
