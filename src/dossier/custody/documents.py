"""The custody lists as documents: the 移交清单 of a handover and the 资产保全移交清单 of a transfer, built
from the catalog (the file's state through custody.file_state) and filed like any generated document."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive.catalog.custody_tables import Handover, Transfer
from dossier.archive.catalog.models import Borrower
from dossier.archive.catalog.user_tables import User
from dossier.archive.home import Archive
from dossier.config import Config
from dossier.custody.file_state import FileState, file_states
from dossier.custody.handover import find_handover, handover_borrowers
from dossier.custody.transfer import find_transfer
from dossier.domain.local_time import local_zone
from dossier.ledger.settings import ledger_settings

_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
OWN_BANK = "本行"
"""Printed as the institution when [ledger.lender].name is not set."""


def _lender(config: Config) -> str:
    return ledger_settings(config).lender.name.strip() or OWN_BANK


def _line(borrower: Borrower, state: FileState) -> dict[str, Any]:
    person = bool(_RESIDENT_ID.match(borrower.key))
    return {
        "kind": "person" if person else "enterprise",
        "customer_type": borrower.customer_type,
        "name": borrower.name,
        **({"id_number": borrower.key} if person else {"credit_code": borrower.key}),
        "loans": [
            {
                "contract_number": loan.contract_number,
                "balance": None if loan.balance is None else str(loan.balance),
                "five_class": loan.five_class,
                "maturity_date": loan.maturity_date,
            }
            for loan in state.loans
        ],
        "missing": state.missing,
        "expired": state.expired,
        "unverified": state.unverified,
        "to_supply": [text[:300] for text in state.to_supply],
        "timers": [
            {"label": t.label, "contract_number": t.contract_number, "due_on": t.on, "status": t.status}
            for t in state.timers
        ],
    }


def handover_input(session: Session, handover: Handover, config: Config, today: date) -> dict[str, Any]:
    old, new = session.get(User, handover.from_user_id), session.get(User, handover.to_user_id)
    assert old is not None and new is not None  # foreign keys
    borrowers = handover_borrowers(session, handover)
    states = file_states(session, borrowers, max(today, handover.effective_on), config)
    zone = local_zone(config)
    return {
        "number": handover.number,
        "lender_name": _lender(config),
        "from_officer": old.display_name,
        "to_officer": new.display_name,
        "effective_on": handover.effective_on,
        "made_on": today,
        "from_signed_on": handover.from_ack_at.astimezone(zone).date() if handover.from_ack_at else None,
        "to_signed_on": handover.to_ack_at.astimezone(zone).date() if handover.to_ack_at else None,
        "note": handover.note,
        "borrowers": [_line(b, s) for b, s in zip(borrowers, states, strict=True)],
    }


def transfer_input(session: Session, row: Transfer, made_by: str) -> dict[str, Any]:
    borrower = session.get(Borrower, row.borrower_id)
    assert borrower is not None  # a foreign key
    state = row.snapshot["completeness"]
    return {
        "number": row.number,
        "lender_name": _lender_from_session(session),
        "department": row.department_label,
        "reason": row.reason,
        "effective_on": row.effective_on,
        "made_by": made_by,
        "chain_seq": row.chain_seq,
        "chain_hash": row.chain_hash or "—",
        "documents": len(row.snapshot.get("documents", [])),
        "borrower": _line(borrower, _state_from(state)),
    }


def _lender_from_session(session: Session) -> str:
    from dossier.config import session_config

    return _lender(session_config(session))


def _state_from(data: dict[str, Any]) -> FileState:
    """The snapshot stored at transfer, read back (what was handed over, not the file as it is now)."""
    from dossier.custody.file_state import LoanLine, Timer

    return FileState(
        borrower_key=data["borrower_key"],
        borrower_name=data["borrower_name"],
        loans=tuple(
            LoanLine(
                loan["contract_number"],
                None if loan["balance"] is None else loan["balance"],
                loan["five_class"],
                date.fromisoformat(loan["maturity_date"]) if loan["maturity_date"] else None,
            )
            for loan in data["loans"]
        ),
        missing=data["missing"],
        expired=data["expired"],
        unverified=data["unverified"],
        overdue_items=data.get("overdue_items", 0),
        to_supply=tuple(data["to_supply"]),
        timers=tuple(
            Timer(t["section"], t["label"], t["contract_number"], date.fromisoformat(t["on"]), t["status"])
            for t in data["timers"]
        ),
    )


def _file(archive: Archive, kind_name: str, data: dict[str, Any], actor: str) -> list[int]:
    from dossier.generation import Generator, file_generated
    from dossier.kinds.registry import get_kind

    document = Generator(config=archive.config).generate(get_kind(kind_name), data)
    return sorted({int(f["document_id"]) for f in file_generated(archive, document, actor=actor)})


def file_handover_list(archive: Archive, number: str, *, actor: str, today: date) -> list[int]:
    """Generate the handover's 移交清单 as it stands (signatures so far) and file it into every listed
    borrower's archive; the ids are remembered on the handover. A second call files a new version."""
    data = archive.transaction(
        lambda s: handover_input(s, find_handover(s, number), archive.config, today), write=False
    )
    ids = _file(archive, "handover-list", data, actor)

    def remember(session: Session) -> None:
        handover = find_handover(session, number)
        handover.details = {**(handover.details or {}), "documents": ids}

    archive.transaction(remember)
    return ids


def file_transfer_list(archive: Archive, number: str, *, actor: str) -> list[int]:
    """Generate and file the 资产保全移交清单 of a transfer, in 08-催收与资产保全, from its snapshot."""
    data = archive.transaction(lambda s: transfer_input(s, find_transfer(s, number), actor), write=False)
    return _file(archive, "transfer-list", data, actor)
