"""`dossier due`: every timer of every ledger loan on an as-of date (domain.md §2.4, §2.5, §3.5).

* reminder: a loan in its reminder window (send by T−30 medium/long term, T−7 short term, [reminders]);
* look-ahead: maturing within [reminders].plan_ahead_days (collection or extension to plan);
* overdue: days past due from the earliest unpaid due date, its bucket, and the five-class floor;
* class-floor: the recorded class is better than the floor the days past due impose;
* inspection: the next post-loan check ([inspection] cadence by the final class and the term) due
  within [ledger].inspection_ahead_days, or late;
* limitation: 诉讼时效 (3 years from the due date, restarted by the latest signed collection receipt
  filed under the loan) ending within [ledger].limitation_alert_days, or ended;
* guarantee: each guarantor's 保证期间 ending within [ledger].guarantee_alert_days, or ended while unpaid.

Holidays move only the dates [ledger] says they move (see dossier.ledger.workdays).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.money import format_amount
from dossier.finance.classification import FiveClass, dpd_floor, worse
from dossier.finance.inspection_cadence import first_inspection_due, next_inspection_date
from dossier.finance.reminders import plan_ahead_date, reminder_due_date
from dossier.ledger.buckets import bucket_of
from dossier.ledger.portfolio_totals import dpd_of
from dossier.ledger.settings import LedgerSettings, ledger_settings
from dossier.ledger.store import LoanView
from dossier.ledger.workdays import action_date, period_end

SECTIONS = ("reminder", "look-ahead", "overdue", "class-floor", "inspection", "limitation", "guarantee")
SECTION_LABELS = {
    "reminder": "到期提示",
    "look-ahead": "两个月内到期",
    "overdue": "逾期",
    "class-floor": "分类低于逾期下限",
    "inspection": "贷后检查",
    "limitation": "诉讼时效",
    "guarantee": "保证期间",
}
SECTION_DATE_LABELS = {
    "reminder": "应发日",
    "look-ahead": "到期日",
    "overdue": "逾期起始日",
    "class-floor": "逾期起始日",
    "inspection": "应检查日",
    "limitation": "届满日",
    "guarantee": "届满日",
}
"""What the date of an item is, per section (the ``date`` of the JSON output)."""
SECTION_PAST_LABELS = {"limitation": "已届满天数", "guarantee": "已届满天数"}
"""The heading of the days-past column where it is not 逾期天数 (a period ended, nothing overdue)."""


class DueStatus(StrEnum):
    """Where an item stands; the English value is what ``--json`` prints."""

    DUE = "due"
    LATE = "late"
    PLANNING = "planning"
    OVERDUE = "overdue"
    UNRECORDED = "unrecorded"
    BELOW_FLOOR = "below-floor"
    ENDING = "ending"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    DueStatus.DUE: "待办",
    DueStatus.LATE: "逾期未办",
    DueStatus.PLANNING: "待安排",
    DueStatus.OVERDUE: "逾期",
    DueStatus.UNRECORDED: "到期未还未登记",
    DueStatus.BELOW_FLOOR: "低于下限",
    DueStatus.ENDING: "即将届满",
    DueStatus.ENDED: "已届满",
}

_CHECK_LABELS = {"first": "首次检查", "periodic": "定期检查"}


def _yuan(label: str) -> Callable[[Any], str | None]:
    def show(value: Any) -> str | None:
        amount = Decimal(str(value))
        return None if amount == 0 else f"{label} {format_amount(amount)} 元"

    return show


def _shown(label: str, words: dict[str, str] | None = None) -> Callable[[Any], str | None]:
    def show(value: Any) -> str | None:
        text = value.isoformat() if isinstance(value, date) else str(value)
        return f"{label} {(words or {}).get(text, text)}"

    return show


def _hidden(_: Any) -> None:
    return None


# How each detail reads in the 说明 column of `dossier due`: its Chinese label and value, or None when
# it says nothing there (a zero amount; days past due and their bucket, which have their own column).
_DETAILS: dict[str, Callable[[Any], str | None]] = {
    "maturity_date": _shown("到期日"),
    "balance": _yuan("余额"),
    "days_past_due": _hidden,
    "bucket": _hidden,
    "overdue_principal": _yuan("逾期本金"),
    "overdue_interest": _yuan("欠息"),
    "recorded_class": _shown("登记分类"),
    "floor_class": _shown("下限"),
    "check": _shown("检查", _CHECK_LABELS),
    "last_inspection": _shown("上次检查"),
    "runs_from": _shown("起算日"),
    "receipt": _shown("最近签收回执"),
    "guarantor": _shown("保证人"),
}


@dataclass(frozen=True)
class DueItem:
    section: str
    contract_number: str
    borrower_key: str
    borrower_name: str
    on: date
    """The date that matters: send-by date, maturity, due date, inspection date, period end."""
    days: int
    """Days from the as-of date to ``on`` (negative: already past)."""
    status: DueStatus
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def days_late(self) -> int | None:
        """Days past due (overdue loans) or past the date (a late reminder or check, an ended period),
        as a positive number; None while the date is ahead."""
        if "days_past_due" in self.details:
            return int(self.details["days_past_due"])
        return -self.days if self.days < 0 else None

    @property
    def days_left(self) -> int | None:
        """Days until the date, None once it has passed."""
        return None if self.days_late is not None else self.days

    def notes(self) -> str:
        """The details in words for people: ``到期日 2028-03-30；余额 200,000.00 元``."""
        parts = []
        for key, value in self.details.items():
            if value in (None, ""):
                continue
            text = _DETAILS.get(key, _shown(key))(value)
            if text is not None:
                parts.append(text)
        return "；".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "contract_number": self.contract_number,
            "borrower_key": self.borrower_key,
            "borrower_name": self.borrower_name,
            "date": self.on.isoformat(),
            "days": self.days,
            "status": self.status,
            **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.details.items()},
        }


@dataclass(frozen=True)
class NoticeEvent:
    """A notice the ledger owes a loan: which kind, for which due event."""

    kind: str
    event: str
    view: LoanView


@dataclass
class DueReport:
    as_of: date
    items: list[DueItem] = field(default_factory=list)
    notices: list[NoticeEvent] = field(default_factory=list)

    def section(self, name: str) -> list[DueItem]:
        return [item for item in self.items if item.section == name]

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "counts": {name: len(self.section(name)) for name in SECTIONS},
            **{name: [i.as_dict() for i in self.section(name)] for name in SECTIONS},
        }


def compute_due(views: list[LoanView], as_of: date, config: Config) -> DueReport:
    settings = ledger_settings(config)
    report = DueReport(as_of)
    for view in views:
        if view.balance <= 0 and view.overdue_interest <= 0:
            continue  # settled: no timer runs
        _maturity(report, view, settings, config)
        _overdue(report, view, settings, config)
        _inspection(report, view, settings, config)
        _limitation(report, view, settings)
        _guarantee(report, view, settings)
    report.items.sort(key=lambda i: (SECTIONS.index(i.section), i.on, i.contract_number))
    return report


def _item(view: LoanView, section: str, on: date, as_of: date, status: DueStatus, **details: Any) -> DueItem:
    return DueItem(
        section,
        view.contract_number,
        view.borrower_key,
        view.borrower_name,
        on,
        (on - as_of).days,
        status,
        details,
    )


def _maturity(report: DueReport, view: LoanView, settings: LedgerSettings, config: Config) -> None:
    as_of, maturity = report.as_of, view.maturity_date
    if view.is_overdue or not as_of <= maturity:
        return
    if plan_ahead_date(maturity, config=config) <= as_of:
        report.items.append(
            _item(view, "look-ahead", maturity, as_of, DueStatus.PLANNING, balance=str(view.balance))
        )
    send_by = action_date(reminder_due_date(maturity, view.term_months, config=config), settings)
    if send_by <= as_of:
        status = DueStatus.DUE if as_of == send_by else DueStatus.LATE
        report.items.append(
            _item(view, "reminder", send_by, as_of, status, maturity_date=maturity, balance=str(view.balance))
        )
        report.notices.append(NoticeEvent("reminder", f"maturity:{maturity.isoformat()}", view))


def _overdue(report: DueReport, view: LoanView, settings: LedgerSettings, config: Config) -> None:
    as_of = report.as_of
    if not view.is_overdue or view.overdue_since is None or view.overdue_since > as_of:
        if view.balance > 0 and view.maturity_date < as_of and not view.is_overdue:
            # Matured with a balance but no arrears recorded: the ledger row needs looking at.
            report.items.append(
                _item(
                    view,
                    "overdue",
                    view.maturity_date,
                    as_of,
                    DueStatus.UNRECORDED,
                    balance=str(view.balance),
                )
            )
        return
    dpd = dpd_of(view, as_of)
    floor = dpd_floor(dpd, config=config)
    details = {
        "days_past_due": dpd,
        "bucket": bucket_of(dpd, settings.overdue_buckets),
        "overdue_principal": str(view.overdue_principal),
        "overdue_interest": str(view.overdue_interest),
        "recorded_class": view.five_class.value,
        "floor_class": floor.value,
    }
    report.items.append(_item(view, "overdue", view.overdue_since, as_of, DueStatus.OVERDUE, **details))
    if view.five_class.rank < floor.rank:
        report.items.append(
            _item(view, "class-floor", view.overdue_since, as_of, DueStatus.BELOW_FLOOR, **details)
        )
    if dpd >= 1:
        repeat = settings.collection_repeat_days
        cycle = (dpd - 1) // repeat if repeat else 0
        event = f"overdue:{view.overdue_since.isoformat()}:{cycle}"
        report.notices.append(NoticeEvent("collection", event, view))
        report.notices.append(NoticeEvent("collection-plan", event, view))


def final_class_of(view: LoanView, as_of: date, config: Config) -> FiveClass:
    """The worse of the recorded class and the floor of the days past due on ``as_of``."""
    return worse(view.five_class, dpd_floor(dpd_of(view, as_of), config=config))


def next_inspection(view: LoanView, as_of: date, settings: LedgerSettings, config: Config) -> date:
    if view.last_inspection is None:
        due = first_inspection_due(view.start_date, config=config)
    else:
        due = next_inspection_date(
            view.last_inspection,
            five_class=final_class_of(view, as_of, config),
            term_months=view.term_months,
            config=config,
        )
    return action_date(due, settings)


def _inspection(report: DueReport, view: LoanView, settings: LedgerSettings, config: Config) -> None:
    as_of = report.as_of
    due = next_inspection(view, as_of, settings, config)
    if (due - as_of).days > settings.inspection_ahead_days:
        return
    kind = "first" if view.last_inspection is None else "periodic"
    status = DueStatus.LATE if due < as_of else DueStatus.DUE
    last = view.last_inspection
    report.items.append(_item(view, "inspection", due, as_of, status, check=kind, last_inspection=last))


def limitation_end(
    view: LoanView, settings: LedgerSettings, as_of: date
) -> tuple[date, date, date | None] | None:
    """(end, the day it runs from, the receipt that restarted it) for a loan with arrears, else None."""
    if view.is_overdue and view.overdue_since is not None:
        due = view.overdue_since
    elif view.balance > 0 and view.maturity_date < as_of:
        due = view.maturity_date
    else:
        return None
    receipt = view.last_receipt(after=due)
    start = max(due, receipt) if receipt else due
    return period_end(add_months(start, 12 * settings.limitation_years), settings), start, receipt


def _limitation(report: DueReport, view: LoanView, settings: LedgerSettings) -> None:
    found = limitation_end(view, settings, report.as_of)
    if found is None:
        return
    end, start, receipt = found
    left = (end - report.as_of).days
    if left > settings.limitation_alert_days:
        return
    status = DueStatus.ENDED if left < 0 else DueStatus.ENDING
    report.items.append(
        _item(view, "limitation", end, report.as_of, status, runs_from=start, receipt=receipt)
    )


def guarantee_end(view: LoanView, settings: LedgerSettings) -> date:
    return period_end(add_months(view.maturity_date, settings.guarantee_period_months), settings)


def _guarantee(report: DueReport, view: LoanView, settings: LedgerSettings) -> None:
    if not view.guarantors:
        return
    end = guarantee_end(view, settings)
    left = (end - report.as_of).days
    if left > settings.guarantee_alert_days or (left < 0 and not view.is_overdue):
        return
    status = DueStatus.ENDED if left < 0 else DueStatus.ENDING
    for guarantor in view.guarantors:
        report.items.append(_item(view, "guarantee", end, report.as_of, status, guarantor=guarantor))
