"""`dossier volume`: a borrower's credit file as one PDF, the way a paper volume (卷) is bound.

Order (domain.md §2.1): the 卷内目录 first, then the documents by category number, document date and id.
With a loan, only that loan's documents and the borrower's shared material (基本资料, 财务资料 not tied
to another loan; ``[archive].volume_shared_categories``).

Each document becomes pages: a PDF as it is, a DOCX through LibreOffice (all of them in one batch),
an image (JPEG, PNG, TIFF, multi-page TIFF) on A4 pages scaled to fit; anything else, and any PDF,
DOCX or image that cannot be read (encrypted, damaged), becomes a placeholder page in Chinese naming the
file, its archive path and SHA-256, and why. A bad document never stops the volume; a file that is
missing or differs from the catalog does (run `dossier audit verify`), as for `dossier export`.

The index is typeset by LibreOffice too. Its page numbers count its own pages, so the index is laid out
with a guessed page count, converted, and laid out again until its page count holds. Every page gets
the archive number stamp (volume_stamp.py); the outline holds a bookmark per category and, under it, per
document. The volume is written under a temporary name beside the target, recorded in the audit log
(action ``volume``, with the page count and the file's SHA-256) and then renamed into place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import math
import os
import shutil
import tempfile
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from PIL import Image
from pydantic import BaseModel
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Document, Loan, Rendition
from dossier.archive.export import find_borrower_by_key_or_name
from dossier.archive.home import Archive
from dossier.archive.renditions import VOLUME_KINDS, renditions_of
from dossier.archive.volume_index import (
    IndexGroup,
    IndexHeader,
    IndexRow,
    PlaceholderPage,
    category_heading,
    write_index_docx,
    write_placeholder_docx,
)
from dossier.archive.volume_stamp import (
    DEFAULT_NUMBER_FORMAT,
    archive_number,
    stamp_pages,
    stamp_text,
    write_stamps_docx,
)
from dossier.domain.categories import categories
from dossier.domain.identifiers.contract_number import parse_contract_number
from dossier.errors import DossierError
from dossier.render.pdf import DOCX_SUFFIXES, PdfConverter, PdfResult, require_all

CHUNK = 1 << 20
INDEX_TITLE = "卷内目录"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
A4_PT = (595.28, 841.89)
IMAGE_MARGIN_PT = 28.35  # 10 mm
MAX_IMAGE_FRAMES = 1000
MAX_REASON_CHARS = 300
MAX_INDEX_ROUNDS = 5
_ROWS_FIRST_PAGE = 22
_ROWS_PER_PAGE = 28

# EXIF orientation -> the unit-square transform (a, b, c, d, e, f) that shows the image upright.
_ORIENTATION: dict[int, tuple[float, float, float, float, float, float]] = {
    1: (1, 0, 0, 1, 0, 0),
    2: (-1, 0, 0, 1, 1, 0),
    3: (-1, 0, 0, -1, 1, 1),
    4: (1, 0, 0, -1, 0, 1),
    5: (0, -1, -1, 0, 1, 1),
    6: (0, -1, 1, 0, 0, 1),
    7: (0, 1, 1, 0, 0, 0),
    8: (0, 1, -1, 0, 1, 0),
}


class _VolumeSettings(BaseModel):
    volume_number_format: str = DEFAULT_NUMBER_FORMAT
    volume_shared_categories: list[str] = ["basic", "financial"]
    """Categories a one-loan volume takes from the borrower's file when not tied to another loan."""


@dataclass(frozen=True)
class VolumeEntry:
    """One document of the volume, as its index row shows it."""

    seq: int
    document_id: int
    category: str
    category_label: str
    title: str
    doc_date: date | None
    start_page: int
    """First page in the volume, counting the index pages."""
    pages: int
    kind: str
    """``pdf``, ``docx``, ``image`` or ``placeholder``."""
    reason: str | None = None
    """Why the document is a placeholder page."""
    rendition: str | None = None
    """The rendition bound instead of the original (``pdf-a`` for a DOCX that has its PDF/A)."""


@dataclass(frozen=True)
class VolumeResult:
    path: Path
    borrower_key: str
    borrower_name: str
    loan: str | None
    archive_number: str
    documents: int
    pages: int
    index_pages: int
    placeholders: int
    sha256: str
    event_seq: int
    entries: tuple[VolumeEntry, ...]


