"""The result of an extraction, the limits it runs under, and the vocabulary both use.

``status`` says what the text is worth; ``flags`` say why, and several can hold at once:

- ``ok``: the text is the document's text (it may be empty, e.g. a blank page or a video: flag ``no-text``).
- ``partial``: some text, not all of it (``truncated`` at a limit, ``repaired`` from a damaged file, or a
  mixed PDF whose scanned pages carry ``needs-ocr``).
- ``needs-ocr``: no usable text layer (a scan or an image); OCR can supply the text later.
- ``error``: no text; ``error`` says why, in English and Chinese (``encrypted``, damaged, not what it claims).

``error`` is None exactly when status is ``ok``; otherwise it is the bilingual reason, also for ``partial``
and ``needs-ocr``, so a caller can show why a document is not fully searchable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal

Status = Literal["ok", "partial", "needs-ocr", "error"]

OK: Final = "ok"
PARTIAL: Final = "partial"
NEEDS_OCR: Final = "needs-ocr"
ERROR: Final = "error"

FLAG_ENCRYPTED: Final = "encrypted"
FLAG_NEEDS_OCR: Final = "needs-ocr"
FLAG_TRUNCATED: Final = "truncated"
FLAG_REPAIRED: Final = "repaired"
FLAG_NO_TEXT: Final = "no-text"
"""A recognized format that carries no text we extract (audio, video, HEIC, ZIP, legacy Office)."""
FLAG_DECODE_ERRORS: Final = "decode-errors"
"""Plain text with bytes invalid in every candidate encoding; they became U+FFFD."""
FLAG_OCR: Final = "ocr"
"""The text came from OCR."""

PAGE_BREAK: Final = "\f"
"""Separates the pages of a PDF's text (the pdftotext and ocrmypdf sidecar convention)."""

MiB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one extraction; a file beyond them yields partial text or an error, never a hang."""

    max_pages: int = 2000
    """PDF pages read; the rest are left out and the text is flagged ``truncated``."""
    max_text_chars: int = 20_000_000
    """Characters of text kept from any format."""
    max_file_bytes: int = 512 * MiB
    """Larger input files are refused."""
    max_text_file_bytes: int = 64 * MiB
    """Bytes read from a plain-text file; the rest is left out (``truncated``)."""
    max_zip_entries: int = 10_000
    """A DOCX with more entries is refused (a zip bomb or not an office file)."""
    max_zip_bytes: int = 256 * MiB
    """Total declared uncompressed size of a DOCX's entries; more is refused as a zip bomb."""
    max_part_bytes: int = 128 * MiB
    """Uncompressed bytes read from one DOCX part."""
    max_repair_bytes: int = 256 * MiB
    """Damaged PDFs up to this size get repair attempts (they need the whole file in memory)."""
    max_seconds: float | None = None
    """Soft deadline for the page loop: stop early with ``truncated`` (the guard also kills at its limit)."""
    ocr_timeout_s: float = 900.0
    """Wall-clock limit for one OCR run when extract(..., ocr=True)."""


@dataclass(slots=True)
class Extraction:
    """Text and facts from one file. ``text`` joins PDF pages with form feeds (PAGE_BREAK)."""

    text: str
    pages: int | None
    media_type: str
    metadata: dict[str, str] = field(default_factory=dict)
    status: Status = OK
    error: str | None = None
    flags: list[str] = field(default_factory=list)

    @classmethod
    def failed(
        cls,
        media_type: str,
        error: str,
        *,
        flags: list[str] | None = None,
        pages: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Extraction:
        """An extraction that produced no text, with its bilingual reason."""
        return cls(
            text="",
            pages=pages,
            media_type=media_type,
            metadata=metadata or {},
            status=ERROR,
            error=error,
            flags=list(flags or []),
        )

    def add_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)


# C0 controls except tab, line feed and form feed, plus DEL: extractors emit them for unmapped glyphs and
# hyphenation marks; they are noise to an index and to a snippet.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Line ends as ``\\n``, control characters (other than tab, newline, form feed) removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def cap_text(text: str, limit: int) -> tuple[str, bool]:
    """The text cut to ``limit`` characters, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True
