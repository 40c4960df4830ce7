"""The archive number stamped in the top right corner of every page of a volume (页号章).

The stamps are Chinese (``110101199003077777 · 第3页/共12页``), so they are typeset by LibreOffice like
the index: one small DOCX holds every stamp, one per tiny page, and each page of its PDF becomes a form
XObject drawn on the matching volume page. The page's own content is wrapped in ``q … Q`` and left
untouched, so stamping costs no parsing of the content and works on any PDF. Rotated pages get the stamp
in the corner the reader sees, upright.

The archive number comes from ``[archive].volume_number_format`` (fields ``{key}``, ``{name}``,
``{loan}``, ``{volume}``: the borrower key, or key/contract number for one loan's volume).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from pathlib import Path

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
)

from dossier.errors import ConfigError

DEFAULT_NUMBER_FORMAT = "{volume}"
NUMBER_FIELDS = frozenset({"key", "name", "loan", "volume"})
MAX_NUMBER_CHARS = 40
"""Longest archive number: with the page part it must stay on one line of the stamp."""
STAMP_WIDTH_MM = 180
STAMP_HEIGHT_MM = 6
STAMP_FONT = "宋体"
STAMP_SIZE = Pt(8)
MARGIN_RIGHT_PT = 18.0
MARGIN_TOP_PT = 10.0
XOBJECT_NAME = "/DossierStamp"

Matrix = tuple[float, float, float, float, float, float]


def archive_number(key: str, name: str, loan: str | None, fmt: str = DEFAULT_NUMBER_FORMAT) -> str:
    """The volume's archive number (档号): ``fmt`` (``[archive].volume_number_format``) filled in."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None}
    except ValueError as exc:
        raise ConfigError(
            f"archive.volume_number_format is not a valid format (档号格式错误): {exc}"
        ) from exc
    unknown = fields - NUMBER_FIELDS
    if unknown or any(not f for f in fields):
        raise ConfigError(
            f"archive.volume_number_format may only use {{key}}, {{name}}, {{loan}} and {{volume}} "
            f"(档号格式只能使用这些字段): {fmt!r}"
        )
    volume = f"{key}/{loan}" if loan else key
    number = fmt.format(key=key, name=name, loan=loan or "", volume=volume).strip()
    if not number or len(number) > MAX_NUMBER_CHARS:
        raise ConfigError(
            f"archive.volume_number_format gives {number!r}: it must be 1–{MAX_NUMBER_CHARS} characters "
            f"(档号须为1至{MAX_NUMBER_CHARS}个字符)"
        )
    return number


def stamp_text(number: str, page: int, pages: int) -> str:
    return f"{number} · 第{page}页/共{pages}页"


def write_stamps_docx(path: Path, texts: Sequence[str]) -> None:
    """Every stamp on a page of its own, right-aligned, for LibreOffice to typeset in one call."""
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(STAMP_WIDTH_MM), Mm(STAMP_HEIGHT_MM)
    section.top_margin = section.bottom_margin = Mm(0.5)
    section.left_margin = section.right_margin = Mm(0.5)
    section.header_distance = section.footer_distance = Mm(0)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = STAMP_SIZE
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), STAMP_FONT)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    for i, text in enumerate(texts):
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.page_break_before = i > 0
    doc.save(str(path))


def stamp_pages(writer: PdfWriter, stamps: PdfReader) -> None:
    """Draw stamp page i on volume page i, for every page of ``writer``."""
    if len(stamps.pages) != len(writer.pages):
        raise ValueError(f"{len(stamps.pages)} stamps for {len(writer.pages)} pages")
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        _stamp(writer, page, stamp)


def _stamp(writer: PdfWriter, page: PageObject, stamp: PageObject) -> None:
    box = stamp.mediabox
    width, height = float(box.width), float(box.height)
    form = DecodedStreamObject()
    contents = stamp.get_contents()
    form.set_data(contents.get_data() if contents is not None else b"")
    resources = stamp.get("/Resources")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(
                FloatObject(v) for v in (box.left, box.bottom, box.right, box.top)
            ),
            # Cloning deduplicates: the stamps' one embedded font is copied into the volume once.
            NameObject("/Resources"): resources.clone(writer)
            if resources is not None
            else DictionaryObject(),
        }
    )
    form_ref = writer._add_object(form.flate_encode())

    # A page's resources are often shared with its siblings: give this page its own copy to extend.
    own = page.get("/Resources")
    resources_copy = DictionaryObject(own.get_object() if own is not None else {})
    xobjects = resources_copy.get("/XObject")
    xobjects_copy = DictionaryObject(xobjects.get_object() if xobjects is not None else {})
    name = XOBJECT_NAME
    while name in xobjects_copy:
        name += "X"
    xobjects_copy[NameObject(name)] = form_ref
    resources_copy[NameObject("/XObject")] = xobjects_copy
    page[NameObject("/Resources")] = resources_copy

    a, b, c, d, e, f = _placement(page, width, height)
    before = DecodedStreamObject()
    before.set_data(b"q\n")
    after = DecodedStreamObject()
    after.set_data(f"\nQ\nq {a:g} {b:g} {c:g} {d:g} {e:.3f} {f:.3f} cm {name} Do Q\n".encode("ascii"))
    sequence = ArrayObject([writer._add_object(before)])
    existing = page.get("/Contents")
    if existing is not None:
        target = existing.get_object()
        if isinstance(target, ArrayObject):
            sequence.extend(target)
        else:
            sequence.append(existing)
    sequence.append(writer._add_object(after))
    page[NameObject("/Contents")] = sequence


def _placement(page: PageObject, width: float, height: float) -> Matrix:
    """Where the stamp's box goes: its top right corner near the top right corner the reader sees."""
    box = page.cropbox
    x0, y0 = float(box.left), float(box.bottom)
    w, h = float(box.width), float(box.height)
    rotation = page.rotation % 360 if page.rotation % 90 == 0 else 0
    shown_w, shown_h = (h, w) if rotation in (90, 270) else (w, h)
    px = shown_w - MARGIN_RIGHT_PT - width
    py = shown_h - MARGIN_TOP_PT - height
    # From what the reader sees to the page's own coordinates, for each /Rotate (clockwise on screen).
    shown_to_page: dict[int, Matrix] = {
        0: (1, 0, 0, 1, 0, 0),
        90: (0, 1, -1, 0, w, 0),
        180: (-1, 0, 0, -1, w, h),
        270: (0, -1, 1, 0, 0, h),
    }
    a, b, c, d, e, f = shown_to_page[rotation]
    # Stamp point (s, t) -> shown (s + px, t + py) -> page.
    return (a, b, c, d, a * px + c * py + e + x0, b * px + d * py + f + y0)