@dataclass
class _Item:
    doc: Document
    category_number: int
    category_label: str
    seq: int
    kind: str
    rendition: Rendition | None = None
    """The PDF/A bound instead of a DOCX original: the pages the bank archived, with no conversion."""
    staged: Path | None = None
    pdf: Path | None = None
    pages: int = 0
    reason: str | None = None
    note: str = ""
    start_page: int = 0

    @property
    def path(self) -> str:
        """The file bound: the rendition's when there is one, else the original's."""
        return self.rendition.path if self.rendition is not None else self.doc.path

    @property
    def sha256(self) -> str:
        return self.rendition.sha256 if self.rendition is not None else self.doc.sha256


@dataclass
class _Selection:
    borrower: Borrower
    loan: Loan | None
    items: list[_Item] = field(default_factory=list)


# --------------------------------------------------------------------------- entry point


def build_volume(
    archive: Archive,
    borrower: str,
    output: Path,
    *,
    loan: str | None = None,
    actor: str = "system",
    overwrite: bool = False,
    converter: PdfConverter | None = None,
) -> VolumeResult:
    """Write the borrower's (or one loan's) volume to ``output`` and record it in the audit log."""
    output = _check_output(archive, Path(output), overwrite)
    settings = archive.config.section("archive", _VolumeSettings)
    own_converter = converter is None
    conv = converter or PdfConverter()
    work = Path(tempfile.mkdtemp(prefix="dossier-volume-"))
    try:
        with archive.filing_lock():
            selection = archive.transaction(
                lambda s: _select(s, archive, borrower, loan, settings), write=False
            )
            if not selection.items:
                raise DossierError(
                    f"no filed documents to bind for {borrower}{f' loan {loan}' if loan else ''} "
                    "(没有可编入卷内的文件)"
                )
            _stage_all(archive, selection.items, work)
        row, loan_row = selection.borrower, selection.loan
        number = archive_number(
            row.key, row.name, loan_row.contract_number if loan_row else None, settings.volume_number_format
        )
        _make_parts(conv, selection.items, work)
        header = IndexHeader(
            borrower_name=row.name,
            borrower_key=row.key,
            loan=loan_row.contract_number if loan_row else None,
            archive_number=number,
            total_pages=0,
            documents=len(selection.items),
            made_on=date.today(),
        )
        index_pdf, stamps_pdf, index_pages = _index_and_stamps(conv, selection.items, header, work)
        writer = _assemble(index_pdf, selection.items, index_pages, row, number)
        stamp_pages(writer, PdfReader(stamps_pdf))
        return _publish(archive, writer, output, selection, number, index_pages, actor)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if own_converter:
            conv.close()


def _check_output(archive: Archive, output: Path, overwrite: bool) -> Path:
    output = output.expanduser().absolute()
    if output.resolve().is_relative_to(archive.home.resolve()):
        raise DossierError(
            f"the volume must be written outside the archive home (卷文件不能放在档案库目录内): {output}"
        )
    if output.exists() and not overwrite:
        raise DossierError(f"{output} already exists (文件已存在); choose another name or overwrite it")
    if output.is_dir():
        raise DossierError(f"{output} is a folder (输出路径是目录)")
    if not output.parent.is_dir():
        raise DossierError(f"folder not found (目录不存在): {output.parent}")
    return output


# --------------------------------------------------------------------------- choosing the documents


