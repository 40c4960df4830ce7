"""Portfolio totals on a day: counts and balances by five-class category and by overdue bucket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dossier.config import Config
from dossier.domain.money import ZERO
from dossier.finance.classification import FiveClass, days_past_due
from dossier.ledger.buckets import bucket_labels, bucket_of
from dossier.ledger.settings import ledger_settings
from dossier.ledger.store import LoanView


@dataclass
class Tally:
    count: int = 0
    balance: Decimal = ZERO
    overdue_principal: Decimal = ZERO

    def add(self, view: LoanView) -> None:
        self.count += 1
        self.balance += view.balance
        self.overdue_principal += view.overdue_principal

    def as_dict(self) -> dict[str, str | int]:
        return {
            "count": self.count,
            "balance": str(self.balance),
            "overdue_principal": str(self.overdue_principal),
        }


@dataclass
class PortfolioTotals:
    as_of: date
    loans: int = 0
    balance: Decimal = ZERO
    overdue_loans: int = 0
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    overdue_balance: Decimal = ZERO
    by_class: dict[str, Tally] = field(default_factory=dict)
    by_bucket: dict[str, Tally] = field(default_factory=dict)

    def figures(self) -> dict[str, object]:
        return {
            "by_class": {k: v.as_dict() for k, v in self.by_class.items()},
            "by_bucket": {k: v.as_dict() for k, v in self.by_bucket.items()},
            "overdue_interest": str(self.overdue_interest),
        }


def outstanding(views: list[LoanView]) -> list[LoanView]:
    """Loans still owing anything: settled ones stay in the ledger but out of the balances."""
    return [v for v in views if v.balance > 0 or v.overdue_interest > 0]


def dpd_of(view: LoanView, as_of: date) -> int:
    return days_past_due(view.overdue_since, as_of) if view.is_overdue else 0


def portfolio_totals(views: list[LoanView], as_of: date, config: Config) -> PortfolioTotals:
    starts = ledger_settings(config).overdue_buckets
    totals = PortfolioTotals(
        as_of=as_of,
        by_class={c.value: Tally() for c in FiveClass},
        by_bucket={label: Tally() for label in bucket_labels(starts)},
    )
    for view in outstanding(views):
        totals.loans += 1
        totals.balance += view.balance
        totals.by_class[view.five_class.value].add(view)
        bucket = bucket_of(dpd_of(view, as_of), starts)
        if bucket is None:
            continue
        totals.overdue_loans += 1
        totals.overdue_principal += view.overdue_principal
        totals.overdue_interest += view.overdue_interest
        totals.overdue_balance += view.balance
        totals.by_bucket[bucket].add(view)
    return totals
