"""资产保全移交清单: the list a loan (or a borrower) is transferred to 资产保全 on, filed in
08-催收与资产保全. It prints the reason and the snapshot of the file at transfer: the completeness state
and the audit chain's head, so later additions are told apart from what was handed over.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dossier.config import Config
from dossier.domain.models import DomainModel, labelled
from dossier.kinds.base import Kind, Subject
from dossier.kinds.custody_common import FileLine, file_rows, file_subject

TITLE = "资产保全移交清单"


class TransferListInput(DomainModel):
    number: str = labelled("移交单号", min_length=1, max_length=30)
    lender_name: str = labelled("机构名称", min_length=1, max_length=200)
    department: str = labelled("接收部门", min_length=1, max_length=40)
    reason: str = labelled("移交原因", min_length=1, max_length=1000)
    effective_on: date = labelled("移交日期")
    made_by: str = labelled("经办人", min_length=1, max_length=100)
    chain_seq: int = labelled("审计链序号", ge=0)
    chain_hash: str = labelled("审计链哈希", min_length=1, max_length=64)
    documents: int = labelled("移交文件数", ge=0)
    borrower: FileLine = labelled("借款人")


def derive(data: TransferListInput, config: Config) -> dict[str, Any]:
    return {"row": file_rows([data.borrower])[0]}


def subjects(data: TransferListInput) -> list[Subject]:
    loans = data.borrower.loans
    return [file_subject(data.borrower, loans[0].contract_number if len(loans) == 1 else None)]


KIND = Kind(
    name="transfer-list",
    title=TITLE,
    schema=TransferListInput,
    derive=derive,
    category="collection",
    doc_type="transfer-list",
    subjects=subjects,
    filename=lambda d: f"{TITLE}-{d.number}",
)