def _select(
    session: Session, archive: Archive, wanted: str, loan: str | None, settings: _VolumeSettings
) -> _Selection:
    borrower = find_borrower_by_key_or_name(session, wanted, archive)
    loan_row: Loan | None = None
    query = select(Document).where(Document.borrower_id == borrower.id, Document.state == "filed")
    documents = list(session.scalars(query))
    if loan is not None:
        number = parse_contract_number(loan, config=archive.config)
        loan_row = session.scalars(
            select(Loan).where(Loan.contract_number == number, Loan.borrower_id == borrower.id)
        ).one_or_none()
        if loan_row is None:
            raise DossierError(
                f"{borrower.name} ({borrower.key}) has no loan {number} (该借款人名下没有此借款合同)"
            )
        shared = set(settings.volume_shared_categories)
        documents = [
            d for d in documents if d.loan_id == loan_row.id or (d.loan_id is None and d.category in shared)
        ]
    order = {c.key: c for c in categories(archive.config)}

    def position(doc: Document) -> tuple[int, str, int]:
        number = order[doc.category].number if doc.category in order else 99
        return number, (doc.doc_date.isoformat() if doc.doc_date else "0000"), doc.id

    selection = _Selection(borrower, loan_row)
    renditions = renditions_of(session, [d.id for d in documents])
    for seq, doc in enumerate(sorted(documents, key=position), start=1):
        category = order.get(doc.category)
        kind = _kind(doc)
        by_kind = {r.kind: r for r in reversed(renditions.get(doc.id, []))}
        pdf_a = next((by_kind[k.value] for k in VOLUME_KINDS if k.value in by_kind), None)
        selection.items.append(
            _Item(
                doc=doc,
                category_number=category.number if category else 99,
                category_label=category.label if category else doc.category,
                seq=seq,
                # One document, one entry: a DOCX with its PDF/A is bound from the PDF/A.
                kind="pdf" if pdf_a is not None and kind == "docx" else kind,
                rendition=pdf_a if kind == "docx" else None,
            )
        )
    return selection


def _kind(doc: Document) -> str:
    suffix = PurePosixPath(doc.path).suffix.lower()
    if doc.media_type == "application/pdf" or suffix == ".pdf":
        return "pdf"
    if suffix in DOCX_SUFFIXES:
        return "docx"
    if doc.media_type.startswith("image/") or suffix in IMAGE_SUFFIXES:
        return "image"
    return "other"


def _stage_all(archive: Archive, items: list[_Item], work: Path) -> None:
    """Copy each file to be laid out into ``work`` (hashing it); hash the rest in place. A file that is
    missing or differs from the catalog stops the volume."""
    problems: list[str] = []
    for item in items:
        path = item.path
        try:
            source = archive.absolute(path)
        except DossierError:
            problems.append(f"{path}: outside the archive home (路径越出档案库)")
            continue
        if not source.is_file():
            problems.append(f"{path}: missing (文件缺失)")
            continue
        target = None if item.kind == "other" else work / f"doc-{item.doc.id}{PurePosixPath(path).suffix}"
        if _copy_hashed(source, target) != item.sha256:
            problems.append(f"{path}: changed since filing (文件内容与目录不符)")
            continue
        item.staged = target
    if problems:
        raise DossierError(
            "volume stopped: files do not match the catalog (文件与目录不符，卷文件未生成); run "
            "`dossier audit verify`: " + "; ".join(problems)
        )


