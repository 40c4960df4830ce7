"""A document's input, filled from a ledger row: 到期还款提示, 催收通知书, 催收计划 and 风险预警报告 (the
kinds' schemas validate it like any hand-written input)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.document_types import get_document_type
from dossier.domain.enums import CustomerType, RepaymentMethod
from dossier.errors import DossierError
from dossier.finance.classification import days_past_due
from dossier.kinds.warning_report import SignalKind
from dossier.ledger.due import final_class_of, guarantee_end, limitation_end
from dossier.ledger.plan import next_action
from dossier.ledger.settings import LedgerSettings, ledger_settings
from dossier.ledger.store import LoanView

# Months in one interest period: the reminder bills the interest of the period that ends at maturity.
_PERIOD_MONTHS = {
    RepaymentMethod.ANNUITY: 1,
    RepaymentMethod.EQUAL_PRINCIPAL: 1,
    RepaymentMethod.MONTHLY_INTEREST: 1,
    RepaymentMethod.QUARTERLY_INTEREST: 3,
}


CONTACTS_BEFORE_DAYS = 60
"""A plan lists the contacts made since this many days before the loan fell overdue."""


def party(view: LoanView) -> dict[str, Any]:
    if view.customer_type == CustomerType.PERSON.value:
        return {"kind": "person", "name": view.borrower_name, "id_number": view.borrower_key}
    return {"kind": "enterprise", "name": view.borrower_name, "credit_code": view.borrower_key}


def loan_ref(view: LoanView) -> dict[str, Any]:
    return {
        "contract_number": view.contract_number,
        "receipt_number": view.receipt_number,
        "amount": view.amount,
        "start_date": view.start_date,
        "maturity_date": view.maturity_date,
        "annual_rate": view.annual_rate,
        "term_months": view.term_months,
    }


def interest_from(view: LoanView) -> date:
    months = _PERIOD_MONTHS.get(RepaymentMethod(view.method))
    if months is None:  # 到期一次还本付息: interest runs from drawdown
        return view.start_date
    return max(view.start_date, add_months(view.maturity_date, -months))


def reminder_input(view: LoanView, as_of: date, lender: dict[str, Any]) -> dict[str, Any]:
    return {
        "notice_date": as_of,
        "lender": lender,
        "borrower": party(view),
        "loan": loan_ref(view),
        "balance": view.balance,
        "principal_due": view.balance,
        "interest_from": interest_from(view),
        "due_date": view.maturity_date,
        **_contact(view),
    }


def collection_input(
    view: LoanView, as_of: date, lender: dict[str, Any], settings: LedgerSettings
) -> dict[str, Any]:
    if view.overdue_since is None:
        raise DossierError(f"{view.contract_number}: not overdue (该贷款未逾期)")
    return {
        "notice_date": as_of,
        "lender": lender,
        "recipient": "borrower",
        "borrower": party(view),
        "loan": loan_ref(view),
        "as_of": as_of,
        "overdue_principal": view.overdue_principal,
        "unpaid_interest": view.overdue_interest,
        "overdue_since": view.overdue_since,
        "interest_unpaid_since": view.overdue_since if view.overdue_interest > 0 else None,
        "deadline": as_of + timedelta(days=settings.collection_deadline_days),
        "method": settings.collection_method,
        **_contact(view),
    }


def plan_input(
    view: LoanView, as_of: date, lender: dict[str, Any], settings: LedgerSettings, config: Config
) -> dict[str, Any]:
    if view.overdue_since is None:
        raise DossierError(f"{view.contract_number}: not overdue (该贷款未逾期)")
    limitation = limitation_end(view, settings, as_of)
    action = next_action(view, as_of, settings, config)
    return {
        "plan_date": as_of,
        "lender": lender,
        "borrower": party(view),
        "loan": loan_ref(view),
        "as_of": as_of,
        "balance": view.balance,
        "overdue_principal": view.overdue_principal,
        "unpaid_interest": view.overdue_interest,
        "overdue_since": view.overdue_since,
        "interest_unpaid_since": view.overdue_since if view.overdue_interest > 0 else None,
        "five_class": view.five_class.value,
        "officer": view.officer,
        "guarantors": list(view.guarantors),
        "contacts": [
            {"contact_date": c.on, "means": get_document_type(c.doc_type, config).label, "note": c.title}
            for c in view.contacts
            # From the maturity reminder on: the reminders window ([reminders]) is at most two months.
            if c.on >= view.overdue_since - timedelta(days=CONTACTS_BEFORE_DAYS)
        ],
        "limitation_end": limitation[0] if limitation else None,
        "guarantee_period_end": guarantee_end(view, settings) if view.guarantors else None,
        "next_action": action.action,
        "next_action_date": action.by,
        "next_action_reason": action.reason,
    }


def _contact(view: LoanView) -> dict[str, Any]:
    return {"contact": f"客户经理 {view.officer}"} if view.officer else {}


def warning_report_input(
    view: LoanView,
    as_of: date,
    *,
    measures: Sequence[str],
    reporter: str,
    lender: Mapping[str, Any] | None = None,
    proposed_class: str | None = None,
    signals: Sequence[Mapping[str, Any]] = (),
    informed: Sequence[Mapping[str, Any]] = (),
    config: Config,
) -> dict[str, Any]:
    """A warning-report input from a ledger loan (read only): the loan, its balance and arrears, the class
    recorded and, when it is past due, the overdue signal. The officer supplies the measures, the other
    signals and the people informed; the proposed class defaults to the ledger's (recorded class and DPD
    floor). The lender defaults to [ledger.lender]. Validate it with the kind's schema like any input."""
    found: list[dict[str, Any]] = []
    if view.is_overdue and view.overdue_since is not None:
        dpd = days_past_due(view.overdue_since, as_of)
        found.append(
            {
                "kind": SignalKind.OVERDUE.value,
                "found_on": min(as_of, view.as_of),
                "description": (
                    f"逾期{dpd}天，逾期本金{view.overdue_principal}元，欠息{view.overdue_interest}元"
                ),
                "source": f"贷款台账（{view.as_of.isoformat()}）",
            }
        )
    return {
        "as_of": as_of,
        "lender": dict(lender) if lender is not None else ledger_settings(config).lender.as_input(),
        "borrower": party(view),
        "loan": loan_ref(view),
        "balance": view.balance,
        "earliest_unpaid_due": view.overdue_since if view.is_overdue else None,
        "overdue_principal": view.overdue_principal,
        "unpaid_interest": view.overdue_interest,
        "current_class": view.five_class.value,
        "proposed_class": proposed_class or final_class_of(view, as_of, config).value,
        "signals": [*found, *(dict(s) for s in signals)],
        "measures": list(measures),
        "informed": [dict(p) for p in informed],
        "reporter": reporter,
    }
