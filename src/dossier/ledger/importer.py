"""`dossier ledger import`: rows validated one by one, good ones written, bad ones reported with their place.

Borrowers and loans are registered or updated through the archive's registry (so their audit events are
the usual ones); the ledger row is found by the loan's contract number, so importing again updates it.
Everything is written in one catalog transaction, then the day's snapshot of totals is recorded.

The ``officer`` column is a name for people and grants nothing; ``officer_username`` names the officer's
account, and the import assigns the borrower to it (an unknown or disabled account rejects the row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.scope import assign_user
from dossier.archive.audit import append_event
from dossier.archive.catalog.ledger_tables import LedgerLoan
from dossier.archive.catalog.user_tables import User
from dossier.archive.home import Archive
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.errors import DossierError
from dossier.ledger.columns import BY_NAME
from dossier.ledger.entry import CellProblem, LedgerEntry, parse_entry
from dossier.ledger.readers import read_rows
from dossier.ledger.snapshot import record_snapshot

OFFICER_USERNAME = BY_NAME["officer_username"]


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected_lines),
            "problems": [{"line": p.line, "column": p.column, "reason": p.reason} for p in self.problems],
        }


def read_entries(path: Path, archive: Archive) -> tuple[list[LedgerEntry], list[CellProblem], int]:
    """Every row of the file: the valid entries, the problems of the others, and the number of rows."""
    entries: list[LedgerEntry] = []
    problems: list[CellProblem] = []
    rows = 0
    seen: dict[str, int] = {}
    for raw in read_rows(path):
        rows += 1
        parsed = parse_entry(raw, archive.config)
        if isinstance(parsed, list):
            problems.extend(parsed)
            continue
        first = seen.setdefault(parsed.contract_number, parsed.line)
        if first != parsed.line:
            problems.append(
                CellProblem(
                    parsed.line,
                    "contract_no 借款合同编号",
                    f"{parsed.contract_number} already given on line {first} (合同编号与第{first}行重复)",
                )
            )
            continue
        entries.append(parsed)
    return entries, problems, rows


def import_ledger(archive: Archive, path: Path, *, as_of: date, actor: str = "system") -> ImportReport:
    entries, problems, rows = read_entries(path, archive)
    source = path.name

    def work(session: Session) -> ImportReport:
        report = ImportReport(source=source, rows=rows, problems=list(problems))
        now = datetime.now(UTC)
        for entry in entries:
            try:
                outcome = _write(session, entry, source=source, as_of=as_of, now=now, actor=actor)
            except UnknownAccount as exc:
                report.problems.append(CellProblem(entry.line, OFFICER_USERNAME.both, str(exc)))
                continue
            except DossierError as exc:
                report.problems.append(CellProblem(entry.line, "contract_no 借款合同编号", str(exc)))
                continue
            getattr(report, outcome).append(entry.contract_number)
        report.problems.sort(key=lambda p: p.line)
        append_event(
            session,
            actor=actor,
            action="ledger-import",
            target=f"ledger:{source}",
            details={**report.as_dict(), "problems": len(report.problems), "as_of": as_of.isoformat()},
        )
        record_snapshot(session, as_of)
        return report

    return archive.transaction(work)


class UnknownAccount(DossierError):
    """The row's officer_username names no active user."""


def _account(session: Session, username: str | None) -> User | None:
    """The officer's account a row names by sign-in name (never by display name)."""
    if username is None:
        return None
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise UnknownAccount(f"no active user {username!r} (没有该用户或已停用)")
    return user


def _write(
    session: Session, entry: LedgerEntry, *, source: str, as_of: date, now: datetime, actor: str
) -> str:
    account = _account(session, entry.officer_username)  # before anything is written for the row
    borrower = ensure_borrower(
        session,
        entry.borrower_key,
        entry.borrower_name,
        entry.customer_type,
        officer=entry.officer,
        actor=actor,
    )
    facts: dict[str, Any] = {
        "amount": entry.amount,
        "term_months": entry.term_months,
        "start_date": entry.start_date,
        "maturity_date": entry.maturity_date,
        "receipt_numbers": [entry.receipt_number],
        "product": entry.product,
        "officer": entry.officer,
    }
    loan = ensure_loan(
        session,
        entry.borrower_key,
        entry.contract_number,
        facts={k: v for k, v in facts.items() if v is not None},
        details={"five_class": entry.five_class.value},
        actor=actor,
    )
    if account is not None:
        assign_user(session, account, borrower, actor=actor)
    values = {
        "receipt_number": entry.receipt_number,
        "annual_rate": entry.annual_rate,
        "method": entry.method,
        "balance": entry.balance,
        "overdue_principal": entry.overdue_principal,
        "overdue_interest": entry.overdue_interest,
        "overdue_since": entry.overdue_since,
        "last_inspection": entry.last_inspection,
        "five_class": entry.five_class.value,
        "guarantors": list(entry.guarantors),
    }
    row = session.execute(select(LedgerLoan).where(LedgerLoan.loan_id == loan.id)).scalar_one_or_none()
    where = f"{source}:{entry.line}"
    if row is None:
        session.add(
            LedgerLoan(loan_id=loan.id, source=where, as_of=as_of, imported_at=now, updated_at=now, **values)
        )
        return "added"
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    row.source, row.as_of, row.imported_at = where, as_of, now
    if not changed:
        return "unchanged"
    for name, value in changed.items():
        setattr(row, name, value)
    row.updated_at = now
    return "updated"
