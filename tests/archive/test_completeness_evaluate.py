"""Completeness review on hand-built files: each product × guarantee combination with the exact items
that come out missing, expired and overdue."""

from __future__ import annotations

from datetime import date

import pytest

from dossier.archive.completeness import (
    BorrowerSnapshot,
    DocumentFacts,
    ItemStatus,
    LoanFacts,
    LoanResult,
    evaluate,
    load_checklists,
    summarize,
)
from dossier.config import load_config

APPROVED = date(2025, 3, 1)
SIGNED = date(2025, 3, 5)
DISBURSED = date(2025, 3, 10)
PERSON_KEY = "110101199003077777"
COMPANY_KEY = "91350100M000100Y43"

# Documents every loan has (the common list); individual tests add to or leave out of it.
COMMON = {
    "loan-application": date(2025, 2, 10),
    "investigation-report": date(2025, 2, 20),
    "credit-approval": APPROVED,
    "loan-contract": SIGNED,
    "disbursement-notice": DISBURSED,
    "loan-receipt": DISBURSED,
}


@pytest.fixture(scope="module")
def checklists():
    return load_checklists(config=load_config())


class Docs:
    """Builds a borrower's documents with fresh ids; loan documents name contract L1 unless told."""

    def __init__(self) -> None:
        self.docs: list[DocumentFacts] = []

    def add(self, doc_type: str, on: date | None, *, loan: str | None = "L1", **details: object) -> int:
        doc_id = len(self.docs) + 1
        self.docs.append(DocumentFacts(doc_id, doc_type, on, loan, title=doc_type, details=details))
        return doc_id

    def common(self, *, leave_out: tuple[str, ...] = ()) -> Docs:
        for doc_type, on in COMMON.items():
            if doc_type not in leave_out:
                self.add(doc_type, on)
        return self


def by_status(loan: LoanResult) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {status.value: set() for status in ItemStatus}
    for item in loan.items:
        result[item.status.value].add(item.key)
    return result


def item(loan: LoanResult, key: str):
    return next(i for i in loan.items if i.key == key)


def person(
    docs: Docs, loan: LoanFacts, *, customer_type: str = "person", **details: object
) -> BorrowerSnapshot:
    return BorrowerSnapshot(
        key=PERSON_KEY,
        name="张三",
        customer_type=customer_type,
        officer="李经理",
        details=details,
        loans=(loan,),
        documents=tuple(docs.docs),
    )


def test_personal_consumption_credit_loan_of_married_borrower(checklists) -> None:
    docs = Docs().common()
    docs.add("id-card", date(2020, 5, 1), loan=None, valid_until="2030-05-01")
    docs.add("hukou", date(2020, 5, 1), loan=None)
    docs.add("marriage-proof", date(2015, 10, 1), loan=None)
    docs.add("credit-authorization", date(2025, 1, 8), loan=None)
    stale = docs.add("credit-report-personal", date(2025, 1, 10), loan=None)  # 50 days before approval
    statement = docs.add("bank-statement", date(2025, 2, 1), loan=None)  # accepted for income proof
    docs.add("inspection-report", date(2025, 3, 20))
    last_check = docs.add("inspection-report", date(2025, 5, 15))
    loan = LoanFacts("L1", "personal-consumption", ("credit",), 12, DISBURSED, date(2026, 3, 10))
    snapshot = person(docs, loan, marital_status="已婚")

    result = evaluate(snapshot, checklists, date(2025, 9, 30), config=load_config())

    (loan_result,) = result.loans
    statuses = by_status(loan_result)
    assert statuses["missing"] == {"id-card@spouse", "purpose-proof"}
    assert statuses["expired"] == {"credit-report-personal"}
    assert statuses["overdue"] == {"inspection-report"}
    assert statuses["not-applicable"] == {"entrusted-payment-proof", "settlement-certificate"}
    assert loan_result.checklist_product == "personal-consumption"
    assert loan_result.guarantees == ("credit",)
    assert loan_result.score == 4 and result.score == 4

    report = item(loan_result, "credit-report-personal")
    assert report.document_ids == (stale,)
    assert report.anchor == "审批日" and report.anchor_date == APPROVED
    assert report.expires_on == date(2025, 2, 9)
    # Quarterly for a 12-month 正常 loan: the next check after 15 May was due on 15 August.
    inspection = item(loan_result, "inspection-report")
    assert inspection.document_ids == (last_check,)
    assert inspection.due_date == date(2025, 8, 15)
    assert item(loan_result, "income-proof").document_ids == (statement,)


