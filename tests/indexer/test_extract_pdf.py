"""PDF extraction: Chinese PDFs from LibreOffice, scans, encryption, truncation, damage and lies."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from docx import Document
from kit.paths import CORPUS
from pypdf import PdfReader, PdfWriter

from indexer.extract import Limits, extract
from indexer.extract.pdf import pdf_date, rebuild_page_tree

PY_PDF = CORPUS / "py-pdf-sample-files"
PAPERLESS = CORPUS / "paperless-ngx-samples"

CLAUSE = "借款人浙江某某机械制造有限公司向贷款人申请流动资金借款人民币伍佰万元整，合同编号JK2026-000123。"
TABLE = [
    ("项目", "金额（元）", "备注"),
    ("本金", "5,000,000.00", "一次性发放"),
    ("利息", "180,000.00", "按月付息"),
]


@pytest.fixture(scope="module")
def chinese_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chinese DOCX (paragraphs and a table) converted to PDF by LibreOffice, as the archive does."""
    work = tmp_path_factory.mktemp("libreoffice")
    document = Document()
    document.core_properties.title = "流动资金借款合同"
    document.add_heading("流动资金借款合同", 1)
    for number in range(1, 31):
        document.add_paragraph(f"第{number}条 {CLAUSE}")
    table = document.add_table(rows=len(TABLE), cols=3)
    for row, values in enumerate(TABLE):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    source = work / "contract.docx"
    document.save(str(source))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return work / "contract.pdf"


def _no_space(text: str) -> str:
    return "".join(text.split())


def test_chinese_pdf_from_libreoffice_gives_its_text(chinese_pdf: Path) -> None:
    result = extract(chinese_pdf)
    assert result.status == "ok", result.error
    assert result.media_type == "application/pdf"
    assert result.pages is not None and result.pages >= 2
    assert result.text.count("\f") == result.pages - 1
    assert result.metadata["title"] == "流动资金借款合同"
    assert result.metadata["producer"].startswith("LibreOffice")
    flat = _no_space(result.text)
    assert "流动资金借款合同" in flat
    # LibreOffice wraps lines anywhere; without the white space every clause is there, in order.
    positions = [flat.index(_no_space(f"第{number}条 {CLAUSE}")) for number in range(1, 31)]
    assert positions == sorted(positions)
    for row in TABLE:
        assert "".join(row) in flat
    assert flat.index("项目金额") > positions[-1]


def test_bytes_give_the_same_result_as_the_path(chinese_pdf: Path) -> None:
    from_path = extract(chinese_pdf)
    from_bytes = extract(chinese_pdf.read_bytes())
    assert from_bytes == from_path


def test_a_scanned_pdf_needs_ocr_and_keeps_its_page_count() -> None:
    result = extract(PY_PDF / "007-imagemagick-images_imagemagick-images.pdf")
    assert result.status == "needs-ocr"
    assert result.flags == ["needs-ocr"]
    assert result.pages == 6
    assert "OCR" in result.error


def test_a_pdf_with_text_pages_and_scanned_pages_is_partial() -> None:
    writer = PdfWriter()
    writer.append(str(PAPERLESS / "simple.pdf"))
    writer.append(str(PY_PDF / "019-grayscale-image_grayscale-image.pdf"))
    writer.append(str(PY_PDF / "001-trivial_minimal-document.pdf"))
    buffer = io.BytesIO()
    writer.write(buffer)
    result = extract(buffer.getvalue())
    assert result.status == "partial"
    assert result.flags == ["needs-ocr"]
    assert result.pages == 3
    assert "1 of 3 pages" in result.error
    assert result.text.startswith("This is a test document.\f\f")


def test_a_pdf_encrypted_with_a_password_is_an_encrypted_error() -> None:
    result = extract(PAPERLESS / "password-is-test.pdf")
    assert (result.status, result.flags, result.text) == ("error", ["encrypted"], "")
    assert "需要密码" in result.error


def test_a_pdf_encrypted_with_an_empty_user_password_opens() -> None:
    writer = PdfWriter(clone_from=str(PAPERLESS / "simple.pdf"))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert PdfReader(io.BytesIO(buffer.getvalue())).is_encrypted
    result = extract(buffer.getvalue())
    assert result.status == "ok", result.error
    assert result.text == "This is a test document."