def _copy_hashed(source: Path, target: Path | None) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src:
        if target is None:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
        else:
            with target.open("wb") as dst:
                for chunk in iter(lambda: src.read(CHUNK), b""):
                    digest.update(chunk)
                    dst.write(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- documents to pages


def _make_parts(conv: PdfConverter, items: list[_Item], work: Path) -> None:
    """Give every item a normalized PDF and its page count, placeholders included."""
    parts = work / "parts"
    parts.mkdir()
    for item in items:
        assert item.staged is not None or item.kind == "other"
        if item.kind == "pdf" and item.staged is not None:
            _take_pdf(item, item.staged, parts, "PDF 无法读取 (unreadable PDF)", "无法读取")
        elif item.kind == "image" and item.staged is not None:
            _take_image(item, parts)
        elif item.kind == "other":
            _mark(
                item,
                f"{item.doc.media_type} 文件无法排入页面（音频、视频、压缩包等），原件存于档案库 "
                "(this type of file cannot be shown on pages)",
                "非文档",
            )
    docx = [i for i in items if i.kind == "docx" and i.staged is not None]
    placeholders = [i for i in items if i.reason is not None]
    # One LibreOffice batch for the documents and the placeholders known so far.
    results = conv.convert(
        [i.staged for i in docx if i.staged] + [_placeholder_docx(i, work) for i in placeholders],
        work / "converted",
    )
    for item, result in zip(docx, results[: len(docx)], strict=True):
        if result.pdf is None:
            _mark(item, f"DOCX 无法转换为 PDF (conversion failed): {result.error}", "转换失败")
        else:
            _take_pdf(item, result.pdf, parts, "LibreOffice 生成的 PDF 无法读取 (unreadable PDF)", "转换失败")
    _take_placeholders(placeholders, results[len(docx) :], parts)
    late = [i for i in docx if i.reason is not None]
    if late:
        # Rare: a DOCX LibreOffice could not convert gets its placeholder in a second, small batch.
        _take_placeholders(
            late, conv.convert([_placeholder_docx(i, work) for i in late], work / "late"), parts
        )


def _take_placeholders(items: list[_Item], results: list[PdfResult], parts: Path) -> None:
    for item, pdf in zip(items, require_all(results), strict=True):
        reason, note = item.reason, item.note
        _take_pdf(item, pdf, parts, "placeholder page unreadable (占位页无法读取)", note)
        if item.reason != reason:
            raise DossierError(
                f"could not make the placeholder page for document {item.doc.id}: {item.reason}"
            )
        item.kind = "placeholder"


def _mark(item: _Item, reason: str, note: str) -> None:
    item.reason = reason[:MAX_REASON_CHARS]
    item.note = f"占位页：{note}"
    item.pdf, item.pages = None, 0


def _take_pdf(item: _Item, source: Path, parts: Path, unreadable: str, note: str) -> None:
    """Rewrite ``source`` into a clean PDF of its own, so a damaged file fails here, not in the volume."""
    target = parts / f"{item.doc.id}{'-placeholder' if item.reason else ''}.pdf"
    with _quiet_pypdf():
        try:
            reader = PdfReader(source)
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                _mark(item, "PDF 已加密，需要密码才能打开 (the PDF is encrypted)", "已加密")
                return
            writer = PdfWriter()
            for page in reader.pages:
                writer.add_page(page)
            if not writer.pages:
                _mark(item, "PDF 没有页面 (the PDF has no pages)", "无页面")
                return
            with target.open("wb") as fh:
                writer.write(fh)
            pages = len(PdfReader(target).pages)
        except Exception as exc:  # pypdf raises many types on damaged or hostile files
            target.unlink(missing_ok=True)
            _mark(item, f"{unreadable}: {type(exc).__name__}: {exc}", note)
            return
    item.pdf, item.pages = target, pages


def _take_image(item: _Item, parts: Path) -> None:
    assert item.staged is not None
    target = parts / f"{item.doc.id}-image.pdf"
    try:
        image_to_pdf(item.staged, target)
    except Exception as exc:  # Pillow raises many types on damaged, truncated or oversized images
        _mark(item, f"图像无法读取 (unreadable image): {type(exc).__name__}: {exc}", "无法读取")
        return
    _take_pdf(item, target, parts, "图像页面无法读取 (unreadable image page)", "无法读取")


def _placeholder_docx(item: _Item, work: Path) -> Path:
    folder = work / "placeholders"
    folder.mkdir(exist_ok=True)
    path = folder / f"placeholder-{item.doc.id}.docx"
    doc = item.doc
    write_placeholder_docx(
        path,
        PlaceholderPage(
            seq=item.seq,
            title=doc.title,
            category=item.category_label,
            doc_date=doc.doc_date,
            original_name=doc.original_name or PurePosixPath(doc.path).name,
            archive_path=doc.path,
            media_type=doc.media_type,
            size=doc.size,
            sha256=doc.sha256,
            reason=item.reason or "",
        ),
    )
    return path


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    # pypdf logs every repair it makes on a damaged file; the outcome is reported, not the log.
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def image_to_pdf(source: Path, target: Path) -> int:
    """Each frame of an image on an A4 page (landscape for a wide one), upright, shrunk to fit the
    margins and never enlarged beyond its own size; JPEG data is embedded as it is. Returns the pages."""
    writer = PdfWriter()
    with warnings.catch_warnings():
        # Far more pixels than any scan: refused rather than decoded into memory.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            # A phone's MPO photo is a JPEG with preview frames after it: only the photo is a page.
            frames = 1 if image.format == "MPO" else getattr(image, "n_frames", 1)
            if frames > MAX_IMAGE_FRAMES:
                raise ValueError(f"{frames} frames, more than {MAX_IMAGE_FRAMES} (图像帧数过多)")
            for index in range(frames):
                image.seek(index)
                _image_page(writer, image, source if frames == 1 else None)
    with target.open("wb") as fh:
        writer.write(fh)
    return len(writer.pages)


def _image_page(writer: PdfWriter, image: Image.Image, source: Path | None) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise ValueError("empty image (空图像)")
    xobject = _image_xobject(image, source)
    orientation = _orientation(image)
    unit = _ORIENTATION[orientation]
    dpi_x, dpi_y = _dpi(image)
    natural_w, natural_h = width * 72 / dpi_x, height * 72 / dpi_y
    if orientation in (5, 6, 7, 8):
        natural_w, natural_h = natural_h, natural_w
    page_w, page_h = (A4_PT[1], A4_PT[0]) if natural_w > natural_h else A4_PT
    scale = min(1.0, (page_w - 2 * IMAGE_MARGIN_PT) / natural_w, (page_h - 2 * IMAGE_MARGIN_PT) / natural_h)
    shown_w, shown_h = natural_w * scale, natural_h * scale
    x, y = (page_w - shown_w) / 2, page_h - IMAGE_MARGIN_PT - shown_h
    a, b, c, d, e, f = unit
    matrix = (a * shown_w, b * shown_h, c * shown_w, d * shown_h, e * shown_w + x, f * shown_h + y)

    page = writer.add_blank_page(page_w, page_h)
    page[NameObject("/Resources")] = DictionaryObject(
        {
            NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(xobject)}),
        }
    )
    content = DecodedStreamObject()
    content.set_data(("q " + " ".join(f"{v:.4f}" for v in matrix) + " cm /Im0 Do Q\n").encode("ascii"))
    page[NameObject("/Contents")] = writer._add_object(content)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # damaged EXIF: show the pixels as stored
        return 1
    return value if isinstance(value, int) and value in _ORIENTATION else 1


