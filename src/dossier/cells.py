"""Cells of every CSV and XLSX the project writes: text is data, never a formula.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a leading tab
or carriage return is stripped before it looks), so a borrower named ``=HYPERLINK(…)`` or
``=1+2+cmd|' -C calc'!A0`` would run when an auditor opens the file. :func:`safe_cell` puts a ``'`` in
front of such text; numbers, dates and Decimals stay what they are (a negative number is a number, not a
formula). Every writer goes through this one module: :func:`csv_row` for CSV, :func:`xlsx_value` (and
:func:`set_xlsx_cell`, which also stores the cell as a string) for openpyxl.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What spreadsheet programs (Excel, LibreOffice, WPS) read as the start of a formula."""
QUOTE = "'"


def safe_cell(value: Any) -> Any:
    """``value``, with text that a spreadsheet would run as a formula made plain text by a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """One CSV row with every text cell made safe."""
    return [safe_cell(v) for v in values]


def set_xlsx_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` into an openpyxl sheet; text is always stored as a string (type ``s``), never a
    formula, and made safe for programs that re-read it as one (CSV conversion, copy and paste)."""
    cell = sheet.cell(row=row, column=column)
    safe = safe_cell(value)
    cell.value = safe
    if isinstance(safe, str):
        cell.data_type = "s"
    return cell
