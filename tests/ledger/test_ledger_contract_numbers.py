"""Ledger rows with the contract numbers Chinese banks actually write are imported; a number that does
not fit is rejected naming the setting that changes the pattern (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ledger_fixtures import AS_OF, bank_config, ledger_rows, main, write_csv, write_xlsx
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Loan

# As typed in the ledger → as the catalog keeps them (NFKC: full-width brackets become ASCII).
NUMBERS = {
    "(2026)思明借字第0318号": "(2026)思明借字第0318号",
    "（2026）思明借字第0319号": "(2026)思明借字第0319号",
    "2026年厦农商借字第00318号": "2026年厦农商借字第00318号",
    "〔2026〕湖里借字第12号": "〔2026〕湖里借字第12号",
    "HZ-L01": "HZ-L01",
}
RECEIPTS = [
    "(2026)思明借据第0318-01号",
    "JJ2026-0319-01",
    "2026年厦农商借据第00318-1号",
    "〔2026〕湖里借据12-01",
    "HZ-L01-J1",
]


def _rows() -> list[dict]:
    rows = ledger_rows()[:5]
    return [
        {**row, "contract_no": number, "receipt_no": receipt}
        for row, number, receipt in zip(rows, NUMBERS, RECEIPTS, strict=True)
    ]


def _import(home: Path, path: Path, capsys) -> tuple[int, dict]:
    code = main(["ledger", "import", str(path), "--home", str(home), "--as-of", AS_OF.isoformat(), "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_chinese_contract_numbers_are_imported(configured: Path, tmp_path: Path, capsys, fmt: str) -> None:
    path = tmp_path / f"ledger.{fmt}"
    (write_csv if fmt == "csv" else write_xlsx)(path, _rows(), chinese=True)
    code, report = _import(configured, path, capsys)
    assert code == 0, report["problems"]
    assert (report["rows"], report["added"], report["rejected"]) == (5, 5, 0)
    with (
        Archive.open(configured, config=bank_config(configured)) as archive,
        archive.session(write=False) as s,
    ):
        stored = dict(s.execute(select(Loan.contract_number, Loan.receipt_numbers)).all())
    assert set(stored) == set(NUMBERS.values())
    assert stored["(2026)思明借字第0318号"] == ["(2026)思明借据第0318-01号"]
    # Importing again finds each loan by its number: nothing new.
    code, again = _import(configured, path, capsys)
    assert (code, again["added"], again["unchanged"]) == (0, 0, 5)


def test_the_due_command_lists_them(configured: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    _import(configured, write_csv(tmp_path / "ledger.csv", _rows()), capsys)
    monkeypatch.setenv("COLUMNS", "220")
    assert main(["due", "--home", str(configured), "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "(2026)思明借字第0318号" in out and "2026年厦农商借字第00318号" in out


def test_a_rejected_number_names_the_setting(configured: Path, tmp_path: Path, capsys) -> None:
    rows = _rows()
    rows[1] = {**rows[1], "contract_no": "JK 2026 0318"}  # spaces inside
    rows[2] = {**rows[2], "receipt_no": "借据/2026/1"}
    code, report = _import(configured, write_csv(tmp_path / "bad.csv", rows, chinese=True), capsys)
    assert code == 2 and report["rejected"] == 2
    problems = {p["line"]: p for p in report["problems"]}
    assert problems[3]["column"].startswith("contract_no 借款合同编号")
    assert "identifiers.contract_number" in problems[3]["reason"] and "合同编号" in problems[3]["reason"]
    assert problems[4]["column"].startswith("receipt_no 借据编号")
    assert "identifiers.receipt_number" in problems[4]["reason"] and "借据编号" in problems[4]["reason"]