def test_pages_beyond_the_page_limit_are_left_out() -> None:
    # The 10,000-page PDF goes through the guard in test_extract_guard.py; the limit is the same here.
    result = extract(PY_PDF / "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", limits=Limits(max_pages=10))
    assert result.status == "partial"
    assert result.flags == ["truncated"]
    assert result.pages == 117
    assert result.text.count("\f") == 9
    assert "first 10 of 117 pages" in result.error and "仅提取了前 10 页" in result.error


def test_the_soft_deadline_stops_the_page_loop() -> None:
    result = extract(PY_PDF / "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", limits=Limits(max_seconds=0))
    assert result.status == "partial"
    assert result.flags == ["truncated"]
    assert result.pages == 117
    assert "time limit" in result.error


def test_text_beyond_the_character_limit_is_cut() -> None:
    result = extract(
        PY_PDF / "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", limits=Limits(max_text_chars=5000)
    )
    assert result.status == "partial"
    assert "truncated" in result.flags
    assert len(result.text) == 5000


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("paperless-ngx-samples/simple.pdf", "This is a test document."),
        ("paperless-ngx-samples/test_with_bom.pdf", "Hello"),
        ("py-pdf-sample-files/009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", "Topologie"),
    ],
)
def test_the_first_half_of_a_pdf_gives_the_pages_it_still_holds(name: str, expected: str) -> None:
    data = (CORPUS / name).read_bytes()
    result = extract(data[: len(data) // 2], name="download.pdf")
    assert result.status in {"partial", "needs-ocr"}, result.error
    assert "repaired" in result.flags
    assert expected in result.text
    assert "PDF 文件已损坏" in result.error


def test_the_first_half_of_a_pdf_whose_pages_are_in_object_streams_is_a_clear_error() -> None:
    data = (PY_PDF / "004-pdflatex-4-pages_pdflatex-4-pages.pdf").read_bytes()
    result = extract(data[: len(data) // 2])
    assert result.status == "error"
    assert result.error.startswith("damaged PDF")
    assert "无法读取" in result.error


def test_a_trailer_without_its_root_is_repaired_by_pypdf() -> None:
    data = (PAPERLESS / "simple.pdf").read_bytes()
    at = data.rindex(b"/Root")
    damaged = data[:at] + b"     " + data[at + 5 :]  # PDFium gives up; pypdf finds the catalog
    result = extract(damaged)
    assert (result.status, result.flags, result.pages) == ("ok", ["repaired"], 1)
    assert result.text == "This is a test document."


def test_rebuild_page_tree_finds_no_pages_in_junk() -> None:
    assert rebuild_page_tree(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n") is None
    assert rebuild_page_tree(b"%PDF-1.7\nnothing at all") is None


def test_a_pdf_header_over_garbage_is_a_damaged_pdf_error() -> None:
    result = extract(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert result.status == "error"
    assert result.media_type == "application/pdf"
    assert "damaged PDF" in result.error


def test_a_file_named_pdf_with_text_content_is_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "借款合同.pdf"
    path.write_text("这不是 PDF，只是文字。", encoding="utf-8")
    result = extract(path)
    assert result.status == "error"
    assert result.media_type == "text/plain"
    assert result.error.startswith("not a PDF")
    assert "不是PDF 文件" in result.error
    # The same bytes under a neutral name are a text file, and a declared media type counts as a claim.
    assert extract(path.read_bytes()).status == "ok"
    assert extract(path.read_bytes(), media_type="application/pdf").error.startswith("not a PDF")


def test_a_pdf_named_txt_is_still_read_as_a_pdf() -> None:
    result = extract((PAPERLESS / "simple.pdf").read_bytes(), name="notes.txt")
    assert (result.status, result.media_type, result.text) == (
        "ok",
        "application/pdf",
        "This is a test document.",
    )


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("D:20221024192141+01'00'", "2022-10-24T19:21:41+01:00"),
        ("D:20230623063933Z", "2023-06-23T06:39:33Z"),
        ("D:20200102", "2020-01-02"),
        ("D:2020", "2020"),
        ("20200102030405-05'30", "2020-01-02T03:04:05-05:30"),
        ("yesterday", "yesterday"),
    ],
)
def test_pdf_dates_become_iso(raw: str, iso: str) -> None:
    assert pdf_date(raw) == iso
