"""A file's media type from its content (magic bytes), and the type its name or its sender claims.

The content decides; a name only claims. Recognized with text to extract: PDF (``%PDF`` anywhere in the
first KB, as readers accept: a byte-order mark or junk may precede it), DOCX (a ZIP holding
``word/document.xml``) and plain text (bytes that decode cleanly, see text.py). Recognized as images for OCR:
JPEG, PNG, TIFF. Recognized without text (for now): HEIC, MP4, QuickTime, M4A, MP3, WAV, AMR, other ZIPs
(XLSX, PPTX), legacy OLE2 Office files.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path, PurePath
from typing import Final

from indexer.extract.text import TEXT_SAMPLE_BYTES, looks_like_text

PDF: Final = "application/pdf"
DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX: Final = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ZIP: Final = "application/zip"
OLE2: Final = "application/x-ole-storage"
TEXT: Final = "text/plain"
JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
TIFF: Final = "image/tiff"
HEIC: Final = "image/heic"
MP4: Final = "video/mp4"
QUICKTIME: Final = "video/quicktime"
M4A: Final = "audio/mp4"
MP3: Final = "audio/mpeg"
WAV: Final = "audio/wav"
AMR: Final = "audio/amr"
UNKNOWN: Final = "application/octet-stream"

IMAGE_TYPES: Final = frozenset({JPEG, PNG, TIFF})
"""Images OCR can read."""
NO_TEXT_TYPES: Final = frozenset({HEIC, MP4, QUICKTIME, M4A, MP3, WAV, AMR, ZIP, XLSX, PPTX, OLE2})
"""Recognized formats we extract no text from (yet)."""

HEAD_BYTES: Final = 1024
"""How far into a file the PDF header may start (readers search the first KB)."""

_SUFFIX_CLAIMS: Final = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".txt": TEXT,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".png": PNG,
    ".tif": TIFF,
    ".tiff": TIFF,
}

# ISO base media file brands (the 4 bytes after "ftyp"): which are still images, audio or QuickTime.
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_AUDIO_BRANDS: Final = frozenset({b"M4A ", b"M4B ", b"M4P "})


def claimed_type(name: str | None = None, media_type: str | None = None) -> str | None:
    """The type a sender declared, else the one the file name's suffix implies, else None."""
    if media_type:
        return media_type.split(";", 1)[0].strip().lower() or None
    if name:
        return _SUFFIX_CLAIMS.get(PurePath(name).suffix.lower())
    return None


def read_head(source: Path | bytes, size: int) -> bytes:
    """The first ``size`` bytes of a file or buffer."""
    if isinstance(source, bytes):
        return source[:size]
    with open(source, "rb") as handle:
        return handle.read(size)


def sniff(source: Path | bytes) -> str:
    """The media type of a file or buffer by its content; ``application/octet-stream`` if unknown.

    Raises OSError only if a path cannot be read.
    """
    head = read_head(source, TEXT_SAMPLE_BYTES)
    kind = sniff_head(head)
    if kind == ZIP:
        return _zip_kind(source)
    if kind == UNKNOWN and looks_like_text(head, complete=len(head) < TEXT_SAMPLE_BYTES):
        return TEXT
    return kind


def sniff_head(head: bytes) -> str:
    """The media type that the leading bytes show; ZIP for any ZIP, UNKNOWN when they show none."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if b"%PDF-" in head[:HEAD_BYTES]:
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return TIFF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE2
    if head[4:8] == b"ftyp" and head[:2] == b"\x00\x00":  # a small box size first
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return HEIC
        if brand in _AUDIO_BRANDS:
            return M4A
        if brand == b"qt  ":
            return QUICKTIME
        return MP4
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"#!AMR"):
        return AMR
    if (head.startswith(b"ID3") and head[3:4] in (b"\x02", b"\x03", b"\x04")) or _mpeg_audio_frame(head):
        return MP3
    return UNKNOWN


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG-1/2 layer III frame header at the start: 11 sync bits, a valid version, layer and rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0x3
    layer = (head[1] >> 1) & 0x3
    bitrate = head[2] >> 4
    rate = (head[2] >> 2) & 0x3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def _zip_kind(source: Path | bytes) -> str:
    """DOCX, XLSX, PPTX or a plain ZIP, by the names inside (a damaged ZIP stays ZIP)."""
    try:
        with zipfile.ZipFile(BytesIO(source) if isinstance(source, bytes) else source) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return ZIP
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "ppt/presentation.xml" in names:
        return PPTX
    return ZIP
