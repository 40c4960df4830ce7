"""The due-diligence report: exactly what the chain holds, in time order, vouched for by the audit chain."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from kit.catalog import tampering
from sqlalchemy import delete, update
from verification_samples import KEY, LOAN, OTHER_LOAN, make_sample, pdf, photo

from dossier.archive.audit import events_for
from dossier.archive.catalog.models import AuditHead, Event
from dossier.archive.filing import file_document
from dossier.archive.integrity import verify_archive
from dossier.cli.app import main
from dossier.config import load_config
from dossier.verification import (
    check_report,
    diligence_report,
    list_verifications,
    record_report,
    record_verification,
)

AS_OF = date(2026, 6, 30)


@pytest.fixture
def sample(tmp_path: Path):
    sample = make_sample(tmp_path / "home")
    yield sample
    sample.archive.close()


def checked(sample, tmp_path: Path) -> None:
    """A realistic file: checks with evidence, a correction, a notice sent and its receipt filed."""
    archive = sample.archive
    record_verification(
        archive, sample.contract, "原件核对", "一致", "吴晓东", claimed_at=date(2026, 3, 5),
        evidence_paths=[photo(tmp_path / "contract.jpg")],
    )  # fmt: skip
    wrong = record_verification(
        archive, sample.certificate, "上门核实", "不一致", "吴晓东", with_people=["许志强"]
    )
    record_verification(
        archive, sample.certificate, "上门核实", "一致", "吴晓东", with_people=["许志强"], corrects=wrong.id,
        claimed_at=date(2026, 3, 6), place="思明区示例路1号",
        evidence_paths=[photo(tmp_path / "site.jpg", "2026:03:06 09:00:00")],
    )  # fmt: skip
    record_verification(archive, sample.other, "电话核实", "一致", "吴晓东")
    for doc_type, title in (("collection-notice", "逾期贷款催收通知书"), ("collection-receipt", "催收回执")):
        file_document(
            archive, pdf(title), borrower_key=KEY, category="collection", doc_type=doc_type, title=title,
            contract_number=LOAN, doc_date=date(2026, 6, 1),
        )  # fmt: skip


def test_the_report_lists_exactly_what_the_chain_holds_for_the_loan(sample, tmp_path: Path) -> None:
    checked(sample, tmp_path)
    archive = sample.archive
    report = diligence_report(archive, KEY, LOAN, as_of=AS_OF)
    # Every filing and every verification of this loan's documents (and the borrower's own), nothing else.
    events = archive.transaction(lambda s: events_for(s, borrower_key=KEY), write=False)
    other = {sample.other}
    expected = [
        e.seq
        for e in events
        if e.action in ("file", "version", "verify")
        and int(e.details.get("document_id") or e.target.removeprefix("document:")) not in other
    ]
    assert [t.seq for t in report.timeline] == expected
    assert [t.at for t in report.timeline] == sorted(t.at for t in report.timeline)
    kinds = [t.kind for t in report.timeline]
    assert kinds.count("verification") == 3 and kinds.count("evidence") == 2
    assert kinds.count("notice") == 1 and kinds.count("receipt") == 1
    assert [v.id for v in report.verifications] == [r.id for r in list_verifications(archive, loan=LOAN)]
    assert report.verifications[1].corrected_by == report.verifications[2].id
    required = {c.item: c for c in report.required}
    assert set(required) == {"purpose-proof", "property-certificate"}
    assert required["purpose-proof"].status == "present"
    assert required["property-certificate"].satisfied_by == (report.verifications[2].id,)
    assert report.head_seq == events[-1].seq and report.head_hash == events[-1].hash
    whole = diligence_report(archive, KEY, as_of=AS_OF)
    assert {c.loan for c in whole.required} == {LOAN, OTHER_LOAN}
    assert len(whole.verifications) == 4


def test_the_html_is_chinese_printable_and_names_records_and_evidence(sample, tmp_path: Path) -> None:
    checked(sample, tmp_path)
    report = diligence_report(sample.archive, KEY, LOAN, as_of=AS_OF)
    html = report.to_html(issued_seq=99, config=load_config())
    assert html.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html and "@media print" in html
    for text in ("尽职调查档案（JK2026-000123）", "核实要求落实情况", "时间顺序记录", "上门核实",
                 "吴晓东、许志强", "已被第", "更正第", "通知发出", "回执归档", "第99号事件",
                 report.fingerprint):  # fmt: skip
        assert text in html, text
    for record in report.verifications:
        for ref in record.evidence:
            assert ref.sha256 in html
    assert "<script" not in html


def test_the_chain_vouches_for_the_report(sample, tmp_path: Path) -> None:
    checked(sample, tmp_path)
    archive = sample.archive
    report = diligence_report(archive, KEY, LOAN, as_of=AS_OF)
    issued = record_report(archive, report, "审计员")
    event = archive.transaction(lambda s: s.get(Event, issued), write=False)
    assert event.action == "diligence-report" and event.details["fingerprint"] == report.fingerprint
    data = json.loads(json.dumps(report.to_dict()))
    # Later work does not change what the report said at its head.
    record_verification(archive, sample.contract, "电话核实", "不一致", "吴晓东")
    assert check_report(archive, data).ok
    forged = {**data, "timeline": data["timeline"][1:]}
    assert not check_report(archive, forged).ok
    # A verification event edited in the catalog: the audit chain names it.
    seq = report.verifications[0].id
    with tampering(archive) as session:
        forged = {**event.details, "result": "x"}
        session.execute(update(Event).where(Event.seq == seq).values(details=forged))
    chain = verify_archive(archive, record=False)
    assert not chain.ok and chain.chain.problem is not None and chain.chain.problem.seq == seq


def test_the_commands(sample, tmp_path: Path, capsys) -> None:
    home = str(sample.archive.home)
    shot = photo(tmp_path / "IMG_1.jpg")
    code = main(
        ["verify-doc", str(sample.certificate), "--method", "上门核实", "--result", "一致",
         "--with", "许志强", "--evidence", str(shot), "--at", "2026-03-06 09:30", "--place", "现场",
         "--note", "房屋现状良好",
         "--actor", "吴晓东", "--home", home, "--json"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    record = json.loads(capsys.readouterr().out)
    assert record["method_label"] == "上门核实" and record["with_people"] == ["许志强"]
    assert record["claimed_at"] == "2026-03-06T01:30:00+00:00" and len(record["evidence"]) == 1
    photo_id = record["evidence"][0]["document_id"]
    assert main(["verify-doc", str(sample.contract), "--method", "原件核对", "--result", "一致",
                 "--evidence-doc", str(photo_id), "--home", home, "--json"]) == 0  # fmt: skip
    assert [e["document_id"] for e in json.loads(capsys.readouterr().out)["evidence"]] == [photo_id]
    for args, field in (
        (["--method", "上门核实", "--result", "一致"], "--with"),
        (["--method", "随便", "--result", "一致"], "--method"),
        (["--method", "电话核实", "--result", "一致", "--at", "2999-01-01"], "--at"),
        (["--method", "电话核实", "--result", "一致", "--at", "昨天"], "--at"),
        (["--method", "电话核实", "--result", "一致", "--corrects", "12345"], "--corrects"),
        (["--method", "电话核实", "--result", "一致", "--evidence-doc", "12345"], "--evidence-doc"),
    ):
        assert main(["verify-doc", str(sample.certificate), *args, "--home", home]) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"error: {field}:") and error.count("\n") == 1, error
    assert main(["verify-doc", "9999", "--method", "电话核实", "--result", "一致", "--home", home]) == 2
    assert capsys.readouterr().err.startswith("error: DOC_ID:")

    html = tmp_path / "diligence.html"
    saved = tmp_path / "diligence.json"
    assert (
        main(["diligence", KEY, "--loan", LOAN, "--html", str(html), "--as-of", "2026-06-30", "--home", home])
        == 0
    )
    out = capsys.readouterr().out
    assert "尽职调查档案" in out and "上门核实" in out
    assert "尽职调查档案" in html.read_text(encoding="utf-8")
    assert main(["diligence", KEY, "--loan", LOAN, "--as-of", "2026-06-30", "--home", home, "--json"]) == 0
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["diligence", KEY, "--check", str(saved), "--home", home]) == 0
    assert "一致" in capsys.readouterr().out
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["required"][0]["status"] = "present"
    saved.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["diligence", KEY, "--check", str(saved), "--home", home]) == 1
    assert main(["diligence", KEY, "--loan", "JK2099-999999", "--home", home]) == 2
    assert capsys.readouterr().err.startswith("error: --loan:")


def test_the_report_carries_its_chain_head_and_serves_as_an_anchor(sample, tmp_path: Path, capsys) -> None:
    archive, home = sample.archive, str(sample.archive.home)
    head = archive.transaction(lambda s: events_for(s)[-1], write=False)
    html = tmp_path / "diligence.html"
    assert main(["diligence", KEY, "--loan", LOAN, "--html", str(html), "--home", home]) == 0
    assert f"第{head.seq}号事件" in html.read_text(encoding="utf-8") and head.hash in html.read_text(
        encoding="utf-8"
    )
    capsys.readouterr()
    head = archive.transaction(lambda s: events_for(s)[-1], write=False)  # the HTML report's own event
    assert main(["diligence", KEY, "--loan", LOAN, "--home", home, "--json"]) == 0
    saved = tmp_path / "diligence.json"
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    assert json.loads(saved.read_text(encoding="utf-8"))["chain_head"] == {"seq": head.seq, "hash": head.hash}
    assert main(["audit", "verify", "--anchors", str(saved), "--home", home]) == 0
    # Cut the chain below the report's head, head row and all: the chain links, the report shows the cut.
    with tampering(archive) as session:
        session.execute(delete(Event).where(Event.seq >= head.seq))
        kept = session.get(Event, head.seq - 1)
        session.execute(update(AuditHead).values(seq=kept.seq, hash=kept.hash))
    capsys.readouterr()
    assert main(["audit", "verify", "--anchors", str(saved), "--home", home, "--json"]) == 1
    (problem,) = json.loads(capsys.readouterr().out)["anchors"]["problems"]
    assert problem["problem"] == "truncated" and problem["seq"] == head.seq
