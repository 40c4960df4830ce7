"""授信调查审批报告: the conditional approval example, a rejection, and the approval rules."""

import io
from decimal import Decimal
from typing import Any

import docx
import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import Generator
from dossier.kinds.credit import KIND, CreditInput, derive


def rows_of(content: bytes) -> list[list[str]]:
    document = docx.Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


@pytest.fixture
def example() -> dict[str, Any]:
    return KIND.example()


def problems(generator: Generator, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(InputError) as info:
        generator.generate(KIND.name, data)
    return [(p.path, p.label, p.reason) for p in info.value.problems]


def test_example_renders_the_review_and_the_conditional_approval(generator, example):
    document = generator.generate("credit", example)
    text = all_text(document.content)
    rows = rows_of(document.content)
    assert "授信调查审批报告" in text and "授审〔2026〕思明第0388号" in text
    assert "厦门示例包装材料有限公司" in text
    assert "人民币叁佰万元整" in text  # applied for
    assert ["审批金额（元）", "2,800,000.00", "金额大写", "人民币贰佰捌拾万元整"] in rows
    assert ["申请金额（元）", "3,000,000.00", "较申请压降（元）", "200,000.00"] in rows
    assert ["审批利率", "一年期LPR（3.00%）加60个基点，即年利率3.60%，每12个月重定价"] in rows
    assert ["担保方式", "抵押+保证", "额度有效期至", "2027年5月26日"] in rows
    assert ["审批层级", "支行", "批复编号", "批复〔2026〕思明第0388号"] in rows
    assert "审查结论：有条件同意。" in text
    assert "经支行审批，有条件同意向厦门示例包装材料有限公司发放如下授信：" in text
    assert "1. 抵押房产办妥不动产抵押登记且我行为第一顺位抵押权人后方可放款。" in text
    assert "审查人（签字）：刘建平" in text and "审批人（签字）：郑建国" in text
    assert "主调查人（签字）：王志强" in text and "协调查人（签字）：黄丽娟" in text
    assert "审批日期：2026年11月26日" in text
    assert document.filename == "授信调查审批报告-厦门示例包装材料有限公司-批复〔2026〕思明第0388号"
    assert document.warnings == ()
    assert KIND.category == "approval" and KIND.doc_type == "credit-approval"


def test_figures_are_computed_on_the_approved_terms(generator, example):
    document = generator.generate("credit", example)
    rows = rows_of(document.content)
    # 抵押率 on the approved 2,800,000: 2,800,000 / 5,380,000 = 52.04 %.
    assert ["担保债权金额（元）", "2,800,000.00", "抵押率", "52.04%"] in rows
    # AA 50 % × 组合 60 % × 12 months 100 % = 30 %.
    assert ["贷款风险度", "30.00%", "信用等级", "AA"] in rows
    assert ["资产负债率(%)", "52.84", "52.17", "51.38", "51.19"] in rows
    assert ["资产总计", "17,600,000.00", "18,400,000.00", "19,560,000.00", "20,120,000.00"] in rows


def test_derive_golden_values(example):
    derived = derive(CreditInput.model_validate(example, context={"config": load_config()}), load_config())
    assert derived["approval_facts"]["approved"] is True
    assert derived["approval_facts"]["annual_rate"] == Decimal("3.60")
    assert derived["approval_facts"]["reduction"] == Decimal("200000.00")
    assert derived["effective_terms"]["amount"] == Decimal("2800000.00")
    assert derived["guarantee_facts"]["overall_mortgage_ratio"] == Decimal("52.04")
    assert derived["risk_facts"]["grade"] == "AA" and derived["risk_facts"]["degree"] == Decimal("30.00")
    # A longer approved term moves the term coefficient: 36 months → 120 %, so 50 × 60 × 120 % = 36 %.
    example["approval"]["term_months"] = 36
    derived = derive(CreditInput.model_validate(example, context={"config": load_config()}), load_config())
    assert derived["risk_facts"]["degree"] == Decimal("36.00")


def test_a_rejection_needs_no_approved_terms_and_rates_the_request(generator, example):
    example["review"]["conclusion"] = "不同意"
    for key in ("amount", "term_months", "rate", "repayment_method", "guarantee_methods", "valid_until"):
        example["approval"].pop(key)
    example["approval"]["conditions"] = []
    document = generator.generate("credit", example)
    text = all_text(document.content)
    assert "经支行审批，不同意向厦门示例包装材料有限公司授信。" in text
    assert "审批金额（元）" not in text
    assert document.context["approval_facts"]["approved"] is False
    # 抵押率 falls back to the requested 3,000,000: 55.76 %.
    assert document.context["guarantee_facts"]["overall_mortgage_ratio"] == Decimal("55.76")


def test_a_request_for_more_information_lists_what_is_missing(generator, example):
    example["review"]["conclusion"] = "补充资料"
    example["approval"]["conditions"] = ["补充提供2026年10月末科目余额表。"]
    text = all_text(generator.generate("credit", example).content)
    assert "请经办机构补充以下资料后重新提交审查" in text
    assert "1. 补充提供2026年10月末科目余额表。" in text


def test_approved_amount_above_the_request_is_refused(generator, example):
    example["approval"]["amount"] = "3000000.01"
    found = problems(generator, example)
    assert found == [("approval.amount", "审批金额", found[0][2])]
    assert "审批金额不得超过申请金额3000000.00元" in found[0][2]


def test_an_approval_must_state_amount_term_rate_and_guarantee(generator, example):
    for key in ("amount", "term_months", "rate", "guarantee_methods"):
        example["approval"].pop(key)
    found = problems(generator, example)
    assert [(p, lab) for p, lab, _ in found] == [
        ("approval.amount", "审批金额"),
        ("approval.term_months", "审批期限(月)"),
        ("approval.rate", "审批利率"),
        ("approval.guarantee_methods", "审批担保方式"),
    ]
    assert all("有条件同意时须填写" in reason for _, _, reason in found)


def test_a_conditional_approval_needs_conditions(generator, example):
    example["approval"]["conditions"] = []
    assert problems(generator, example)[0][:2] == ("approval.conditions", "用款/放款条件")


def test_the_facility_must_outlive_the_approval(generator, example):
    example["approval"]["valid_until"] = "2026-11-26"
    assert problems(generator, example)[0][:2] == ("approval.valid_until", "额度有效期至")


def test_a_review_after_the_approval_is_refused(generator, example):
    example["review"]["review_date"] = "2026-11-27"
    found = problems(generator, example)
    assert found[0][:2] == ("review.review_date", "审查日期") and "晚于审批日期" in found[0][2]


def test_one_investigator_is_refused(generator, example):
    example["investigators"] = example["investigators"][1:]
    found = problems(generator, example)
    assert found[0][:2] == ("investigators", "调查人") and "双人调查" in found[0][2]


def test_approving_a_pledge_nobody_offered_is_refused(generator, example):
    example["guarantee"]["collateral"] = []
    example["request"]["guarantee_methods"] = ["保证"]
    found = problems(generator, example)
    assert found[0][:2] == ("guarantee.collateral", "抵(质)押物")


def test_unknown_review_conclusion_is_refused(generator, example):
    example["review"]["conclusion"] = "原则同意"
    assert problems(generator, example)[0][:2] == ("review.conclusion", "审查结论")