def test_personal_business_with_mortgage_and_company_surety(checklists) -> None:
    docs = Docs().common()
    docs.add("id-card", date(2021, 1, 1), loan=None, validity="2021.01.01-长期")
    for doc_type in ("hukou", "business-license", "credit-authorization", "income-proof", "premises-proof"):
        docs.add(doc_type, date(2025, 1, 20), loan=None if doc_type != "premises-proof" else "L1")
    docs.add("credit-report-personal", date(2025, 2, 20), loan=None)
    for doc_type in ("mortgage-contract", "property-certificate", "insurance-policy"):
        docs.add(doc_type, date(2025, 2, 25))
    old_appraisal = docs.add("appraisal-report", date(2023, 12, 1))  # more than a year before approval
    for doc_type in ("guarantee-contract", "guarantor-id", "guarantor-financials"):
        docs.add(doc_type, date(2025, 2, 25))
    loan = LoanFacts(
        "L1",
        "个人经营",
        ("抵押", "保证"),
        36,
        DISBURSED,
        date(2028, 3, 10),
        details={
            "guarantors": [{"kind": "企业", "name": "某某担保有限公司", "credit_code": COMPANY_KEY}],
            "collateral": [{"name": "住宅", "owner_id_number": PERSON_KEY}],
        },
    )
    snapshot = person(docs, loan, customer_type="business-owner", marital_status="未婚")

    (loan_result,) = evaluate(snapshot, checklists, date(2025, 3, 20), config=load_config()).loans

    statuses = by_status(loan_result)
    assert statuses["missing"] == {
        "purpose-proof",
        "mortgage-registration",
        "guarantor-credit-report",
        "board-resolution@guarantor",
    }
    assert statuses["expired"] == {"appraisal-report"}
    assert statuses["overdue"] == set()
    # First check due 15 days after disbursement, still ahead on 20 March.
    assert statuses["not-due"] == {"inspection-report"}
    assert item(loan_result, "inspection-report").due_date == date(2025, 3, 25)
    assert statuses["not-applicable"] == {
        "id-card@spouse",
        "marriage-proof",
        "financial-statements",
        "tax-return",
        "id-card@mortgagor",
        "business-license@mortgagor",
        "board-resolution@mortgagor",
        "entrusted-payment-proof",
        "settlement-certificate",
        "mortgage-release",
    }
    appraisal = item(loan_result, "appraisal-report")
    assert appraisal.document_ids == (old_appraisal,) and appraisal.expires_on == date(2024, 11, 30)
    assert loan_result.guarantees == ("mortgage", "surety")


