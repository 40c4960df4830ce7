"""`dossier report monthly`: the report's totals equal the ledger's (XLSX read with openpyxl, DOCX with
python-docx), for a month and for a 旬."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import docx
import pytest
from ledger_fixtures import AS_OF, ledger_rows, main, write_csv
from openpyxl import load_workbook

from dossier.domain.money import format_amount


@pytest.fixture
def home(configured, tmp_path, capsys):
    # A January snapshot with nothing overdue, then the ledger of the leap day: the trend has two points.
    rows = [
        {**r, "overdue_principal": "", "overdue_interest": "", "overdue_since": ""} for r in ledger_rows()
    ]
    earlier = write_csv(tmp_path / "jan.csv", rows)
    assert main(["ledger", "import", str(earlier), "--home", str(configured), "--as-of", "2028-01-31"]) == 0
    now = write_csv(tmp_path / "l.csv", ledger_rows())
    assert main(["ledger", "import", str(now), "--home", str(configured), "--as-of", AS_OF.isoformat()]) == 0
    capsys.readouterr()
    return configured


def _sheet(workbook, name: str) -> dict[str, list]:
    return {row[0]: list(row[1:]) for row in workbook[name].iter_rows(values_only=True)}


def _report(home, out, capsys, *extra: str) -> dict:
    code = main(
        ["report", "monthly", "--month", "2028-02", "-o", str(out), "--home", str(home), "--json", *extra]
    )
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_monthly_totals_equal_the_ledger(home, tmp_path, capsys):
    result = _report(home, tmp_path / "out", capsys)
    rows = [r for r in ledger_rows() if Decimal(r["balance"]) > 0]
    balance = sum(Decimal(r["balance"]) for r in rows)
    overdue = [r for r in rows if r["overdue_since"]]
    workbook = load_workbook(result["xlsx"])
    summary = _sheet(workbook, "汇总")
    assert summary["贷款笔数"][0] == len(rows) == 13
    assert Decimal(str(summary["贷款余额（元）"][0])) == balance
    assert summary["逾期贷款笔数"][0] == len(overdue) == 6
    assert Decimal(str(summary["逾期本金（元）"][0])) == sum(Decimal(r["overdue_principal"]) for r in overdue)
    # Due in February: loan 13 (settled, 100,000) and loan 14 (unpaid, 50,000).
    assert (summary["本期到期笔数"][0], summary["已收回笔数"][0]) == (2, 1)
    assert Decimal(str(summary["收回率（按笔数，%）"][0])) == Decimal("50.00")
    assert Decimal(str(summary["收回率（按金额，%）"][0])) == Decimal("66.67")
    # Ten checks done in February; loans 11 and 12 were due and not done.
    assert (summary["应检查笔数"][0], summary["已检查笔数"][0]) == (12, 10)

    classes = _sheet(workbook, "五级分类")
    for name in ("正常", "关注", "次级", "可疑", "损失"):
        expected = [r for r in rows if r["class"] == name]
        assert classes[name][0] == len(expected)
        assert Decimal(str(classes[name][1])) == sum((Decimal(r["balance"]) for r in expected), Decimal(0))
    assert Decimal(str(classes["合计"][1])) == balance

    buckets = _sheet(workbook, "逾期分布")
    assert [buckets[b][0] for b in ("1–30", "31–90", "91–180", "181–360", ">360")] == [2, 0, 2, 0, 2]
    trend = _sheet(workbook, "逾期走势")
    assert list(trend) == ["日期", "2028-01-31", "2028-02-29"]
    assert trend["2028-01-31"][0] == 0 and trend["2028-02-29"][0] == 6
    assert len(workbook["贷款明细"]["A"]) == 15  # header + 14 loans
    assert len(workbook["图表"]._images) == 2

    document = docx.Document(result["docx"])
    cells = {row.cells[0].text: row.cells[1].text for table in document.tables for row in table.rows}
    assert cells["贷款余额（元）"] == format_amount(balance)
    assert cells["贷款笔数"] == "13" and cells["逾期贷款笔数"] == "6"
    assert cells["收回率（按金额，%）"] == "66.67"
    assert len(document.inline_shapes) == 2
    assert "2028年2月" in document.paragraphs[0].text


def test_a_dekad_reports_on_its_own_ten_days(home, tmp_path, capsys):
    result = _report(home, tmp_path / "out", capsys, "--dekad", "2")
    assert result["period"] == "2028年2月中旬" and result["end"] == "2028-02-20"
    # On 02-20 loan 7 (overdue from 02-28) is not yet overdue.
    assert result["overdue_loans"] == 5
    assert result["recovery"]["rate_by_count"] == "50.00"
    assert result["xlsx"].endswith("2028-02-d2.xlsx")
    assert io.BytesIO(open(result["docx"], "rb").read()).getbuffer().nbytes > 0


def test_a_bad_month_or_dekad_exits_2(home, capsys):
    assert main(["report", "monthly", "--month", "2028-13", "--home", str(home)]) == 2
    assert "--month" in capsys.readouterr().err
    assert main(["report", "monthly", "--month", "2028-02", "--dekad", "4", "--home", str(home)]) == 2
    assert "--dekad" in capsys.readouterr().err
