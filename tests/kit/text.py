"""Every text of a generated document, read back the way a reader sees it."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import docx.document
from pypdf import PdfReader

Source = bytes | Path | docx.document.Document


def all_text(source: Source) -> str:
    """The text of a DOCX (paragraphs, then every table cell, one per line) or of a PDF (its pages'
    text layers joined); ``source`` is the file's bytes, its path, or an opened DOCX."""
    if isinstance(source, Path):
        source = source.read_bytes()
    if isinstance(source, bytes):
        if source.startswith(b"%PDF"):
            return "".join(page.extract_text() for page in PdfReader(io.BytesIO(source)).pages)
        source = docx.Document(io.BytesIO(source))
    cells = [cell.text for table in source.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in source.paragraphs] + cells)
