"""Who held a borrower (or a loan) when: completed handovers (客户移交) and transfers (移交资产保全), read
from the catalog for the due lists, notices, the borrower page and the diligence report.

A holder is named from the effective date on. Only completed handovers count (both officers
acknowledged); a transfer counts from its date, for its loan or (without one) every loan of its borrower.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dossier.archive.catalog.custody_tables import Handover, HandoverBorrower, Transfer
from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.catalog.user_tables import User
from dossier.archive.completeness.snapshot import BorrowerSnapshot


@dataclass(frozen=True)
class Holding:
    """From ``since`` on, ``holder`` holds the borrower (or only ``loan_id`` of it)."""

    since: date
    holder: str
    """A display name (an officer) or a department's label."""
    username: str | None
    previous: str | None
    number: str
    """The handover's or transfer's number."""
    kind: str
    """``handover`` or ``transfer``."""
    loan_id: int | None = None


def holdings(session: Session, borrower_ids: Iterable[int] | None = None) -> dict[int, list[Holding]]:
    """borrower id → its holdings in date order (then number order)."""
    wanted = None if borrower_ids is None else sorted(set(borrower_ids))
    out: dict[int, list[Holding]] = defaultdict(list)
    old, new = aliased(User), aliased(User)
    query = (
        select(HandoverBorrower.borrower_id, Handover, old.display_name, new.display_name, new.username)
        .join(Handover, Handover.id == HandoverBorrower.handover_id)
        .join(old, old.id == Handover.from_user_id)
        .join(new, new.id == Handover.to_user_id)
        .where(Handover.state == "completed")
        .order_by(Handover.effective_on, Handover.id)
    )
    if wanted is not None:
        query = query.where(HandoverBorrower.borrower_id.in_(wanted))
    for borrower_id, handover, previous, holder, username in session.execute(query).all():
        out[borrower_id].append(
            Holding(handover.effective_on, holder, username, previous, handover.number, "handover")
        )
    transfers = select(Transfer).order_by(Transfer.effective_on, Transfer.id)
    if wanted is not None:
        transfers = transfers.where(Transfer.borrower_id.in_(wanted))
    for transfer in session.execute(transfers).scalars():
        out[transfer.borrower_id].append(
            Holding(
                transfer.effective_on,
                transfer.department_label,
                None,
                None,
                transfer.number,
                "transfer",
                transfer.loan_id,
            )
        )
    for items in out.values():
        items.sort(key=lambda h: (h.since, h.kind, h.number))
    return dict(out)


def holder_on(items: list[Holding], on: date, loan_id: int | None = None) -> str | None:
    """Who holds the borrower (or ``loan_id`` of it) on ``on``; None when no handover or transfer applies
    yet (then the names the catalog holds stand). A transfer outranks any handover: a loan handed to
    资产保全 stays theirs when its borrower's other loans move between officers."""
    officer = department = None
    for holding in items:
        if holding.since > on:
            break
        if holding.kind == "transfer":
            if holding.loan_id is None or holding.loan_id == loan_id:
                department = holding.holder
        else:
            officer = holding.holder
    return department or officer


def with_holders(session: Session, snapshots: list[BorrowerSnapshot], on: date) -> list[BorrowerSnapshot]:
    """The snapshots with the officer each borrower and loan is held by on ``on`` (the dashboard's
    date): from a handover's or transfer's date the new holder is named, not the name the file carries."""
    held = holdings(session)
    if not held:
        return snapshots
    ids = dict(session.execute(select(Borrower.key, Borrower.id)).all())
    loan_ids = dict(session.execute(select(Loan.contract_number, Loan.id)).all())
    out = []
    for snap in snapshots:
        items = held.get(ids.get(snap.key, -1), [])
        if not items:
            out.append(snap)
            continue
        loans = tuple(
            replace(loan, officer=holder_on(items, on, loan_ids.get(loan.contract_number)) or loan.officer)
            for loan in snap.loans
        )
        out.append(replace(snap, officer=holder_on(items, on) or snap.officer, loans=loans))
    return out