def test_small_business_loan_with_third_party_company_mortgagor(checklists) -> None:
    docs = Docs().common()
    for doc_type in ("business-license", "articles", "legal-rep-proof", "credit-authorization"):
        docs.add(doc_type, date(2025, 1, 15), loan=None)
    lapsed_id = docs.add("id-card", date(2005, 1, 1), loan=None, validity="2005.01.01-2025.03.01")
    docs.add("credit-report-enterprise", date(2025, 2, 26), loan=None)
    rep_report = docs.add("credit-report-personal", date(2025, 2, 25), loan=None, role="legal-representative")
    for doc_type in ("bank-statement", "financial-statements"):
        docs.add(doc_type, date(2025, 1, 31), loan=None)
    for doc_type in ("purpose-proof", "premises-proof", "board-resolution"):
        docs.add(doc_type, date(2025, 2, 15))
    mortgagor_licence = docs.add("business-license", date(2025, 1, 15), role="mortgagor")
    for doc_type in (
        "mortgage-contract",
        "property-certificate",
        "mortgage-registration",
        "insurance-policy",
    ):
        docs.add(doc_type, date(2025, 3, 5))
    docs.add("appraisal-report", date(2024, 6, 1))
    for doc_type in ("guarantee-contract", "guarantor-id", "guarantor-financials"):
        docs.add(doc_type, date(2025, 2, 20))
    docs.add("guarantor-credit-report", date(2025, 2, 20))
    docs.add("inspection-report", date(2025, 7, 1))
    loan = LoanFacts(
        "L1",
        "small-business-working-capital",
        ("mortgage", "surety"),
        12,
        DISBURSED,
        date(2026, 3, 10),
        details={
            "five_class": "关注",
            "payment_mode": "受托支付",
            "guarantors": [{"kind": "person", "name": "王五", "id_number": "110101198001011237"}],
            "mortgagors": [
                {"kind": "enterprise", "name": "某某实业有限公司", "credit_code": "91110000600037341L"}
            ],
        },
    )
    snapshot = BorrowerSnapshot(
        key=COMPANY_KEY,
        name="某某科技有限公司",
        customer_type="enterprise",
        loans=(loan,),
        documents=tuple(docs.docs),
    )

    (loan_result,) = evaluate(snapshot, checklists, date(2025, 9, 30), config=load_config()).loans

    statuses = by_status(loan_result)
    assert statuses["missing"] == {"tax-return", "board-resolution@mortgagor", "entrusted-payment-proof"}
    assert statuses["expired"] == {"id-card@legal-representative"}
    assert statuses["overdue"] == {"inspection-report"}
    # 关注: monthly checks, so the one after 1 July was due on 1 August.
    assert item(loan_result, "inspection-report").due_date == date(2025, 8, 1)
    lapsed = item(loan_result, "id-card@legal-representative")
    assert lapsed.document_ids == (lapsed_id,)
    assert lapsed.expires_on == date(2025, 3, 1) and lapsed.anchor_date == SIGNED
    assert item(loan_result, "business-license@mortgagor").document_ids == (mortgagor_licence,)
    assert item(loan_result, "credit-report-personal@legal-representative").document_ids == (rep_report,)
    assert item(loan_result, "board-resolution@guarantor").status is ItemStatus.NOT_APPLICABLE


def test_settled_mortgage_consumer_loan_needs_settlement_papers_and_no_more_checks(checklists) -> None:
    docs = Docs().common()
    for doc_type in ("id-card", "hukou", "credit-authorization", "income-proof"):
        docs.add(doc_type, date(2024, 12, 1), loan=None)
    docs.add("credit-report-personal", date(2025, 2, 27), loan=None)
    docs.add("purpose-proof", date(2025, 2, 1))
    for doc_type in (
        "mortgage-contract",
        "property-certificate",
        "mortgage-registration",
        "insurance-policy",
    ):
        docs.add(doc_type, date(2025, 3, 5))
    docs.add("appraisal-report", date(2025, 2, 1))
    docs.add("inspection-report", date(2025, 3, 20))
    docs.add("inspection-report", date(2025, 6, 18))
    docs.add("settlement-certificate", date(2025, 8, 1))
    loan = LoanFacts(
        "L1",
        "personal-consumption",
        ("mortgage",),
        6,
        DISBURSED,
        date(2025, 9, 10),
        settled_on=date(2025, 8, 1),
    )
    snapshot = person(docs, loan, marital_status="single")

    (loan_result,) = evaluate(snapshot, checklists, date(2026, 1, 31), config=load_config()).loans

    statuses = by_status(loan_result)
    # 6-month term: monthly checks; the one due 18 July fell before settlement on 1 August.
    assert statuses["overdue"] == {"inspection-report"}
    assert item(loan_result, "inspection-report").due_date == date(2025, 7, 18)
    assert statuses["missing"] == {"mortgage-release"}
    assert statuses["expired"] == set()
    assert item(loan_result, "id-card").note == "有效期未登记，未核对"


