"""Helpers: a constructed ledger with known answers on 2028-02-29 (a leap day), written as CSV or XLSX
with English or Chinese headers, and a configuration naming the lender."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from dossier.config import Config, load_config
from dossier.domain.identifiers import credit_check_char, resident_check_digit
from dossier.ledger.columns import COLUMNS

AS_OF = date(2028, 2, 29)
LENDER = "示例农村商业银行股份有限公司测试支行"


def person(n: int) -> str:
    body = f"35020319800101{n:03d}"
    return body + resident_check_digit(body)


def company(n: int, prefix: str = "91") -> str:
    body = f"{prefix}35020300000{n:04d}"
    return body + credit_check_char(body)


def contract(n: int) -> str:
    return f"JK2025-{n:06d}"


def loan(
    n: int,
    start: str,
    maturity: str,
    amount: str,
    balance: str,
    *,
    key: str | None = None,
    op: str = "",
    oi: str = "",
    since: str = "",
    last: str = "",
    cls: str = "正常",
    guarantors: str = "",
    method: str = "按月付息到期还本",
    rate: str = "4.35",
) -> dict[str, Any]:
    return {
        "contract_no": contract(n),
        "receipt_no": f"JJ2025-{n:06d}-01",
        "borrower_key": key or person(n),
        "borrower_name": f"测试借款人{n:02d}",
        "product": "个人经营",
        "amount": amount,
        "rate": rate,
        "method": method,
        "start_date": start,
        "maturity_date": maturity,
        "balance": balance,
        "overdue_principal": op,
        "overdue_interest": oi,
        "overdue_since": since,
        "last_inspection": last,
        "class": cls,
        "officer": "吴晓东",
        "officer_username": "",  # no account: the import assigns nobody
        "guarantors": guarantors,
    }


def ledger_rows() -> list[dict[str, Any]]:
    """Fourteen loans; the comment on each says what it tests on AS_OF (2028-02-29)."""
    return [
        # 1 long-term (36 months): T−30 = 2028-02-29, reminder due today; in the look-ahead.
        loan(1, "2025-03-30", "2028-03-30", "500000.00", "200000.00", last="2028-01-15"),
        # 2 short-term (12 months): T−7 = 2028-02-29, reminder due today.
        loan(
            2,
            "2027-03-07",
            "2028-03-07",
            "100000.00",
            "100000.00",
            last="2028-02-07",
            method="到期一次还本付息",
        ),
        # 3 month end: matures 2028-03-31, reminder only from 03-24; look-ahead from 01-31.
        loan(3, "2027-03-31", "2028-03-31", "80000.00", "80000.00", last="2028-02-01"),
        # 4 look-ahead boundary: 2028-04-29 − 60 days = 2028-02-29.
        loan(4, "2026-04-29", "2028-04-29", "150000.00", "120000.00", last="2028-02-10", method="等额本息"),
        # 5 T−7 = Sunday 2028-02-27: late unless holidays move it; inspection due 2028-03-05 (Sunday).
        loan(5, "2027-09-05", "2028-03-05", "70000.00", "70000.00", last="2028-02-05"),
        # 6 91 days past due: floor 次级, recorded 关注 (below the floor); an enterprise.
        loan(
            6,
            "2027-05-30",
            "2028-05-30",
            "300000.00",
            "250000.00",
            key=company(6),
            op="25000.00",
            oi="1200.00",
            since="2027-11-30",
            last="2028-02-20",
            cls="关注",
        ),
        # 7 one day past due: floor 关注, recorded 正常.
        loan(
            7,
            "2027-08-28",
            "2028-08-28",
            "60000.00",
            "60000.00",
            op="5000.00",
            since="2028-02-28",
            last="2028-02-20",
        ),
        # 8 limitation from 2025-03-31 ends 2028-03-31: 31 days left.
        loan(
            8,
            "2022-03-31",
            "2025-03-31",
            "200000.00",
            "150000.00",
            op="150000.00",
            since="2025-03-31",
            last="2028-02-20",
            cls="损失",
        ),
        # 9 limitation from the leap day 2024-02-29 ended 2027-02-28 (unless a receipt restarted it).
        loan(
            9,
            "2021-02-28",
            "2024-02-29",
            "100000.00",
            "100000.00",
            op="100000.00",
            since="2024-02-29",
            last="2028-02-20",
            cls="损失",
        ),
        # 10 two guarantors; guarantee period ends 2027-09-15 + 6 months = 2028-03-15; a sole proprietor.
        loan(
            10,
            "2026-09-15",
            "2027-09-15",
            "400000.00",
            "400000.00",
            key=company(10, "92"),
            op="400000.00",
            oi="5000.00",
            since="2027-09-15",
            last="2028-02-20",
            cls="次级",
            guarantors=f"{person(50)};{company(51)}",
        ),
        # 11 short-term, last check 2028-01-31: next is 2028-02-29 (month end clamped), due today.
        loan(11, "2027-11-30", "2028-05-30", "90000.00", "90000.00", last="2028-01-31"),
        # 12 drawn 2028-02-10, never checked: the first check was due 2028-02-25, late.
        loan(12, "2028-02-10", "2029-02-10", "100000.00", "100000.00"),
        # 13 settled in February: no timers; recovered in the month.
        loan(13, "2027-02-15", "2028-02-15", "100000.00", "0.00", last="2027-12-01"),
        # 14 matured 2028-02-15 unpaid: 14 days past due; not recovered.
        loan(
            14,
            "2027-02-15",
            "2028-02-15",
            "50000.00",
            "50000.00",
            op="50000.00",
            oi="600.00",
            since="2028-02-15",
            last="2028-02-20",
            cls="关注",
        ),
    ]


def headers(chinese: bool) -> list[str]:
    return [c.label if chinese else c.name for c in COLUMNS]


def write_csv(path: Path, rows: list[dict[str, Any]], *, chinese: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers(chinese))
        for row in rows:
            writer.writerow([row[c.name] for c in COLUMNS])
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]], *, chinese: bool = True) -> Path:
    """Cells as a spreadsheet holds them: dates as dates, money as numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers(chinese))
    for row in rows:
        cells: list[Any] = []
        for c in COLUMNS:
            value = row[c.name]
            if value and c.name.endswith(("_date", "_since", "_inspection")):
                value = date.fromisoformat(value)
            elif value and c.name in ("amount", "balance", "overdue_principal", "overdue_interest", "rate"):
                value = float(Decimal(value))
            cells.append(value if value != "" else None)
        sheet.append(cells)
    workbook.save(path)
    return path


def main(argv: list[str]) -> int:
    """`dossier` run in-process, given the bank's file the `configured` fixture wrote beside ``--home``."""
    from dossier.cli.app import main as dossier

    bank = Path(argv[argv.index("--home") + 1]).parent / "bank.toml"
    return dossier(["--config", str(bank), *argv] if bank.exists() else argv)


def bank_config(home: Path) -> Config:
    """The configuration the `configured` fixture wrote beside the archive home ``home``."""
    return load_config(home.parent / "bank.toml")


def write_config(path: Path, extra: str = "") -> Path:
    path.write_text(
        f'[ledger.lender]\nname = "{LENDER}"\naddress = "福建省厦门市思明区示例路1号"\n' + extra,
        encoding="utf-8",
    )
    return path