def _dpi(image: Image.Image) -> tuple[float, float]:
    dpi = image.info.get("dpi")
    try:
        x, y = (float(dpi[0]), float(dpi[1])) if dpi else (72.0, 72.0)
    except (TypeError, ValueError, IndexError):
        x, y = 72.0, 72.0
    clamp = lambda v: v if 36 <= v <= 4800 else 72.0  # noqa: E731
    return clamp(x), clamp(y)


def _image_xobject(image: Image.Image, source: Path | None) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    width, height = image.size
    entries = {
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Image"),
        NameObject("/Width"): NumberObject(width),
        NameObject("/Height"): NumberObject(height),
    }
    if image.format in ("JPEG", "MPO"):
        if source is not None and image.format == "JPEG" and image.mode in ("L", "RGB"):
            data, gray = source.read_bytes(), image.mode == "L"  # as it is: no second lossy encoding
        else:
            # A photo stays a JPEG (CMYK, or an MPO's first frame): pixels in Flate would be ten times larger.
            gray = image.mode == "L"
            buffer = io.BytesIO()
            (image if image.mode in ("L", "RGB") else image.convert("RGB")).save(buffer, "JPEG", quality=90)
            data = buffer.getvalue()
        stream.set_data(data)
        stream.update(entries)
        stream[NameObject("/ColorSpace")] = NameObject("/DeviceGray" if gray else "/DeviceRGB")
        stream[NameObject("/BitsPerComponent")] = NumberObject(8)
        stream[NameObject("/Filter")] = NameObject("/DCTDecode")
        return stream
    frame, space, bits = _flat_pixels(image)
    stream.set_data(zlib.compress(frame.tobytes(), 6))
    stream.update(entries)
    stream[NameObject("/ColorSpace")] = NameObject(space)
    stream[NameObject("/BitsPerComponent")] = NumberObject(bits)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    return stream


def _flat_pixels(image: Image.Image) -> tuple[Image.Image, str, int]:
    """The frame as 1-bit or 8-bit gray or RGB pixels, transparency flattened onto white."""
    mode = image.mode
    if mode == "1":
        return image, "/DeviceGray", 1
    if mode == "L":
        return image, "/DeviceGray", 8
    if mode.startswith("I;16"):
        # 16-bit gray scans: keep the top 8 bits rather than clipping everything above 255 to white.
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L"), "/DeviceGray", 8
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat, "/DeviceRGB", 8
    if mode == "RGB":
        return image, "/DeviceRGB", 8
    return image.convert("RGB"), "/DeviceRGB", 8


