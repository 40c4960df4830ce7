"""One borrower's file as custody hands it on: loans with balance and five-class (the ledger), the
completeness state (missing, expired, unverified), what is still to be supplied, and the timers that run
(maturities, inspections, 诉讼时效). Shared by the handover list (移交清单) and the transfer snapshot."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive.catalog.models import Borrower
from dossier.archive.completeness import ItemStatus, evaluate, load_checklists
from dossier.archive.completeness.snapshot import load_snapshot
from dossier.config import Config
from dossier.ledger.due import SECTION_LABELS, compute_due
from dossier.ledger.store import load_views

TIMER_SECTIONS = ("reminder", "look-ahead", "overdue", "inspection", "limitation", "guarantee")
"""The due list's sections that are pending timers of a file."""
STATE_COUNTED = (ItemStatus.MISSING, ItemStatus.EXPIRED, ItemStatus.UNVERIFIED, ItemStatus.OVERDUE)


@dataclass(frozen=True)
class LoanLine:
    contract_number: str
    balance: Decimal | None
    """From the latest ledger row; None when the ledger does not carry the loan."""
    five_class: str | None
    maturity_date: date | None


@dataclass(frozen=True)
class Timer:
    section: str
    label: str
    contract_number: str
    on: date
    status: str


@dataclass(frozen=True)
class FileState:
    borrower_key: str
    borrower_name: str
    loans: tuple[LoanLine, ...]
    missing: int
    expired: int
    unverified: int
    overdue_items: int
    to_supply: tuple[str, ...]
    """Items of the checklist still to be supplied or renewed (补充材料), ``合同号：名称（状态）``."""
    timers: tuple[Timer, ...]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for loan in data["loans"]:
            loan["balance"] = None if loan["balance"] is None else str(loan["balance"])
            loan["maturity_date"] = loan["maturity_date"] and loan["maturity_date"].isoformat()
        for timer in data["timers"]:
            timer["on"] = timer["on"].isoformat()
        data["to_supply"] = list(data["to_supply"])
        return data


def file_states(
    session: Session, borrowers: list[Borrower], as_of: date, config: Config, *, loan_id: int | None = None
) -> list[FileState]:
    """The state of each borrower's file on ``as_of`` (only ``loan_id`` of it, when given)."""
    checklists = load_checklists(config)
    views = [v for v in load_views(session) if v.borrower_id in {b.id for b in borrowers}]
    if loan_id is not None:
        views = [v for v in views if v.loan_id == loan_id]
    due = compute_due(views, as_of, config)
    out = []
    for borrower in borrowers:
        wanted = [loan for loan in borrower.loans if loan_id is None or loan.id == loan_id]
        contracts = {loan.contract_number for loan in wanted}
        result = evaluate(load_snapshot(session, borrower.key), checklists, as_of, config=config)
        items = [
            (loan.contract_number, item)
            for loan in result.loans
            if loan.contract_number in contracts
            for item in loan.items
        ]
        counts = {status: sum(1 for _, i in items if i.status is status) for status in STATE_COUNTED}
        mine = {v.contract_number: v for v in views if v.borrower_id == borrower.id}
        out.append(
            FileState(
                borrower_key=borrower.key,
                borrower_name=borrower.name,
                loans=tuple(
                    LoanLine(
                        loan.contract_number,
                        mine[loan.contract_number].balance if loan.contract_number in mine else None,
                        mine[loan.contract_number].five_class.value if loan.contract_number in mine else None,
                        loan.maturity_date,
                    )
                    for loan in sorted(wanted, key=lambda x: x.contract_number)
                ),
                missing=counts[ItemStatus.MISSING],
                expired=counts[ItemStatus.EXPIRED],
                unverified=counts[ItemStatus.UNVERIFIED],
                overdue_items=counts[ItemStatus.OVERDUE],
                to_supply=tuple(
                    f"{contract}：{item.label}（{item.status_label}）"
                    for contract, item in items
                    if item.status in STATE_COUNTED
                ),
                timers=tuple(
                    Timer(i.section, SECTION_LABELS[i.section], i.contract_number, i.on, i.status.label)
                    for i in due.items
                    if i.contract_number in contracts and i.section in TIMER_SECTIONS
                ),
            )
        )
    return out
