"""The report's figures for a period, computed from the ledger as it stands and the day snapshots.

* counts and balances by five-class category and by overdue bucket on the period's last day;
* recovery rate of the loans maturing in the period: settled (nothing left owing) against due, by count
  and by loan amount;
* inspections: due in the period (the next check fell on or before its end) against done in it (last
  check inside the period);
* the overdue trend: the overdue balance of each recorded snapshot up to the period's end, and the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from dossier.config import Config
from dossier.domain.money import ZERO
from dossier.ledger.due import next_inspection
from dossier.ledger.portfolio_totals import PortfolioTotals, dpd_of, outstanding, portfolio_totals
from dossier.ledger.report.periods import Period
from dossier.ledger.settings import ledger_settings
from dossier.ledger.snapshot import snapshots_until
from dossier.ledger.store import LoanView, load_views

_PERCENT = Decimal("0.01")


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_PERCENT, rounding=ROUND_HALF_UP)


@dataclass
class Recovery:
    due_count: int = 0
    due_amount: Decimal = ZERO
    recovered_count: int = 0
    recovered_amount: Decimal = ZERO

    @property
    def rate_by_count(self) -> Decimal | None:
        return percent(self.recovered_count, self.due_count)

    @property
    def rate_by_amount(self) -> Decimal | None:
        return percent(self.recovered_amount, self.due_amount)


@dataclass
class Inspections:
    due: int = 0
    done: int = 0

    @property
    def rate(self) -> Decimal | None:
        return percent(self.done, self.due)


@dataclass(frozen=True)
class TrendPoint:
    on: date
    overdue_balance: Decimal
    overdue_principal: Decimal
    overdue_loans: int


@dataclass
class ReportFigures:
    period: Period
    totals: PortfolioTotals
    recovery: Recovery
    inspections: Inspections
    trend: list[TrendPoint]
    loans: list[LoanView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        t = self.totals
        return {
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "loans": t.loans,
            "balance": str(t.balance),
            "overdue_loans": t.overdue_loans,
            "overdue_principal": str(t.overdue_principal),
            "overdue_balance": str(t.overdue_balance),
            **t.figures(),
            "recovery": {
                "due_count": self.recovery.due_count,
                "due_amount": str(self.recovery.due_amount),
                "recovered_count": self.recovery.recovered_count,
                "recovered_amount": str(self.recovery.recovered_amount),
                "rate_by_count": _text(self.recovery.rate_by_count),
                "rate_by_amount": _text(self.recovery.rate_by_amount),
            },
            "inspections": {
                "due": self.inspections.due,
                "done": self.inspections.done,
                "rate": _text(self.inspections.rate),
            },
            "trend": [
                {
                    "date": p.on.isoformat(),
                    "overdue_balance": str(p.overdue_balance),
                    "overdue_loans": p.overdue_loans,
                }
                for p in self.trend
            ],
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _settled(view: LoanView) -> bool:
    return view.balance == 0 and view.overdue_principal == 0 and view.overdue_interest == 0


def report_figures(session: Session, period: Period, config: Config) -> ReportFigures:
    views = load_views(session)
    totals = portfolio_totals(views, period.end, config)
    recovery = Recovery()
    for view in views:
        if period.start <= view.maturity_date <= period.end:
            recovery.due_count += 1
            recovery.due_amount += view.amount
            if _settled(view):
                recovery.recovered_count += 1
                recovery.recovered_amount += view.amount
    settings = ledger_settings(config)
    inspections = Inspections()
    for view in outstanding(views):
        done = view.last_inspection is not None and period.start <= view.last_inspection <= period.end
        owed = next_inspection(view, period.end, settings, config) <= period.end and not done
        if done or owed:
            inspections.due += 1
            inspections.done += done
    trend = [
        TrendPoint(s.taken_on, Decimal(s.overdue_balance), Decimal(s.overdue_principal), s.overdue_loans)
        for s in snapshots_until(session, period.end)
        if s.taken_on != period.end
    ]
    trend.append(
        TrendPoint(period.end, totals.overdue_balance, totals.overdue_principal, totals.overdue_loans)
    )
    trend = trend[-12:]
    return ReportFigures(period, totals, recovery, inspections, trend, loans=views)


def loan_row(view: LoanView, as_of: date) -> list[Any]:
    """One loan as the detail sheet shows it."""
    return [
        view.contract_number,
        view.receipt_number,
        view.borrower_name,
        view.borrower_key,
        view.amount,
        view.balance,
        view.overdue_principal,
        view.overdue_interest,
        dpd_of(view, as_of),
        view.five_class.value,
        view.maturity_date,
        view.officer or "",
    ]