def test_checks_stop_after_settlement(checklists) -> None:
    docs = Docs().common()
    docs.add("inspection-report", date(2025, 3, 20))
    loan = LoanFacts(
        "L1", "personal-consumption", (), 12, DISBURSED, date(2026, 3, 10), settled_on=date(2025, 5, 1)
    )

    (loan_result,) = evaluate(person(docs, loan), checklists, date(2026, 1, 31), config=load_config()).loans

    assert item(loan_result, "inspection-report").status is ItemStatus.PRESENT


def test_spouse_and_borrower_id_cards_are_told_apart_by_role(checklists) -> None:
    docs = Docs().common()
    own = docs.add("id-card", date(2020, 1, 1), loan=None, valid_until="2040-01-01")
    spouse = docs.add("id-card", date(2010, 1, 1), loan=None, role="spouse", valid_until="2025-03-04")
    loan = LoanFacts("L1", "personal-consumption", (), 12, DISBURSED, date(2026, 3, 10))

    (loan_result,) = evaluate(
        person(docs, loan, marital_status="married"), checklists, date(2025, 4, 1), config=load_config()
    ).loans

    assert item(loan_result, "id-card").document_ids == (own,)
    assert item(loan_result, "id-card").status is ItemStatus.PRESENT
    lapsed = item(loan_result, "id-card@spouse")
    assert lapsed.status is ItemStatus.EXPIRED and lapsed.document_ids == (spouse,)
    assert lapsed.expires_on == date(2025, 3, 4)


def test_one_unmarked_document_satisfies_one_item_only(checklists) -> None:
    docs = Docs().common()
    only = docs.add("id-card", date(2020, 1, 1), loan=None, valid_until="长期")
    loan = LoanFacts("L1", "personal-consumption", (), 12, DISBURSED, date(2026, 3, 10))

    (loan_result,) = evaluate(
        person(docs, loan, marital_status="married"), checklists, date(2025, 4, 1), config=load_config()
    ).loans

    assert item(loan_result, "id-card").document_ids == (only,)
    assert item(loan_result, "id-card@spouse").status is ItemStatus.MISSING


def test_documents_of_another_loan_do_not_count(checklists) -> None:
    docs = Docs().common()
    docs.add("purpose-proof", date(2025, 2, 1), loan="L2")
    loan = LoanFacts("L1", "personal-consumption", (), 12, DISBURSED, date(2026, 3, 10))

    (loan_result,) = evaluate(person(docs, loan), checklists, date(2025, 4, 1), config=load_config()).loans

    assert item(loan_result, "purpose-proof").status is ItemStatus.MISSING


def test_products_without_a_list_are_mapped(checklists) -> None:
    docs = Docs()
    company = BorrowerSnapshot(
        key=COMPANY_KEY,
        name="某某公司",
        customer_type="enterprise",
        loans=(LoanFacts("W1", "流动资金"), LoanFacts("W2", None)),
        documents=(),
    )
    first, second = evaluate(company, checklists, date(2025, 4, 1), config=load_config()).loans
    assert (first.checklist_product, first.product_inferred) == ("small-business-working-capital", False)
    assert (second.checklist_product, second.product_inferred) == ("small-business-working-capital", True)
    owner = person(docs, LoanFacts("P1", None), customer_type="个体工商户")
    (loan_result,) = evaluate(owner, checklists, date(2025, 4, 1), config=load_config()).loans
    assert loan_result.checklist_product == "personal-business" and loan_result.guarantees == ("credit",)


def test_a_boolean_in_details_overrides_a_predicate(checklists) -> None:
    docs = Docs().common()
    loan = LoanFacts(
        "L1", "personal-consumption", ("surety",), 12, DISBURSED, details={"company_guarantor": True}
    )

    (loan_result,) = evaluate(person(docs, loan), checklists, date(2025, 4, 1), config=load_config()).loans

    assert item(loan_result, "board-resolution@guarantor").status is ItemStatus.MISSING


