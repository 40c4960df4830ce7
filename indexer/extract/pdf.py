"""Text, page count and metadata of a PDF.

PDFium (pypdfium2) reads the text, page by page in content order: measured on Chinese PDFs made by
LibreOffice it gives the same text as pypdf, 8–15× faster. pypdf does what PDFium cannot tell us or do:
whether an encrypted file opens with the empty password (many "encrypted" PDFs only restrict printing),
and repair. A damaged file gets two repair attempts before it is an error: pypdf's lenient reader rewrites
it (it rebuilds a broken cross-reference table), else the page objects still in the bytes get a new page
tree (a truncated download keeps its first pages).

A page with almost no text but an image, a form or many paths is a scan: if no page has real text, the
document needs OCR; if some do, its text is partial. PDFium is not thread-safe: run extractions in
processes (guard.py), not threads.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from contextlib import closing
from io import BytesIO
from pathlib import Path
from time import monotonic
from typing import Any, Final

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PasswordType, PdfReader, PdfWriter

from indexer.extract.result import (
    ERROR,
    FLAG_ENCRYPTED,
    FLAG_NEEDS_OCR,
    FLAG_REPAIRED,
    FLAG_TRUNCATED,
    NEEDS_OCR,
    OK,
    PAGE_BREAK,
    PARTIAL,
    Extraction,
    Limits,
    cap_text,
    clean_text,
)

MEDIA_TYPE: Final = "application/pdf"

MIN_PAGE_CHARS: Final = 16
"""Fewer non-blank characters than this on a page with an image is a scanned page."""
MIN_SCAN_PATHS: Final = 32
"""A text-less page drawn with this many paths is text turned into outlines (or a drawing): OCR it."""
_MAX_OBJECTS_CHECKED: Final = 5000

ENCRYPTED_MESSAGE: Final = "encrypted PDF: a password is needed to open it (PDF 文件已加密，需要密码才能打开)"

_INFO_KEYS: Final = {
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
    "Producer": "producer",
    "CreationDate": "created",
    "ModDate": "modified",
}
_DATE_KEYS: Final = frozenset({"created", "modified"})
_PDF_DATE: Final = re.compile(
    r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(Z|[+-]\d{2}'?\d{2}'?|[+-]\d{2})?"
)
_OBJECT_HEAD: Final = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b")
_PAGE_TYPE: Final = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")

log = logging.getLogger(__name__)


def extract_pdf(source: Path | bytes, limits: Limits) -> Extraction:
    """Text of a PDF; an encrypted or damaged file yields an error or partial text, never an exception
    from PDFium or pypdf (other failures, such as MemoryError, propagate to the caller's guard)."""
    try:
        document = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            return _open_encrypted(source, limits)
        return _repair(source, limits, reason=_pdfium_reason(exc))
    with closing(document):
        return _read(document, limits, metadata=_pdfium_metadata(document))


def _pdfium_reason(exc: pdfium.PdfiumError) -> str:
    """PDFium's own words for a load failure ("Data format error"), without the wrapper's."""
    match = re.search(r"PDFium: ([^)]*)", str(exc))
    return match.group(1).strip().rstrip(".") if match else str(exc)


def _read(
    document: pdfium.PdfDocument,
    limits: Limits,
    *,
    metadata: dict[str, str],
    flags: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> Extraction:
    """Read the pages of an open document within the limits and judge what the text is worth."""
    total = len(document)
    deadline = monotonic() + limits.max_seconds if limits.max_seconds is not None else None
    texts: list[str] = []
    chars = text_pages = scanned_pages = unreadable_pages = 0
    stop_reason: str | None = None
    for index in range(min(total, limits.max_pages)):
        if deadline is not None and monotonic() > deadline:
            stop_reason = "time"
            break
        try:
            text, scanned = _read_page(document, index)
        except pdfium.PdfiumError:
            text, scanned = "", False
            unreadable_pages += 1
        texts.append(text)
        chars += len(text)
        if scanned:
            scanned_pages += 1
        elif _visible_chars(text) >= MIN_PAGE_CHARS:
            text_pages += 1
        if chars > limits.max_text_chars:
            stop_reason = "size"
            break
    if stop_reason is None and len(texts) < total:
        stop_reason = "pages"
    text, cut = cap_text(PAGE_BREAK.join(texts), limits.max_text_chars)
    if cut:
        stop_reason = "size"

    result = Extraction(text=text, pages=total, media_type=MEDIA_TYPE, metadata=metadata, flags=list(flags))
    reasons = list(notes)
    if stop_reason is not None:
        result.add_flag(FLAG_TRUNCATED)
        reasons.append(_truncation_message(stop_reason, len(texts), total, limits))
    if unreadable_pages:
        reasons.append(
            f"{unreadable_pages} damaged pages could not be read ({unreadable_pages} 页已损坏，无法读取)"
        )
    if scanned_pages:
        result.add_flag(FLAG_NEEDS_OCR)
        if text_pages == 0:
            result.status = NEEDS_OCR
            reasons.insert(
                0, "no text layer: the pages are scanned images, OCR needed (无文字层，需要 OCR 识别)"
            )
        else:
            reasons.append(
                f"{scanned_pages} of {len(texts)} pages are scanned images without text, OCR needed "
                f"(其中 {scanned_pages} 页为扫描图像，需要 OCR 识别)"
            )
    if reasons and result.status == OK:
        result.status = PARTIAL
    result.error = "; ".join(reasons) or None
    return result


def _read_page(document: pdfium.PdfDocument, index: int) -> tuple[str, bool]:
    """A page's text, and whether the page looks scanned."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            # A form feed inside a page is a glyph with a broken Unicode mapping (seen in TeX math);
            # between pages it is ours, so it must stay unambiguous.
            text = clean_text(textpage.get_text_range()).replace(PAGE_BREAK, " ")
        finally:
            textpage.close()
        return text, _visible_chars(text) < MIN_PAGE_CHARS and _has_scan_content(page)
    finally:
        page.close()


def _visible_chars(text: str) -> int:
    return len("".join(text.split()))


def _has_scan_content(page: pdfium.PdfPage) -> bool:
    """An image, a form or shading, or many paths among the page's top-level objects."""
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    paths = 0
    for index in range(min(count, _MAX_OBJECTS_CHECKED)):
        kind = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, index))
        if kind in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM, pdfium_c.FPDF_PAGEOBJ_SHADING):
            return True
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
            if paths >= MIN_SCAN_PATHS:
                return True
    return False


