"""extract_guarded: hostile files cost one child process, never the caller."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from kit.paths import CORPUS
from pypdf import PdfWriter

from indexer.extract import extract, extract_guarded

CORPUS_FILES = sorted(path for path in CORPUS.rglob("*") if path.is_file())
MiB = 1024 * 1024


def _zeros_deflated(megabytes: int) -> bytes:
    """A zlib stream of ``megabytes`` MiB of zeros, built from one compressed MiB repeated.

    Each MiB is compressed after a full flush, so every block after the first is the same bytes and the
    stream costs milliseconds to build whatever it inflates to.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MiB)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last block
    adler = (((megabytes * MiB) % 65521) << 16) | 1  # Adler-32 of n zero bytes
    return b"\x78\xda" + first + block * (megabytes - 1) + final + adler.to_bytes(4, "big")


def _pdf_with_content(stream: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_the_bomb_inflates_to_what_it_claims() -> None:
    stream = _zeros_deflated(3)
    assert zlib.decompress(stream) == bytes(3 * MiB)


def test_a_pdf_bomb_is_an_error_within_the_memory_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(_pdf_with_content(_zeros_deflated(1024)))  # 1 GiB of content stream, 1 MB on disk
    assert bomb.stat().st_size < 2 * MiB
    result = extract_guarded(bomb, timeout_s=60, memory_mb=384)
    assert result.status == "error"
    assert result.media_type == "application/pdf"
    assert "memory" in result.error and "内存" in result.error
    # The caller goes on: the next file is extracted as usual.
    assert extract_guarded(CORPUS / "paperless-ngx-samples" / "simple.pdf").text == "This is a test document."


def test_a_ten_thousand_page_pdf_comes_back_truncated(tmp_path: Path) -> None:
    writer = PdfWriter()
    for _ in range(10_000):
        writer.add_blank_page(width=595, height=842)
    path = tmp_path / "ten-thousand.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    result = extract_guarded(path, timeout_s=60, memory_mb=1024)
    assert (result.status, result.flags, result.pages) == ("partial", ["truncated"], 10_000)
    assert result.text.count("\f") == 1999  # the default limit: 2,000 pages
    assert "2000 of 10000" in result.error


def test_an_extraction_past_its_time_is_killed_and_reported() -> None:
    result = extract_guarded(
        CORPUS / "py-pdf-sample-files" / "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", timeout_s=0
    )
    assert result.status == "error"
    assert result.media_type == "application/pdf"
    assert "timed out" in result.error and "超时" in result.error


def test_a_child_starved_of_memory_is_an_error_not_a_crash() -> None:
    # 8 MB is less than the interpreter itself: PDFium aborts, Python raises MemoryError.
    pdf = extract_guarded(
        CORPUS / "py-pdf-sample-files" / "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", memory_mb=8
    )
    text = extract_guarded(CORPUS / "paperless-ngx-samples" / "LICENSE", memory_mb=8)
    for result in (pdf, text):
        assert result.status == "error"
        assert "memory" in result.error and "内存" in result.error


def test_arguments_reach_the_child() -> None:
    result = extract_guarded("纯文字".encode(), name="合同.pdf")
    assert result.status == "error"
    assert result.error.startswith("not a PDF")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: f"{path.parent.name[:8]}/{path.name}")
def test_the_guard_gives_what_extract_gives(path: Path) -> None:
    assert extract_guarded(path) == extract(path)
