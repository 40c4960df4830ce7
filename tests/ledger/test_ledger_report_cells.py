"""The monthly report's workbook holds a hostile borrower name as text: a formula in a name never runs."""

from __future__ import annotations

import json

from ledger_fixtures import AS_OF, ledger_rows, main, write_csv
from openpyxl import load_workbook

HOSTILE = "=1+2+cmd|' -C calc'!A0"
LINK = '=HYPERLINK("mailto:x@example.invalid","点击")'


def test_a_formula_in_a_borrower_name_is_text_in_the_report(configured, tmp_path, capsys):
    rows = ledger_rows()
    rows[0] = {**rows[0], "borrower_name": HOSTILE}
    rows[1] = {**rows[1], "borrower_name": LINK}
    ledger = write_csv(tmp_path / "l.csv", rows)
    assert (
        main(["ledger", "import", str(ledger), "--home", str(configured), "--as-of", AS_OF.isoformat()]) == 0
    )
    capsys.readouterr()
    code = main(
        [
            "report",
            "monthly",
            "--month",
            "2028-02",
            "-o",
            str(tmp_path / "out"),
            "--home",
            str(configured),
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    sheet = load_workbook(result["xlsx"])["贷款明细"]
    names = {cell.value: cell for cell in sheet["C"][1:]}
    for hostile in (HOSTILE, LINK):
        cell = names["'" + hostile]
        assert cell.data_type == "s", "stored as text, not as a formula"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    # Amounts stay numbers.
    assert all(isinstance(c.value, (int, float)) for c in sheet["E"][1:])
