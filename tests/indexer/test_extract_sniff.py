"""Media types by magic bytes; names and declared types only claim."""

from __future__ import annotations

import io
import zipfile

import pytest
from kit.paths import CORPUS

from indexer.extract import extract, sniff
from indexer.extract.sniff import claimed_type

PAPERLESS = CORPUS / "paperless-ngx-samples"


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xef\xbb\xbf%PDF-1.4\n", "application/pdf"),
        (b"\n" * 1000 + b"%PDF-1.4\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "video/quicktime"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00\x00\x00", "audio/mpeg"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
        (b"#!AMR\n\x3c", "audio/amr"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "application/x-ole-storage"),
        (
            _zip("[Content_Types].xml", "word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            _zip("[Content_Types].xml", "xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (_zip("readme.txt"), "application/zip"),
        (b"PK\x03\x04 but not really a zip", "application/zip"),
        ("借款合同\n".encode("gb18030"), "text/plain"),
        ("借款合同\n".encode("utf-16"), "text/plain"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
    ],
)
def test_sniff_by_content(data: bytes, media_type: str) -> None:
    assert sniff(data) == media_type


def test_a_pdf_header_after_the_first_kilobyte_is_not_a_pdf() -> None:
    assert sniff(b" " * 1100 + b"%PDF-1.4\n") == "text/plain"


def test_sniff_reads_paths_too() -> None:
    assert sniff(PAPERLESS / "test_with_bom.pdf") == "application/pdf"
    assert sniff(PAPERLESS / "simple.zip") == "application/zip"


def test_text_that_starts_like_a_media_header_is_still_text() -> None:
    assert sniff(b"ID3 tags are metadata in MP3 files.\n") == "text/plain"
    assert sniff(b"abcdftyp is not a box\n") == "text/plain"


@pytest.mark.parametrize(
    ("name", "media_type", "claim"),
    [
        ("合同.PDF", None, "application/pdf"),
        ("report.docx", None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("scan.JPEG", None, "image/jpeg"),
        ("notes", None, None),
        (None, None, None),
        ("x.pdf", "text/plain; charset=utf-8", "text/plain"),
    ],
)
def test_claimed_type_comes_from_the_declared_type_then_the_name(
    name: str | None, media_type: str | None, claim: str | None
) -> None:
    assert claimed_type(name, media_type) == claim


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
        (b"#!AMR\n\x3c", "audio/amr"),
    ],
)
def test_media_without_text_is_ok_and_flagged(data: bytes, media_type: str) -> None:
    result = extract(data)
    assert (result.status, result.media_type, result.text, result.flags) == (
        "ok",
        media_type,
        "",
        ["no-text"],
    )


def test_an_image_needs_ocr() -> None:
    result = extract(PAPERLESS / "simple.jpg")
    assert (result.status, result.media_type, result.flags) == ("needs-ocr", "image/jpeg", ["needs-ocr"])
