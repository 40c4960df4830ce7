"""The Chinese pages of an archive volume, written as DOCX for LibreOffice: the 卷内目录 (index) that
opens the volume, and the placeholder page that stands in for a file that cannot be laid out on pages.

The house style of the shipped templates (A4, 宋体 body, 黑体 headings; the fontconfig alias maps both to
Noto CJK SC): fonts are set for Latin and East-Asian text alike, because python-docx sets only the Latin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.styles.style import CharacterStyle
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

SONG = "宋体"
HEI = "黑体"
SIZE_TITLE = Pt(18)  # 小二
SIZE_BODY = Pt(12)  # 小四
SIZE_TABLE = Pt(10.5)  # 五号
SIZE_SMALL = Pt(9)  # 小五

INDEX_COLUMNS: tuple[tuple[str, float], ...] = (
    ("顺序号", 16),
    ("文件题名", 64),
    ("文件日期", 24),
    ("页号", 12),
    ("页数", 12),
    ("备注", 28),
)
"""Heading and width (mm) of each column; they fill the 156 mm between the margins."""

_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0–99 in Chinese numerals (一, 十, 十一, 二十一), for the category headings; others in digits."""
    if not 0 <= n <= 99:
        return str(n)
    tens, units = divmod(n, 10)
    if tens == 0:
        return _DIGITS[units]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[units] if units else "")


def category_heading(number: int, label: str) -> str:
    """``一、基本资料``: how a category heads its documents in the index and in the bookmarks."""
    return f"{chinese_number(number)}、{label}"


@dataclass(frozen=True)
class IndexRow:
    seq: int
    title: str
    doc_date: date | None
    start_page: int
    pages: int
    note: str = ""


@dataclass(frozen=True)
class IndexGroup:
    """One category's heading and its documents, in volume order."""

    heading: str
    rows: Sequence[IndexRow]


@dataclass(frozen=True)
class IndexHeader:
    borrower_name: str
    borrower_key: str
    loan: str | None
    archive_number: str
    total_pages: int
    documents: int
    made_on: date


def write_index_docx(path: Path, header: IndexHeader, groups: Sequence[IndexGroup]) -> None:
    """The 卷内目录: title, who and what the volume holds, and one table row per document."""
    doc = _new_document()
    _paragraph(doc, "卷内目录", font=HEI, size=SIZE_TITLE, align="center", after=Pt(10))
    lines = [
        f"借款人：{header.borrower_name}（{header.borrower_key}）",
        f"档号：{header.archive_number}",
    ]
    if header.loan:
        lines.append(f"借款合同编号：{header.loan}")
    made_on = header.made_on.isoformat()
    lines.append(f"本卷共 {header.total_pages} 页，收录文件 {header.documents} 份；编制日期：{made_on}")
    for line in lines:
        _paragraph(doc, line, size=SIZE_TABLE)
    _paragraph(doc, "", size=Pt(4))

    table = doc.add_table(rows=1, cols=len(INDEX_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    _repeat_as_header(head)
    for cell, (heading, _) in zip(head.cells, INDEX_COLUMNS, strict=True):
        _cell_text(cell, heading, font=HEI, center=True, shade=True)
    for group in groups:
        row = table.add_row()
        _keep_together(row)
        merged = row.cells[0].merge(row.cells[-1])
        _cell_text(merged, group.heading, font=HEI, shade=True)
        merged.paragraphs[0].paragraph_format.keep_with_next = True  # a heading never ends a page
        for item in group.rows:
            row = table.add_row()
            _keep_together(row)
            values = (
                str(item.seq),
                item.title,
                item.doc_date.isoformat() if item.doc_date else "",
                str(item.start_page),
                str(item.pages),
                item.note,
            )
            for i, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
                _cell_text(cell, text, center=i in (0, 2, 3, 4), small=i == 5)
    _set_widths(table, [width for _, width in INDEX_COLUMNS])
    doc.save(str(path))


@dataclass(frozen=True)
class PlaceholderPage:
    seq: int
    title: str
    category: str
    doc_date: date | None
    original_name: str
    archive_path: str
    media_type: str
    size: int
    sha256: str
    reason: str


def write_placeholder_docx(path: Path, page: PlaceholderPage) -> None:
    """One page standing in for a document that is in the archive but cannot be shown in the volume."""
    doc = _new_document()
    _paragraph(doc, "占位页", font=HEI, size=SIZE_TITLE, align="center", after=Pt(10))
    _paragraph(
        doc,
        "本文件未能编入卷内页面，原件完整保存在信贷档案库中，可按下列档案路径和 SHA-256 调阅、核对。",
        size=SIZE_BODY,
        after=Pt(8),
    )
    rows = (
        ("顺序号", str(page.seq)),
        ("文件题名", page.title),
        ("档案类别", page.category),
        ("文件日期", page.doc_date.isoformat() if page.doc_date else ""),
        ("原文件名", page.original_name),
        ("档案路径", page.archive_path),
        ("文件类型", page.media_type),
        ("文件大小", f"{page.size:,} 字节"),
        ("SHA-256", page.sha256),
        ("原因", page.reason),
    )
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for (label, value), row in zip(rows, table.rows, strict=True):
        _keep_together(row)
        _cell_text(row.cells[0], label, font=HEI, shade=True)
        _cell_text(row.cells[1], value, small=label == "SHA-256")
    _set_widths(table, [30, 126])
    doc.save(str(path))


# --------------------------------------------------------------------------- helpers


def _new_document() -> DocxDocument:
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(20)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _set_fonts(normal, SONG, SIZE_BODY)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.2
    _set_fonts(doc.styles["Table Grid"], SONG, SIZE_TABLE)
    return doc


def _set_fonts(owner: CharacterStyle | Run, east_asian: str, size: Pt | None = None) -> None:
    """Latin and East-Asian fonts of a style or run (python-docx sets only the Latin one)."""
    font = owner.font
    font.name = "Times New Roman"
    if size is not None:
        font.size = size
    rpr = owner.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), "Times New Roman")
    fonts.set(qn("w:hAnsi"), "Times New Roman")


def _paragraph(
    doc: DocxDocument,
    text: str,
    *,
    font: str = SONG,
    size: Pt = SIZE_BODY,
    align: str | None = None,
    after: Pt | None = None,
) -> Paragraph:
    p = doc.add_paragraph()
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if after is not None:
        p.paragraph_format.space_after = after
    _set_fonts(p.add_run(text), font, size)
    return p


def _cell_text(
    cell: _Cell,
    text: str,
    *,
    font: str = SONG,
    center: bool = False,
    shade: bool = False,
    small: bool = False,
) -> None:
    p = cell.paragraphs[0]
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(p.add_run(text), font, SIZE_SMALL if small else SIZE_TABLE)
    if shade:
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), "EDEDED")
        cell._tc.get_or_add_tcPr().append(shd)


def _row_property(row: _Row, tag: str) -> None:
    element = OxmlElement(tag)
    row._tr.get_or_add_trPr().append(element)


def _repeat_as_header(row: _Row) -> None:
    """The heading row repeats at the top of every index page."""
    _row_property(row, "w:tblHeader")


def _keep_together(row: _Row) -> None:
    _row_property(row, "w:cantSplit")


def _set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Fixed widths in the grid and in every cell (a merged cell spans the sum): LibreOffice reads the
    grid, Word the cells."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for tr in table._tbl.tr_lst:
        start = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc.width = Mm(sum(widths_mm[start : start + span]))
            start += span
