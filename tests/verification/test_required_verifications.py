"""Checklists can require a verification; completeness reports an unverified item as its own status."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from verification_samples import KEY, LOAN, make_sample, photo

from dossier.archive.completeness import ItemStatus, evaluate_loan, load_checklists, parse_checklists
from dossier.archive.completeness.snapshot import load_snapshot
from dossier.cli.app import main
from dossier.config import load_config
from dossier.errors import ConfigError
from dossier.verification import record_verification

AS_OF = date(2026, 6, 30)


@pytest.fixture
def sample(tmp_path: Path):
    sample = make_sample(tmp_path / "home")
    yield sample
    sample.archive.close()


def review(sample) -> dict:
    archive = sample.archive
    snapshot = archive.transaction(lambda s: load_snapshot(s, KEY), write=False)
    loan = next(loan for loan in snapshot.loans if loan.contract_number == LOAN)
    result = evaluate_loan(snapshot, loan, load_checklists(config=load_config()), AS_OF, config=load_config())
    return {item.key: item for item in result.items} | {"_result": result}


def test_a_purchase_contract_must_be_verified_authentic_before_approval(sample) -> None:
    items = review(sample)
    contract = items["purpose-proof"]
    assert contract.status is ItemStatus.UNVERIFIED and contract.status_label == "未核实"
    assert contract.document_ids == (sample.contract,)
    assert contract.verification == "审批前核实购销合同真实性" and "未核实" in (contract.note or "")
    assert ItemStatus.UNVERIFIED.is_problem and items["_result"].counts["unverified"] == 2

    archive = sample.archive
    late = record_verification(
        archive, sample.contract, "原件核对", "一致", "吴晓东", claimed_at=date(2026, 3, 20)
    )
    assert "晚于审批日" in (review(sample)["purpose-proof"].note or "")
    wrong = record_verification(
        archive, sample.contract, "第三方核实", "不一致", "吴晓东", claimed_at=date(2026, 3, 8)
    )
    assert "结果为不一致" in (review(sample)["purpose-proof"].note or "")
    good = record_verification(
        archive,
        sample.contract,
        "第三方核实",
        "一致",
        "吴晓东",
        claimed_at=datetime(2026, 3, 8, 9),
        corrects=wrong.id,
    )
    contract = review(sample)["purpose-proof"]
    assert contract.status is ItemStatus.PRESENT and contract.verification_ids == (good.id,)
    assert late.id not in contract.verification_ids
    # A correction that withdraws the good record makes the item unverified again.
    record_verification(archive, sample.contract, "第三方核实", "无法核实", "吴晓东", corrects=good.id)
    assert review(sample)["purpose-proof"].status is ItemStatus.UNVERIFIED


def test_a_mortgage_needs_a_site_visit_with_photos(sample, tmp_path: Path) -> None:
    archive = sample.archive
    record_verification(
        archive,
        sample.certificate,
        "上门核实",
        "一致",
        "吴晓东",
        with_people=["许志强"],
        claimed_at=date(2026, 3, 5),
    )
    certificate = review(sample)["property-certificate"]
    assert certificate.status is ItemStatus.UNVERIFIED and "缺少照片" in (certificate.note or "")
    record_verification(
        archive, sample.certificate, "原件核对", "一致", "吴晓东", evidence_paths=[photo(tmp_path / "a.jpg")]
    )
    certificate = review(sample)["property-certificate"]
    assert certificate.status is ItemStatus.UNVERIFIED and "方式不符" in (certificate.note or "")
    visit = record_verification(
        archive,
        sample.certificate,
        "上门核实",
        "一致",
        "吴晓东",
        with_people=["许志强"],
        claimed_at=date(2026, 3, 5),
        evidence_paths=[photo(tmp_path / "b.jpg", taken="2026:03:05 11:00:00")],
    )
    certificate = review(sample)["property-certificate"]
    assert certificate.status is ItemStatus.PRESENT and certificate.verification_ids == (visit.id,)


def test_the_completeness_command_shows_unverified_items(sample, capsys) -> None:
    home = str(sample.archive.home)
    assert main(["completeness", KEY, "--as-of", "2026-06-30", "--home", home, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    loan = next(loan for loan in result["loans"] if loan["contract_number"] == LOAN)
    statuses = {item["key"]: item["status"] for item in loan["items"]}
    assert statuses["purpose-proof"] == statuses["property-certificate"] == "unverified"
    assert loan["counts"]["unverified"] == 2
    assert main(["completeness", KEY, "--as-of", "2026-06-30", "--home", home]) == 0
    assert "未核实" in capsys.readouterr().out
    html = Path(home).parent / "report.html"
    assert main(["completeness", KEY, "--as-of", "2026-06-30", "--home", home, "--html", str(html)]) == 0
    assert "未核实" in html.read_text(encoding="utf-8")


CHECKLIST = """
version: 1
anchors:
  approval: {{label: 审批日, from: ["loan:start_date"]}}
common:
  label: 通用
  items:
    - {item}
products:
  personal-consumption: {{label: 个人消费, items: []}}
default_product: {{person: personal-consumption}}
guarantees: {{credit: {{label: 信用, items: []}}}}
"""


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("{doc_type: purpose-proof, stage: 调查, verify: {before: signing}}", "unknown anchor 'signing'"),
        ("{doc_type: purpose-proof, stage: 调查, verify: {methods: [看一看]}}", "methods"),
        ("{doc_type: purpose-proof, stage: 调查, verify: {evidence: drawing}}", "evidence"),
        ("{doc_type: inspection-report, stage: 贷后, cadence: inspection, verify: {}}", "recurring"),
    ],
)
def test_a_bad_verification_rule_is_refused_when_the_checklists_load(item: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_checklists(CHECKLIST.format(item=item), config=load_config())


def test_a_good_rule_parses_with_chinese_method_names() -> None:
    text = CHECKLIST.format(
        item="{doc_type: purpose-proof, stage: 调查, verify: {methods: [电话核实, 系统查询]}}"
    )
    (entry,) = parse_checklists(text, config=load_config()).common
    assert entry.item.verify is not None
    assert [m.value for m in entry.item.verify.methods] == ["phone", "registry"]
    assert entry.item.verify.description == "电话核实/系统查询"
