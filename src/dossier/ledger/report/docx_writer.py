"""The report as a Word document (python-docx): title, summary, tables and both charts."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from dossier.domain.money import format_amount
from dossier.ledger.report import tables
from dossier.ledger.report.period_figures import ReportFigures

_FONT = "宋体"


def _cell_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format_amount(value) if value.as_tuple().exponent == -2 else str(value)
    return str(value)


def _table(doc: Any, rows: tables.Rows) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = _cell_text(value)
            if r == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def write_docx(figures: ReportFigures, charts: dict[str, bytes], path: Path) -> Path:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), _FONT)
    title = doc.add_heading(f"信贷资产监测报告（{figures.period.label}）", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    t = figures.totals
    doc.add_paragraph(
        f"截至{figures.period.end.year}年{figures.period.end.month}月{figures.period.end.day}日，台账共有贷款{t.loans}笔，"
        f"余额{format_amount(t.balance)}元；其中逾期贷款{t.overdue_loans}笔，余额{format_amount(t.overdue_balance)}元。"
    )
    sections = (
        ("一、主要指标", tables.summary_rows(figures)),
        ("二、五级分类", tables.class_rows(figures)),
        ("三、逾期贷款分布", tables.bucket_rows(figures)),
        ("四、逾期走势", tables.trend_rows(figures)),
    )
    for heading, rows in sections:
        doc.add_heading(heading, level=1)
        _table(doc, rows)
    doc.add_heading("五、图表", level=1)
    for name in ("balances_by_class", "overdue_trend"):
        doc.add_picture(io.BytesIO(charts[name]), width=Cm(15))
    doc.add_paragraph(
        "说明：收回率 = 本期到期贷款中已结清（余额、逾期本金、欠息均为零）者 ÷ 本期到期贷款，"
        "分别按笔数和借款金额计算；"
        "应检查 = 下次检查日在本期末之前或本期内已检查的贷款。"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
