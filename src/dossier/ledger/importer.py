"""`dossier ledger import`: rows validated one by one, good ones written, bad ones reported with their place.

Borrowers and loans are registered or updated through the archive's registry rules
(archive.registrations: the same rows and audit events as one by one, looked up and written in bulk); the
ledger row is found by the loan's contract number, so importing again updates it. Rows are written in
chunks of CHUNK_ROWS, one catalog transaction each (a refused row writes nothing); then the
``ledger-import`` event and the day's snapshot of totals. A crash part-way leaves whole chunks, each with
its events; importing the file again finishes the rest.

The ``officer`` column is a name for people and grants nothing; ``officer_username`` names the officer's
account, and the import assigns the borrower to it (an unknown or disabled account rejects the row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from dossier.archive.audit import EventDraft, append_event
from dossier.archive.catalog.ledger_tables import LedgerLoan
from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.catalog.user_tables import Assignment, User
from dossier.archive.home import Archive
from dossier.archive.registrations import RegistrationBatch
from dossier.errors import DossierError
from dossier.ledger.columns import BY_NAME
from dossier.ledger.entry import CellProblem, LedgerEntry, parse_entry
from dossier.ledger.readers import read_rows
from dossier.ledger.snapshot import record_snapshot

OFFICER_USERNAME = BY_NAME["officer_username"]
CHUNK_ROWS = 500
"""Rows per catalog transaction: each chunk is whole or absent, and other writers get their turn between
chunks (a transaction holds the catalog's write lock)."""
_LEDGER = cast(Table, LedgerLoan.__table__)
_LOANS = cast(Table, Loan.__table__)
_ASSIGNMENTS = cast(Table, Assignment.__table__)
_LEDGER_VALUES = (
    "receipt_number",
    "annual_rate",
    "method",
    "balance",
    "overdue_principal",
    "overdue_interest",
    "overdue_since",
    "last_inspection",
    "five_class",
    "guarantors",
)
_UPDATE_LEDGER = (
    update(_LEDGER)
    .where(_LEDGER.c.id == bindparam("row_id"))
    .values(
        {n: bindparam(f"new_{n}") for n in (*_LEDGER_VALUES, "source", "as_of", "imported_at", "updated_at")}
    )
)


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
    report = ImportReport(source=source, rows=rows, problems=list(problems))
    now = datetime.now(UTC)
    for start in range(0, len(entries), CHUNK_ROWS):
        chunk = entries[start : start + CHUNK_ROWS]
        done = archive.transaction(
            lambda s, chunk=chunk: _import_chunk(s, chunk, source=source, as_of=as_of, now=now, actor=actor)
        )
        for contract_number, outcome in done.outcomes:
            getattr(report, outcome).append(contract_number)
        report.problems.extend(done.problems)
    report.problems.sort(key=lambda p: p.line)

    def finish(session: Session) -> None:
        append_event(
            session,
            actor=actor,
            action="ledger-import",
            target=f"ledger:{source}",
            details={**report.as_dict(), "problems": len(report.problems), "as_of": as_of.isoformat()},
        )
        record_snapshot(session, as_of)

    archive.transaction(finish)
    return report


class UnknownAccount(DossierError):
    """The row's officer_username names no active user."""


@dataclass
class _ChunkDone:
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    """(contract number, ``added``/``updated``/``unchanged``) in row order."""
    problems: list[CellProblem] = field(default_factory=list)


def _import_chunk(
    session: Session, entries: list[LedgerEntry], *, source: str, as_of: date, now: datetime, actor: str
) -> _ChunkDone:
    """One chunk of rows in one transaction: everything looked up in bulk, written in multi-row
    statements, every row's events appended in row order."""
    done = _ChunkDone()
    batch = RegistrationBatch(session, actor=actor, now=now)
    batch.load({e.borrower_key for e in entries}, {e.contract_number for e in entries})
    accounts = _accounts(session, {e.officer_username for e in entries if e.officer_username})
    ledger_rows = _ledger_rows(session, [e.contract_number for e in entries])
    assigned = _assigned(session, accounts.values(), {e.borrower_key for e in entries})
    assignments: list[tuple[int, str]] = []
    staged: list[tuple[LedgerEntry, dict[str, Any]]] = []
    for entry in entries:
        try:
            account = _account(accounts, entry.officer_username)  # before anything is written for the row
            batch.register(
                entry.borrower_key,
                entry.borrower_name,
                entry.customer_type,
                officer=entry.officer,
                contract_number=entry.contract_number,
                facts={k: v for k, v in _loan_facts(entry).items() if v is not None},
                details={"five_class": entry.five_class.value},
            )
        except UnknownAccount as exc:
            done.problems.append(CellProblem(entry.line, OFFICER_USERNAME.both, str(exc)))
            continue
        except DossierError as exc:
            done.problems.append(CellProblem(entry.line, "contract_no 借款合同编号", str(exc)))
            continue
        if account is not None and (account.id, entry.borrower_key) not in assigned:
            # As access.scope.assign_user: the assignment and its event, once per account and borrower.
            assigned.add((account.id, entry.borrower_key))
            assignments.append((account.id, entry.borrower_key))
            batch.event(EventDraft(actor, "borrower.assign", account.username, entry.borrower_key))
        staged.append((entry, _ledger_values(entry)))
    batch.write()
    if assignments:
        session.execute(
            insert(_ASSIGNMENTS),
            [{"borrower_id": batch.borrower_id(k), "user_id": u, "created_at": now} for u, k in assignments],
        )
    added: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for entry, values in staged:
        where = f"{source}:{entry.line}"
        row = ledger_rows.get(entry.contract_number)
        if row is None:
            loan_id = batch.loan_id(entry.contract_number)
            added.append(
                {
                    "loan_id": loan_id,
                    "source": where,
                    "as_of": as_of,
                    "imported_at": now,
                    "updated_at": now,
                    **values,
                }
            )
            done.outcomes.append((entry.contract_number, "added"))
            continue
        changed = any(row[name] != value for name, value in values.items())
        updated.append(
            {
                "row_id": row["id"],
                **{
                    f"new_{name}": value
                    for name, value in (values if changed else {k: row[k] for k in values}).items()
                },
                "new_source": where,
                "new_as_of": as_of,
                "new_imported_at": now,
                "new_updated_at": now if changed else row["updated_at"],
            }
        )
        done.outcomes.append((entry.contract_number, "updated" if changed else "unchanged"))
    if added:
        session.execute(insert(_LEDGER), added)
    if updated:
        session.execute(_UPDATE_LEDGER, updated)
    return done


def _loan_facts(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "amount": entry.amount,
        "term_months": entry.term_months,
        "start_date": entry.start_date,
        "maturity_date": entry.maturity_date,
        "receipt_numbers": [entry.receipt_number],
        "product": entry.product,
        "officer": entry.officer,
    }


def _ledger_values(entry: LedgerEntry) -> dict[str, Any]:
    return {
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


def _accounts(session: Session, usernames: set[str]) -> dict[str, User]:
    """The accounts rows name by sign-in name (never by display name), looked up at once."""
    if not usernames:
        return {}
    users = session.execute(select(User).where(User.username.in_(sorted(usernames)))).scalars()
    return {user.username: user for user in users}


def _account(accounts: dict[str, User], username: str | None) -> User | None:
    if username is None:
        return None
    user = accounts.get(username)
    if user is None or not user.active:
        raise UnknownAccount(f"no active user {username!r} (没有该用户或已停用)")
    return user


def _assigned(session: Session, users: Iterable[User], keys: set[str]) -> set[tuple[int, str]]:
    """(user id, borrower key) of the assignments that already exist among these accounts and keys."""
    ids = [user.id for user in users]
    if not ids:
        return set()
    query = (
        select(Assignment.user_id, Borrower.key)
        .join(Borrower, Borrower.id == Assignment.borrower_id)
        .where(Assignment.user_id.in_(ids), Borrower.key.in_(sorted(keys)))
    )
    return {(user_id, key) for user_id, key in session.execute(query)}


def _ledger_rows(session: Session, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """The ledger rows of these contracts as they stand, by contract number."""
    columns = [_LEDGER.c[name] for name in (*_LEDGER_VALUES, "id", "updated_at")]
    query = (
        select(_LOANS.c.contract_number, *columns)
        .join_from(_LEDGER, _LOANS, _LEDGER.c.loan_id == _LOANS.c.id)
        .where(_LOANS.c.contract_number.in_(numbers))
    )
    return {row.contract_number: dict(row._mapping) for row in session.execute(query)}