def _truncation_message(reason: str, read: int, total: int, limits: Limits) -> str:
    if reason == "pages":
        return f"only the first {read} of {total} pages were read (仅提取了前 {read} 页，共 {total} 页)"
    if reason == "time":
        return (
            f"time limit reached: {read} of {total} pages were read "
            f"(提取超时，仅提取了 {read} 页，共 {total} 页)"
        )
    return (
        f"text longer than {limits.max_text_chars} characters: {read} of {total} pages were read "
        f"(文字超过长度上限，仅提取了 {read} 页，共 {total} 页)"
    )


def _pdfium_metadata(document: pdfium.PdfDocument) -> dict[str, str]:
    metadata: dict[str, str] = {}
    try:
        info = document.get_metadata_dict(skip_empty=True)
        version = document.get_version()
    except (pdfium.PdfiumError, UnicodeDecodeError, ValueError):
        return metadata
    for key, value in info.items():
        _put(metadata, _INFO_KEYS.get(key), value)
    if version:
        metadata["pdf_version"] = f"{version // 10}.{version % 10}"
    return metadata


def _pypdf_metadata(reader: PdfReader) -> dict[str, str]:
    metadata: dict[str, str] = {}
    try:
        info: Mapping[Any, Any] = reader.metadata or {}
        for key, value in info.items():
            _put(metadata, _INFO_KEYS.get(str(key).lstrip("/")), value)
    except Exception as exc:  # a damaged /Info must not cost us the text
        log.debug("unreadable PDF metadata: %s", exc)
    return metadata


def _put(metadata: dict[str, str], key: str | None, value: object) -> None:
    text = str(value).strip().replace("\x00", "") if value is not None else ""
    if key is None or not text:
        return
    metadata[key] = pdf_date(text) if key in _DATE_KEYS else text


def pdf_date(value: str) -> str:
    """A PDF date (``D:20221024192141+01'00'``) as ISO 8601; anything unparseable is returned as is."""
    match = _PDF_DATE.match(value.strip())
    if match is None:
        return value
    year, month, day, hour, minute, second, zone = match.groups()
    if hour is None:
        return "-".join(part for part in (year, month, day) if part)
    iso = f"{year}-{month or '01'}-{day or '01'}T{hour}:{minute or '00'}:{second or '00'}"
    if zone:
        digits = zone.replace("'", "")
        iso += "Z" if digits == "Z" else f"{digits[:3]}:{digits[3:5] or '00'}"
    return iso


