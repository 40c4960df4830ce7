"""`dossier repair` on each state a crash can leave, built step by step with the filing code itself."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document, Event
from dossier.archive.filing import _place, _reserve, _write_temp, file_document, make_folder
from dossier.archive.integrity import verify_archive
from dossier.archive.registry import ensure_borrower, find_borrower
from dossier.archive.repair import check
from dossier.cli.app import main
from dossier.config import load_config
from dossier.errors import DossierError

PERSON = "110105198001010016"
STAGES = ("temp-written", "reserved", "linked", "temp-removed")


@pytest.fixture
def archive(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        ensure_borrower(opened, PERSON, "李四", "person", actor="test")
        yield opened


def interrupted(
    archive: Archive, content: bytes, stage: str, *, name: str = "合同", sidecar: bytes | None = None
):
    """Run the filing protocol up to ``stage`` and stop there, as a process killed at that point would."""
    borrower = archive.transaction(lambda s: find_borrower(s, PERSON), write=False)
    folder = archive.category_folder(borrower, "contracts")
    make_folder(archive, folder)
    temp = _write_temp(folder, content)
    input_temp = _write_temp(folder, sidecar) if sidecar is not None else None
    if stage == "temp-written":
        return folder, temp, None
    facts = {
        "category": "contracts",
        "doc_type": "loan-contract",
        "title": name,
        "doc_date": None,
        "sha256": temp.sha256,
        "size": temp.size,
        "media_type": "application/pdf",
        "pages": None,
        "original_name": None,
        "source": "ingested",
        "actor": "test",
        "loan_id": None,
    }
    reserved = archive.transaction(
        lambda s: _reserve(archive, s, PERSON, folder, name, ".pdf", facts, {}, temp, input_temp)
    )
    if stage in ("linked", "temp-removed"):
        assert _place(temp, reserved.path, input_temp, reserved.input_path)
    if stage == "temp-removed":
        temp.path.unlink()
        if input_temp is not None:
            input_temp.path.unlink()
    return folder, temp, reserved


def documents(archive: Archive) -> list[Document]:
    return archive.transaction(lambda s: list(s.execute(select(Document)).scalars()), write=False)


@pytest.mark.parametrize("stage", ["reserved", "linked", "temp-removed"])
def test_a_filing_whose_content_is_on_disk_is_finished(archive, stage):
    _, temp, reserved = interrupted(archive, b"%PDF-1.4 contract", stage)
    assert documents(archive)[0].state == "pending"
    report = check(archive)
    assert report.completed == [reserved.document_id] and report.rolled_back == []
    [document] = documents(archive)
    assert document.state == "filed" and "pending" not in document.details
    assert reserved.path.read_bytes() == b"%PDF-1.4 contract"
    assert not temp.path.exists()
    last = archive.transaction(
        lambda s: s.execute(select(Event).order_by(Event.seq.desc())).scalars().first()
    )
    assert last.action == "check" and last.details["completed"] == [reserved.document_id]
    assert verify_archive(archive).ok


def test_a_generated_filing_is_finished_with_its_input_sidecar(archive):
    _, _, reserved = interrupted(archive, b"docx", "linked", sidecar=b'{"kind": "reminder"}')
    report = check(archive)
    assert report.completed == [reserved.document_id]
    assert reserved.input_path.read_bytes() == b'{"kind": "reminder"}'
    assert verify_archive(archive).ok


def test_a_filing_with_nothing_on_disk_is_rolled_back(archive):
    _, temp, reserved = interrupted(archive, b"lost", "reserved")
    temp.path.unlink()  # as if the disk lost it
    report = check(archive)
    assert report.rolled_back == [reserved.document_id] and report.completed == []
    assert documents(archive) == []
    assert verify_archive(archive).ok


def test_a_sidecar_that_cannot_be_recovered_rolls_back_the_document_too(archive):
    folder, _, reserved = interrupted(archive, b"docx", "linked", sidecar=b"{}")
    reserved.input_path.unlink()
    for leftover in folder.glob(".dossier-tmp-*"):
        leftover.unlink()
    report = check(archive)
    assert report.rolled_back == [reserved.document_id]
    assert not reserved.path.exists()  # it was exactly ours, so it goes with the row
    assert documents(archive) == [] and verify_archive(archive).ok


def test_a_strangers_file_under_the_reserved_name_is_left_alone(archive):
    _, temp, reserved = interrupted(archive, b"ours", "reserved")
    reserved.path.write_bytes(b"a stranger's file")
    report = check(archive)
    assert report.rolled_back == [reserved.document_id]
    assert reserved.path.read_bytes() == b"a stranger's file" and not temp.path.exists()
    assert verify_archive(archive).unknown == [archive.relative(reserved.path)]


def test_a_stray_temporary_file_is_removed(archive):
    _, temp, _ = interrupted(archive, b"half", "temp-written")
    report = check(archive)
    assert report.removed == [archive.relative(temp.path)] and not temp.path.exists()
    assert report.completed == report.rolled_back == [] and documents(archive) == []
    assert check(archive).clean


def test_a_dry_run_reports_and_changes_nothing(archive, capsys):
    _, temp, reserved = interrupted(archive, b"%PDF", "reserved")
    code = main(["repair", "--home", str(archive.home), "--dry-run", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1 and payload["completed"] == [reserved.document_id] and not payload["repaired"]
    assert temp.path.exists() and documents(archive)[0].state == "pending"
    assert not verify_archive(archive, record=False).ok  # pending until repaired
    assert main(["repair", "--home", str(archive.home)]) == 0
    assert "completed" in capsys.readouterr().out
    assert verify_archive(archive).ok


def test_check_alone_is_still_repair_and_says_it_is_now_called_repair(archive, capsys):
    _, _, reserved = interrupted(archive, b"%PDF old name", "reserved")
    assert main(["check", "--home", str(archive.home), "--dry-run", "--json"]) == 1
    dry = capsys.readouterr()
    assert dry.err == "note: `dossier check` is now `dossier repair` (旧命令名，请改用 dossier repair)\n"
    assert json.loads(dry.out)["completed"] == [reserved.document_id]
    assert main(["check", "--home", str(archive.home), "--json"]) == 0
    done = capsys.readouterr()
    assert "`dossier repair`" in done.err and json.loads(done.out)["completed"] == [reserved.document_id]
    assert main(["repair", "--home", str(archive.home), "--json"]) == 0
    again = capsys.readouterr()
    assert again.err == "" and json.loads(again.out)["clean"]


def test_filing_the_same_content_again_before_check_is_refused_with_advice(archive):
    interrupted(archive, b"%PDF again", "reserved")
    with pytest.raises(DossierError, match="dossier repair"):
        file_document(
            archive,
            b"%PDF again",
            borrower_key=PERSON,
            category="contracts",
            doc_type="loan-contract",
            title="合同",
        )
    with pytest.raises(DossierError, match="dossier repair"):
        file_document(
            archive,
            b"other content",
            borrower_key=PERSON,
            category="contracts",
            doc_type="loan-contract",
            title="合同",
            filename="合同.pdf",
        )
    check(archive)
    result = file_document(
        archive,
        b"other content",
        borrower_key=PERSON,
        category="contracts",
        doc_type="loan-contract",
        title="合同",
        filename="合同.pdf",
    )
    assert result.status == "version" and result.version == 2


def test_a_clean_archive_needs_nothing(archive, capsys):
    file_document(archive, b"fine", borrower_key=PERSON, category="basic", doc_type="other", title="x")
    report = check(archive)
    assert report.clean
    assert main(["repair", "--home", str(archive.home)]) == 0
    assert "nothing to repair" in capsys.readouterr().out
    actions = archive.transaction(
        lambda s: [e.action for e in s.execute(select(Event)).scalars()], write=False
    )
    assert "check" not in actions
