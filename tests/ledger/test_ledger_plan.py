"""The collection plan's next step, and the column and period readers, on hand-made values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from dossier.config import load_config
from dossier.finance.classification import FiveClass
from dossier.ledger.buckets import bucket_labels, bucket_of
from dossier.ledger.columns import match_header
from dossier.ledger.entry import term_months
from dossier.ledger.plan import next_action
from dossier.ledger.report.periods import parse_period
from dossier.ledger.settings import ledger_settings
from dossier.ledger.store import Contact, LoanView

AS_OF = date(2028, 2, 29)
VIEW = LoanView(
    ledger_id=1,
    loan_id=1,
    borrower_id=1,
    contract_number="JK2025-000001",
    receipt_number="JJ2025-000001-01",
    borrower_key="11010519491231002X",
    borrower_name="张三",
    customer_type="person",
    product=None,
    amount=Decimal("100000.00"),
    annual_rate=Decimal("4.35"),
    method="bullet",
    start_date=date(2027, 1, 20),
    maturity_date=date(2028, 1, 20),
    balance=Decimal("100000.00"),
    overdue_principal=Decimal("100000.00"),
    overdue_interest=Decimal("0.00"),
    overdue_since=date(2028, 1, 20),
    last_inspection=None,
    five_class=FiveClass.SPECIAL_MENTION,
    officer=None,
    guarantors=(),
    as_of=AS_OF,
)


def _contact(on: date, doc_type: str) -> Contact:
    return Contact(on, doc_type, doc_type, 1)


@pytest.mark.parametrize(
    ("contacts", "since", "action", "by"),
    [
        ((), date(2028, 1, 20), "送达逾期贷款催收通知书", AS_OF),
        (
            (_contact(date(2028, 2, 20), "collection-notice"),),
            date(2028, 1, 20),
            "电话催收",
            date(2028, 3, 6),
        ),
        ((_contact(date(2028, 2, 1), "collection-notice"),), date(2028, 1, 20), "上门催收", AS_OF),
        (
            (
                _contact(date(2028, 2, 1), "collection-notice"),
                _contact(date(2028, 2, 3), "collection-receipt"),
            ),
            date(2028, 1, 20),
            "电话跟进还款承诺",
            date(2028, 2, 16),
        ),
        ((), date(2027, 11, 1), "资产保全", date(2028, 3, 15)),  # 120 days: non-performing
        ((), date(2025, 4, 1), "中断诉讼时效", date(2028, 3, 2)),  # limitation ends 2028-04-01
    ],
)
def test_next_action_escalates(contacts, since, action, by):
    view = replace(VIEW, contacts=contacts, overdue_since=since)
    step = next_action(view, AS_OF, ledger_settings(config=load_config()), config=load_config())
    assert action in step.action and step.by == by


def test_headers_match_in_either_language_with_unit_notes():
    assert match_header("年利率(%)").name == "rate"
    assert match_header("借款金额（元）").name == "amount"
    assert match_header(" Maturity Date ").name == "maturity_date"
    assert match_header("备注") is None


def test_terms_buckets_and_periods():
    assert term_months(date(2028, 1, 31), date(2028, 2, 29)) == 1
    assert term_months(date(2025, 9, 20), date(2026, 9, 20)) == 12
    assert term_months(date(2025, 9, 20), date(2026, 9, 21)) == 13
    assert bucket_labels([1, 31, 91, 181, 361]) == ["1–30", "31–90", "91–180", "181–360", ">360"]
    assert [bucket_of(d, [1, 31, 91, 181, 361]) for d in (0, 30, 31, 360, 361)] == [
        None,
        "1–30",
        "31–90",
        "181–360",
        ">360",
    ]
    assert (parse_period("2028-02", 3).start, parse_period("2028-02", 3).end) == (
        date(2028, 2, 21),
        date(2028, 2, 29),
    )
    assert parse_period("2027-02").end == date(2027, 2, 28)
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period("2028/02")
