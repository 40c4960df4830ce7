"""Reading a ledger file into rows of raw cells, each with the line it came from (CSV or XLSX)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dossier.errors import DossierError
from dossier.ledger.columns import COLUMNS, Column, match_header

# Chinese Excel saves CSV in GB18030 (a superset of GBK) unless told otherwise.
_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class RawRow:
    line: int
    """Line of the CSV file or row of the worksheet, 1 = the header."""
    cells: dict[str, Any]
    """Column name → cell (text from CSV; text, number, date or None from XLSX)."""
    headers: dict[str, str]
    """Column name → the header as the file spells it, for messages."""


class LedgerFileError(DossierError):
    """The file as a whole cannot be read (format, encoding, headers)."""


def read_rows(path: Path) -> Iterator[RawRow]:
    if not path.is_file():
        raise LedgerFileError(f"FILE: not found (文件不存在): {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        yield from _csv_rows(path)
    else:
        raise LedgerFileError(f"FILE: a ledger is a .csv or .xlsx file (台账须为CSV或XLSX文件): {path.name}")


def _header_map(header: list[Any], where: str) -> dict[int, Column]:
    found: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for index, text in enumerate(header):
        if text is None or str(text).strip() == "":
            continue
        column = match_header(str(text))
        if column is None:
            continue
        if column.name in seen:
            raise LedgerFileError(f"{where}: column {column.both} appears twice (表头重复: {column.label})")
        seen[column.name] = index
        found[index] = column
    missing = [c for c in _required() if c.name not in seen]
    if missing:
        names = ", ".join(c.both for c in missing)
        raise LedgerFileError(f"{where}: missing columns (缺少必填列): {names}")
    return found


def _required() -> list[Column]:
    return [c for c in COLUMNS if c.required]


def _rows(records: Iterator[tuple[int, list[Any]]], where: str) -> Iterator[RawRow]:
    first = next(records, None)
    if first is None:
        raise LedgerFileError(f"{where}: the file is empty (文件为空)")
    _, header = first
    columns = _header_map(header, where)
    headers = {column.name: str(header[i]).strip() for i, column in columns.items()}
    for line, values in records:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells = {column.name: (values[i] if i < len(values) else None) for i, column in columns.items()}
        yield RawRow(line, cells, headers)


def _csv_rows(path: Path) -> Iterator[RawRow]:
    data = path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LedgerFileError(f"{path.name}: not UTF-8 or GB18030 text (编码无法识别)")
    reader = csv.reader(io.StringIO(text, newline=""))

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        start = 1
        for values in reader:
            # csv.reader counts physical lines, so a quoted cell spanning lines keeps later numbers right.
            yield start, values
            start = reader.line_num + 1

    yield from _rows(numbered(), path.name)


def _xlsx_rows(path: Path) -> Iterator[RawRow]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise LedgerFileError(f"{path.name}: not a readable XLSX workbook (无法读取XLSX): {exc}") from None
    try:
        sheet = workbook.worksheets[0]

        def numbered() -> Iterator[tuple[int, list[Any]]]:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell(v) for v in values]

        yield from _rows(numbered(), path.name)
    finally:
        workbook.close()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float):
        # A worksheet number is a binary float; its shortest repr is what the user typed.
        return Decimal(repr(value))
    if isinstance(value, date | int | Decimal) or value is None:
        return value
    return str(value)
