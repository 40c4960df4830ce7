"""The portfolio's totals on a day, kept per import so the reports can draw the overdue trend."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.catalog.ledger_tables import LedgerSnapshot
from dossier.config import session_config
from dossier.ledger.portfolio_totals import portfolio_totals
from dossier.ledger.store import load_views


def record_snapshot(session: Session, as_of: date) -> LedgerSnapshot:
    """The totals of the ledger as it now stands, recorded for ``as_of`` (replacing that day's)."""
    totals = portfolio_totals(load_views(session), as_of, session_config(session))
    row = session.execute(select(LedgerSnapshot).where(LedgerSnapshot.taken_on == as_of)).scalar_one_or_none()
    if row is None:
        row = LedgerSnapshot(taken_on=as_of)
        session.add(row)
    row.loans = totals.loans
    row.balance = totals.balance
    row.overdue_loans = totals.overdue_loans
    row.overdue_principal = totals.overdue_principal
    row.overdue_balance = totals.overdue_balance
    row.figures = totals.figures()
    row.recorded_at = datetime.now(UTC)
    session.flush()
    return row


def snapshots_until(session: Session, end: date, *, limit: int = 12) -> list[LedgerSnapshot]:
    """The latest ``limit`` snapshots up to ``end``, oldest first."""
    rows = session.execute(
        select(LedgerSnapshot).where(LedgerSnapshot.taken_on <= end).order_by(LedgerSnapshot.taken_on.desc())
    ).scalars()
    return list(reversed(list(rows)[:limit]))
