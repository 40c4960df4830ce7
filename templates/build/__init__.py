"""Build steps for the shipped templates (templates/*.docx): ``python -m templates.build``.

The scripts that first generated the DOCX files were never committed (``build/`` was git-ignored), so the
committed DOCX files are the source of their text, and these steps set what must hold for every template,
idempotently: the NoBreak (不换行) character style on identifiers and 大写 amounts (marks.py) and column
widths that follow each table's content (widths.py).
"""
