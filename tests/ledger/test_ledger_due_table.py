"""The `dossier due` table as a person reads it: Chinese labels, days left and days past due as positive
numbers in their own columns; the JSON output keeps its English fields (issue 14)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ledger_fixtures import AS_OF, bank_config, contract, ledger_rows, main, write_csv

from dossier.archive import Archive
from dossier.ledger.importer import import_ledger

_TITLE = re.compile(r"^\S+ \((?P<section>[a-z-]+)\) — \d+$")


@pytest.fixture
def home(configured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with Archive.open(configured, create=True, config=bank_config(configured)) as archive:
        report = import_ledger(archive, write_csv(tmp_path / "ledger.csv", ledger_rows()), as_of=AS_OF)
        assert report.problems == []
    # Wide enough that every row is one line, so cells can be read back by column.
    monkeypatch.setenv("COLUMNS", "220")
    return configured


def _cells(line: str, bar: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip(bar).split(bar)]


def _tables(out: str) -> dict[str, list[dict[str, str]]]:
    """Each section's rows as {heading: cell}, read back from the printed tables."""
    tables: dict[str, list[dict[str, str]]] = {}
    section, headings = None, None
    for line in out.splitlines():
        title = _TITLE.match(line.strip())
        if title:
            section, headings = title["section"], None
            tables[section] = []
        elif line.startswith("┃") and section:
            headings = _cells(line, "┃")
        elif line.startswith("│") and section and headings:
            tables[section].append(dict(zip(headings, _cells(line, "│"), strict=True)))
    return tables


def _row(rows: list[dict[str, str]], number: str) -> dict[str, str]:
    return next(row for row in rows if row["合同编号"] == number)


def test_the_table_speaks_chinese_and_counts_days_forward(home: Path, capsys) -> None:
    assert main(["due", "--home", str(home), "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    # No raw key=value text and no English detail names.
    assert re.search(r"[a-z_]+=", out) is None
    for raw in ("days_past_due", "balance", "overdue_principal", "floor_class", "runs_from", "guarantor"):
        assert raw not in out
    tables = _tables(out)
    assert set(tables) == {
        "reminder",
        "look-ahead",
        "overdue",
        "class-floor",
        "inspection",
        "limitation",
        "guarantee",
    }

    # 91 days past due (domain arithmetic in test_ledger_due): a positive number in its own column.
    overdue = _row(tables["overdue"], contract(6))
    assert (overdue["逾期起始日"], overdue["逾期天数"], overdue["剩余天数"]) == ("2027-11-30", "91", "")
    assert overdue["状态"] == "逾期"
    assert overdue["说明"] == "逾期本金 25,000.00 元；欠息 1,200.00 元；登记分类 关注；下限 次级"
    assert _row(tables["overdue"], contract(9))["逾期天数"] == "1461"
    assert _row(tables["class-floor"], contract(7))["逾期天数"] == "1"

    # Days until a date stay positive in their column; a late reminder counts its days past.
    reminder = _row(tables["reminder"], contract(1))
    assert (reminder["剩余天数"], reminder["逾期天数"], reminder["状态"]) == ("0", "", "待办")
    assert reminder["说明"] == "到期日 2028-03-30；余额 200,000.00 元"
    late = _row(tables["reminder"], contract(5))
    assert (late["剩余天数"], late["逾期天数"], late["状态"]) == ("", "2", "逾期未办")
    assert _row(tables["look-ahead"], contract(4))["剩余天数"] == "60"
    assert _row(tables["look-ahead"], contract(4))["说明"] == "余额 120,000.00 元"

    inspection = _row(tables["inspection"], contract(12))
    assert (inspection["逾期天数"], inspection["说明"]) == ("4", "检查 首次检查")
    ended = _row(tables["limitation"], contract(9))
    assert (ended["已届满天数"], ended["状态"], ended["说明"]) == ("366", "已届满", "起算日 2024-02-29")

    # Nothing in a days column is negative.
    for rows in tables.values():
        for row in rows:
            for heading in ("剩余天数", "逾期天数", "已届满天数"):
                assert not row.get(heading, "").startswith("-"), row


def test_the_json_keeps_its_english_fields(home: Path, capsys) -> None:
    assert main(["due", "--home", str(home), "--as-of", AS_OF.isoformat(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    overdue = next(i for i in report["overdue"] if i["contract_number"] == contract(6))
    assert overdue == {
        "section": "overdue",
        "contract_number": contract(6),
        "borrower_key": overdue["borrower_key"],
        "borrower_name": "测试借款人06",
        "date": "2027-11-30",
        "days": -91,
        "status": "overdue",
        "days_past_due": 91,
        "bucket": "91–180",
        "overdue_principal": "25000.00",
        "overdue_interest": "1200.00",
        "recorded_class": "关注",
        "floor_class": "次级",
    }
    reminder = next(i for i in report["reminder"] if i["contract_number"] == contract(5))
    assert (reminder["days"], reminder["status"], reminder["balance"]) == (-2, "late", "70000.00")
