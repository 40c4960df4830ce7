"""extract(): one file in, an Extraction out, whatever the file is; the content decides the format."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from indexer.extract import sniff
from indexer.extract.docx import extract_docx
from indexer.extract.ocr import OcrError, ocr_available, ocr_file
from indexer.extract.pdf import extract_pdf
from indexer.extract.result import (
    FLAG_NEEDS_OCR,
    FLAG_NO_TEXT,
    FLAG_OCR,
    FLAG_REPAIRED,
    FLAG_TRUNCATED,
    NEEDS_OCR,
    OK,
    PARTIAL,
    Extraction,
    Limits,
    cap_text,
)
from indexer.extract.text import extract_text

_SUFFIXES = {sniff.PDF: ".pdf", sniff.JPEG: ".jpg", sniff.PNG: ".png", sniff.TIFF: ".tiff"}
_INCOMPLETE_OCR = (
    "OCR of a truncated or repaired file: some pages are missing (文件被截断或已修复，OCR 文字不完整)"
)
_CLAIM_NAMES = {sniff.PDF: ("a PDF", "PDF 文件"), sniff.DOCX: ("a DOCX", "DOCX 文件")}


def extract(
    source: Path | bytes,
    *,
    media_type: str | None = None,
    name: str | None = None,
    limits: Limits | None = None,
    ocr: bool = False,
) -> Extraction:
    """Text, page count and metadata of a file or a buffer. Never raises for bad input.

    ``media_type`` is the type a sender declared and ``name`` the file name (a path's own name by
    default); the content decides the format, but a file declared or named PDF or DOCX that is not one is
    an error ("not a PDF"). ``ocr=True`` runs OCR at once on scans and images when it is installed
    (slow: about 6 s a page); by default they come back as ``needs-ocr``.
    """
    limits = limits or Limits()
    own_name = name or (Path(source).name if isinstance(source, str | Path) else None)
    declared = sniff.claimed_type(own_name, media_type) or sniff.UNKNOWN
    try:
        return _extract(source, media_type=media_type, name=name, limits=limits, ocr=ocr)
    except MemoryError:
        return Extraction.failed(declared, "out of memory while extracting text (提取文字时内存不足)")
    except RecursionError:
        return Extraction.failed(declared, "file nested too deeply to read (文件结构嵌套过深，无法读取)")
    except Exception as exc:  # the contract: a hostile file is a result, never an exception
        return Extraction.failed(declared, f"cannot extract text: {type(exc).__name__}: {exc} (无法提取文字)")


def _extract(
    source: Path | bytes, *, media_type: str | None, name: str | None, limits: Limits, ocr: bool
) -> Extraction:
    if isinstance(source, bytearray | memoryview):
        source = bytes(source)
    elif isinstance(source, str):
        source = Path(source)
    if isinstance(source, Path):
        name = name or source.name
        try:
            if not source.is_file():
                return Extraction.failed(sniff.UNKNOWN, f"not a file: {source} (不是文件)")
            size = source.stat().st_size
        except OSError as exc:
            return Extraction.failed(sniff.UNKNOWN, f"cannot read {source}: {exc.strerror} (无法读取文件)")
    else:
        size = len(source)
    claimed = sniff.claimed_type(name, media_type)
    if size == 0:
        return Extraction.failed(claimed or sniff.UNKNOWN, "empty file (文件为空)")
    try:
        detected = sniff.sniff(source)
    except OSError as exc:
        return Extraction.failed(claimed or sniff.UNKNOWN, f"cannot read file: {exc} (无法读取文件)")
    if detected in sniff.NO_TEXT_TYPES and claimed not in _CLAIM_NAMES:
        # Nothing is read past the header, so a 2 GB signing video is no larger than a photo here.
        return Extraction(text="", pages=None, media_type=detected, flags=[FLAG_NO_TEXT])
    if size > limits.max_file_bytes:
        return Extraction.failed(
            claimed or sniff.UNKNOWN,
            f"file too large: {size} bytes, the limit is {limits.max_file_bytes} (文件过大)",
        )

    if claimed in _CLAIM_NAMES and detected != claimed:
        english, chinese = _CLAIM_NAMES[claimed]
        return Extraction.failed(
            detected, f"not {english}: its content is {detected} (不是{chinese}，实际内容为 {detected})"
        )

    if detected == sniff.PDF:
        result = extract_pdf(source, limits)
    elif detected == sniff.DOCX:
        return extract_docx(source, limits)
    elif detected == sniff.TEXT:
        return extract_text(source, limits)
    elif detected in sniff.IMAGE_TYPES:
        result = Extraction(
            text="",
            pages=None,
            media_type=detected,
            status=NEEDS_OCR,
            error="an image has no text layer, OCR needed (图片无文字层，需要 OCR 识别)",
            flags=[FLAG_NEEDS_OCR],
        )
    elif detected in sniff.NO_TEXT_TYPES:
        return Extraction(text="", pages=None, media_type=detected, flags=[FLAG_NO_TEXT])
    else:
        return Extraction.failed(detected, "unrecognized file format (无法识别的文件格式)")

    if ocr and FLAG_NEEDS_OCR in result.flags:
        return _with_ocr(source, result, limits)
    return result


def _with_ocr(source: Path | bytes, result: Extraction, limits: Limits) -> Extraction:
    """The OCR text in place of the text layer; on failure the result stays as it was, with the reason."""
    if not ocr_available():
        return replace(result, error=f"{result.error}; OCR is not installed (未安装 OCR 组件)")
    try:
        if isinstance(source, Path):
            text = ocr_file(source, timeout=limits.ocr_timeout_s, first_pages=limits.max_pages)
        else:
            with tempfile.TemporaryDirectory(prefix="indexer-ocr-in-") as work:
                path = Path(work) / f"input{_SUFFIXES.get(result.media_type, '')}"
                path.write_bytes(source)
                text = ocr_file(path, timeout=limits.ocr_timeout_s, first_pages=limits.max_pages)
    except OcrError as exc:
        return replace(result, error=f"{result.error}; {exc}")
    text, cut = cap_text(text, limits.max_text_chars)
    flags = [flag for flag in result.flags if flag != FLAG_NEEDS_OCR] + [FLAG_OCR]
    if cut and FLAG_TRUNCATED not in flags:
        flags.append(FLAG_TRUNCATED)
    complete = FLAG_TRUNCATED not in flags and FLAG_REPAIRED not in flags
    return Extraction(
        text=text,
        pages=result.pages,
        media_type=result.media_type,
        metadata=result.metadata,
        status=OK if complete else PARTIAL,
        error=None if complete else _INCOMPLETE_OCR,
        flags=flags,
    )
