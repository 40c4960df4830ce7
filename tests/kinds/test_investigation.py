"""贷前调查报告: the enterprise example end to end, a natural-person file, and every cross-field rule."""

import copy
import io
from decimal import Decimal
from typing import Any

import docx
import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import Generator
from dossier.kinds.investigation import KIND, InvestigationInput, derive


def rows_of(content: bytes) -> list[list[str]]:
    document = docx.Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


@pytest.fixture
def example() -> dict[str, Any]:
    return KIND.example()


def person_file() -> dict[str, Any]:
    """A 个人消费 loan to a married man, guaranteed by his father; no statements, household figures."""
    data = KIND.example()
    for key in ("financials", "operations", "working_capital", "usage_plan", "benefit"):
        data.pop(key)
    data["report_no"] = "调查〔2026〕鼓楼第0077号"
    data["borrower"] = {
        "customer_type": "自然人",
        "name": "赵文斌",
        "id_number": "350102198806123013",
        "marital_status": "已婚",
        "spouse": {"name": "孙雅琴", "id_number": "350102199003054020"},
        "hukou_address": "福建省福州市鼓楼区示例街道12号",
        "address": "福建省福州市鼓楼区示例花园5号楼702室",
        "occupation": "工程师",
        "employer": "福州示例软件有限公司",
        "family_size": 3,
        "mobile": "13705911234",
    }
    terms = {
        "amount": "200000.00",
        "term_months": 36,
        "rate": {"rate_type": "浮动", "lpr_tenor": "一年期", "lpr_percent": "3.00", "spread_bp": 80},
        "repayment_method": "等额本息",
        "guarantee_methods": ["保证"],
    }
    data["request"] = terms | {"product": "个人消费", "purpose": "自住房屋装修"}
    data["household"] = {
        "total_assets": "3200000.00",
        "total_liabilities": "900000.00",
        "monthly_income": "28000.00",
        "monthly_expenses": "8000.00",
        "monthly_debt_service": "6500.00",
        "income_source": "夫妻双方工资收入",
    }
    data["credit_record"] = {"query_date": "2026-11-18", "overdue_times_24m": 1}
    data["guarantee"] = {
        "guarantors": [
            {
                "kind": "自然人",
                "name": "赵国良",
                "id_number": "350102196508201512",
                "relation": "父子",
                "net_assets": "1500000.00",
            }
        ]
    }
    data["risk"] = {"credit_grade": "A", "risk_points": ["借款人现有房贷，负债收入比偏高。"]}
    data["repayment_source"] = "借款人夫妻工资收入。"
    data["secondary_source"] = None
    data["conclusion"] = terms | {
        "opinion": "借款人收入稳定，同意推荐。",
        "conditions": [],
        "investigators": data["conclusion"]["investigators"],
        "investigation_date": "2026-11-20",
    }
    return data


