"""Filing: copies in place, versions, duplicates, streaming, loans, and names that are never paths."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import verify_chain
from dossier.archive.catalog.models import Borrower, Document, Event, IndexQueue, Loan
from dossier.archive.filing import FilingRequest, file_document, file_documents
from dossier.archive.integrity import verify_archive
from dossier.archive.names import InvalidName
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.config import load_config
from dossier.errors import DossierError

PERSON = "110105198001010016"
OTHER = "350203199003150022"
COMPANY = "91350203MA2YK7L54P"


@pytest.fixture
def archive(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        ensure_borrower(opened, PERSON, "李四", "自然人", actor="test")
        ensure_borrower(opened, OTHER, "王五", "person", actor="test")
        yield opened


def small_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def file_id_card(archive: Archive, content: bytes, **extra):
    args = {"borrower_key": PERSON, "category": "basic", "doc_type": "id-card", "title": "身份证"}
    args.update(extra)
    return file_document(archive, content, **args)


def rows(archive: Archive, model, *where):
    return archive.transaction(lambda s: list(s.execute(select(model).where(*where)).scalars()), write=False)


def actions(archive: Archive) -> list[str]:
    return [e.action for e in rows(archive, Event)]


def test_a_document_is_filed_under_the_borrower_and_category_with_its_hash(archive):
    content = small_pdf(pages=2)
    result = file_id_card(archive, content, original_name="scan 01.pdf", actor="张经理")
    assert result.status == "filed" and result.version == 1
    assert result.path == archive.home / f"{PERSON}-李四" / "01-基本资料" / "身份证.pdf"
    assert result.path.read_bytes() == content
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    [document] = rows(archive, Document)
    assert document.state == "filed" and document.path == f"{PERSON}-李四/01-基本资料/身份证.pdf"
    assert document.media_type == "application/pdf" and document.pages == 2 and document.size == len(content)
    assert (
        document.original_name == "scan 01.pdf"
        and document.source == "ingested"
        and document.actor == "张经理"
    )
    assert "pending" not in document.details
    event = rows(archive, Event, Event.action == "file")[0]
    assert event.target == f"document:{document.id}" and event.borrower_key == PERSON
    assert event.details["sha256"] == result.sha256 and event.actor == "张经理"
    assert not list(result.path.parent.glob(".dossier-tmp-*"))


def test_the_same_name_with_other_content_becomes_a_linked_version(archive):
    first = file_id_card(archive, b"front and back, 2019")
    second = file_id_card(archive, b"front and back, renewed 2029")
    third = file_id_card(archive, b"third scan")
    assert (second.status, second.version, second.path.name) == ("version", 2, "身份证-v2.bin")
    assert (third.version, third.path.name) == (3, "身份证-v3.bin")
    assert first.path.read_bytes() == b"front and back, 2019"  # never overwritten
    documents = {d.id: d for d in rows(archive, Document)}
    assert documents[second.document_id].version_of == first.document_id
    assert documents[third.document_id].version_of == first.document_id
    assert actions(archive).count("version") == 2


def test_the_same_content_for_the_same_borrower_is_recorded_once(archive):
    first = file_id_card(archive, b"one scan")
    again = file_id_card(archive, b"one scan", title="身份证复印件", original_name="copy.pdf")
    assert again.status == "duplicate" and again.document_id == first.document_id and again.path == first.path
    assert len(rows(archive, Document)) == 1
    assert len(list(first.path.parent.iterdir())) == 1
    duplicate = rows(archive, Event, Event.action == "duplicate")[0]
    assert duplicate.details["original_name"] == "copy.pdf"
    # Another borrower may hold the same content: it is their copy.
    other = file_id_card(archive, b"one scan", borrower_key=OTHER)
    assert other.status == "filed" and other.document_id != first.document_id


def test_a_path_is_streamed_in_and_left_where_it_was(archive, tmp_path):
    source = tmp_path / "流水.pdf"
    content = os.urandom(3 * 1024 * 1024 + 17)  # more than one chunk
    source.write_bytes(content)
    result = file_document(
        archive,
        source,
        borrower_key=PERSON,
        category="financial",
        doc_type="银行流水",
        title="银行流水",
        original_name=source.name,
    )
    assert result.path.name == "银行流水.pdf" and result.path.read_bytes() == content
    assert source.read_bytes() == content
    assert result.sha256 == hashlib.sha256(content).hexdigest()


def test_generated_input_is_kept_beside_the_document_with_its_hash(archive):
    result = file_document(
        archive,
        b"PK\x03\x04 docx bytes",
        borrower_key=PERSON,
        category="post-loan",
        doc_type="maturity-reminder",
        title="到期还款提示",
        filename="到期还款提示-JK2025-000123.docx",
        source="generated",
        input_data={"kind": "reminder", "input": {"amount": "300000.00"}},
    )
    assert result.input_path == result.path.with_name("到期还款提示-JK2025-000123.input.json")
    [document] = rows(archive, Document)
    sidecar = document.details["input"]
    assert sidecar["sha256"] == hashlib.sha256(result.input_path.read_bytes()).hexdigest()
    assert b'"amount": "300000.00"' in result.input_path.read_bytes()


def test_a_document_is_linked_to_its_loan(archive):
    ensure_loan(archive, PERSON, "JK2025-000123", facts={"amount": "300000", "term_months": 12}, actor="test")
    result = file_id_card(
        archive,
        b"contract scan",
        contract_number="jk2025-000123",
        doc_type="loan-contract",
        category="contracts",
        title="借款合同",
    )
    [loan] = rows(archive, Loan)
    assert rows(archive, Document, Document.id == result.document_id)[0].loan_id == loan.id
    with pytest.raises(DossierError, match="unknown loan"):
        file_id_card(archive, b"other", contract_number="JK2099-000999")


def test_an_unknown_borrower_or_type_is_refused_before_anything_is_written(archive):
    with pytest.raises(DossierError, match="unknown borrower"):
        file_id_card(archive, b"x", borrower_key="440305198507200033")
    with pytest.raises(DossierError, match="未知文档类型"):
        file_id_card(archive, b"x", doc_type="love-letter")
    with pytest.raises(DossierError, match="未知档案类别"):
        file_id_card(archive, b"x", category="10-杂项")
    assert rows(archive, Document) == []
    assert not (archive.home / f"{PERSON}-李四").exists()


def test_registering_a_borrower_again_records_only_what_changed(archive):
    before = len(actions(archive))
    ensure_borrower(archive, PERSON, "李四", "person", actor="test")
    assert len(actions(archive)) == before
    ensure_borrower(archive, PERSON, "李四", "person", details={"marital_status": "married"}, actor="test")
    [borrower] = rows(archive, Borrower, Borrower.key == PERSON)
    assert borrower.details == {"marital_status": "married"} and borrower.folder == f"{PERSON}-李四"
    ensure_borrower(archive, PERSON, "李四四", "person", actor="test")
    [renamed] = rows(archive, Borrower, Borrower.key == PERSON)
    assert renamed.name == "李四四" and renamed.folder == f"{PERSON}-李四"  # files never move
    assert actions(archive)[-2:] == ["update-borrower", "update-borrower"]


def test_a_loan_is_updated_from_new_facts_and_receipts_accumulate(archive):
    ensure_loan(
        archive,
        PERSON,
        "JK2025-000123",
        facts={
            "amount": "300000",
            "receipt_numbers": ["JJ2025-000123-01"],
            "product": "个人消费",
            "guarantee_methods": ["抵押"],
        },
    )
    ensure_loan(
        archive, PERSON, "JK2025-000123", facts={"receipt_numbers": ["JJ2025-000123-02"], "term_months": 24}
    )
    [loan] = rows(archive, Loan)
    assert loan.receipt_numbers == ["JJ2025-000123-01", "JJ2025-000123-02"]
    assert (loan.product, loan.guarantee_methods, loan.term_months) == (
        "personal-consumption",
        ["mortgage"],
        24,
    )
    assert str(loan.amount) == "300000.00"
    assert actions(archive)[-2:] == ["register-loan", "update-loan"]
    with pytest.raises(DossierError, match="another borrower"):
        ensure_loan(archive, OTHER, "JK2025-000123", facts={})


def test_a_credit_code_failing_its_check_character_is_still_a_key(archive):
    # Lenient: a few real codes fail the check; the archive must still take them.
    borrower = ensure_borrower(archive, "91350203MA2YK7L54Q", "某公司", "企业", actor="test")
    assert borrower.key == "91350203MA2YK7L54Q" and borrower.customer_type == "enterprise"
    with pytest.raises(DossierError, match="resident ID number or a unified social credit code"):
        ensure_borrower(archive, "12345", "某公司", "企业", actor="test")


BAD_NAMES = {
    "parent": "../../etc/passwd",
    "absolute": "/etc/passwd",
    "windows-absolute": "C:\\Windows\\win.ini",
    "nul": "合同\x00.pdf",
    "control": "合同\x1b[31m.pdf",
    "bidi": "合同\u202egpj.pdf",
    "newline": "合同\n.pdf",
    "too-long": "长" * 300,
    "dot-dot": "..",
    "hidden": ".bashrc",
    "empty": "   ",
}


@pytest.mark.parametrize("case", sorted(BAD_NAMES))
@pytest.mark.parametrize("field", ["title", "original_name", "filename", "category"])
def test_bad_names_are_refused_in_every_field(archive, case, field):
    with pytest.raises(DossierError) as caught:
        file_id_card(archive, b"content", **{field: BAD_NAMES[case]})
    assert isinstance(caught.value, InvalidName)
    assert rows(archive, Document) == []
    assert_nothing_outside(archive)


@pytest.mark.parametrize("case", sorted(BAD_NAMES))
def test_bad_borrower_keys_and_names_are_refused(archive, case):
    with pytest.raises(DossierError):
        ensure_borrower(archive, BAD_NAMES[case], "某人", "person", actor="test")
    with pytest.raises(DossierError):
        ensure_borrower(archive, "440305198507200033", BAD_NAMES[case], "person", actor="test")
    assert len(rows(archive, Borrower)) == 2


def test_errors_name_the_field_in_english_and_chinese(archive):
    with pytest.raises(InvalidName, match=r"document title must not contain '/'.*文档标题不得包含路径分隔符"):
        file_id_card(archive, b"x", title="../x")
    with pytest.raises(InvalidName, match=r"300 characters.*过长"):
        file_id_card(archive, b"x", title="长" * 300)
    with pytest.raises(InvalidName, match=r"NUL.*空字符"):
        ensure_borrower(archive, PERSON, "李\x00四", "person", actor="test")


def test_a_borrower_folder_that_is_a_symlink_out_of_the_home_is_refused(archive, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (archive.home / f"{PERSON}-李四").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DossierError, match="symbolic link"):
        file_id_card(archive, b"content")
    assert list(outside.iterdir()) == []
    assert rows(archive, Document) == []


def test_a_category_folder_that_is_a_symlink_is_refused(archive, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    folder = archive.home / f"{PERSON}-李四"
    folder.mkdir()
    (folder / "01-基本资料").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DossierError, match="symbolic link"):
        file_id_card(archive, b"content")
    assert list(outside.iterdir()) == []


def test_a_stranger_under_the_chosen_name_is_never_overwritten(archive):
    folder = archive.home / f"{PERSON}-李四" / "01-基本资料"
    folder.mkdir(parents=True)
    (folder / "身份证.bin").write_bytes(b"someone else's file")
    result = file_id_card(archive, b"ours")
    assert (folder / "身份证.bin").read_bytes() == b"someone else's file"
    assert result.path.name == "身份证~1.bin" and result.path.read_bytes() == b"ours"


def test_every_filing_is_chained_in_the_audit_log(archive):
    file_id_card(archive, b"a")
    file_id_card(archive, b"b")
    file_id_card(archive, b"a")
    assert actions(archive)[-3:] == ["file", "version", "duplicate"]
    assert archive.transaction(verify_chain, write=False).ok


def assert_nothing_outside(archive: Archive) -> None:
    parent: Path = archive.home.parent
    assert sorted(p.name for p in parent.iterdir()) == ["home"]
    for root, _dirs, files in os.walk(archive.home):
        assert not [f for f in files if f.startswith(".dossier-tmp-")], root


def test_loan_details_merge_and_are_audited(archive):
    ensure_loan(archive, PERSON, "JK2025-000777", facts={"amount": "1000"}, details={"five_class": "关注"})
    ensure_loan(archive, PERSON, "JK2025-000777", details={"payment_mode": "entrusted"})
    with archive.session() as session:
        loan = session.execute(select(Loan).where(Loan.contract_number == "JK2025-000777")).scalar_one()
        assert loan.details == {"five_class": "关注", "payment_mode": "entrusted"}
        actions = [e.action for e in session.execute(select(Event).order_by(Event.seq)).scalars()]
        assert actions[-2:] == ["register-loan", "update-loan"]
        assert verify_chain(session).ok


def _xlsx() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def test_content_without_a_suffix_is_named_by_what_it_is(archive):
    """The content decides (indexer.extract.sniff), named from the one media-type table: a workbook with no
    suffix anywhere is an .xlsx, not a bare .zip; a PNG a .png."""
    sheet = file_id_card(archive, _xlsx(), title="流水")
    assert sheet.path.suffix == ".xlsx"
    [row] = rows(archive, Document, Document.id == sheet.document_id)
    assert row.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    photo = file_id_card(archive, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, title="照片")
    assert photo.path.suffix == ".png"


def _batch(tmp_path: Path) -> list[FilingRequest]:
    """New documents, a second version of a name, duplicates (of a document filed earlier in the same
    batch, and of one in the same group), a sidecar, two borrowers, one file taken by a stranger."""
    a, b, c = small_pdf(1), small_pdf(2), small_pdf(3)
    common = {"category": "basic", "doc_type": "id-card"}
    streamed = tmp_path / "scan.pdf"
    streamed.write_bytes(small_pdf(4))
    return [
        FilingRequest(a, PERSON, title="身份证", **common),
        FilingRequest(b, PERSON, title="身份证", **common),  # the same name: version 2, same group
        FilingRequest(a, PERSON, title="身份证复印件", **common),  # the same content: a duplicate
        FilingRequest(a, OTHER, title="身份证", **common),  # another borrower's copy is his own
        FilingRequest(streamed, OTHER, title="扫描件", original_name="scan.pdf", **common),
        FilingRequest(
            c,
            PERSON,
            "contracts",
            "loan-contract",
            "借款合同",
            source="generated",
            input_data={"kind": "loan-contract", "amount": "100000.00"},
        ),
        FilingRequest(b, PERSON, title="身份证", **common),  # a duplicate of a duplicate's group-mate
        FilingRequest(b"stranger's", PERSON, "basic", "other", "占用"),
    ]


def _outcome(archive: Archive, results) -> tuple[list, list, list]:
    documents = rows(archive, Document)
    return (
        [(r.status, archive.relative(r.path), r.version) for r in results],
        sorted((d.path, d.sha256, d.version, d.state) for d in documents),
        [e for e in actions(archive) if e != "init"],
    )


@pytest.mark.parametrize("group", [1, 3, 64])
def test_filing_many_at_once_files_what_filing_one_by_one_files(tmp_path, group):
    outcomes = []
    for way in ("one-by-one", "grouped"):
        with Archive.init(tmp_path / way, config=load_config()) as archive:
            ensure_borrower(archive, PERSON, "李四", "自然人", actor="test")
            ensure_borrower(archive, OTHER, "王五", "person", actor="test")
            requests = _batch(tmp_path)
            # A file nobody filed already sits under the last request's name: it is never overwritten.
            squatted = (
                archive.home / rows(archive, Borrower, Borrower.key == PERSON)[0].folder / "01-基本资料"
            )
            squatted.mkdir(parents=True, exist_ok=True)
            (squatted / "占用.bin").write_bytes(b"not mine")
            if way == "one-by-one":
                results = [file_document(archive, **vars(r)) for r in requests]
            else:
                results = file_documents(archive, requests, group=group)
            assert (squatted / "占用.bin").read_bytes() == b"not mine"
            (squatted / "占用.bin").unlink()  # the stranger's file aside, the archive is whole
            report = verify_archive(archive, record=False)
            assert report.ok, report
            queued = archive.transaction(lambda s: s.execute(select(IndexQueue.document_id)).scalars().all())
            assert sorted(queued) == sorted({r.document_id for r in results if r.status != "duplicate"})
            outcomes.append(_outcome(archive, results))
    one_by_one, grouped = outcomes
    assert grouped[0] == one_by_one[0] and grouped[1] == one_by_one[1]
    assert [s for s, _, _ in grouped[0]] == [
        "filed",
        "version",
        "duplicate",
        "filed",
        "filed",
        "filed",
        "duplicate",
        "filed",
    ]
    # Every event is there; within a group a duplicate's event comes before the group's filings.
    assert sorted(grouped[2]) == sorted(one_by_one[2])


def test_filing_many_stops_at_the_first_refused_request_after_filing_the_ones_before(archive):
    common = {"category": "basic", "doc_type": "id-card", "title": "身份证"}
    requests = [
        FilingRequest(small_pdf(1), PERSON, **common),
        FilingRequest(small_pdf(2), OTHER, **common),
        FilingRequest(small_pdf(3), "110105198001010024", **common),  # valid key, never registered
        FilingRequest(small_pdf(4), PERSON, **common),
    ]
    with pytest.raises(DossierError, match="借款人未登记"):
        file_documents(archive, requests, group=64)
    assert sorted(d.sha256 for d in rows(archive, Document)) == sorted(
        hashlib.sha256(r.content).hexdigest() for r in requests[:2]
    )
    assert verify_archive(archive, record=False).ok
