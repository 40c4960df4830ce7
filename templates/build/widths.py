"""Column widths that follow a table's content.

Each column gets a minimum from what its cells print, and the space left goes where it helps:

- an identifier cell must hold an 18-character 统一社会信用代码 or 身份证号 on one line, a 大写 cell a
  21-character amount (any amount under ten million with 角 and 分), a money cell ``¥98,765,432.12``:
  these are hard minimums, and a table that cannot give them is a build error;
- a label column (fixed text) is as narrow as its longest label allows: on one line when there is room,
  else on two;
- the rest goes to the columns with free text (names, addresses), in proportion to their old widths.

Widths are in twips (1/20 pt). Text widths are estimated from the font size: CJK characters are one em,
Latin letters and digits at most 0.6 em on average in the body faces (Nimbus Roman / Liberation Serif for
Times New Roman); the identifier minimum is measured, not estimated (see IDENTIFIER_EM).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from docx.oxml.ns import qn
from lxml import etree

from templates.build.marks import is_capital, is_identifier, must_not_break

CELL_MARGINS: Final = 2 * 108 + 40
"""Left and right cell margins of the house table style, plus the borders and a little slack."""
IDENTIFIER_EM: Final = 13.4
"""An 18-character code with ten capital letters (``91350200MA8WXKMN7Q`` and the like) measured 125-140 pt
at 10.5 pt in LibreOffice's PDF: 13.4 em leaves room for the widest realistic one."""
CAPITAL_CHARS: Final = 21
"""The longest 大写 amount a table cell must hold on one line (running text holds any length): every amount
under ten million yuan, 角 and 分 included (``人民币玖佰捌拾柒万陆仟伍佰肆拾叁元贰角壹分``)."""
MONEY_EM: Final = 7.2
"""``¥98,765,432.12`` at one em = 10.5 pt measured 73 pt."""
LABEL_ONE_LINE_MAX: Final = 8
"""Labels longer than this many characters wrap even when there is room."""
FREE_TEXT_EM: Final = 6.0
"""Free text (names, addresses) gets at least six characters a line before labels get one line."""
DEFAULT_HALF_POINTS: Final = 21  # the house table text is 五号 (10.5 pt)

_EXPRESSION: Final = re.compile(r"\{\{(?:(?!\}\}).)*\}\}", re.S)
_STATEMENT: Final = re.compile(r"\{%(?:(?!%\}).)*%\}", re.S)
_MONEY: Final = re.compile(r"\|\s*money\b")
_DATE: Final = re.compile(r"\|\s*cndate\b")
DATE_EM: Final = 9.6
"""``至2026年12月28日``: a date (four CJK characters, eight digits) and the 至 or 起 leading its line."""


class LayoutError(ValueError):
    """A table cannot give every column its minimum width."""


@dataclass(frozen=True)
class Need:
    minimum: int
    preferred: int
    free_text: bool
    floor: int = 0
    """What the cell can shrink to when the table is short of room (labels wrap onto more lines)."""
    label: bool = False


def em_width(text: str) -> float:
    """Width of ``text`` in em: full-width (CJK) characters 1, others 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def _size_twips(cell: etree._Element) -> int:
    """One em of the cell's text in twips."""
    sz = cell.find(f".//{qn('w:rPr')}/{qn('w:sz')}")
    half_points = int(sz.get(qn("w:val"))) if sz is not None else DEFAULT_HALF_POINTS
    return half_points * 10