def problems(generator: Generator, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(InputError) as info:
        generator.generate(KIND.name, data)
    return [(p.path, p.label, p.reason) for p in info.value.problems]


# -- the example --------------------------------------------------------------------------------------------


def test_example_renders_header_borrower_and_amount_in_capitals(generator, example):
    document = generator.generate("investigation", example)
    text = all_text(document.content)
    assert "贷前调查报告" in text and "调查〔2026〕思明第0416号" in text
    assert "厦门示例包装材料有限公司" in text and "91350203MA2Y8K3D54" in text
    assert "人民币叁佰万元整" in text
    assert "一年期LPR（3.00%）加55个基点，即年利率3.55%" in text
    assert "抵押+保证" in text and "组合（抵押+保证）" in text
    # 2014-06-18 to 2026-11-20: twelve full years; legal representative born 1982-03-15, male.
    assert "12年" in text and "陈明华（男，44岁）" in text
    assert ["合计", "", "", "5,000,000.00", "100.00%"] in rows_of(document.content)
    assert document.filename == "贷前调查报告-厦门示例包装材料有限公司-调查〔2026〕思明第0416号"
    assert document.warnings == ()
    assert KIND.category == "approval" and KIND.doc_type == "investigation-report"


def test_example_statement_tables_have_three_years_and_the_latest_period(generator, example):
    rows = rows_of(generator.generate("investigation", example).content)
    assert ["项目", "2023年末（经审计）", "2024年末（经审计）", "2025年末（经审计）", "2026年10月末"] in rows
    assert ["资产总计", "17,600,000.00", "18,400,000.00", "19,560,000.00", "20,120,000.00"] in rows
    assert ["所有者权益合计", "8,300,000.00", "8,800,000.00", "9,510,000.00", "9,820,000.00"] in rows
    # 2025: 10,050,000 / 19,560,000 = 51.38 %; 13,040,000 / 8,150,000 = 1.60;
    # (13,040,000 − 4,500,000) / 8,150,000 = 1.0479 → 1.05; (2,280,000 + 352,000) / 352,000 = 7.477 → 7.48.
    assert ["资产负债率(%)", "52.84", "52.17", "51.38", "51.19"] in rows
    assert ["流动比率", "1.52", "1.58", "1.60", "1.62"] in rows
    assert ["速动比率", "0.99", "1.04", "1.05", "1.04"] in rows
    assert ["利息保障倍数(倍)", "6.55", "7.03", "7.48", "7.50"] in rows


def test_example_credit_guarantee_risk_and_conclusion(generator, example):
    document = generator.generate("investigation", example)
    text = all_text(document.content)
    rows = rows_of(document.content)
    assert ["合计", "", "4,500,000.00", "3,500,000.00", "", ""] in rows  # 他行融资
    assert ["合计", "", "", "3,000,000.00", ""] in rows  # 用款计划
    # 抵押率 = 3,000,000 / 5,380,000 = 55.76 %
    assert ["担保债权金额（元）", "3,000,000.00", "抵押率", "55.76%"] in rows
    assert "综合抵押率55.76%" in text
    # 风险度 = AA 50 % × 组合 60 % × 12 months 100 % = 30 %; score 86 falls in the AA band (80–89).
    assert ["贷款风险度", "30.00%", "风险度评价", "未超过60.00%"] in rows
    assert ["信用等级", "AA（依据：评分卡）", "信用评分", "86"] in rows
    assert "1. 原材料（原纸）价格波动可能压缩企业利润空间。" in text
    assert "主调查人（签字）：王志强" in text and "协调查人（签字）：黄丽娟" in text
    assert "调查日期：2026年11月20日" in text
    assert ["王志强", "客户经理", "SM0231", ""] in rows


def test_working_capital_estimate_golden_values(example):
    derived = derive(
        InvestigationInput.model_validate(example, context={"config": load_config()}), load_config()
    )
    wc = derived["working_capital_facts"]
    # Days = 360 × average balance / base: 存货 360×4.3M/26.4M = 58.64, 应收 360×4.85M/32.6M = 53.56,
    # 应付 360×3.325M/26.4M = 45.34, 预付 360×0.74M/26.4M = 10.09, 预收 360×0.59M/32.6M = 6.52;
    # cycle 70.4293 days; need = 32.6M × (1 − 6.99 %) × 1.12 × 70.4293 / 360 = 6,643,794.49;
    # new loan = 6,643,794.49 − 1.5M own funds − 2.0M existing loans = 3,143,794.49.
    assert [r["days"] for r in wc["rows"]] == [
        Decimal(x) for x in ("58.64", "53.56", "45.34", "10.09", "6.52")
    ]
    assert wc["turnover_days"] == Decimal("70.43") and wc["turnover_count"] == Decimal("5.11")
    assert wc["need"] == Decimal("6643794.49")
    assert wc["new_loan_limit"] == Decimal("3143794.49") and wc["covers_request"] is True
    assert derived["usage_total"] == Decimal("3000000.00")
    assert derived["risk_facts"]["degree"] == Decimal("30.00")
    assert derived["guarantee_facts"]["overall_mortgage_ratio"] == Decimal("55.76")
    assert derived["borrower_facts"]["years_in_business"] == 12


def test_working_capital_table_is_printed(generator, example):
    rows = rows_of(generator.generate("investigation", example).content)
    assert ["存货", "4,300,000.00", "6.14", "58.64"] in rows
    assert ["新增流动资金贷款额度（元）", "3,143,794.49", "测算结论", "申请金额未超过测算额度"] in rows


def test_a_request_above_the_working_capital_estimate_warns(generator, example):
    example["working_capital"]["own_funds"] = "2000000.00"  # limit falls to 2,643,794.49
    document = generator.generate("investigation", example)
    assert any("2643794.49" in w and "超过测算" in w for w in document.warnings)
    assert "申请金额超过测算额度" in all_text(document.content)


def test_an_enterprise_working_capital_loan_without_estimate_warns(generator, example):
    example.pop("working_capital")
    document = generator.generate("investigation", example)
    assert any("流动资金需求测算" in w for w in document.warnings)
    assert "营运资金量" not in all_text(document.content)


# -- natural person -----------------------------------------------------------------------------------------


def test_person_variant_derives_sex_birth_age_and_household_ratios(generator):
    document = generator.generate("investigation", person_file())
    text = all_text(document.content)
    rows = rows_of(document.content)
    assert "赵文斌" in text and "人民币贰拾万元整" in text
    # 350102 19880612 301 3: born 1988-06-12, odd sequence → male, 38 on 2026-11-20.
    assert ["性别", "男", "出生日期", "1988年6月12日"] in rows
    assert ["年龄", "38岁", "婚姻状况", "已婚"] in rows
    assert "配偶情况：孙雅琴，女，36岁，身份证号350102199003054020。" in text
    assert "统一社会信用代码" not in text and "股东及出资情况" not in text
    assert "借款人为非经营性个人客户，本部分不适用。" in text
    # 3.2M − 0.9M = 2.3M; 28,000 − 8,000 − 6,500 = 13,500; 6,500 / 28,000 = 23.21 %.
    # 等额本息 200,000 at 3.80 % for 36 months: A = P·i(1+i)ⁿ/((1+i)ⁿ−1) = 5,887.02;
    # (6,500 + 5,887.02) / 28,000 = 44.24 %.
    assert ["家庭净资产（元）", "2,300,000.00", "家庭月收入（元）", "28,000.00"] in rows
    assert ["月收支结余（元）", "13,500.00", "负债收入比（现有）", "23.21%"] in rows
    assert ["本笔贷款月还款额（元）", "5,887.02", "负债收入比（含本笔）", "44.24%"] in rows
    assert "资产负债表主要项目" not in text
    assert "借款人无他行融资。" in text


def test_person_variant_risk_degree_is_high_and_warns(generator):
    document = generator.generate("investigation", person_file())
    # A 70 % × 保证 80 % × 36 months 120 % = 67.20 % > 60 %.
    assert document.context["risk_facts"]["degree"] == Decimal("67.20")
    assert document.context["risk_facts"]["grade_source"] == "评级结果"
    assert any("67.20" in w and "高风险" in w for w in document.warnings)
    assert not any("保证能力不足" in w for w in document.warnings)  # 1.5M net assets cover 200,000
    assert ["贷款风险度", "67.20%", "风险度评价", "高风险贷款（超过60.00%）"] in rows_of(document.content)


def test_business_owner_variant_prints_the_business(generator):
    data = person_file()
    data["borrower"] |= {
        "customer_type": "个体工商户",
        "business_name": "福州市鼓楼区示例五金店",
        "credit_code": "92350102L3K7QW2P3W",
        "established": "2016-03-01",
    }
    data["request"]["product"] = "个人经营"
    text = all_text(generator.generate("investigation", data).content)
    assert "福州市鼓楼区示例五金店" in text and "92350102L3K7QW2P3W" in text
    assert "经营实体情况" in text and "10年" in text  # 2016-03-01 → 2026-11-20


def test_married_person_without_spouse_is_refused(generator):
    data = person_file()
    data["borrower"].pop("spouse")
    found = problems(generator, data)
    assert found[0][0] == "borrower" and "已婚须填写配偶" in found[0][2]


def test_person_without_household_figures_is_refused(generator):
    data = person_file()
    data.pop("household")
    assert ("household", "家庭财务状况") in [(p, lab) for p, lab, _ in problems(generator, data)]


# -- cross-field rules --------------------------------------------------------------------------------------


def test_one_investigator_is_refused(generator, example):
    example["conclusion"]["investigators"] = example["conclusion"]["investigators"][:1]
    found = problems(generator, example)
    assert found[0][:2] == ("conclusion.investigators", "调查人")
    assert "双人调查" in found[0][2]


def test_the_same_investigator_twice_is_refused(generator, example):
    first = example["conclusion"]["investigators"][0]
    example["conclusion"]["investigators"] = [first, copy.deepcopy(first)]
    found = problems(generator, example)
    assert found[0][0] == "conclusion.investigators" and "调查人不得重复" in found[0][2]


def test_proposed_amount_above_the_request_is_refused(generator, example):
    example["conclusion"]["amount"] = "3500000.00"
    found = problems(generator, example)
    assert found == [("conclusion.amount", "建议金额", found[0][2])]
    assert "建议金额不得超过申请金额3000000.00元" in found[0][2]


def test_use_of_funds_above_the_request_is_refused(generator, example):
    example["usage_plan"][0]["amount"] = "2500000.00"
    found = problems(generator, example)
    assert found[0][:2] == ("usage_plan", "用款计划") and "3300000.00" in found[0][2]


def test_credit_report_after_the_investigation_is_refused(generator, example):
    example["credit_record"]["query_date"] = "2026-11-21"
    assert problems(generator, example)[0][:2] == ("credit_record.query_date", "征信查询日期")


def test_enterprise_without_statements_or_operations_is_refused(generator, example):
    example.pop("financials")
    assert problems(generator, example)[0][:2] == ("financials", "财务报表")
    data = KIND.example()
    data.pop("operations")
    assert problems(generator, data)[0][:2] == ("operations", "经营情况")


def test_mortgage_without_collateral_is_refused(generator, example):
    example["guarantee"]["collateral"] = []
    found = problems(generator, example)
    assert found[0][:2] == ("guarantee.collateral", "抵(质)押物") and "抵押/质押担保须列明" in found[0][2]


def test_shareholdings_must_sum_to_100(generator, example):
    example["borrower"]["shareholders"][1]["share_percent"] = 30
    found = problems(generator, example)
    assert found[0][0].startswith("borrower") and "股东持股比例合计须为100%" in found[0][2]


def test_a_grade_that_contradicts_the_score_is_refused(generator, example):
    example["risk"]["credit_grade"] = "AAA"
    found = problems(generator, example)
    assert found[0][:2] == ("risk.credit_grade", "信用等级") and "对应信用等级为AA" in found[0][2]


def test_neither_grade_nor_score_is_refused(generator, example):
    example["risk"].pop("credit_score")
    assert problems(generator, example)[0][:2] == ("risk.credit_grade", "信用等级")


def test_statement_totals_must_hold(generator, example):
    example["financials"]["annual"][0]["current_assets"] = "18000000.00"
    found = problems(generator, example)
    assert found[0][:2] == ("financials.annual[0].current_assets", "流动资产合计")


def test_statement_years_must_run_oldest_first(generator, example):
    annual = example["financials"]["annual"]
    annual[0], annual[1] = annual[1], annual[0]
    found = problems(generator, example)
    assert found[0][0] == "financials.annual[1].period_end"


def test_credit_and_security_cannot_be_combined(generator, example):
    example["request"]["guarantee_methods"] = ["信用", "抵押"]
    found = problems(generator, example)
    assert found[0][0] == "request.guarantee_methods" and "信用方式不能与其他担保方式并列" in found[0][2]
