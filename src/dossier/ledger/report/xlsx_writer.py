"""The report as a workbook (openpyxl): one sheet per table, the loans in detail, both charts as images."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Font

from dossier.cells import set_xlsx_cell
from dossier.ledger.report import tables
from dossier.ledger.report.period_figures import ReportFigures, loan_row

_MONEY = "#,##0.00"
_DETAIL_HEADERS = [
    "借款合同编号",
    "借据编号",
    "借款人名称",
    "借款人证件号码",
    "借款金额",
    "贷款余额",
    "逾期本金",
    "欠息",
    "逾期天数",
    "五级分类",
    "到期日",
    "客户经理",
]


def _sheet(workbook: Workbook, title: str, rows: list[list[Any]]) -> Any:
    sheet = workbook.create_sheet(title)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = set_xlsx_cell(sheet, r, c, value)
            # Decimal is written as a number; the cell format keeps the fen visible.
            if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
                cell.number_format = _MONEY
            if r == 1:
                cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    return sheet


def write_xlsx(figures: ReportFigures, charts: dict[str, bytes], path: Path) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "汇总", tables.summary_rows(figures))
    _sheet(workbook, "五级分类", tables.class_rows(figures))
    _sheet(workbook, "逾期分布", tables.bucket_rows(figures))
    trend = _sheet(workbook, "逾期走势", tables.trend_rows(figures))
    detail = [_DETAIL_HEADERS] + [loan_row(v, figures.period.end) for v in figures.loans]
    _sheet(workbook, "贷款明细", detail)
    charts_sheet = workbook.create_sheet("图表")
    charts_sheet.add_image(Image(io.BytesIO(charts["balances_by_class"])), "A1")
    charts_sheet.add_image(Image(io.BytesIO(charts["overdue_trend"])), "A26")
    trend.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(path))
    return path
