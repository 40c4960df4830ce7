"""Checklist files: the shipped one loads, a bank's file replaces it, mistakes are refused at load time,
and conditions are parsed, never evaluated as Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit import config_with

from dossier.archive.completeness import Stage, load_checklists, parse_checklists
from dossier.archive.completeness.conditions import (
    ConditionError,
    evaluate_condition,
    names_in,
    parse_condition,
)
from dossier.config import load_config
from dossier.domain.document_types import document_types
from dossier.errors import ConfigError

MINIMAL = """
version: 1
anchors:
  approval: {label: 审批日, from: [credit-approval, "loan:start_date"]}
common:
  label: 通用
  items:
    - {doc_type: loan-contract, stage: 合同}
products:
  personal-consumption:
    label: 个人消费
    items:
      - {doc_type: id-card, stage: 申请}
default_product: {person: personal-consumption}
guarantees:
  credit: {label: 信用, items: []}
"""


def test_shipped_checklists_cover_the_products_and_guarantees_of_the_table() -> None:
    checklists = load_checklists(config=load_config())
    assert {"personal-consumption", "personal-business", "small-business-working-capital"} <= set(
        checklists.products
    )
    assert {"mortgage", "surety", "credit"} <= set(checklists.guarantees)
    known = {t.key for t in document_types(config=load_config())}
    every = [*checklists.common, *(e for items in checklists.products.values() for e in items)]
    every += [e for items in checklists.guarantees.values() for e in items]
    assert all(doc_type in known for e in every for doc_type in e.item.doc_types)
    appraisal = next(e for e in checklists.guarantees["mortgage"] if e.key == "appraisal-report")
    assert (appraisal.item.max_age_days, appraisal.item.relative_to) == (365, "approval")


def test_a_loan_list_is_the_union_of_common_product_and_guarantee_lists() -> None:
    checklists = load_checklists(config=load_config())
    keys = [e.key for e in checklists.for_loan("personal-consumption", ["mortgage", "surety"])]
    assert len(keys) == len(set(keys))
    assert {"loan-contract", "id-card", "appraisal-report", "guarantee-contract"} <= set(keys)
    stages = [e.item.stage.order for e in checklists.for_loan("personal-consumption", ["mortgage"])]
    assert stages == sorted(stages)


def test_a_banks_file_replaces_the_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "checklists.yaml"
    path.write_text(MINIMAL, encoding="utf-8")

    checklists = load_checklists(config_with("archive", checklists=str(path)))

    assert list(checklists.products) == ["personal-consumption"]
    assert [e.key for e in checklists.for_loan("personal-consumption", ["credit"])] == [
        "id-card",
        "loan-contract",
    ]
    assert checklists.source == str(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("doc_type: id-card", "doc_type: passport", "unknown document type 'passport'"),
        ("stage: 申请", "stage: 审查中", "stage"),
        ("{doc_type: id-card, stage: 申请}", "{doc_type: id-card, stage: 申请, when: is_rich}", "is_rich"),
        (
            "{doc_type: id-card, stage: 申请}",
            "{doc_type: id-card, stage: 申请, max_age_days: 30}",
            "relative_to",
        ),
        (
            "{doc_type: id-card, stage: 申请}",
            "{doc_type: id-card, stage: 申请, max_age_days: 30, relative_to: signing}",
            "unknown anchor 'signing'",
        ),
        ('"loan:start_date"', '"loan:birthday"', "unknown loan date"),
        ("personal-consumption:\n", "pawn-shop:\n", "unknown product"),
        ("credit: {", "barter: {", "unknown guarantee type"),
        ("{doc_type: id-card, stage: 申请}", "{doc_type: id-card, stage: 申请, colour: red}", "colour"),
        ("version: 1", "version: 2", "version"),
    ],
)
def test_mistakes_are_refused_at_load_time(old: str, new: str, message: str) -> None:
    text = MINIMAL.replace(old, new, 1)
    assert text != MINIMAL
    with pytest.raises(ConfigError, match=message):
        parse_checklists(text, config=load_config())


def test_repeating_an_item_in_one_list_is_refused() -> None:
    text = MINIMAL.replace(
        "      - {doc_type: id-card, stage: 申请}",
        "      - {doc_type: id-card, stage: 申请}\n      - {doc_type: id-card, stage: 调查}",
    )
    with pytest.raises(ConfigError, match="twice"):
        parse_checklists(text, config=load_config())


def test_an_unreadable_override_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_checklists(config_with("archive", checklists=str(tmp_path / "missing.yaml")))


def test_stages_accept_chinese_and_english() -> None:
    assert Stage("贷后") is Stage.POST_LOAN is Stage("post-loan")
    assert [s.label for s in Stage] == ["申请", "调查", "审批", "合同", "放款", "贷后", "催收", "结清"]


def test_conditions_combine_named_predicates() -> None:
    node = parse_condition("borrower_married and not (borrower_is_enterprise or has_guarantor)")
    assert names_in(node) == {"borrower_married", "borrower_is_enterprise", "has_guarantor"}
    values = {"borrower_married": True, "borrower_is_enterprise": False, "has_guarantor": False}
    assert evaluate_condition(node, values.__getitem__) is True
    values["has_guarantor"] = True
    assert evaluate_condition(node, values.__getitem__) is False


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "borrower_married; has_guarantor",
        "borrower_married and",
        "(borrower_married",
        "borrower_married has_guarantor",
        "not",
        "",
        "open",
        "borrower_married == True",
    ],
)
def test_anything_but_the_condition_language_is_refused(text: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text)
