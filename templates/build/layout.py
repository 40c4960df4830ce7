"""One template through the build steps: NoBreak style and marks, then column widths."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml.ns import qn

from templates.build.marks import ensure_style, mark_runs
from templates.build.widths import LayoutError, layout_table, wants_layout


def build_template(path: Path) -> str:
    """Apply the build steps to the DOCX at ``path`` in place; returns a one-line summary."""
    document = docx.Document(str(path))
    ensure_style(document)
    roots = [document.element.body]
    for section in document.sections:
        roots += [
            part._element for part in (section.header, section.footer) if not part.is_linked_to_previous
        ]
    marked = sum(mark_runs(root) for root in roots)
    tables = 0
    for number, table in enumerate(document.element.body.iter(qn("w:tbl")), start=1):
        if not wants_layout(table):
            continue
        try:
            layout_table(table)
        except LayoutError as exc:
            raise LayoutError(f"{path.name}, table {number}: {exc}") from None
        tables += 1
    document.save(str(path))
    return f"{marked} expression(s) newly marked no-break, {tables} table(s) laid out"