def _paragraph_need(text: str, em: int) -> Need | None:
    text = text.strip()
    if not text:
        return None
    expressions = _EXPRESSION.findall(text)
    if not expressions:
        # A label; a label chosen by {% if %} is as wide as its widest choice.
        choices = [c for c in _STATEMENT.split(text) if c.strip()]
        if not choices:
            return None
        chars = max(em_width(c) for c in choices)
        one_line = min(chars, LABEL_ONE_LINE_MAX)
        two_lines = max(min(chars, 4.0), -(-chars // 2))
        floor = min(chars, 2.0)
        return Need(round(two_lines * em), round(one_line * em), False, round(floor * em), label=True)
    static = em_width(_STATEMENT.sub("", _EXPRESSION.sub("", text)))
    fixed = 0.0
    free = False
    for expression in expressions:
        if is_capital(expression):
            fixed += CAPITAL_CHARS
        elif is_identifier(expression):
            fixed += IDENTIFIER_EM
        elif _MONEY.search(expression):
            fixed += MONEY_EM
        else:
            free = True
    if free:
        # A date may wrap between two dates ("…至…") but not inside one.
        dated = DATE_EM if any(_DATE.search(e) for e in expressions) else 0.0
        minimum = round(max(fixed, FREE_TEXT_EM, dated) * em)
        return Need(minimum, round((fixed + static) * em), True, round(max(fixed, 2.0, dated) * em))
    width = round((fixed + static) * em)
    return Need(width, width, free_text=False, floor=width)


def cell_need(cell: etree._Element) -> Need | None:
    em = _size_twips(cell)
    needs = [
        n
        for p in cell.iter(qn("w:p"))
        if (n := _paragraph_need("".join(t.text or "" for t in p.iter(qn("w:t"))), em)) is not None
    ]
    if not needs:
        return None
    return Need(
        max(n.minimum for n in needs) + CELL_MARGINS,
        max(n.preferred for n in needs) + CELL_MARGINS,
        any(n.free_text for n in needs),
        max(n.floor for n in needs) + CELL_MARGINS,
        all(n.label for n in needs),
    )


def _span(cell: etree._Element) -> int:
    span = cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
    return int(span.get(qn("w:val"))) if span is not None else 1


def solve(needs: list[list[Need]], old: list[int], total: int) -> list[int]:
    """Column widths summing to ``total`` from each column's cell needs (see the module docstring).

    Free-text columns share what is left in proportion to what they had above their minimum, so a
    second build gives the same widths as the first."""
    n = len(old)
    minimum = [max([c.minimum for c in col], default=0) for col in needs]
    if sum(minimum) > total:
        # Short of room: labels and free text shrink towards their floors (more lines), evenly.
        floor = [max([c.floor for c in col], default=0) for col in needs]
        if sum(floor) > total:
            raise LayoutError(f"columns need at least {sum(floor)} twips, the table has {total}: {floor}")
        squeeze = (sum(minimum) - total) / (sum(minimum) - sum(floor))
        minimum = [m - int((m - f) * squeeze + 0.999) for m, f in zip(minimum, floor, strict=True)]
    preferred = [max([c.preferred for c in col], default=0) for col in needs]
    preferred = [max(p, m) for p, m in zip(preferred, minimum, strict=True)]
    free = [any(c.free_text for c in col) for col in needs]
    widths = list(minimum)
    slack = total - sum(widths)
    # A label either fits on one line or wraps at its middle: never a width in between, which would
    # wrap it one character from its end. Smallest wants first, as long as there is room.
    wants = sorted((preferred[i] - widths[i], i) for i in range(n) if not free[i])
    for want, i in wants:
        if 0 < want <= slack:
            widths[i] += want
            slack -= want
    # The rest to free text (else to the value columns), in proportion to what each had above its
    # minimum.
    values = [i for i in range(n) if not all(c.label for c in needs[i])]
    takers = [i for i in range(n) if free[i]] or values or list(range(n))
    weights = [max(old[i] - minimum[i], 0) for i in takers]
    if not sum(weights):
        weights = [1] * len(takers)
    for i, weight in zip(takers, weights, strict=True):
        widths[i] += slack * weight // sum(weights)
    widths[max(takers, key=lambda i: widths[i])] += total - sum(widths)
    return widths


def wants_layout(table: etree._Element) -> bool:
    """Label/value tables, and any table that prints an identifier or a 大写 amount. A list table (rows
    repeated by ``{%tr for %}``) without them keeps the widths it was drawn with: its columns were sized
    by hand for the figures it lists, which no content rule here knows better."""
    text = "".join(t.text or "" for t in table.iter(qn("w:t")))
    if any(must_not_break(e) for e in _EXPRESSION.findall(text)):
        return True
    return "{%tr" not in text


def _column_needs(rows: list[etree._Element], columns: int) -> list[list[Need]]:
    needs: list[list[Need]] = [[] for _ in range(columns)]
    for row in rows:
        at = 0
        for cell in row.findall(qn("w:tc")):
            span = _span(cell)
            need = cell_need(cell)
            if need is not None and span == 1 and at < columns:
                needs[at].append(need)
            at += span
    return needs


def _prints_capital(cell: etree._Element) -> bool:
    return any(
        is_capital(e) for e in _EXPRESSION.findall("".join(t.text or "" for t in cell.iter(qn("w:t"))))
    )


def split_capital_rows(table: etree._Element) -> int:
    """In a four-column label/value table, give each pair of a row that holds a 大写 amount a row of its
    own, its value across the three value columns: ``本息合计（元） | 9,912,510.29 | 本息合计（大写） |
    人民币…`` becomes ``本息合计（元） | 9,912,510.29`` and ``本息合计（大写） | 人民币…``. Returns the rows
    split."""
    split = 0
    for row in table.findall(qn("w:tr")):
        cells = row.findall(qn("w:tc"))
        if len(cells) != 4 or any(_span(c) != 1 for c in cells) or not any(_prints_capital(c) for c in cells):
            continue
        second = copy.deepcopy(row)
        for cell in cells[2:]:
            row.remove(cell)
        for cell in second.findall(qn("w:tc"))[:2]:
            second.remove(cell)
        _set_span(row.findall(qn("w:tc"))[1], 3)
        _set_span(second.findall(qn("w:tc"))[1], 3)
        row.addnext(second)
        split += 1
    return split


def _set_span(cell: etree._Element, span: int) -> None:
    tcpr = cell.find(qn("w:tcPr"))
    if tcpr is None:
        tcpr = etree.Element(qn("w:tcPr"))
        cell.insert(0, tcpr)
    grid_span = etree.Element(qn("w:gridSpan"))
    grid_span.set(qn("w:val"), str(span))
    tcw = tcpr.find(qn("w:tcW"))
    if tcw is not None:
        tcw.addnext(grid_span)  # CT_TcPr order: cnfStyle, tcW, gridSpan, ...
    else:
        tcpr.insert(0, grid_span)


def layout_table(table: etree._Element) -> list[int]:
    """Set the grid, every cell width and a fixed layout on ``table``; returns the new grid.

    A four-column table that cannot give a 大写 cell its width beside two labels and another value
    gets that row split first (:func:`split_capital_rows`)."""
    grid = table.find(qn("w:tblGrid"))
    cols = grid.findall(qn("w:gridCol"))
    old = [int(c.get(qn("w:w"))) for c in cols]
    total = sum(old)
    needs = _column_needs(table.findall(qn("w:tr")), len(old))
    if len(old) == 4 and sum(max([c.minimum for c in col], default=0) for col in needs) > total:
        if split_capital_rows(table):
            needs = _column_needs(table.findall(qn("w:tr")), len(old))
    widths = solve(needs, old, total)
    for col, width in zip(cols, widths, strict=True):
        col.set(qn("w:w"), str(width))
    for row in table.findall(qn("w:tr")):
        at = 0
        for cell in row.findall(qn("w:tc")):
            span = _span(cell)
            width = sum(widths[at : at + span])
            need = cell_need(cell)
            if need is not None and need.minimum > width and not need.free_text and not need.label:
                raise LayoutError(f"a cell spanning {span} columns needs {need.minimum} twips, has {width}")
            _set_width(cell, width)
            at += span
    _fix_table(table, total)
    return widths


def _set_width(cell: etree._Element, width: int) -> None:
    tcpr = cell.find(qn("w:tcPr"))
    if tcpr is None:
        tcpr = etree.Element(qn("w:tcPr"))
        cell.insert(0, tcpr)
    tcw = tcpr.find(qn("w:tcW"))
    if tcw is None:
        tcw = etree.Element(qn("w:tcW"))
        tcpr.insert(0, tcw)  # tcW comes first in tcPr after cnfStyle, which the house tables do not use
    tcw.set(qn("w:type"), "dxa")
    tcw.set(qn("w:w"), str(width))


def _fix_table(table: etree._Element, total: int) -> None:
    tblpr = table.find(qn("w:tblPr"))
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is not None:
        tblw.set(qn("w:type"), "dxa")
        tblw.set(qn("w:w"), str(total))
    layout = tblpr.find(qn("w:tblLayout"))
    if layout is None:
        layout = etree.SubElement(tblpr, qn("w:tblLayout"))
        # CT_TblPr order: tblLayout precedes tblCellMar and tblLook.
        for follower in ("w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"):
            found = tblpr.find(qn(follower))
            if found is not None:
                found.addprevious(layout)
                break
    layout.set(qn("w:type"), "fixed")