def test_undisbursed_loan_skips_disbursement_items(checklists) -> None:
    docs = Docs().common(leave_out=("disbursement-notice", "loan-receipt"))
    loan = LoanFacts("L1", "personal-consumption", (), 12, date(2025, 6, 1))

    (loan_result,) = evaluate(person(docs, loan), checklists, date(2025, 4, 1), config=load_config()).loans

    for key in ("disbursement-notice", "loan-receipt", "inspection-report"):
        assert item(loan_result, key).status is ItemStatus.NOT_APPLICABLE


def test_portfolio_puts_worst_files_first_and_filters(checklists) -> None:
    complete = Docs().common()
    bare = Docs()
    good = person(complete, LoanFacts("L1", "personal-consumption", (), 12, DISBURSED))
    bad = BorrowerSnapshot(
        key=COMPANY_KEY,
        name="某某公司",
        customer_type="enterprise",
        officer="赵经理",
        loans=(LoanFacts("L9", "small-business-working-capital", (), 12, DISBURSED),),
        documents=tuple(bare.docs),
    )
    as_of = date(2025, 3, 12)
    results = [evaluate(s, checklists, as_of, config=load_config()) for s in (good, bad)]

    summary = summarize(results, as_of=as_of)

    assert [f.borrower_key for f in summary.files] == [COMPANY_KEY, PERSON_KEY]
    assert summary.files[0].score == results[1].score > summary.files[1].score
    assert summary.counts["missing"] == results[0].counts["missing"] + results[1].counts["missing"]
    assert summary.borrowers == 2 and summary.loans == 2
    by_officer = summarize(results, officer="李经理", as_of=as_of)
    assert [f.borrower_key for f in by_officer.files] == [PERSON_KEY]
    by_product = summarize(results, product="小微流贷", as_of=as_of)
    assert [f.borrower_key for f in by_product.files] == [COMPANY_KEY]
    assert by_product.files[0].products == ("小微流贷",)


@pytest.mark.parametrize(("days_before", "status"), [(30, ItemStatus.PRESENT), (31, ItemStatus.EXPIRED)])
def test_credit_report_may_be_thirty_days_old_at_approval(
    checklists, days_before: int, status: ItemStatus
) -> None:
    docs = Docs().common()
    docs.add("credit-report-personal", date.fromordinal(APPROVED.toordinal() - days_before), loan=None)
    loan = LoanFacts("L1", "personal-consumption", (), 12, DISBURSED)

    (loan_result,) = evaluate(person(docs, loan), checklists, date(2025, 4, 1), config=load_config()).loans

    assert item(loan_result, "credit-report-personal").status is status


def test_approval_date_falls_back_to_the_loan_start(checklists) -> None:
    docs = Docs().common(leave_out=("credit-approval",))
    docs.add("credit-report-personal", date(2025, 2, 1), loan=None)
    loan = LoanFacts("L1", "personal-consumption", (), 12, DISBURSED)

    (loan_result,) = evaluate(person(docs, loan), checklists, date(2025, 4, 1), config=load_config()).loans

    report = item(loan_result, "credit-report-personal")
    assert report.anchor_date == DISBURSED and report.status is ItemStatus.EXPIRED
    assert item(loan_result, "credit-approval").status is ItemStatus.MISSING


@pytest.mark.parametrize(
    ("as_of", "status"), [(date(2025, 8, 15), ItemStatus.PRESENT), (date(2025, 8, 16), ItemStatus.OVERDUE)]
)
def test_an_inspection_is_overdue_the_day_after_it_falls_due(
    checklists, as_of: date, status: ItemStatus
) -> None:
    docs = Docs().common()
    docs.add("inspection-report", date(2025, 5, 15))
    loan = LoanFacts("L1", "personal-consumption", (), 12, DISBURSED)

    (loan_result,) = evaluate(person(docs, loan), checklists, as_of, config=load_config()).loans

    inspection = item(loan_result, "inspection-report")
    assert inspection.status is status and inspection.due_date == date(2025, 8, 15)
