"""A generated DOCX and its PDF are one document: the PDF is the document's PDF/A rendition, filed beside
it, hashed in the chain, bound in the volume, bundled in the export, and never a second hit or row."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from alembic import command
from kit.catalog import copy_home
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, text, update

from dossier.archive import Archive
from dossier.archive.browse import borrower_tree
from dossier.archive.catalog import db
from dossier.archive.catalog.models import Document, Event, IndexQueue, Rendition
from dossier.archive.export import export_borrower
from dossier.archive.filing import _write_temp, file_document
from dossier.archive.integrity import Discrepancy, verify_archive
from dossier.archive.registry import find_borrower
from dossier.archive.renditions import (
    MIGRATE_ACTION,
    RenditionKind,
    RenditionStatus,
    _reserve,
    declares_pdf_a,
    file_rendition,
)
from dossier.archive.repair import check
from dossier.archive.volume import build_volume
from dossier.cli.app import main
from dossier.config import load_config
from dossier.generation import Generator, file_generated
from dossier.kinds.registry import get_kind
from dossier.search.search_index import SearchIndex
from dossier.verification.report import check_report, diligence_report

KEY = "11010519491231002X"
STEM = "到期还款提示-JK2025-000456-2026-12-28"


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """An archive made by `dossier generate reminder --pdf` (one LibreOffice run for the module)."""
    assert shutil.which("soffice"), "LibreOffice must be installed (make setup installs it)"
    root = tmp_path_factory.mktemp("renditions")
    source = root / "reminder.yaml"
    source.write_text(get_kind("reminder").example_text(), encoding="utf-8")
    home = root / "home"
    code = main(["generate", "reminder", str(source), "--home", str(home), "--pdf", "--json"])
    assert code == 0
    return home


@pytest.fixture
def home(generated: Path, tmp_path: Path) -> Path:
    """A copy of the generated archive each test may change."""
    copy = tmp_path / "home"
    copy_home(generated, copy)
    return copy


def _rows(archive: Archive, model, *where):
    return archive.transaction(lambda s: list(s.execute(select(model).where(*where)).scalars()), write=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_generate_with_pdf_files_one_document_with_its_pdf_rendition(home: Path):
    with Archive.open(home, config=load_config()) as archive:
        [document] = _rows(archive, Document)
        [rendition] = _rows(archive, Rendition)
        events = _rows(archive, Event)
        report = verify_archive(archive, record=False)
    assert document.media_type.endswith("wordprocessingml.document")
    assert document.path.endswith(f"{STEM}.docx")
    assert rendition.document_id == document.id and rendition.kind == RenditionKind.PDF_A
    assert rendition.path == document.path.removesuffix(".docx") + ".pdf"
    pdf = home / rendition.path
    assert rendition.sha256 == _sha(pdf) and rendition.size == pdf.stat().st_size
    assert rendition.pages == len(PdfReader(pdf).pages) >= 1 and rendition.state == "filed"
    assert declares_pdf_a(pdf) and not declares_pdf_a(home / document.path)
    # Both files hashed in the chain, under the one document.
    filed = {(e.action, e.target, e.details.get("sha256")) for e in events}
    assert ("file", f"document:{document.id}", document.sha256) in filed
    assert ("rendition", f"document:{document.id}", rendition.sha256) in filed
    assert report.ok, report.summary()
    assert (report.documents, report.renditions, report.files) == (1, 1, 3)


def test_verify_fails_when_the_rendition_file_is_swapped(home: Path):
    with Archive.open(home, config=load_config()) as archive:
        [rendition] = _rows(archive, Rendition)
        (home / rendition.path).write_bytes(_pdf())
        report = verify_archive(archive, record=False)
    assert not report.ok
    [changed] = report.changed
    assert changed.path == rendition.path and changed.rendition_id == rendition.id
    assert changed.expected == rendition.sha256


def test_verify_fails_when_the_rendition_row_is_changed_or_dropped(home: Path):
    with Archive.open(home, config=load_config()) as archive:
        [rendition] = _rows(archive, Rendition)
        forged = "0" * 64
        archive.transaction(
            lambda s: s.execute(update(Rendition).where(Rendition.id == rendition.id).values(sha256=forged))
        )
        report = verify_archive(archive, record=False)
        assert not report.ok
        [problem] = report.catalog
        assert (problem.problem, problem.field, problem.rendition_id) == (
            Discrepancy.ROW_DIFFERS,
            "sha256",
            rendition.id,
        )
        assert problem.chain == rendition.sha256 and problem.catalog == forged
        assert "rendition" in problem.message
        archive.transaction(lambda s: s.execute(text("delete from renditions")))
        report = verify_archive(archive, record=False)
    assert [(p.problem, p.rendition_id) for p in report.catalog] == [(Discrepancy.ROW_MISSING, rendition.id)]
    # Without its row, the PDF is still a file the chain filed: never reported as unknown.
    assert report.unknown == []


def test_search_gives_one_hit_per_document_offering_its_rendition(home: Path):
    with Archive.open(home, config=load_config()) as archive:
        index = SearchIndex.open(archive)
        index.process()
        page = index.search("到期还款")
        [document] = _rows(archive, Document)
        assert index.doc_count() == 1
    assert page.total == 1
    [hit] = page.hits
    assert hit.document_id == document.id
    assert [(r.kind, r.path) for r in hit.renditions] == [("pdf-a", document.path.replace(".docx", ".pdf"))]


def test_tree_export_and_counts_see_one_document(home: Path, tmp_path: Path, capsys):
    with Archive.open(home, config=load_config()) as archive:
        borrower = archive.transaction(lambda s: find_borrower(s, KEY), write=False)
        tree = archive.transaction(lambda s: borrower_tree(s, borrower, archive.config), write=False)
        [rendition] = _rows(archive, Rendition)
        bundle = export_borrower(archive, KEY, tmp_path / "bundle.zip")
    documents = [d for c in tree for d in c["documents"]]
    assert len(documents) == 1
    assert [r["kind"] for r in documents[0]["renditions"]] == ["pdf-a"]
    with zipfile.ZipFile(bundle.path) as z:
        manifest = json.loads(z.read("manifest.json"))
        files = {f["kind"]: f for f in manifest["files"]}
        assert manifest["documents"] == 1
        assert sorted(files) == ["document", "input", "rendition"]
        pdf = files["rendition"]
        assert pdf["sha256"] == rendition.sha256 and pdf["rendition"] == "pdf-a"
        assert pdf["document_id"] == files["document"]["document_id"]
        assert hashlib.sha256(z.read(pdf["path"])).hexdigest() == rendition.sha256
        assert f"{rendition.sha256}  {pdf['path']}" in z.read("SHA256SUMS").decode()
    _, out = _run(capsys, "borrowers", "--home", str(home), "--json")
    assert json.loads(out)[0]["documents"] == 1
    _, out = _run(capsys, "docs", KEY, "--home", str(home), "--json")
    [listed] = json.loads(out)["documents"]
    assert listed["path"].endswith(f"{STEM}.docx")
    assert [(r["kind"], r["sha256"]) for r in listed["renditions"]] == [("pdf-a", rendition.sha256)]


def test_the_volume_binds_the_pdf_rendition_once(home: Path, tmp_path: Path):
    with Archive.open(home, config=load_config()) as archive:
        [rendition] = _rows(archive, Rendition)
        result = build_volume(archive, KEY, tmp_path / "volume.pdf")
    assert result.documents == 1
    [entry] = result.entries
    assert entry.rendition == "pdf-a" and entry.kind == "pdf" and entry.pages == rendition.pages
    assert result.pages == result.index_pages + rendition.pages


def test_a_rerun_of_the_same_input_is_a_duplicate_not_a_version(home: Path, tmp_path: Path, capsys):
    source = tmp_path / "reminder.yaml"
    source.write_text(get_kind("reminder").example_text(), encoding="utf-8")
    _, out = _run(capsys, "generate", "reminder", str(source), "--home", str(home), "--pdf", "--json")
    [result] = json.loads(out)
    assert [f["status"] for f in result["filings"]] == ["duplicate", "rendition-kept"]
    with Archive.open(home, config=load_config()) as archive:
        assert len(_rows(archive, Document)) == 1 and len(_rows(archive, Rendition)) == 1
        assert verify_archive(archive, record=False).ok


@pytest.fixture
def plain_archive(tmp_path: Path):
    """A generated DOCX filed without LibreOffice (the rendition content is a small PDF)."""
    with Archive.init(tmp_path / "plain", config=load_config()) as archive:
        document = Generator(config=load_config()).generate("reminder", get_kind("reminder").example())
        [filing] = file_generated(archive, document, actor="test")
        yield archive, filing["document_id"]


def test_another_rendition_of_the_same_kind_keeps_the_first(plain_archive):
    archive, doc_id = plain_archive
    first = file_rendition(archive, doc_id, _pdf(1), RenditionKind.PDF_A, actor="test")
    again = file_rendition(archive, doc_id, _pdf(2), RenditionKind.PDF_A, actor="test")
    assert first.status is RenditionStatus.FILED and again.status is RenditionStatus.KEPT
    assert again.rendition_id == first.rendition_id and again.sha256 == first.sha256
    assert [e.action for e in _rows(archive, Event)].count("rendition") == 1


def _interrupted(archive: Archive, doc_id: int, content: bytes, *, link: bool) -> tuple[Path, Path]:
    """file_rendition stopped after its pending row (and, with ``link``, after the hard link)."""
    [document] = _rows(archive, Document, Document.id == doc_id)
    folder = (archive.home / document.path).parent
    temp = _write_temp(folder, content)
    reserved = archive.transaction(
        lambda s: _reserve(
            archive, s, doc_id, folder, Path(document.path).stem, RenditionKind.PDF_A, temp, 1, "test"
        )
    )
    if link:
        reserved.path.hardlink_to(temp.path)
    return temp.path, reserved.path


@pytest.mark.parametrize("link", [False, True])
def test_check_finishes_a_pending_rendition(plain_archive, link: bool):
    archive, doc_id = plain_archive
    content = _pdf()
    temp, final = _interrupted(archive, doc_id, content, link=link)
    assert not verify_archive(archive, record=False).ok  # pending: run `dossier repair`
    report = check(archive, actor="test")
    [rendition] = _rows(archive, Rendition)
    assert report.renditions_completed == [rendition.id] and rendition.state == "filed"
    assert final.read_bytes() == content and not temp.exists()
    [event] = _rows(archive, Event, Event.action == "rendition")
    assert event.details["completed_by"] == "check" and event.details["sha256"] == rendition.sha256
    assert verify_archive(archive, record=False).ok


def test_check_rolls_back_a_pending_rendition_whose_content_is_lost(plain_archive):
    archive, doc_id = plain_archive
    temp, final = _interrupted(archive, doc_id, _pdf(), link=False)
    temp.unlink()
    report = check(archive, actor="test")
    assert len(report.renditions_rolled_back) == 1 and _rows(archive, Rendition) == []
    assert not final.exists()
    assert verify_archive(archive, record=False).ok


def _legacy_pdf(archive: Archive, doc_id: int) -> int:
    """The PDF filed as a separate document, as `generate --pdf` did before renditions."""
    [docx] = _rows(archive, Document, Document.id == doc_id)
    pdf_name = Path(docx.details["name"]).with_suffix(".pdf").name
    filed = file_document(
        archive,
        _pdf(2),
        borrower_key=KEY,
        category=docx.category,
        doc_type=docx.doc_type,
        title=docx.title,
        contract_number="JK2025-000456",
        doc_date=docx.doc_date,
        source="generated",
        actor="test",
        details={"kind": "reminder", "rendition_of": doc_id},
        filename=pdf_name,
    )
    return filed.document_id


def test_a_legacy_archive_is_merged_once_with_one_chain_event(plain_archive):
    archive, doc_id = plain_archive
    pdf_id = _legacy_pdf(archive, doc_id)
    [old_pdf] = _rows(archive, Document, Document.id == pdf_id)
    index = SearchIndex.open(archive)
    index.process()
    assert index.doc_count() == 2 and verify_archive(archive, record=False).ok
    before = json.loads(json.dumps(diligence_report(archive, KEY).to_dict()))
    assert {e["document_id"] for e in before["timeline"]} == {doc_id, pdf_id}

    dry = check(archive, repair=False, actor="test")
    assert dry.merged == [pdf_id] and len(_rows(archive, Document)) == 2
    report = check(archive, actor="test")
    assert report.merged == [pdf_id]
    assert [d.id for d in _rows(archive, Document)] == [doc_id]
    [rendition] = _rows(archive, Rendition)
    assert (rendition.document_id, rendition.path, rendition.sha256) == (doc_id, old_pdf.path, old_pdf.sha256)
    # Earlier versions' PDFs were no PDF/A: merged as what they are, and still what the volume binds.
    assert rendition.kind == RenditionKind.PDF
    assert (archive.home / old_pdf.path).is_file()  # the file stays where it is
    [event] = _rows(archive, Event, Event.action == MIGRATE_ACTION)
    assert event.target == f"document:{doc_id}" and event.details["merged"] == pdf_id
    assert event.details["sha256"] == old_pdf.sha256 and event.details["path"] == old_pdf.path
    verified = verify_archive(archive, record=False)
    assert verified.ok, verified.summary()
    assert (verified.documents, verified.renditions) == (1, 1)
    index.process()
    assert index.doc_count() == 1
    assert [h.document_id for h in index.search("到期还款").hits] == [doc_id]

    # A diligence report made before the merge still matches the archive; one made now counts one.
    assert check_report(archive, before).ok
    after = diligence_report(archive, KEY)
    assert [e.document_id for e in after.timeline] == [doc_id]

    again = check(archive, actor="test")
    assert again.merged == [] and again.clean
    assert len(_rows(archive, Event, Event.action == MIGRATE_ACTION)) == 1
    assert _rows(archive, IndexQueue, IndexQueue.document_id == pdf_id) == []


def test_opening_an_archive_migrated_to_renditions_merges_its_pdfs(tmp_path: Path):
    with Archive.init(tmp_path / "legacy", config=load_config()) as archive:
        document = Generator(config=load_config()).generate("reminder", get_kind("reminder").example())
        [filing] = file_generated(archive, document, actor="test")
        pdf_id = _legacy_pdf(archive, filing["document_id"])
        # The catalog as the revision before renditions left it: the later revisions taken back by their
        # own downgrades, then the renditions table dropped (its downgrade would merge nothing back).
        with archive.engine.begin() as connection:
            cfg = db.alembic_config(archive.engine.url.render_as_string(hide_password=False))
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0009")
            connection.execute(text("drop table renditions"))
            connection.execute(text("update alembic_version set version_num = '0008'"))
    with Archive.open(tmp_path / "legacy", config=load_config()) as archive:
        assert db.current_revision(archive.engine) == db.HEAD
        assert [d.id for d in _rows(archive, Document)] == [filing["document_id"]]
        [event] = _rows(archive, Event, Event.action == MIGRATE_ACTION)
        assert event.details["merged"] == pdf_id
        assert verify_archive(archive, record=False).ok


def test_the_volume_binds_a_merged_legacy_pdf_in_place_of_its_docx(plain_archive, tmp_path: Path):
    archive, doc_id = plain_archive
    _legacy_pdf(archive, doc_id)
    check(archive, actor="test")
    result = build_volume(archive, KEY, tmp_path / "volume.pdf")
    [entry] = result.entries
    assert (entry.document_id, entry.rendition, entry.pages) == (doc_id, "pdf", 2)
