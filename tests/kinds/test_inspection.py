"""贷后检查报告: the example renders with hand-checked figures; every cross-field rule is enforced."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import docx
import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.finance.classification import FiveClass
from dossier.generation import SHIPPED_TEMPLATES, Generator, required_fields
from dossier.kinds.inspection import KIND, InspectionInput, derive
from dossier.render.lint import lint_template, schema_fields

MISUSE_DETAIL = "借款人于2025年10月8日将贷款资金30万元从交易对手账户回流后用于归还他行贷款。"


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def example() -> dict[str, Any]:
    return KIND.example()


def table_rows(content: bytes) -> list[list[str]]:
    doc = docx.Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]


def problem_of(generator: Generator, data: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        generator.generate("inspection", data)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    return problems[0].path, problems[0].reason


def derived(data: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    return dict(derive(InspectionInput.model_validate(data, context={"config": config}), config))


# -- the example ------------------------------------------------------------------------------------------
def test_example_golden_values() -> None:
    d = derived(example())
    # Interest due 2026-02-21 unpaid on 2026-03-20: 28 days in February − day 0 = 27 days.
    assert d["days_past_due"] == 27
    assert d["dpd_floor"] is FiveClass.SPECIAL_MENTION
    assert d["final_class"] is FiveClass.SPECIAL_MENTION
    assert d["proposal_below_floor"] is False
    # 关注 → monthly; term 12 months → quarterly; grade A2 → quarterly: the shortest, one month.
    assert d["inspection_interval_months"] == 1
    assert d["next_check_date"] == date(2026, 4, 20)
    assert d["loan_balance"] == Decimal("950000.00")
    assert d["balance_derived"] is True
    assert d["interest_arrears_amount"] == Decimal("3149.51")  # 16,351.80 − 13,202.29
    assert d["overdue_principal"] == Decimal("0.00")
    assert d["fund_flow_total"] == Decimal("1000000.00")
    assert d["mortgage_ratio_original"] == Decimal("55.56")  # 1,000,000 / 1,800,000
    assert d["mortgage_ratio_now"] == Decimal("57.58")  # 950,000 / 1,650,000
    rows = d["finance_rows"]
    assert (rows["debt_to_asset"].before, rows["debt_to_asset"].now) == (Decimal("55.00"), Decimal("60.00"))
    assert rows["debt_to_asset"].change_text == "上升5.00个百分点"
    assert (rows["current_ratio"].before, rows["current_ratio"].now) == (Decimal("1.33"), Decimal("1.25"))
    # (5,650,000 − 2,180,000) / 4,520,000 = 0.7677 → 0.77; (5,200,000 − 1,850,000) / 3,900,000 → 0.86.
    assert rows["quick_ratio"].change == Decimal("-0.09")
    assert rows["revenue"].change_text == "减少1,500,000.00元"
    assert d["warning_signal_count"] == 1
    assert d["warnings"] == []


def test_example_renders(generator: Generator) -> None:
    document = generator.generate("inspection", example())
    assert document.warnings == ()
    assert document.filename == "贷后检查报告-JJ2025-XM0918-01-2026-03-20"
    assert document.kind.category == "post-loan" and document.kind.doc_type == "inspection-report"
    text = all_text(document.content)
    for expected in (
        "编号：贷检〔2026〕第0037号",
        "厦门鹭江示例精密机械有限公司",
        "91350203MA8RQ2W4XC",
        "定期检查",
        "现场检查",
        "2025年12月19日",
        "人民币玖拾伍万元整",
        "950,000.00",
        "注：贷款余额按发放金额减累计实还本金计算。",
        "3,149.51",
        "27天",
        "上升5.00个百分点",
        "57.58%",
        "55.56%",
        "经检查，未发现借款人挪用贷款资金的情况。",
        "本次检查后，贷款五级分类由正常类调整为关注类。",
        "2026年4月20日",
        "每1个月",
        "林晓东、黄雅婷",
    ):
        assert expected in text, expected
    assert "存在挪用贷款资金" not in text
    assert "逾期天数下限：" not in text  # the proposal respects the floor: no override line
    rows = table_rows(document.content)
    assert ["2", "2025年9月19日", "厦门示例数控设备配件有限公司", "250,000.00", "采购数控刀具及配件"] in rows
    assert ["合计", "", "", "1,000,000.00", ""] in rows
    assert ["资产负债率", "55.00%", "60.00%", "上升5.00个百分点"] in rows
    assert ["4", "征信报告新增逾期", "☑"] in rows
    assert ["1", "涉及诉讼", "☐"] in rows
    assert ["逾期天数", "27天", "逾期天数下限", "关注"] in rows


def test_template_shows_every_required_field_and_knows_every_path(generator: Generator) -> None:
    data = generator.validate("inspection", example())
    known = schema_fields(InspectionInput)
    for key in derived(example()):
        known |= {key, f"{key}.*", f"{key}[].*"}
    problems = lint_template(
        SHIPPED_TEMPLATES / KIND.template,
        known_fields=known,
        required_fields=required_fields(type(data)),
        engine=generator.engine,
    )
    assert problems == []


# -- classification ---------------------------------------------------------------------------------------
def test_proposal_better_than_floor_is_overridden_with_a_warning(generator: Generator) -> None:
    data = example()
    data["classification"]["proposal"] = "正常"
    document = generator.generate("inspection", data)
    assert len(document.warnings) == 1
    warning = document.warnings[0]
    assert "better than the floor" in warning and "认定为关注" in warning
    assert document.context["final_class"] == "关注"
    text = all_text(document.content)
    assert "建议分类：正常；逾期天数下限：关注；认定分类：关注。" in text
    assert ["分类建议", "正常", "认定分类", "关注"] in table_rows(document.content)


def test_floor_follows_the_chosen_rule_set() -> None:
    data = example()
    data["check_date"] = "2026-09-10"  # 201 days after 2026-02-21
    data["classification"]["proposal"] = "substandard"
    assert derived(data)["days_past_due"] == 201
    assert derived(data)["final_class"] is FiveClass.SUBSTANDARD  # 2023 rules: 91–270 days → 次级
    data["classification"]["rules"] = "legacy"
    legacy = derived(data)
    assert legacy["dpd_floor"] is FiveClass.DOUBTFUL  # 脱期法: 181–360 days → 可疑
    assert legacy["final_class"] is FiveClass.DOUBTFUL
    assert legacy["classification_rules_label"] == "脱期法（农信传统口径）"
    assert legacy["next_check_date"] == date(2026, 10, 10)


def test_worse_proposal_stands_without_warning() -> None:
    data = example()
    data["classification"]["proposal"] = "次级类"
    d = derived(data)
    assert d["final_class"] is FiveClass.SUBSTANDARD
    assert d["warnings"] == []


def test_nothing_overdue_and_normal_gives_quarterly_check() -> None:
    data = example()
    data["repayment"] = {"principal_due": "50000", "principal_paid": "50000"}
    data["classification"]["proposal"] = "normal"
    d = derived(data)
    assert d["days_past_due"] == 0
    assert d["dpd_floor"] is FiveClass.NORMAL
    assert d["interest_arrears_amount"] is None
    assert d["next_check_date"] == date(2026, 6, 20)  # 正常, >6-month term, A2: all quarterly


def test_customer_grade_shortens_the_interval() -> None:
    data = example()
    data["repayment"] = {"principal_paid": "50000"}
    data["classification"]["proposal"] = "正常"
    data["customer_grade"] = "b1"
    d = derived(data)
    assert d["inspection_interval_months"] == 2
    assert d["next_check_date"] == date(2026, 5, 20)


# -- fund use ---------------------------------------------------------------------------------------------
def test_misuse_prints_the_fund_misuse_line(generator: Generator) -> None:
    data = example()
    data["fund_use"]["misused"] = "是"
    data["fund_use"]["misuse_detail"] = MISUSE_DETAIL
    document = generator.generate("inspection", data)
    text = all_text(document.content)
    assert f"经检查，借款人存在挪用贷款资金的情况：{MISUSE_DETAIL}" in text
    assert "未发现借款人挪用" not in text
    assert ["受托支付对象", "福建示例特钢贸易有限公司", "是否挪用", "是"] in table_rows(document.content)


def test_yaml_boolean_reads_as_misuse_answer() -> None:
    data = example()
    data["fund_use"]["misused"] = False
    assert derived(data)["fund_misused"] is False


def test_misuse_needs_a_description(generator: Generator) -> None:
    data = example()
    data["fund_use"]["misused"] = "yes"
    path, reason = problem_of(generator, data)
    assert path == "fund_use" and "挪用情况说明" in reason


def test_fund_flows_may_not_exceed_the_amount(generator: Generator) -> None:
    data = example()
    data["fund_use"]["flows"][0]["amount"] = "600000.01"
    path, reason = problem_of(generator, data)
    assert path == "fund_use" and "大于发放金额" in reason


def test_fund_flow_after_the_check_is_rejected(generator: Generator) -> None:
    data = example()
    data["fund_use"]["flows"][2]["date"] = "2026-03-21"
    path, reason = problem_of(generator, data)
    assert path == "fund_use" and "第3笔" in reason


# -- balance and repayment --------------------------------------------------------------------------------
def test_balance_is_taken_as_typed_without_principal_repaid(generator: Generator) -> None:
    data = example()
    data["loan"]["balance"] = "960000"
    del data["repayment"]["principal_paid"]
    del data["repayment"]["principal_due"]
    document = generator.generate("inspection", data)
    assert document.context["loan_balance"] == Decimal("960000.00")
    assert document.context["overdue_principal"] == ""
    text = all_text(document.content)
    assert "注：贷款余额按核算系统余额填列。" in text
    assert "人民币玖拾陆万元整" in text


def test_typed_balance_must_match_principal_repaid(generator: Generator) -> None:
    data = example()
    data["loan"]["balance"] = "960000"
    path, reason = problem_of(generator, data)
    assert path == "repayment" and "950,000.00" in reason


def test_balance_or_principal_repaid_is_required(generator: Generator) -> None:
    data = example()
    del data["repayment"]["principal_paid"]
    del data["repayment"]["principal_due"]
    path, reason = problem_of(generator, data)
    assert path == "repayment" and "须填写贷款余额或累计实还本金" in reason


def test_balance_above_amount_is_rejected(generator: Generator) -> None:
    data = example()
    data["loan"]["balance"] = "1000000.01"
    del data["repayment"]["principal_paid"]
    path, _ = problem_of(generator, data)
    assert path == "loan"


def test_typed_arrears_must_match_interest_due_minus_paid(generator: Generator) -> None:
    data = example()
    data["repayment"]["interest_arrears"] = "3149.50"
    path, reason = problem_of(generator, data)
    assert path == "repayment" and "3,149.51" in reason


def test_interest_due_and_paid_come_together(generator: Generator) -> None:
    data = example()
    del data["repayment"]["interest_paid"]
    path, _ = problem_of(generator, data)
    assert path == "repayment"


def test_typed_arrears_without_interest_figures() -> None:
    data = example()
    del data["repayment"]["interest_due"]
    del data["repayment"]["interest_paid"]
    data["repayment"]["interest_arrears"] = "3149.51"
    assert derived(data)["interest_arrears_amount"] == Decimal("3149.51")


def test_unpaid_amounts_need_the_earliest_unpaid_due_date(generator: Generator) -> None:
    data = example()
    del data["repayment"]["earliest_unpaid_due"]
    path, reason = problem_of(generator, data)
    assert path == "repayment" and "最早未还款到期日" in reason


def test_unpaid_due_date_without_anything_unpaid_is_rejected(generator: Generator) -> None:
    data = example()
    data["repayment"]["interest_paid"] = data["repayment"]["interest_due"]
    path, reason = problem_of(generator, data)
    assert path == "repayment" and "不应填写" in reason


def test_unpaid_due_date_after_the_check_is_rejected(generator: Generator) -> None:
    data = example()
    data["repayment"]["earliest_unpaid_due"] = "2026-03-21"
    path, _ = problem_of(generator, data)
    assert path == "repayment"


# -- other rules ------------------------------------------------------------------------------------------
def test_last_check_must_precede_this_one(generator: Generator) -> None:
    data = example()
    data["last_check_date"] = "2026-03-20"
    path, _ = problem_of(generator, data)
    assert path == "last_check_date"


def test_unknown_customer_grade(generator: Generator) -> None:
    data = example()
    data["customer_grade"] = "C9"
    path, reason = problem_of(generator, data)
    assert path == "customer_grade" and "A1" in reason


def test_unknown_rule_set(generator: Generator) -> None:
    data = example()
    data["classification"]["rules"] = "1998"
    path, reason = problem_of(generator, data)
    assert path == "classification.rules" and "legacy" in reason


def test_unknown_class(generator: Generator) -> None:
    data = example()
    data["classification"]["proposal"] = "良好"
    path, _ = problem_of(generator, data)
    assert path == "classification.proposal"


@pytest.mark.parametrize("names", [[], ["林晓东", "黄雅婷", "王建国"], ["林晓东", "林晓东"]])
def test_one_or_two_distinct_inspectors(generator: Generator, names: list[str]) -> None:
    data = example()
    data["inspectors"] = names
    path, _ = problem_of(generator, data)
    assert path == "inspectors"


def test_check_before_disbursement_is_rejected(generator: Generator) -> None:
    data = example()
    data["check_date"] = "2025-09-17"
    data["last_check_date"] = None
    path, _ = problem_of(generator, data)
    assert path == "loan"


def test_late_first_check_warns_and_optional_blocks_fall_back(generator: Generator) -> None:
    data = example()
    data.update(check_type="first", check_method="off-site", check_date="2025-10-10", last_check_date=None)
    data["repayment"] = {"principal_paid": "0"}
    data["classification"] = {"proposal": "正常"}
    data["warning_signals"] = {"other": "主要客户流失"}
    for key in ("finance", "collateral", "guarantor_capacity"):
        del data[key]
    document = generator.generate("inspection", data)
    assert len(document.warnings) == 1 and "2025-10-03" in document.warnings[0]
    text = all_text(document.content)
    assert "首次检查" in text and "非现场检查" in text
    assert "本次检查未取得借款人财务报表，不作财务指标对比。" in text
    assert "抵押率" not in text
    assert "（一）保证人担保能力" in text
    assert ["5", "其他：主要客户流失", "☑"] in table_rows(document.content)
    assert document.context["next_check_date"] == date(2026, 1, 10)
    assert "人民币壹佰万元整" in text
