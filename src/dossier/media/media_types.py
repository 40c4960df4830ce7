"""Media types: the one table of their file suffixes, and which are photos, video and audio (the evidence
formats the archive reads metadata from). What a file *is* comes from its content (indexer.extract.sniff);
this table only names it."""

from __future__ import annotations

import mimetypes
from typing import Final, Literal

from indexer.extract.sniff import (
    AMR,
    DOCX,
    HEIC,
    JPEG,
    M4A,
    MP3,
    MP4,
    PDF,
    PNG,
    PPTX,
    QUICKTIME,
    TEXT,
    TIFF,
    UNKNOWN,
    WAV,
    XLSX,
    ZIP,
)

FILE_SUFFIXES: Final[dict[str, tuple[str, ...]]] = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/ofd": (".ofd",),
    ZIP: (".zip",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    TIFF: (".tif", ".tiff"),
    HEIC: (".heic",),
    MP4: (".mp4",),
    QUICKTIME: (".mov",),
    MP3: (".mp3",),
    M4A: (".m4a",),
    WAV: (".wav",),
    AMR: (".amr",),
    "application/json": (".json",),
    TEXT: (".txt",),
}
"""Media type -> its file suffixes, the usual one first: the name a file is given, and the type a name
stands for when the catalog records one."""

_BY_SUFFIX: Final = {suffix: kind for kind, suffixes in FILE_SUFFIXES.items() for suffix in suffixes}


def suffix_for(media_type: str | None) -> str | None:
    """The usual suffix for a media type (``.jpg`` for JPEG); None for a type the table does not name."""
    suffixes = FILE_SUFFIXES.get(media_type or "")
    return suffixes[0] if suffixes else None


def media_type_for(suffix: str) -> str:
    """The media type a file suffix stands for (``.pdf`` -> application/pdf); octet-stream if unknown."""
    suffix = suffix.lower()
    return _BY_SUFFIX.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0] or UNKNOWN


MediaKind = Literal["photo", "video", "audio"]

PHOTO_TYPES: Final = frozenset({JPEG, PNG, HEIC})
VIDEO_TYPES: Final = frozenset({MP4, QUICKTIME})
AUDIO_TYPES: Final = frozenset({MP3, M4A, WAV, AMR})
MEDIA_TYPES: Final = PHOTO_TYPES | VIDEO_TYPES | AUDIO_TYPES

FORMATS: Final[dict[str, str]] = {
    "jpeg": JPEG,
    "png": PNG,
    "heic": HEIC,
    "mp4": MP4,
    "mov": QUICKTIME,
    "mp3": MP3,
    "m4a": M4A,
    "wav": WAV,
    "amr": AMR,
}
"""Format names the configuration uses ([media].inbox_formats), and their media types by content."""


def media_kind(media_type: str | None) -> MediaKind | None:
    """``photo``, ``video`` or ``audio`` for an evidence format; None for anything else (scans, PDFs)."""
    if media_type in PHOTO_TYPES:
        return "photo"
    if media_type in VIDEO_TYPES:
        return "video"
    if media_type in AUDIO_TYPES:
        return "audio"
    return None
