"""Verification records: append-only audit events, corrections, refusal of back-dating, evidence filed."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from kit.catalog import tampering
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from verification_samples import KEY, LOAN, make_sample, photo

from dossier.archive.audit import events_for
from dossier.archive.catalog.models import Document, Event
from dossier.archive.integrity import verify_archive
from dossier.verification import (
    EvidenceFile,
    Method,
    Result,
    VerificationError,
    check_mirror,
    list_verifications,
    record_verification,
)


@pytest.fixture
def sample(tmp_path: Path):
    sample = make_sample(tmp_path / "home")
    yield sample
    sample.archive.close()


def test_a_record_is_an_audit_event_and_its_evidence_is_filed_and_hashed(sample, tmp_path: Path) -> None:
    shot = photo(tmp_path / "IMG_0001.jpg")
    before = datetime.now(UTC)
    record = record_verification(
        sample.archive,
        sample.contract,
        "原件核对",
        "一致",
        "吴晓东",
        evidence_paths=[shot, EvidenceFile(tmp_path / "IMG_0001.jpg", name="合同原件照片.jpg")],
        claimed_at=datetime(2026, 3, 5, 10, 0),
        place="借款人经营场所",
        note="核对合同原件，签章一致",
    )
    assert record.method is Method.ORIGINAL and record.result is Result.CONSISTENT
    assert record.loan == LOAN and record.borrower_key == KEY
    assert before <= record.recorded_at <= datetime.now(UTC)
    # A time without an offset is Beijing time.
    assert record.claimed_at == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    # The same photo twice is one document (the archive records content once).
    assert len(record.evidence) == 2 and record.evidence[0].document_id == record.evidence[1].document_id
    ref = record.evidence[0]
    assert ref.kind == "photo" and ref.media == {"captured_at": "2026-03-05T10:15:00+08:00"}
    assert ref.sha256 == hashlib.sha256(shot.read_bytes()).hexdigest()
    archive = sample.archive
    evidence_doc, event = archive.transaction(
        lambda s: (s.get(Document, ref.document_id), s.get(Event, record.id)), write=False
    )
    assert (archive.home / evidence_doc.path).read_bytes() == shot.read_bytes()
    assert evidence_doc.doc_type == "site-photo" and evidence_doc.category == "approval"
    assert evidence_doc.loan_id is not None and evidence_doc.details["evidence_for"] == {
        "document_id": sample.contract
    }
    assert event.action == "verify" and event.target == f"document:{sample.contract}"
    assert event.hash == record.event_hash and event.details["note"] == "核对合同原件，签章一致"
    assert list_verifications(archive, document_id=sample.contract) == [record]
    assert list_verifications(archive, loan=LOAN) == [record]
    assert verify_archive(archive, record=False).ok and check_mirror(archive).ok


def test_records_are_append_only_and_a_correction_points_at_the_record_it_corrects(sample) -> None:
    archive = sample.archive
    first = record_verification(archive, sample.contract, "电话核实", "一致", "吴晓东")
    for statement in (
        "update verification_records set result = 'inconsistent'",
        "delete from verification_records",
    ):
        with pytest.raises(DBAPIError, match="append-only"), archive.session() as session:
            session.execute(text(statement))
    fix = record_verification(
        archive, sample.contract, "电话核实", "不一致", "吴晓东", corrects=first.id, note="误记"
    )
    assert fix.corrects == first.id
    records = list_verifications(archive, document_id=sample.contract)
    assert [(r.id, r.corrected_by) for r in records] == [(first.id, fix.id), (fix.id, None)]
    assert list_verifications(archive, document_id=sample.contract, current_only=True) == [fix]
    with pytest.raises(VerificationError, match=f"already corrected by record {fix.id}"):
        record_verification(archive, sample.contract, "电话核实", "一致", "吴晓东", corrects=first.id)
    # A record of another document answers as a record that does not exist: it never says what it is
    # about (the other document may be another officer's).
    with pytest.raises(VerificationError) as other_document:
        record_verification(archive, sample.other, "电话核实", "一致", "吴晓东", corrects=fix.id)
    with pytest.raises(VerificationError) as missing:
        record_verification(archive, sample.other, "电话核实", "一致", "吴晓东", corrects=9999)
    assert str(other_document.value) == str(missing.value).replace("9999", str(fix.id))
    assert f"document {sample.other} has no verification record 9999" in str(missing.value)
    chain = archive.transaction(
        lambda s: [e.seq for e in events_for(s, borrower_key=KEY) if e.action == "verify"]
    )
    assert chain == [first.id, fix.id]


def test_nothing_is_back_dated(sample) -> None:
    archive = sample.archive
    with pytest.raises(VerificationError, match=r"recorded_at.*记录时间"):
        record_verification(
            archive,
            sample.contract,
            "phone",
            "consistent",
            "吴晓东",
            recorded_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(VerificationError, match=r"claimed time.*future.*核实时间晚于当前时间"):
        record_verification(archive, sample.contract, "phone", "consistent", "吴晓东", claimed_at=tomorrow)
    with pytest.raises(VerificationError, match="future"):
        record_verification(
            archive, sample.contract, "phone", "consistent", "吴晓东", claimed_at=date.today() + timedelta(2)
        )
    # A moment ago on a phone whose clock runs a minute fast is fine; a date alone is that day's start.
    soon = record_verification(
        archive,
        sample.contract,
        "phone",
        "consistent",
        "吴晓东",
        claimed_at=datetime.now(UTC) + timedelta(minutes=1),
    )
    day = record_verification(
        archive, sample.contract, "phone", "consistent", "吴晓东", claimed_at=date(2026, 3, 6)
    )
    assert soon.claimed_at is not None and day.claimed_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    assert all(r.recorded_at > datetime(2026, 1, 1, tzinfo=UTC) for r in (soon, day))
    assert len(list_verifications(archive)) == 2


def test_site_visits_need_two_different_people_and_bad_values_name_their_field(
    sample, tmp_path: Path
) -> None:
    archive = sample.archive
    with pytest.raises(VerificationError, match=r"^with \(同行人员\).*second person.*两人"):
        record_verification(archive, sample.certificate, "上门核实", "一致", "吴晓东")
    with pytest.raises(VerificationError, match="named twice"):
        record_verification(
            archive, sample.certificate, "site-visit", "一致", "吴晓东", with_people=["吴 晓东"]
        )
    with pytest.raises(VerificationError, match=r"^method \(核实方式\).*accepted"):
        record_verification(archive, sample.certificate, "看了看", "一致", "吴晓东")
    with pytest.raises(VerificationError, match=r"^result \(核实结果\)"):
        record_verification(archive, sample.certificate, "上门核实", "还行", "吴晓东")
    with pytest.raises(VerificationError, match=r"^document \(文档\): no filed document 999"):
        record_verification(archive, 999, "电话核实", "一致", "吴晓东")
    with pytest.raises(VerificationError, match=r"^evidence \(证据文件\): file not found"):
        record_verification(
            archive, sample.certificate, "电话核实", "一致", "吴晓东", evidence_paths=[tmp_path / "x.jpg"]
        )
    # Nothing was filed by the refused attempts.
    assert archive.transaction(lambda s: len(s.execute(select(Document)).all()), write=False) == 4
    visit = record_verification(
        archive,
        sample.certificate,
        "上门核实",
        "一致",
        "吴晓东",
        with_people=["许志强"],
        place="思明区示例路1号",
    )
    assert visit.people == ("吴晓东", "许志强") and visit.aspect.value == "existence"


def test_the_mirror_table_is_checked_against_the_chain(sample) -> None:
    archive = sample.archive
    record = record_verification(archive, sample.contract, "系统查询", "一致", "吴晓东")
    assert check_mirror(archive).ok
    with tampering(archive) as session:
        session.execute(text("update verification_records set result = 'inconsistent'"))
    report = check_mirror(archive)
    assert [(p.record, "differs" in p.problem) for p in report.problems] == [(record.id, True)]
    # Editing the event itself breaks the audit chain.
    with tampering(archive) as session:
        session.execute(update(Event).where(Event.seq == record.id).values(details={"result": "consistent"}))
    chain = verify_archive(archive, record=False)
    assert not chain.ok and chain.chain.problem is not None and chain.chain.problem.seq == record.id