def _open_encrypted(source: Path | bytes, limits: Limits) -> Extraction:
    """PDFium could not open it without a password; pypdf tries the empty one (and other handlers)."""
    try:
        reader = PdfReader(BytesIO(source) if isinstance(source, bytes) else source, strict=False)
        if reader.is_encrypted and reader.decrypt("") != PasswordType.NOT_DECRYPTED:
            with closing(pdfium.PdfDocument(_rewrite(reader))) as document:
                return _read(document, limits, metadata=_pypdf_metadata(reader), flags=(FLAG_REPAIRED,))
    except Exception as exc:  # pypdf raises many kinds on hostile input; all mean "locked"
        log.debug("pypdf could not open the encrypted PDF either: %s", exc)
    return Extraction.failed(MEDIA_TYPE, ENCRYPTED_MESSAGE, flags=[FLAG_ENCRYPTED])


def _rewrite(reader: PdfReader) -> bytes:
    """The document pypdf reads, written anew (decrypted, with a fresh cross-reference table)."""
    writer = PdfWriter(clone_from=reader)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _repair(source: Path | bytes, limits: Limits, *, reason: str) -> Extraction:
    damaged = f"damaged PDF, cannot be read: {reason} (PDF 文件已损坏，无法读取)"
    if isinstance(source, bytes):
        data = source
    else:
        if source.stat().st_size > limits.max_repair_bytes:
            return Extraction.failed(MEDIA_TYPE, damaged)
        data = source.read_bytes()
    if len(data) > limits.max_repair_bytes:
        return Extraction.failed(MEDIA_TYPE, damaged)

    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            return _open_encrypted(data, limits)
        rewritten = _rewrite(reader)
        with closing(pdfium.PdfDocument(rewritten)) as document:
            if len(document) > 0:
                return _read(document, limits, metadata=_pypdf_metadata(reader), flags=(FLAG_REPAIRED,))
    except Exception as exc:  # any pypdf failure means: try the next repair
        log.debug("pypdf could not repair the PDF: %s", exc)

    rebuilt = rebuild_page_tree(data)
    if rebuilt is not None:
        try:
            with closing(pdfium.PdfDocument(rebuilt)) as document:
                if len(document) > 0:
                    result = _read(
                        document,
                        limits,
                        metadata={},
                        flags=(FLAG_REPAIRED,),
                        notes=(
                            f"damaged PDF ({reason}): only the pages found in it were read "
                            "(PDF 文件已损坏，仅提取了可恢复的页面)",
                        ),
                    )
                    if result.status != ERROR and result.status != NEEDS_OCR:
                        result.status = PARTIAL
                    return result
        except pdfium.PdfiumError as exc:
            log.debug("the rebuilt PDF does not open either: %s", exc)
    return Extraction.failed(MEDIA_TYPE, damaged)


def rebuild_page_tree(data: bytes) -> bytes | None:
    """The bytes with a new page tree of every page object found in them, or None if there is none.

    Pages are taken in object-number order (the order writers create them in) and the last definition of
    an object wins, as in an incremental update. The file is cut after its last complete object, so a
    truncated stream at the end does not stop PDFium, and the new catalog and trailer are appended
    without a cross-reference table: PDFium then rebuilds one by scanning the objects.
    """
    heads = list(_OBJECT_HEAD.finditer(data))
    pages: dict[int, int] = {}
    for position, head in enumerate(heads):
        end = heads[position + 1].start() if position + 1 < len(heads) else len(data)
        body = data[head.end() : end]
        for stop in (b"stream", b"endobj"):
            cut = body.find(stop)
            if cut >= 0:
                body = body[:cut]
        number, generation = int(head.group(1)), int(head.group(2))
        if _PAGE_TYPE.search(body):
            pages[number] = generation
        else:
            pages.pop(number, None)
    last = data.rfind(b"endobj")
    if not pages or last < 0:
        return None
    highest = max(int(head.group(1)) for head in heads)
    tree, catalog = highest + 1, highest + 2
    kids = b" ".join(b"%d %d R" % (number, pages[number]) for number in sorted(pages))
    tail = (
        b"\n%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (tree, kids, len(pages))
        + b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (catalog, tree)
        + b"trailer\n<< /Size %d /Root %d 0 R >>\n%%%%EOF\n" % (catalog + 1, catalog)
    )
    return data[: last + len(b"endobj")] + tail
