"""`dossier ledger import`: CSV and XLSX, Chinese and English headers, bad rows, re-import updates."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from ledger_fixtures import AS_OF, bank_config, contract, ledger_rows, main, person, write_csv, write_xlsx
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import append_event, verify_chain
from dossier.archive.catalog.ledger_tables import LedgerLoan
from dossier.archive.catalog.models import Borrower, Event, Loan
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.domain.models.loan import LOAN_FACTS
from dossier.ledger import importer
from dossier.ledger.importer import read_entries


def _import(home, path, capsys, *extra: str) -> tuple[int, dict]:
    code = main(
        ["ledger", "import", str(path), "--home", str(home), "--as-of", AS_OF.isoformat(), "--json", *extra]
    )
    return code, json.loads(capsys.readouterr().out)


def _ledger(home) -> dict[str, tuple[LedgerLoan, Loan, Borrower]]:
    with Archive.open(home, config=bank_config(home)) as archive, archive.session(write=False) as s:
        rows = s.execute(
            select(LedgerLoan, Loan, Borrower).join(Loan, LedgerLoan.loan_id == Loan.id).join(Borrower)
        ).all()
        s.expunge_all()
        return {loan.contract_number: (row, loan, borrower) for row, loan, borrower in rows}


@pytest.mark.parametrize(
    ("fmt", "chinese"), [("csv", False), ("csv", True), ("xlsx", False), ("xlsx", True)], ids=str
)
def test_every_format_and_header_language_imports_the_same_ledger(configured, tmp_path, capsys, fmt, chinese):
    path = tmp_path / f"ledger.{fmt}"
    (write_csv if fmt == "csv" else write_xlsx)(path, ledger_rows(), chinese=chinese)
    code, report = _import(configured, path, capsys)
    assert code == 0, report
    assert (report["rows"], report["added"], report["rejected"]) == (14, 14, 0)
    ledger = _ledger(configured)
    row, loan, borrower = ledger[contract(6)]
    assert (row.balance, row.overdue_principal, row.overdue_interest) == (
        Decimal("250000.00"),
        Decimal("25000.00"),
        Decimal("1200.00"),
    )
    assert row.annual_rate == Decimal("4.35") and row.method == "monthly-interest"
    assert (loan.amount, loan.term_months, str(loan.maturity_date)) == (
        Decimal("300000.00"),
        12,
        "2028-05-30",
    )
    assert borrower.customer_type == "enterprise" and row.five_class == "关注"
    assert ledger[contract(10)][2].customer_type == "business-owner"
    assert ledger[contract(1)][2].customer_type == "person" and ledger[contract(1)][1].term_months == 36
    assert len(ledger[contract(10)][0].guarantors) == 2
    assert ledger[contract(2)][0].method == "bullet"


def test_bad_rows_are_reported_by_line_and_column_and_the_others_imported(configured, tmp_path, capsys):
    rows = ledger_rows()[:5]
    rows[1] = {**rows[1], "borrower_key": "350203198001010020"}  # wrong check digit
    rows[2] = {**rows[2], "maturity_date": "2028-02-30", "amount": "abc"}  # no such day; not an amount
    rows[3] = {**rows[3], "overdue_principal": "100.00"}  # overdue without the date it fell due
    path = write_csv(tmp_path / "bad.csv", rows, chinese=True)
    code, report = _import(configured, path, capsys)
    assert code == 2
    assert (report["rows"], report["added"], report["rejected"]) == (5, 2, 3)
    places = {(p["line"], p["column"].split()[0]) for p in report["problems"]}
    # The header is line 1, so the second data row is line 3.
    assert places == {(3, "borrower_key"), (4, "maturity_date"), (4, "amount"), (5, "overdue_since")}
    assert all("借" in p["column"] or "日" in p["column"] for p in report["problems"])
    assert set(_ledger(configured)) == {contract(1), contract(5)}


def test_human_output_names_line_and_column(configured, tmp_path, capsys):
    rows = ledger_rows()[:2]
    rows[1] = {**rows[1], "class": "很好"}
    code = main(["ledger", "import", str(write_csv(tmp_path / "l.csv", rows)), "--home", str(configured)])
    err = capsys.readouterr().err
    assert code == 2
    assert "line 3, column class 五级分类" in err and "未知五级分类" in err


def test_a_missing_column_stops_the_file_with_exit_2(configured, tmp_path, capsys):
    path = tmp_path / "short.csv"
    path.write_text("contract_no,借据编号\nJK2025-000001,JJ2025-000001-01\n", encoding="utf-8")
    assert main(["ledger", "import", str(path), "--home", str(configured)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: FILE") and "borrower_key 借款人证件号码" in err


def test_reimport_updates_by_contract_number(configured, tmp_path, capsys):
    _import(configured, write_csv(tmp_path / "a.csv", ledger_rows()), capsys)
    rows = ledger_rows()
    rows[0] = {**rows[0], "balance": "150000.00", "last_inspection": "2028-02-20"}
    rows[6] = {**rows[6], "class": "关注", "borrower_name": "测试借款人七（更名）"}
    code, report = _import(configured, write_xlsx(tmp_path / "b.xlsx", rows), capsys)
    assert code == 0
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 2, 12)
    ledger = _ledger(configured)
    assert len(ledger) == 14
    assert ledger[contract(1)][0].balance == Decimal("150000.00")
    assert str(ledger[contract(1)][0].last_inspection) == "2028-02-20"
    assert (
        ledger[contract(7)][0].five_class == "关注" and ledger[contract(7)][2].name == "测试借款人七（更名）"
    )
    with (
        Archive.open(configured, config=bank_config(configured)) as archive,
        archive.session(write=False) as s,
    ):
        actions = [e.action for e in s.execute(select(Event).order_by(Event.seq)).scalars()]
        assert actions.count("ledger-import") == 2 and "update-borrower" in actions
        assert (
            s.execute(select(Borrower).where(Borrower.key == person(7)))
            .scalar_one()
            .folder.endswith("测试借款人07")
        )


def _catalog(home) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Events (no timestamps, actors or init), borrowers and loans: what an import leaves in the catalog."""
    with Archive.open(home, config=bank_config(home)) as archive, archive.session(write=False) as s:
        events = [
            (e.action, e.target, e.borrower_key, e.details)
            for e in s.execute(select(Event).where(Event.action != "init").order_by(Event.seq)).scalars()
        ]
        borrowers = [
            (b.key, b.name, b.customer_type, b.folder, b.officer, b.details)
            for b in s.execute(select(Borrower).order_by(Borrower.key)).scalars()
        ]
        loans = [
            (ln.contract_number, ln.borrower.key, *(getattr(ln, f) for f in LOAN_FACTS), ln.details)
            for ln in s.execute(select(Loan).order_by(Loan.contract_number)).scalars()
        ]
        assert verify_chain(s).ok
    return events, borrowers, loans


