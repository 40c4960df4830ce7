"""Input blocks the two custody lists share (移交清单, 资产保全移交清单): a borrower's file as handed on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from dossier.domain.enums import CustomerType
from dossier.domain.identifiers.types import ContractNumber
from dossier.domain.models import DomainModel, NonNegativeMoney, Party, labelled
from dossier.domain.money import ZERO
from dossier.kinds.base import Subject


class LoanLine(DomainModel):
    contract_number: ContractNumber = labelled("借款合同编号")
    balance: NonNegativeMoney | None = labelled("贷款余额", default=None)
    five_class: str | None = labelled("五级分类", default=None, max_length=10)
    maturity_date: date | None = labelled("到期日", default=None)


class TimerLine(DomainModel):
    label: str = labelled("事项", min_length=1, max_length=40)
    contract_number: ContractNumber = labelled("借款合同编号")
    due_on: date = labelled("日期")
    status: str = labelled("状态", min_length=1, max_length=20)


class FileLine(Party):
    """One borrower's file: its loans, the completeness state, what is to be supplied, the timers."""

    customer_type: CustomerType | None = labelled("客户类型", default=None)
    """As the archive registers the borrower (a 个体工商户 is a person with a business)."""
    loans: list[LoanLine] = labelled("贷款", default_factory=list)
    missing: int = labelled("缺失", ge=0, default=0)
    expired: int = labelled("已失效", ge=0, default=0)
    unverified: int = labelled("未核实", ge=0, default=0)
    to_supply: list[Annotated[str, labelled("待补充材料", min_length=1, max_length=300)]] = labelled(
        "待补充材料", default_factory=list
    )
    timers: list[TimerLine] = labelled("待办时限", default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((loan.balance or ZERO for loan in self.loans), ZERO)


def file_subject(line: FileLine, contract_number: str | None = None) -> Subject:
    """The borrower's archive the list files into, registered as it is (its customer type kept)."""
    kind = line.customer_type.label if line.customer_type is not None else line.kind.label
    return Subject(line.key, line.name, kind, contract_number)


def file_rows(files: list[FileLine]) -> list[dict[str, object]]:
    """What the template prints per borrower, in the order given: loans, state, items and timers as text."""
    return [
        {
            "contracts": "、".join(loan.contract_number for loan in f.loans) or "—",
            "balance": f.balance,
            "classes": "、".join(sorted({loan.five_class for loan in f.loans if loan.five_class})) or "—",
            "state": f"缺失{f.missing}项；已失效{f.expired}项；未核实{f.unverified}项",
            "to_supply": "；".join(f.to_supply) or "无",
            "timers": "；".join(
                f"{t.label} {t.contract_number} {t.due_on.isoformat()}（{t.status}）" for t in f.timers
            )
            or "无",
        }
        for f in files
    ]
