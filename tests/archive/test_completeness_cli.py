"""`dossier completeness` end to end: a real archive home, documents filed through the filing API, the
review read back from the catalog by the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import lxml.html
import pytest

from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.cli.app import main
from dossier.config import load_config

OWNER = "110101199003077777"
COMPANY = "91350100M000100Y43"


def _file(
    archive: Archive,
    key: str,
    doc_type: str,
    category: str,
    on: date,
    *,
    loan: str | None = None,
    **details: object,
) -> int:
    result = file_document(
        archive,
        f"{key} {doc_type} {on} {details}".encode(),
        borrower_key=key,
        category=category,
        doc_type=doc_type,
        title=doc_type,
        original_name=f"{doc_type}.pdf",
        contract_number=loan,
        doc_date=on,
        actor="test",
        details=details or None,
    )
    return result.document_id


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A married business owner with a 个人经营 loan secured by a company guarantee, and a company with a
    small-business loan that has almost nothing filed."""
    path = tmp_path / "home"
    with Archive.init(path, config=load_config()) as archive:
        ensure_borrower(
            archive,
            OWNER,
            "张三",
            "business-owner",
            officer="李经理",
            actor="test",
            details={
                "marital_status": "已婚",
                "guarantors": [{"kind": "enterprise", "name": "某某担保公司"}],
            },
        )
        ensure_loan(
            archive,
            OWNER,
            "JK2025-0001",
            actor="test",
            facts={
                "product": "个人经营",
                "guarantee_methods": ["保证"],
                "term_months": 12,
                "start_date": date(2025, 3, 10),
                "maturity_date": date(2026, 3, 10),
            },
        )
        loan = "JK2025-0001"
        _file(archive, OWNER, "id-card", "basic", date(2020, 1, 1), valid_until="2040-01-01")
        _file(
            archive,
            OWNER,
            "id-card",
            "basic",
            date(2010, 1, 1),
            role="spouse",
            validity="2010.01.01-2025.01.01",
        )
        for doc_type in ("hukou", "marriage-proof", "business-license", "credit-authorization"):
            _file(archive, OWNER, doc_type, "basic", date(2024, 12, 1))
        _file(archive, OWNER, "credit-report-personal", "basic", date(2025, 2, 20))
        _file(archive, OWNER, "bank-statement", "financial", date(2025, 2, 1))
        for doc_type, on in (
            ("loan-application", date(2025, 2, 10)),
            ("investigation-report", date(2025, 2, 20)),
            ("credit-approval", date(2025, 3, 1)),
            ("premises-proof", date(2025, 2, 1)),
        ):
            _file(archive, OWNER, doc_type, "approval", on, loan=loan)
        for doc_type in ("loan-contract", "guarantee-contract"):
            _file(archive, OWNER, doc_type, "contracts", date(2025, 3, 5), loan=loan)
        for doc_type in ("guarantor-id", "guarantor-financials"):
            _file(archive, OWNER, doc_type, "security", date(2025, 2, 25), loan=loan)
        _file(archive, OWNER, "guarantor-credit-report", "security", date(2024, 12, 1), loan=loan)
        for doc_type in ("disbursement-notice", "loan-receipt"):
            _file(archive, OWNER, doc_type, "disbursement", date(2025, 3, 10), loan=loan)
        _file(archive, OWNER, "inspection-report", "post-loan", date(2025, 3, 20), loan=loan)

        ensure_borrower(archive, COMPANY, "某某科技有限公司", "enterprise", officer="赵经理", actor="test")
        ensure_loan(
            archive,
            COMPANY,
            "LD2025-0002",
            actor="test",
            facts={"product": "小微流贷", "term_months": 12, "start_date": date(2025, 1, 5)},
        )
        _file(archive, COMPANY, "loan-contract", "contracts", date(2025, 1, 4), loan="LD2025-0002")
    return path


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_one_borrower_shows_each_item_with_the_dates_that_decide_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _json(capsys, "completeness", OWNER, "--as-of", "2025-07-31", "--json", "--home", str(home))

    (loan,) = result["loans"]
    assert (loan["contract_number"], loan["checklist_product"], loan["guarantees"]) == (
        "JK2025-0001",
        "personal-business",
        ["surety"],
    )
    statuses = {item["key"]: item["status"] for item in loan["items"]}
    problems = {
        key: status for key, status in statuses.items() if status in ("missing", "expired", "overdue")
    }
    assert problems == {
        "id-card@spouse": "expired",
        "purpose-proof": "missing",
        "guarantor-credit-report": "expired",
        "board-resolution@guarantor": "missing",
        "inspection-report": "overdue",
    }
    assert statuses["income-proof"] == "present" and statuses["financial-statements"] == "not-applicable"
    items = {item["key"]: item for item in loan["items"]}
    assert items["id-card@spouse"]["expires_on"] == "2025-01-01"
    assert items["id-card@spouse"]["anchor_date"] == "2025-03-05"  # the loan contract's date
    assert items["guarantor-credit-report"]["anchor_date"] == "2025-03-01"  # the approval's date
    assert items["inspection-report"]["due_date"] == "2025-06-20"  # quarterly after 20 March
    assert items["inspection-report"]["status_label"] == "已逾期"
    assert result["score"] == 5 and result["officer"] == "李经理"


def test_portfolio_summary_is_worst_first_and_filters(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = _json(capsys, "completeness", "--as-of", "2025-07-31", "--json", "--home", str(home))

    assert [f["borrower_key"] for f in summary["files"]] == [COMPANY, OWNER]
    assert summary["files"][1]["score"] == 5
    assert summary["counts"]["missing"] == sum(f["counts"]["missing"] for f in summary["files"])
    only = _json(
        capsys, "completeness", "--officer", "李经理", "--as-of", "2025-07-31", "--json", "--home", str(home)
    )
    assert [f["borrower_key"] for f in only["files"]] == [OWNER]
    small = _json(
        capsys,
        "completeness",
        "--product",
        "小微流贷",
        "--as-of",
        "2025-07-31",
        "--json",
        "--home",
        str(home),
    )
    assert [f["borrower_key"] for f in small["files"]] == [COMPANY]


def test_html_reports_are_written_and_parse(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "张三.html"
    assert (
        main(["completeness", OWNER, "--as-of", "2025-07-31", "--html", str(one), "--home", str(home)]) == 0
    )
    tree = lxml.html.parse(str(one)).getroot()
    labels = [span.text for span in tree.xpath("//table[contains(@class, 'items')]//span")]
    assert labels.count("已失效") == 2 and labels.count("缺失") == 2 and labels.count("已逾期") == 1

    portfolio = tmp_path / "portfolio.html"
    assert main(["completeness", "--as-of", "2025-07-31", "--html", str(portfolio), "--home", str(home)]) == 0
    tree = lxml.html.parse(str(portfolio)).getroot()
    assert (
        "某某科技有限公司" in tree.xpath("//table[contains(@class, 'files')]/tbody/tr[1]")[0].text_content()
    )
    capsys.readouterr()


def test_bad_arguments_exit_2(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = ("--home", str(home))
    assert main(["completeness", OWNER, "--json", "--html", str(tmp_path / "x.html"), *h]) == 2
    assert main(["completeness", OWNER, "--as-of", "2025-13-01", *h]) == 2
    assert main(["completeness", "110101199003071234", *h]) == 2
    assert main(["completeness", OWNER, "--officer", "李经理", *h]) == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and "BORROWER" in err
