"""Every file of the shared corpus of real-world hostile files ends as text, needs-ocr or a clear error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from kit.paths import CORPUS

from indexer.extract import Extraction, extract

PY_PDF = CORPUS / "py-pdf-sample-files"
PAPERLESS = CORPUS / "paperless-ngx-samples"
CORPUS_FILES = sorted(path for path in CORPUS.rglob("*") if path.is_file())

CJK = re.compile(r"[\u4e00-\u9fff]")

ENCRYPTED = {"password-is-test.pdf", "005-libreoffice-writer-password_libreoffice-writer-password.pdf"}
# Pages without a text layer: imagemagick's image-only PDFs, an inline image, grayscale and CMYK scans.
SCANNED = {
    "007-imagemagick-images_imagemagick-ASCII85Decode.pdf",
    "007-imagemagick-images_imagemagick-CCITTFaxDecode.pdf",
    "007-imagemagick-images_imagemagick-images.pdf",
    "007-imagemagick-images_imagemagick-lzw.pdf",
    "008-reportlab-inline-image_inline-image.pdf",
    "019-grayscale-image_grayscale-image.pdf",
    "023-cmyk-image_cmyk-image.pdf",
    "simple.jpg",
    "simple.png",
    "simple-noalpha.png",
    "simple.tiff",
}
# Its page tree is gone (object 172 is missing); three of its four pages are still in the bytes.
DAMAGED = "017-unreadable-meta-data_unreadablemetadata.pdf"


def _declared_pages() -> dict[str, int]:
    """files.json page counts by corpus file name (``<folder>_<file>.pdf``)."""
    data = json.loads((PY_PDF / "files.json").read_text(encoding="utf-8"))["data"]
    return {entry["path"].replace("/", "_"): entry["pages"] for entry in data if "pages" in entry}


DECLARED_PAGES = _declared_pages()


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) > 40, CORPUS
    assert DECLARED_PAGES, "files.json lists page counts"
    assert sum(1 for name in DECLARED_PAGES if (PY_PDF / name).is_file()) >= 30


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: f"{path.parent.name[:8]}/{path.name}")
def test_each_corpus_file_ends_as_text_needs_ocr_or_clear_error(path: Path) -> None:
    result = extract(path)
    assert isinstance(result, Extraction)
    assert result.status in {"ok", "partial", "needs-ocr", "error"}
    if result.status == "ok":
        assert result.error is None
    else:
        assert result.error and CJK.search(result.error), f"bilingual reason expected: {result.error!r}"

    name = path.name
    if name in ENCRYPTED:
        assert result.status == "error"
        assert "encrypted" in result.flags
        assert "password" in result.error and "密码" in result.error
    elif name in SCANNED:
        assert result.status == "needs-ocr"
        assert "needs-ocr" in result.flags
    elif name == "simple.zip":
        assert (result.status, result.flags) == ("ok", ["no-text"])
    elif name == DAMAGED:
        assert result.status == "partial"
        assert "repaired" in result.flags
        assert result.pages == 3
        assert "Industrial" in result.text
    else:
        assert result.status == "ok", result.error
        assert result.text.strip()
        assert not result.flags

    if name in DECLARED_PAGES and result.status != "error" and "repaired" not in result.flags:
        assert result.pages == DECLARED_PAGES[name]


def test_known_texts_come_out() -> None:
    assert extract(PAPERLESS / "simple.pdf").text == "This is a test document."
    assert extract(PAPERLESS / "simple.txt").text.strip() == "This is a test file."
    # A byte-order mark before %PDF, and junk before it in "invalid_pdf.pdf", do not stop the reader.
    assert "Hello" in extract(PAPERLESS / "test_with_bom.pdf").text
    assert "Invoice" in extract(PAPERLESS / "invalid_pdf.pdf").text


def test_pages_are_separated_by_form_feeds_in_page_order() -> None:
    result = extract(PAPERLESS / "double-sided-odd.pdf")
    assert result.pages == 3
    assert [page.strip() for page in result.text.split("\f")] == [
        "This is page 1",
        "This is page 3",
        "This is page 5",
    ]


def test_pdf_metadata_is_read_and_dates_are_iso() -> None:
    result = extract(PY_PDF / "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf")
    assert result.metadata["title"] == "Geometrie und Topologie"
    assert result.metadata["author"] == "Martin Thoma"
    assert result.metadata["created"] == "2016-12-31T18:43:23+01:00"
    assert result.metadata["modified"] == "2023-06-23T06:39:33Z"
    assert "subject" not in result.metadata  # empty values are left out
