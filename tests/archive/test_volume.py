"""`dossier volume`: a real archive home bound into one PDF, read back with pypdf page by page."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from kit.paths import CORPUS
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document, Event
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_loan
from dossier.archive.volume import VolumeResult, build_volume
from dossier.archive.volume_index import chinese_number
from dossier.archive.volume_stamp import archive_number
from dossier.cli.app import main
from dossier.config import load_config
from dossier.errors import ConfigError, DossierError
from dossier.generation import Generator, file_generated
from dossier.kinds.registry import get_kind
from dossier.render.pdf import PdfConverter

KEY = "11010519491231002X"  # the reminder example's borrower, 张三
LOAN = "JK2025-000456"  # the reminder example's loan
OTHER_LOAN = "JK2025-000999"
PNG_SIZE = (600, 400)

# Archive order: category, then date (undated first), then id.
EXPECTED = [
    ("一、基本资料", "身份证"),
    ("一、基本资料", "个人信用报告"),
    ("二、财务资料", "财务报表"),
    ("二、财务资料", "收入证明（另一笔贷款）"),
    ("三、调查审查审批", "损坏的调查报告"),
    ("四、合同类", "借款合同"),
    ("五、担保资料", "评估资料压缩包"),
    ("五、担保资料", "抵押物照片"),
    ("七、贷后管理", "到期还款提示"),
]


def _pdf_bytes(pages: int, size: tuple[float, float] = (420, 595)) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(*size)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", PNG_SIZE, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _two_page_tiff() -> bytes:
    buffer = io.BytesIO()
    first, second = Image.new("L", (300, 420), 80), Image.new("L", (300, 420), 160)
    first.save(buffer, "TIFF", save_all=True, append_images=[second], dpi=(150, 150))
    return buffer.getvalue()


def _file(
    archive: Archive,
    content: bytes | Path,
    category: str,
    doc_type: str,
    title: str,
    name: str,
    *,
    loan: str | None = None,
    on: date | None = None,
) -> None:
    file_document(
        archive,
        content,
        borrower_key=KEY,
        category=category,
        doc_type=doc_type,
        title=title,
        original_name=name,
        contract_number=loan,
        doc_date=on,
        actor="test",
    )


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    with PdfConverter() as conv:
        yield conv


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("volume") / "home"
    with Archive.init(path, config=load_config()) as archive:
        kind = get_kind("reminder")
        file_generated(archive, Generator(config=load_config()).generate(kind, kind.example()), actor="test")
        ensure_loan(archive, KEY, OTHER_LOAN, actor="test")
        _file(
            archive,
            _pdf_bytes(2),
            "contracts",
            "loan-contract",
            "借款合同",
            "借款合同.pdf",
            loan=LOAN,
            on=date(2025, 12, 28),
        )
        _file(archive, _png(), "basic", "id-card", "身份证", "身份证.png", on=date(2020, 5, 1))
        _file(
            archive,
            CORPUS / "py-pdf-sample-files" / "004-pdflatex-4-pages_pdflatex-4-pages.pdf",
            "financial",
            "financial-statements",
            "财务报表",
            "财务报表.pdf",
            on=date(2025, 6, 30),
        )
        _file(
            archive,
            CORPUS / "paperless-ngx-samples" / "password-is-test.pdf",
            "basic",
            "credit-report-personal",
            "个人信用报告",
            "征信.pdf",
            on=date(2025, 11, 1),
        )
        _file(
            archive,
            CORPUS / "paperless-ngx-samples" / "simple.zip",
            "security",
            "appraisal-report",
            "评估资料压缩包",
            "评估.zip",
            loan=LOAN,
        )
        _file(
            archive,
            _two_page_tiff(),
            "security",
            "property-certificate",
            "抵押物照片",
            "照片.tif",
            loan=LOAN,
            on=date(2025, 12, 1),
        )
        _file(
            archive,
            _pdf_bytes(1),
            "financial",
            "income-proof",
            "收入证明（另一笔贷款）",
            "收入证明.pdf",
            loan=OTHER_LOAN,
            on=date(2025, 7, 1),
        )
        # A DOCX LibreOffice cannot read: a placeholder, and the volume goes on.
        _file(
            archive,
            b"PK\x03\x04 not really a Word document",
            "approval",
            "investigation-report",
            "损坏的调查报告",
            "调查报告.docx",
            loan=LOAN,
            on=date(2025, 12, 1),
        )
    return path


@dataclass
class Built:
    home: Path
    result: VolumeResult
    reader: PdfReader
    texts: list[str]


@pytest.fixture(scope="module")
def built(home: Path, converter: PdfConverter, tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("out") / "张三卷.pdf"
    with Archive.open(home, config=load_config()) as archive:
        result = build_volume(archive, KEY, out, actor="审计员", converter=converter)
    reader = PdfReader(out)
    return Built(home, result, reader, [page.extract_text() for page in reader.pages])


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _outline(reader: PdfReader) -> list[tuple[str, int, list[tuple[str, int]]]]:
    items: list[tuple[str, int, list[tuple[str, int]]]] = []
    for entry in reader.outline:
        if isinstance(entry, list):
            items[-1][2].extend((child.title, reader.get_destination_page_number(child)) for child in entry)
        else:
            items.append((entry.title, reader.get_destination_page_number(entry), []))
    return items


def _documents(home: Path) -> dict[str, Document]:
    with Archive.open(home, config=load_config()) as archive:
        rows = archive.transaction(lambda s: list(s.scalars(select(Document))), write=False)
    return {row.title: row for row in rows}


# --------------------------------------------------------------------------- the whole file


def test_pages_are_the_index_then_every_document_in_archive_order(built: Built) -> None:
    result, reader = built.result, built.reader
    assert [e.title for e in result.entries] == [t for _, t in EXPECTED]
    assert [e.seq for e in result.entries] == list(range(1, len(EXPECTED) + 1))
    assert len(reader.pages) == result.pages == result.index_pages + sum(e.pages for e in result.entries)
    assert result.index_pages >= 1
    pages = {e.title: e.pages for e in result.entries}
    # A PDF keeps its pages, a multi-page TIFF gives one page a frame, a placeholder is one page.
    assert pages["财务报表"] == 4 and pages["借款合同"] == 2 and pages["抵押物照片"] == 2
    assert pages["个人信用报告"] == 1 and pages["评估资料压缩包"] == 1 and pages["身份证"] == 1
    starts = [e.start_page for e in result.entries]
    assert starts[0] == result.index_pages + 1
    assert all(b == a + e.pages for a, b, e in zip(starts, starts[1:], result.entries, strict=False))


def test_outline_has_a_bookmark_per_category_and_per_document_under_it(built: Built) -> None:
    outline = _outline(built.reader)
    assert outline[0][:2] == ("卷内目录", 0)
    categories = [title for title, _, _ in outline[1:]]
    assert categories == list(dict.fromkeys(c for c, _ in EXPECTED))
    children = [title for _, _, kids in outline[1:] for title, _ in kids]
    assert children == [f"{i}. {t}" for i, (_, t) in enumerate(EXPECTED, start=1)]
    by_title = {e.title: e for e in built.result.entries}
    for _, page, kids in outline[1:]:
        assert page == kids[0][1]
        for title, target in kids:
            assert target == by_title[title.split(". ", 1)[1]].start_page - 1


def test_index_lists_every_title_with_its_start_page_and_page_count(built: Built) -> None:
    index = "\n".join(built.texts[: built.result.index_pages])
    assert "卷内目录" in index and "顺序号" in _flat(index) and "页号" in index
    assert f"本卷共{built.result.pages}页" in _flat(index)
    for heading, _ in EXPECTED:
        assert heading in index
    for entry in built.result.entries:
        when = f" {entry.doc_date.isoformat()}" if entry.doc_date else ""
        row = re.search(rf"^{entry.seq} {re.escape(entry.title)}{when} (\d+) (\d+)", index, re.MULTILINE)
        assert row is not None, entry.title
        assert (int(row.group(1)), int(row.group(2))) == (entry.start_page, entry.pages)


def test_each_start_page_holds_its_document(built: Built) -> None:
    by_title = {e.title: e for e in built.result.entries}
    documents = _documents(built.home)

    def page(title: str) -> int:
        return by_title[title].start_page - 1

    assert built.texts[page("财务报表")].startswith("Hello, here is some text without a meaning")
    assert "到期还款提示" in built.texts[page("到期还款提示")]
    for title in ("个人信用报告", "评估资料压缩包", "损坏的调查报告"):
        text = _flat(built.texts[page(title)])
        assert "占位页" in text and title in text and documents[title].sha256 in text
    image_page = built.reader.pages[page("身份证")]
    images = [x.get_object() for x in image_page["/Resources"]["/XObject"].values()]
    assert any(x.get("/Width") == PNG_SIZE[0] and x.get("/Height") == PNG_SIZE[1] for x in images)
    # A wide image goes on a landscape A4 page, inside the margins.
    box = image_page.mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert round(float(built.reader.pages[page("借款合同")].mediabox.width)) == 420


def test_every_page_carries_the_archive_number_stamp(built: Built) -> None:
    total = built.result.pages
    assert built.result.archive_number == KEY
    for n, text in enumerate(built.texts, start=1):
        assert f"{KEY}·第{n}页/共{total}页" in _flat(text), n


def test_unreadable_files_become_placeholders_saying_why(built: Built) -> None:
    kinds = {e.title: (e.kind, e.reason or "") for e in built.result.entries}
    assert kinds["个人信用报告"][0] == "placeholder" and "encrypted" in kinds["个人信用报告"][1]
    assert kinds["评估资料压缩包"][0] == "placeholder" and "application/zip" in kinds["评估资料压缩包"][1]
    credit_report = next(e for e in built.result.entries if e.title == "个人信用报告")
    assert "PDF已加密" in _flat(built.texts[credit_report.start_page - 1])
    assert kinds["到期还款提示"][0] == "docx" and kinds["身份证"][0] == "image"
    assert kinds["损坏的调查报告"][0] == "placeholder" and "conversion failed" in kinds["损坏的调查报告"][1]
    assert kinds["财务报表"][0] == "pdf" and built.result.placeholders == 3


def test_the_volume_is_an_audit_event_and_the_chain_still_verifies(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    data = built.result.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == built.result.sha256
    with Archive.open(built.home, config=load_config()) as archive:
        event = archive.transaction(
            lambda s: s.scalars(select(Event).where(Event.seq == built.result.event_seq)).one(), write=False
        )
    assert (event.action, event.actor, event.borrower_key) == ("volume", "审计员", KEY)
    assert event.details["sha256"] == built.result.sha256
    assert event.details["pages"] == built.result.pages and event.details["documents"] == len(EXPECTED)
    assert main(["audit", "verify", "--home", str(built.home)]) == 0
    capsys.readouterr()
    assert [p.name for p in built.result.path.parent.iterdir()] == [built.result.path.name]


# --------------------------------------------------------------------------- one loan, from the CLI


def test_a_loan_volume_takes_that_loan_and_the_shared_material_only(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "loan.pdf"
    code = main(["volume", KEY, "--loan", LOAN, "-o", str(out), "--home", str(built.home), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    titles = [e["title"] for e in result["entries"]]
    # The other loan's income proof is out, though it is 财务资料.
    assert titles == [t for _, t in EXPECTED if t != "收入证明（另一笔贷款）"]
    assert result["loan"] == LOAN and result["archive_number"] == f"{KEY}/{LOAN}"
    reader = PdfReader(out)
    assert len(reader.pages) == result["pages"]
    assert f"{KEY}/{LOAN}·第1页/共{result['pages']}页" in _flat(reader.pages[0].extract_text())
    assert "借款合同编号：" + LOAN in _flat(reader.pages[0].extract_text())


# --------------------------------------------------------------------------- refusals


def test_the_volume_is_never_written_inside_the_home(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = built.home / "_inbox" / "v.pdf"
    code = main(["volume", KEY, "-o", str(inside), "--home", str(built.home)])
    assert code == 2 and "outside the archive home" in capsys.readouterr().err
    assert not inside.exists()
    code = main(["volume", KEY, "-o", str(built.home.parent / "v.zip"), "--home", str(built.home)])
    assert code == 2 and "--output" in capsys.readouterr().err


def test_an_existing_file_or_an_unknown_loan_is_refused(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["volume", KEY, "-o", str(built.result.path), "--home", str(built.home)])
    assert code == 2 and "already exists" in capsys.readouterr().err
    out = built.result.path.parent / "other.pdf"
    code = main(["volume", KEY, "--loan", "JK2025-000123", "-o", str(out), "--home", str(built.home)])
    assert code == 2 and "has no loan" in capsys.readouterr().err
    assert not out.exists()


def test_a_file_changed_since_filing_stops_the_volume(tmp_path: Path, converter: PdfConverter) -> None:
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        kind = get_kind("reminder")
        file_generated(archive, Generator(config=load_config()).generate(kind, kind.example()), actor="test")
        _file(archive, _pdf_bytes(1), "contracts", "loan-contract", "借款合同", "借款合同.pdf", loan=LOAN)
        row = archive.transaction(
            lambda s: s.scalars(select(Document).where(Document.title == "借款合同")).one(), write=False
        )
        archive.absolute(row.path).write_bytes(_pdf_bytes(3))
        out = tmp_path / "v.pdf"
        with pytest.raises(DossierError, match="changed since filing"):
            build_volume(archive, KEY, out, converter=converter)
        assert not out.exists()
        events = archive.transaction(
            lambda s: list(s.scalars(select(Event).where(Event.action == "volume"))), write=False
        )
        assert events == []


def test_archive_number_format_is_checked() -> None:
    assert archive_number(KEY, "张三", None) == KEY
    assert archive_number(KEY, "张三", LOAN, "XD-{key}-{loan}") == f"XD-{KEY}-{LOAN}"
    with pytest.raises(ConfigError, match="volume_number_format"):
        archive_number(KEY, "张三", None, "{borrower}")
    with pytest.raises(ConfigError, match="volume_number_format"):
        archive_number(KEY, "张三", None, "{key}" * 3)
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 21)] == ["一", "九", "十", "十一", "二十", "二十一"]
