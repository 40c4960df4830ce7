"""The NoBreak (不换行) character style, and its runs: every identifier and 大写 amount a template prints.

An expression is marked when it prints a 大写 amount (``|capital``) or one party identifier
(``credit_code``, ``id_number``; a ``join`` of several is a list that may break between its items). The
run holding it is split so the expression sits alone in a run of the style; the renderer turns the mark
into no-break text for the PDF (src/dossier/render/nobreak.py).
"""

from __future__ import annotations

import copy
import re
from typing import Final

from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree

from dossier.render.nobreak import NOBREAK_STYLE, NOBREAK_STYLE_NAME, is_marked

_EXPRESSION: Final = re.compile(r"\{\{(?:(?!\}\}).)*\}\}", re.S)
_CAPITAL: Final = re.compile(r"\|\s*capital\b")
_IDENTIFIER: Final = re.compile(r"\b(?:credit_code|id_number)\b")
_LIST: Final = re.compile(r"\bjoin\s*\(")
_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"


def is_capital(expression: str) -> bool:
    return bool(_CAPITAL.search(expression))


def is_identifier(expression: str) -> bool:
    return bool(_IDENTIFIER.search(expression)) and not _LIST.search(expression)


def must_not_break(expression: str) -> bool:
    """Whether a ``{{ … }}`` expression prints a value that must stay on one line."""
    return is_capital(expression) or is_identifier(expression)


def ensure_style(document: Document) -> bool:
    """Add the NoBreak character style if the document lacks it; returns whether it was added."""
    styles = document.styles.element
    if styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='{NOBREAK_STYLE}']") is not None:
        return False
    style = etree.SubElement(styles, qn("w:style"))
    style.set(qn("w:type"), "character")
    style.set(qn("w:customStyle"), "1")
    style.set(qn("w:styleId"), NOBREAK_STYLE)
    etree.SubElement(style, qn("w:name")).set(qn("w:val"), NOBREAK_STYLE_NAME)
    etree.SubElement(style, qn("w:uiPriority")).set(qn("w:val"), "1")
    etree.SubElement(style, qn("w:qFormat"))
    return True


def _pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut around the expressions that must not break: (piece, marked) in order."""
    out: list[tuple[str, bool]] = []
    at = 0
    for m in _EXPRESSION.finditer(text):
        if not must_not_break(m.group()):
            continue
        if m.start() > at:
            out.append((text[at : m.start()], False))
        out.append((m.group(), True))
        at = m.end()
    if at < len(text):
        out.append((text[at:], False))
    return out


def _mark(run: etree._Element) -> None:
    rpr = run.find(qn("w:rPr"))
    if rpr is None:
        rpr = etree.Element(qn("w:rPr"))
        run.insert(0, rpr)
    style = rpr.find(qn("w:rStyle"))
    if style is None:
        style = etree.Element(qn("w:rStyle"))
        rpr.insert(0, style)  # rStyle comes first in rPr (ECMA-376 CT_RPr)
    style.set(qn("w:val"), NOBREAK_STYLE)


def mark_runs(root: etree._Element) -> int:
    """Split and mark every run under ``root`` that prints an identifier or a 大写 amount; returns how many
    expressions were newly marked. Runs already marked are left as they are, so this is idempotent."""
    marked = 0
    for run in list(root.iter(qn("w:r"))):
        texts = run.findall(qn("w:t"))
        others = [c for c in run if c.tag not in (qn("w:rPr"), qn("w:t"))]
        if len(texts) != 1 or others or not texts[0].text or is_marked(run):
            continue
        pieces = _pieces(texts[0].text)
        if not any(flag for _, flag in pieces):
            continue
        parent = run.getparent()
        index = parent.index(run)
        for offset, (text, flag) in enumerate(pieces):
            piece = copy.deepcopy(run)
            t = piece.find(qn("w:t"))
            t.text = text
            t.set(_XML_SPACE, "preserve")
            if flag:
                _mark(piece)
                marked += 1
            parent.insert(index + offset, piece)
        parent.remove(run)
    return marked
