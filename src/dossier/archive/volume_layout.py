"""The index (卷内目录) of a volume laid out: page numbers that count the index's own pages.

The index is laid out with a guessed page count, typeset by LibreOffice with the page stamps, and laid out
again until its page count holds.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from pypdf import PdfReader

from dossier.archive.volume_index import (
    IndexGroup,
    IndexHeader,
    IndexRow,
    category_heading,
    write_index_docx,
)
from dossier.archive.volume_selection import VolumeItem
from dossier.archive.volume_stamp import stamp_text, write_stamps_docx
from dossier.errors import DossierError
from dossier.render.pdf import PdfConverter, require_all

MAX_INDEX_ROUNDS = 5
_ROWS_FIRST_PAGE = 22
_ROWS_PER_PAGE = 28


def _groups(items: list[VolumeItem]) -> list[IndexGroup]:
    groups: list[IndexGroup] = []
    current: tuple[int, str] | None = None
    rows: list[IndexRow] = []
    for item in items:
        key = (item.category_number, item.category_label)
        if key != current:
            if current is not None:
                groups.append(IndexGroup(category_heading(*current), rows))
            current, rows = key, []
        rows.append(
            IndexRow(item.seq, item.doc.title, item.doc.doc_date, item.start_page, item.pages, item.note)
        )
    if current is not None:
        groups.append(IndexGroup(category_heading(*current), rows))
    return groups


def number_pages(items: list[VolumeItem], index_pages: int) -> int:
    """Number every document's first page after ``index_pages`` index pages; the volume's page count."""
    page = index_pages + 1
    for item in items:
        item.start_page = page
        page += item.pages
    return page - 1


def index_and_stamps(
    conv: PdfConverter, items: list[VolumeItem], header: IndexHeader, work: Path
) -> tuple[Path, Path, int]:
    """Typeset index and stamps until the index's page count is the one its page numbers assumed."""
    categories_count = len({(i.category_number, i.category_label) for i in items})
    rows = len(items) + categories_count
    guess = 1 + max(0, math.ceil((rows - _ROWS_FIRST_PAGE) / _ROWS_PER_PAGE))
    tried: list[int] = []
    for round_no in range(1, MAX_INDEX_ROUNDS + 1):
        total = number_pages(items, guess)
        folder = work / f"index-{round_no}"
        folder.mkdir()
        index_docx, stamps_docx = folder / "index.docx", folder / "stamps.docx"
        write_index_docx(
            index_docx,
            dataclasses.replace(header, total_pages=total),
            _groups(items),
        )
        write_stamps_docx(
            stamps_docx, [stamp_text(header.archive_number, n, total) for n in range(1, total + 1)]
        )
        index_pdf, stamps_pdf = require_all(conv.convert([index_docx, stamps_docx], folder / "pdf"))
        actual = len(PdfReader(index_pdf).pages)
        if actual == guess:
            stamps = len(PdfReader(stamps_pdf).pages)
            if stamps != total:
                raise DossierError(
                    f"the page stamps came out as {stamps} pages for {total} (页号章排版错误); "
                    "shorten archive.volume_number_format"
                )
            return index_pdf, stamps_pdf, actual
        tried.append(guess)
        guess = actual
    raise DossierError(f"the index page count did not settle (卷内目录页数不稳定): tried {tried}")
