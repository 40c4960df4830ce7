"""Text that must not break across lines: the ``NoBreak`` (不换行) character style and its PDF form.

Templates put identifiers (统一社会信用代码, 身份证号) and 大写 amounts in runs of the character style
``NoBreak``. Neither Word nor LibreOffice has a "keep these characters on one line" run property, and
LibreOffice (7.4) breaks between any two ideographs, so ``人民币壹佰贰拾伍万元`` / ``整`` happens. What it
does honour is U+2060 WORD JOINER. The joiner must not reach the DOCX (python-docx text, the indexer and every
reader of the archived file would see it), so the DOCX keeps only the style, and :func:`joined_copy` writes
the joiners into a throw-away copy just before LibreOffice lays it out. LibreOffice draws no glyph for
U+2060 and leaves it out of the PDF text layer (checked by tests/kinds/test_no_wrap.py), so the PDF's text
is exactly what was typed.

A marked run longer than its line (or table cell) is still broken by LibreOffice's emergency break: the
templates' column widths (templates/build) make room for the longest realistic values.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Final

from lxml import etree

NOBREAK_STYLE: Final = "NoBreak"
"""styleId of the character style (display name 不换行)."""
NOBREAK_STYLE_NAME: Final = "不换行"
WORD_JOINER: Final = "\u2060"

_W: Final = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MARK: Final = f'w:val="{NOBREAK_STYLE}"'.encode()
# The parts that hold running text: body, headers, footers, notes.
_TEXT_PARTS: Final = ("word/document.xml", "word/header", "word/footer", "word/footnotes", "word/endnotes")


def is_marked(run: etree._Element) -> bool:
    """Whether ``run`` (a ``w:r``) is in the NoBreak character style."""
    style = run.find(f"{_W}rPr/{_W}rStyle")
    return style is not None and style.get(f"{_W}val") == NOBREAK_STYLE


def join_marked_runs(root: etree._Element) -> int:
    """Put a word joiner between every two characters of each marked run (and between two marked runs
    that follow each other); returns how many runs were changed."""
    changed = 0
    for run in root.iter(f"{_W}r"):
        if not is_marked(run):
            continue
        texts = [t for t in run.iter(f"{_W}t") if t.text]
        if not texts:
            continue
        for t in texts:
            t.text = WORD_JOINER.join(t.text)
        previous = run.getprevious()
        if previous is not None and previous.tag == f"{_W}r" and is_marked(previous):
            texts[0].text = WORD_JOINER + texts[0].text
        changed += 1
    return changed


def joined_copy(docx: Path, directory: Path) -> Path | None:
    """A copy of ``docx`` in ``directory`` (same file name) with its marked runs joined, or ``None`` when
    the document has no marked run (it is then converted as it is)."""
    with zipfile.ZipFile(docx) as source:
        names = [i.filename for i in source.infolist() if i.filename.startswith(_TEXT_PARTS)]
        parts = {name: source.read(name) for name in names}
        marked = {name: data for name, data in parts.items() if _MARK in data}
        if not marked:
            return None
        rewritten: dict[str, bytes] = {}
        for name, data in marked.items():
            root = etree.fromstring(data)
            if join_marked_runs(root):
                rewritten[name] = etree.tostring(
                    root, xml_declaration=True, encoding="UTF-8", standalone=True
                )
        if not rewritten:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / docx.name
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in source.infolist():
                copy.writestr(info, rewritten.get(info.filename) or source.read(info.filename))
    return target