def _one_by_one(home, path) -> None:
    """The reference: each valid row through ensure_borrower and ensure_loan, as the import once did."""
    with Archive.open(home, config=bank_config(home), create=True) as archive:
        entries, _, _ = read_entries(path, archive)

        def work(session) -> None:
            for entry in entries:
                ensure_borrower(
                    session,
                    entry.borrower_key,
                    entry.borrower_name,
                    entry.customer_type,
                    officer=entry.officer,
                )
                facts = {
                    "amount": entry.amount,
                    "term_months": entry.term_months,
                    "start_date": entry.start_date,
                    "maturity_date": entry.maturity_date,
                    "receipt_numbers": [entry.receipt_number],
                    "product": entry.product,
                    "officer": entry.officer,
                }
                ensure_loan(
                    session,
                    entry.borrower_key,
                    entry.contract_number,
                    facts={k: v for k, v in facts.items() if v is not None},
                    details={"five_class": entry.five_class.value},
                )
            append_event(session, actor="system", action="ledger-import", target=f"ledger:{path.name}")

        archive.transaction(work)


def test_an_import_in_chunks_writes_what_registering_row_by_row_writes(
    configured, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 4)  # 14 rows: four transactions, a borrower across two
    first = write_csv(tmp_path / "a.csv", ledger_rows())
    rows = ledger_rows()
    rows[6] = {**rows[6], "class": "关注", "borrower_name": "测试借款人七（更名）", "officer": "王芳"}
    rows[0] = {**rows[0], "receipt_no": "JJ2025-000001-02", "amount": "310000.00"}
    second = write_csv(tmp_path / "b.csv", rows)
    for path in (first, second):
        code, report = _import(configured, path, capsys)
        assert code == 0, report
    reference = tmp_path / "reference"
    for path in (first, second):
        _one_by_one(reference, path)
    events, borrowers, loans = _catalog(configured)
    expected_events, expected_borrowers, expected_loans = _catalog(reference)
    # The import's own event carries its report; every registration event is the same, in the same order.
    assert [e for e in events if e[0] != "ledger-import"] == [
        e for e in expected_events if e[0] != "ledger-import"
    ]
    assert {"register-borrower", "register-loan", "update-borrower", "update-loan"} <= {e[0] for e in events}
    assert (borrowers, loans) == (expected_borrowers, expected_loans)


def test_a_refused_row_registers_nothing(configured, tmp_path, capsys):
    _import(configured, write_csv(tmp_path / "a.csv", ledger_rows()[:3]), capsys)
    rows = ledger_rows()[:3]
    stranger = person(99)
    rows[1] = {**rows[1], "borrower_key": stranger, "borrower_name": "陌生人"}  # someone else's contract
    code, report = _import(configured, write_csv(tmp_path / "b.csv", rows), capsys)
    assert code == 2 and report["rejected"] == 1
    assert "belongs to another borrower" in report["problems"][0]["reason"]
    events, borrowers, _ = _catalog(configured)
    assert stranger not in {b[0] for b in borrowers}
    assert all(e[2] != stranger for e in events)
