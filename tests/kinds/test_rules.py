"""Kinds follow one pattern: cross-field rules collect Problems in a model validator, each at its field;
shared blocks (the secured-debt contract, the five-class and rule-set fields) behave alike in every kind."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from dossier.config import load_config
from dossier.domain.validation import validate
from dossier.errors import FieldProblem, InputError
from dossier.kinds.registry import get_kind

KINDS_DIR = Path(__file__).resolve().parents[2] / "src" / "dossier" / "kinds"


def problems(kind: str, data: dict[str, Any]) -> list[FieldProblem]:
    with pytest.raises(InputError) as caught:
        validate(get_kind(kind).schema, data, config=load_config())
    return caught.value.problems


def _is_model_validator(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call) and getattr(d.func, "id", "") == "model_validator"
        for d in node.decorator_list
    )


def test_cross_field_rules_are_written_one_way():
    # Not a field validator reading info.data, not a bare ValueError from a model validator (it has no
    # location and stops at the first problem), not a second helper: domain.rules.Problems.
    found = []
    for path in sorted(KINDS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "data"
                and getattr(node.value, "id", "") == "info"
            ):
                found.append(f"{path.name}:{node.lineno} reads info.data")
            if isinstance(node, ast.Name) and node.id in ("raise_problems", "rule_error"):
                found.append(f"{path.name}:{node.lineno} uses {node.id}")
            if isinstance(node, ast.FunctionDef) and _is_model_validator(node):
                found += [
                    f"{path.name}:{inner.lineno} raises from model validator {node.name}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Raise)
                ]
    assert found == []


def test_a_collection_notice_reports_every_broken_date_rule_at_its_field():
    data = get_kind("collection").example()
    data.update(as_of="2026-11-21", deadline="2026-11-20")
    found = {(p.path, p.label) for p in problems("collection", data)}
    assert found == {("as_of", "截至日"), ("deadline", "限期还款日")}


def test_a_warning_report_reports_all_its_problems_at_once():
    data = get_kind("warning-report").example()
    data["balance"] = "300000.01"
    data["signals"][2]["found_on"] = "2026-11-21"
    reasons = [p.reason for p in problems("warning-report", data)]
    assert any("贷款余额大于贷款金额" in r for r in reasons), reasons
    assert any("发现日期晚于报告日" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("kind", "own_rule", "own_path"),
    [
        (
            "mortgage-contract",
            {"insurance_required": False, "insurance_amount": "100000.00"},
            "insurance_amount",
        ),
        ("guarantee-contract", {"guarantee_period_end": "2031-03-20"}, "guarantee_period_months"),
    ],
)
def test_secured_debt_contracts_check_the_debt_term_with_their_own_rules(kind, own_rule, own_path):
    data = get_kind(kind).example() | {"debt_end": "2026-03-20"} | own_rule
    found = {(p.path, p.label) for p in problems(kind, data)}
    assert ("debt_end", "债务履行期限届满日") in found
    assert own_path in {path for path, _ in found}


def test_the_guarantee_contract_keeps_its_own_claim_labels():
    data = get_kind("guarantee-contract").example()
    del data["claim_amount"]
    assert [(p.path, p.label) for p in problems("guarantee-contract", data)] == [
        ("claim_amount", "被保证主债权本金数额")
    ]
    data = get_kind("mortgage-contract").example()
    del data["claim_amount"]
    assert [(p.path, p.label) for p in problems("mortgage-contract", data)] == [
        ("claim_amount", "被担保主债权本金数额")
    ]


@pytest.mark.parametrize(
    ("kind", "path", "field"),
    [("inspection", ("classification",), "rules"), ("warning-report", (), "rules")],
)
def test_an_unknown_rule_set_is_refused_alike(kind, path, field):
    data = get_kind(kind).example()
    block = data
    for part in path:
        block = block[part]
    block[field] = "no-such-rules"
    (problem,) = problems(kind, data)
    assert problem.path == ".".join([*path, field])
    assert "unknown rule set (未知分类规则) 'no-such-rules'" in problem.reason


@pytest.mark.parametrize(("typed", "value"), [("关注类", "关注"), ("substandard", "次级"), ("可疑", "可疑")])
def test_every_kind_reads_a_five_class_as_label_or_english_name(typed, value):
    plan = get_kind("collection-plan")
    data = plan.example() | {"five_class": typed}
    assert validate(plan.schema, data, config=load_config()).five_class.value == value
    report = get_kind("warning-report")
    data = report.example() | {"proposed_class": typed}
    assert validate(report.schema, data, config=load_config()).proposed_class.value == value
