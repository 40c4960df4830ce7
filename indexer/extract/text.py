"""Plain text: detect the encoding, decode, cap the size.

Candidates, in order: a byte-order mark (UTF-8, UTF-16, UTF-32), then UTF-8, then GB18030 (a superset of
GBK and GB2312, what Chinese Windows tools write). Bytes with a NUL and no BOM are not text. Text that
decodes but is mostly control characters is not text either (GB18030 decodes much binary data).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Final

from indexer.extract.result import (
    FLAG_DECODE_ERRORS,
    FLAG_TRUNCATED,
    OK,
    PARTIAL,
    Extraction,
    Limits,
    cap_text,
    clean_text,
)

TEXT_SAMPLE_BYTES: Final = 64 * 1024
"""How much of a file the sniffer decodes to decide whether it is text."""

MEDIA_TYPE: Final = "text/plain"

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CANDIDATES: Final = ("utf-8", "gb18030")
_MAX_CONTROL_SHARE: Final = 0.02
_CONTROLS_ALWAYS_ALLOWED: Final = 2  # a short note with a stray bell character is still text
_ALLOWED_CONTROLS: Final = frozenset("\t\n\r\f\x1b")


def detect_encoding(data: bytes, *, complete: bool) -> str | None:
    """The codec that decodes ``data`` to plausible text, or None if it is not text.

    ``complete=False`` means ``data`` is a prefix: a multi-byte sequence cut at its end is not an error.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec if _decodes_to_text(data, codec, complete=complete) else None
    if b"\x00" in data:
        return None
    for codec in _CANDIDATES:
        if _decodes_to_text(data, codec, complete=complete):
            return codec
    return None


def looks_like_text(data: bytes, *, complete: bool) -> bool:
    return detect_encoding(data, complete=complete) is not None


def _decodes_to_text(data: bytes, codec: str, *, complete: bool) -> bool:
    try:
        text = codecs.getincrementaldecoder(codec)(errors="strict").decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    if not text:
        return True
    controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
    return controls <= max(_CONTROLS_ALWAYS_ALLOWED, len(text) * _MAX_CONTROL_SHARE)


def _valid_prefix(data: bytes, codec: str) -> int:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return exc.start
    return len(data)


def extract_text(source: Path | bytes, limits: Limits) -> Extraction:
    """Text of a plain-text file, at most ``limits.max_text_file_bytes`` of it."""
    if isinstance(source, bytes):
        data = source[: limits.max_text_file_bytes + 1]
    else:
        with open(source, "rb") as handle:
            data = handle.read(limits.max_text_file_bytes + 1)
    truncated = len(data) > limits.max_text_file_bytes
    data = data[: limits.max_text_file_bytes]
    flags: list[str] = []
    codec = detect_encoding(data, complete=not truncated)
    if codec is not None:
        text = codecs.getincrementaldecoder(codec)(errors="strict").decode(data, final=not truncated)
    else:
        # Valid in no candidate: take the one that decodes the longest prefix (a stray byte deep in a UTF-8
        # file must not turn the whole file into GB18030 mojibake) and replace what does not decode.
        codec = max(_CANDIDATES, key=lambda candidate: _valid_prefix(data, candidate))
        text = data.decode(codec, errors="replace")
        flags.append(FLAG_DECODE_ERRORS)
    text, cut = cap_text(clean_text(text), limits.max_text_chars)
    error = None
    if truncated or cut:
        flags.append(FLAG_TRUNCATED)
        error = "text file too long: only its beginning was read (文本文件过长，仅读取了开头部分)"
    return Extraction(
        text=text,
        pages=None,
        media_type=MEDIA_TYPE,
        metadata={"encoding": codec},
        status=PARTIAL if error else OK,
        error=error,
        flags=flags,
    )