# --------------------------------------------------------------------------- index, stamps, assembly


def _groups(items: list[_Item]) -> list[IndexGroup]:
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


def _layout(items: list[_Item], index_pages: int) -> int:
    """Number every document's first page after ``index_pages`` index pages; the volume's page count."""
    page = index_pages + 1
    for item in items:
        item.start_page = page
        page += item.pages
    return page - 1


def _index_and_stamps(
    conv: PdfConverter, items: list[_Item], header: IndexHeader, work: Path
) -> tuple[Path, Path, int]:
    """Typeset index and stamps until the index's page count is the one its page numbers assumed."""
    categories_count = len({(i.category_number, i.category_label) for i in items})
    rows = len(items) + categories_count
    guess = 1 + max(0, math.ceil((rows - _ROWS_FIRST_PAGE) / _ROWS_PER_PAGE))
    tried: list[int] = []
    for round_no in range(1, MAX_INDEX_ROUNDS + 1):
        total = _layout(items, guess)
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


def _assemble(
    index_pdf: Path, items: list[_Item], index_pages: int, borrower: Borrower, number: str
) -> PdfWriter:
    writer = PdfWriter()
    for page in PdfReader(index_pdf).pages:
        writer.add_page(page)
    for item in items:
        assert item.pdf is not None
        for page in PdfReader(item.pdf).pages:
            writer.add_page(page)
    writer.add_outline_item(title=INDEX_TITLE, page_number=0)
    parent = None
    current: tuple[int, str] | None = None
    for item in items:
        key = (item.category_number, item.category_label)
        if key != current:
            current = key
            parent = writer.add_outline_item(title=category_heading(*key), page_number=item.start_page - 1)
        writer.add_outline_item(
            title=f"{item.seq}. {item.doc.title}",
            page_number=item.start_page - 1,
            parent=parent,
            is_open=False,
        )
    writer.page_mode = "/UseOutlines"
    writer.add_metadata(
        {
            "/Title": f"{borrower.name} 信贷档案 {number}",
            "/Subject": INDEX_TITLE,
            "/Creator": "dossier volume",
        }
    )
    return writer


def _publish(
    archive: Archive,
    writer: PdfWriter,
    output: Path,
    selection: _Selection,
    number: str,
    index_pages: int,
    actor: str,
) -> VolumeResult:
    items = selection.items
    key = selection.borrower.key
    loan_number = selection.loan.contract_number if selection.loan else None
    temp = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        digest = hashlib.sha256()
        with temp.open("wb") as fh:
            writer.write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        with temp.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        sha256 = digest.hexdigest()
        pages = len(writer.pages)
        placeholders = sum(1 for i in items if i.kind == "placeholder")
        event = archive.transaction(
            lambda s: append_event(
                s,
                actor=actor,
                action="volume",
                target=f"borrower:{key}",
                borrower_key=key,
                details={
                    "file": output.name,
                    "loan": loan_number,
                    "archive_number": number,
                    "documents": len(items),
                    "document_ids": [i.doc.id for i in items],
                    "renditions": {str(i.doc.id): i.rendition.id for i in items if i.rendition is not None},
                    "pages": pages,
                    "index_pages": index_pages,
                    "placeholders": placeholders,
                    "sha256": sha256,
                },
            )
        )
        os.replace(temp, output)
    finally:
        temp.unlink(missing_ok=True)
    return VolumeResult(
        path=output,
        borrower_key=key,
        borrower_name=selection.borrower.name,
        loan=loan_number,
        archive_number=number,
        documents=len(items),
        pages=pages,
        index_pages=index_pages,
        placeholders=placeholders,
        sha256=sha256,
        event_seq=event.seq,
        entries=tuple(
            VolumeEntry(
                seq=i.seq,
                document_id=i.doc.id,
                category=i.doc.category,
                category_label=i.category_label,
                title=i.doc.title,
                doc_date=i.doc.doc_date,
                start_page=i.start_page,
                pages=i.pages,
                kind=i.kind,
                reason=i.reason,
                rendition=i.rendition.kind if i.rendition is not None else None,
            )
            for i in items
        ),
    )
