"""逾期贷款催收通知书 / 担保人履行责任通知书: hand-checked figures, the guarantor variant, the 回执, and
every cross-field rule rejected at the right path."""

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
from dossier.generation import SHIPPED_TEMPLATES, Generator, required_fields
from dossier.kinds.collection import KIND, CollectionInput, derive
from dossier.kinds.registry import get_kind
from dossier.render.engine import TemplateEngine
from dossier.render.filters import template_filters
from dossier.render.lint import lint_template, schema_fields

EXAMPLE_CAPITAL = "人民币叁拾万零陆仟陆佰捌拾捌元柒角伍分"


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def example() -> dict[str, Any]:
    return KIND.example()


def as_guarantor(data: dict[str, Any]) -> dict[str, Any]:
    data["recipient"] = "guarantor"
    return data


def table_rows(content: bytes) -> list[list[str]]:
    doc = docx.Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]


def problem_of(generator: Generator, data: dict[str, Any]) -> tuple[str, str, str]:
    with pytest.raises(InputError) as caught:
        generator.generate("collection", data)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    return problems[0].path, problems[0].label, problems[0].reason


def derived(data: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    return dict(derive(CollectionInput.model_validate(data, context={"config": config}), config))


# -- registry --------------------------------------------------------------------------------------------
def test_kind_is_registered_under_collection() -> None:
    kind = get_kind("collection")
    assert kind is KIND
    assert (kind.category, kind.doc_type) == ("collection", "collection-notice")
    assert get_kind("逾期贷款催收通知书") is KIND


# -- figures ---------------------------------------------------------------------------------------------
def test_example_figures_are_hand_checked() -> None:
    values = derived(example())
    # 2026-09-20 → 2026-11-20, 算头不算尾: 10 + 31 + 20 = 61 days.
    assert values["days_past_due"] == 61
    assert values["principal_days"] == 61
    assert values["interest_days"] == 61
    assert values["penalty_rate"] == Decimal("6.525")  # 4.35 % × 1.5
    # 罚息 300,000 × 4.35 % × 1.5 / 360 × 61 = 3,316.875 → 3,316.88
    assert values["penalty"] == Decimal("3316.88")
    # 复利 3,335.00 × 4.35 % × 1.5 / 360 × 61 = 36.8725625 → 36.87
    assert values["compound"] == Decimal("36.87")
    # 合计 300,000 + 3,335.00 + 3,316.88 + 36.87
    assert values["total"] == Decimal("306688.75")
    assert values["title"] == "逾期贷款催收通知书"
    assert values["warnings"] == []


def test_domain_reference_penalty_example() -> None:
    # domain.md §3.8: 10,000 × 4.35 % × 1.5 / 360 × 30 = 54.375 → 54.38
    data = example()
    data.update(
        overdue_principal="10000.00",
        unpaid_interest="362.50",
        overdue_since="2026-10-21",
        interest_unpaid_since="2026-10-21",
    )
    values = derived(data)
    assert values["principal_days"] == 30
    assert values["penalty"] == Decimal("54.38")
    # 362.50 × 6.525 % / 360 × 30 = 1.97109… → 1.97
    assert values["compound"] == Decimal("1.97")
    assert values["total"] == Decimal("10418.85")


def test_contract_markup_of_thirty_percent() -> None:
    data = example()
    data.update(
        overdue_principal="10000.00", unpaid_interest="0", overdue_since="2026-10-21", penalty_markup=30
    )
    del data["interest_unpaid_since"]
    values = derived(data)
    # 10,000 × 4.35 % × 1.3 / 360 × 30 = 47.125 → 47.13 (half-up, not banker's rounding)
    assert values["penalty_rate"] == Decimal("5.655")
    assert values["penalty"] == Decimal("47.13")
    assert values["compound"] == Decimal("0.00")
    assert values["interest_days"] is None


def test_days_past_due_counts_from_the_earliest_unpaid_date() -> None:
    data = example()
    data["interest_unpaid_since"] = "2026-06-20"  # interest was missed a quarter before the principal
    values = derived(data)
    assert values["days_past_due"] == 153  # 2026-06-20 → 2026-11-20
    assert values["principal_days"] == 61
    # 3,335.00 × 6.525 % / 360 × 153 = 92.4823… → 92.48
    assert values["compound"] == Decimal("92.48")


# -- the document ----------------------------------------------------------------------------------------
def test_example_document(generator: Generator) -> None:
    document = generator.generate("collection", example())
    assert document.filename == "逾期贷款催收通知书-JK2025-000123-厦门鑫海源贸易有限公司"
    assert document.warnings == ()
    text = all_text(document.content)
    for expected in (
        "逾期贷款催收通知书",
        "厦示支催〔2026〕第0037号",
        "厦门鑫海源贸易有限公司（91350203MA2YK7L54P）：",
        "JK2025-000123",
        "JJ2025-000123-01",
        "已逾期61天",
        "306,688.75",
        EXAMPLE_CAPITAL,
        "请贵方于2026年12月5日前",
        "本次催收方式：上门。",
        "金融信用信息基础数据库",
        "提起诉讼",
        "（贷款人公章）",
        "2026年11月20日",
    ):
        assert expected in text, expected
    assert "担保人履行责任通知书" not in text
    assert "第六百九十二条" not in text
    rows = table_rows(document.content)
    assert ["罚息", "2026年9月20日", "61", "逾期本金×罚息年利率6.525%÷360×天数", "3,316.88"] in rows
    assert ["复利", "2026年9月20日", "61", "欠息×罚息年利率6.525%÷360×天数", "36.87"] in rows
    assert ["欠款合计（大写）", EXAMPLE_CAPITAL] in rows


def test_receipt_part_to_tear_off(generator: Generator) -> None:
    document = generator.generate("collection", example())
    paragraphs = [p.text for p in docx.Document(io.BytesIO(document.content)).paragraphs]
    cut = next(i for i, text in enumerate(paragraphs) if "请沿此线剪下" in text)
    receipt = "\n".join(paragraphs[cut:])
    assert "回  执" in receipt
    assert "《逾期贷款催收通知书》（编号厦示支催〔2026〕第0037号）" in receipt
    assert f"欠款合计人民币306,688.75元（{EXAMPLE_CAPITAL}）" in receipt
    assert "《中华人民共和国民法典》第一百九十五条，诉讼时效自签收之日起中断" in receipt
    assert "借款人（签字或盖章）：" in receipt
    assert "签收日期：" in receipt


def test_contact_logs_print_as_tables(generator: Generator) -> None:
    document = generator.generate("collection", example())
    rows = table_rows(document.content)
    assert [
        "1",
        "2026年9月22日 09:40",
        "13906012345",
        "陈志明（法定代表人）",
        "2026年10月15日",
        "LY20260922-0031",
        "称下游货款未回笼，承诺10月15日前归还全部欠款。",
    ] in rows
    assert ["2", "2026年10月16日 15:10", "13906012345", "无人接听", "—", "LY20261016-0107", "—"] in rows
    assert ["催收人员", "吴晓东、许志强"] in rows
    assert ["见证人", "示例商务中心物业管理处 张伟"] in rows


def test_contact_logs_are_optional(generator: Generator) -> None:
    data = example()
    del data["phone_log"], data["visit"]
    data["method"] = "信函"
    document = generator.generate("collection", data)
    text = all_text(document.content)
    assert "电话催收记录" not in text
    assert "上门催收情况" not in text
    assert "本次催收方式：信函。" in text
    assert document.warnings == ()


def test_visit_method_without_details_is_warned(generator: Generator) -> None:
    data = example()
    del data["visit"]
    document = generator.generate("collection", data)
    assert any("上门催收未填写走访情况" in w for w in document.warnings)


def test_guarantor_variant(generator: Generator) -> None:
    document = generator.generate("collection", as_guarantor(example()))
    assert document.filename == "担保人履行责任通知书-JK2025-000123-林建华"
    assert document.warnings == ()
    text = all_text(document.content)
    assert text.startswith("担保人履行责任通知书")
    assert "逾期贷款催收通知书" not in text
    for expected in (
        "林建华（35020319780512031X）：",
        "借款人厦门鑫海源贸易有限公司（91350203MA2YK7L54P）",
        "贵方以连带责任保证方式",
        "保证合同编号BZ2025-000123",
        "民法典》第六百九十二条，保证期间不发生中止、中断和延长",
        "本通知系我行在保证期间内向贵方主张保证责任（保证期间至2029年9月20日届满）",
        "请贵方于2026年12月5日前履行保证责任",
        "《担保人履行责任通知书》",
        "保证人（签字或盖章）：",
        EXAMPLE_CAPITAL,
    ):
        assert expected in text, expected
    assert ["保证期间届满日", "2029年9月20日", "送达地址", "福建省厦门市思明区厦禾路示例花园8号楼602室"] in (
        table_rows(document.content)
    )


def test_guarantor_notice_after_the_guarantee_period_is_warned(generator: Generator) -> None:
    data = as_guarantor(example())
    data["guarantee_period_end"] = "2026-11-10"
    document = generator.generate("collection", data)
    assert len(document.warnings) == 2
    assert any("截至日 2026-11-20 晚于保证期间届满日 2026-11-10" in w for w in document.warnings)
    assert any("通知日期 2026-11-20 晚于保证期间届满日 2026-11-10" in w for w in document.warnings)
    # The notice must not claim a demand inside a period that has already ended.
    assert "本通知系我行在保证期间内" not in all_text(document.content)


def test_guarantor_notice_without_period_end_is_warned(generator: Generator) -> None:
    data = as_guarantor(example())
    del data["guarantee_period_end"]
    document = generator.generate("collection", data)
    assert any("未填写保证期间届满日" in w for w in document.warnings)
    assert "本通知系我行在保证期间内向贵方主张保证责任，特此书面通知。" in all_text(document.content)


def test_general_guarantee_is_warned(generator: Generator) -> None:
    data = as_guarantor(example())
    data["guarantee_type"] = "一般保证"
    document = generator.generate("collection", data)
    assert any("第六百九十三条" in w for w in document.warnings)


def test_annual_cost_above_the_cap_is_warned(generator: Generator) -> None:
    data = example()
    data["loan"]["annual_rate"] = "18"  # penalty rate 27 % > 24 %
    document = generator.generate("collection", data)
    assert any("年化资金成本 27% 超过 24%" in w for w in document.warnings)


def test_template_shows_every_required_field_and_knows_every_path() -> None:
    known = schema_fields(CollectionInput)
    for key in derived(example()):
        known |= {key, f"{key}.*", f"{key}[].*"}
    problems = lint_template(
        SHIPPED_TEMPLATES / KIND.template,
        known_fields=known,
        required_fields=required_fields(CollectionInput),
        engine=TemplateEngine(filters=template_filters()),
    )
    assert problems == []


# -- validation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("deadline", ["2026-11-20", "2026-11-19"])
def test_deadline_not_after_the_notice_is_rejected(generator: Generator, deadline: str) -> None:
    data = example()
    data["deadline"] = deadline
    path, label, reason = problem_of(generator, data)
    assert (path, label) == ("deadline", "限期还款日")
    assert "限期还款日须晚于通知日期" in reason


def test_guarantor_required_when_addressed(generator: Generator) -> None:
    data = as_guarantor(example())
    del data["guarantor"]
    path, label, reason = problem_of(generator, data)
    assert (path, label) == ("guarantor", "保证人")
    assert "须填写保证人" in reason


def test_receipt_number_is_required(generator: Generator) -> None:
    data = example()
    del data["loan"]["receipt_number"]
    path, label, reason = problem_of(generator, data)
    assert (path, label) == ("loan.receipt_number", "借据编号")
    assert "须填写借据编号" in reason


def test_as_of_after_the_notice_is_rejected(generator: Generator) -> None:
    data = example()
    data["as_of"] = "2026-11-21"
    path, label, _ = problem_of(generator, data)
    assert (path, label) == ("as_of", "截至日")


def test_overdue_start_after_as_of_is_rejected(generator: Generator) -> None:
    data = example()
    data["overdue_since"] = "2026-11-21"
    path, _, reason = problem_of(generator, data)
    assert path == "overdue_since"
    assert "逾期起始日晚于截至日" in reason


def test_overdue_start_before_drawdown_is_rejected(generator: Generator) -> None:
    data = example()
    data["overdue_since"] = "2025-09-19"
    path, _, reason = problem_of(generator, data)
    assert path == "overdue_since"
    assert "早于贷款发放日" in reason


def test_unpaid_interest_needs_its_date(generator: Generator) -> None:
    data = example()
    del data["interest_unpaid_since"]
    path, label, reason = problem_of(generator, data)
    assert (path, label) == ("interest_unpaid_since", "欠息起始日")
    assert "有欠息时须填写欠息起始日" in reason


def test_overdue_principal_above_the_loan_is_rejected(generator: Generator) -> None:
    data = example()
    data["overdue_principal"] = "300000.01"
    path, _, reason = problem_of(generator, data)
    assert path == "overdue_principal"
    assert "逾期本金大于贷款金额" in reason


def test_nothing_owed_is_rejected(generator: Generator) -> None:
    data = example()
    data.update(overdue_principal=0, unpaid_interest=0)
    path, _, reason = problem_of(generator, data)
    assert path == "(input)"
    assert "无需催收" in reason


@pytest.mark.parametrize("markup", [29, 51])
def test_markup_outside_the_configured_range_is_rejected(generator: Generator, markup: int) -> None:
    data = example()
    data["penalty_markup"] = markup
    path, label, reason = problem_of(generator, data)
    assert (path, label) == ("penalty_markup", "罚息上浮比例(%)")
    assert "30%–50%" in reason


def test_unknown_method_is_rejected(generator: Generator) -> None:
    data = example()
    data["method"] = "微信"
    path, label, _ = problem_of(generator, data)
    assert (path, label) == ("method", "催收方式")


def test_visit_needs_two_different_staff(generator: Generator) -> None:
    data = example()
    data["visit"]["staff"] = ["吴晓东", "吴晓东"]
    path, _, reason = problem_of(generator, data)
    assert path == "visit.staff"
    assert "催收人员重复" in reason
    data["visit"]["staff"] = ["吴晓东"]
    path, _, _ = problem_of(generator, data)
    assert path == "visit.staff"


def test_call_time_without_offset_is_beijing_time() -> None:
    config = load_config()
    model = CollectionInput.model_validate(example(), context={"config": config})
    called = model.phone_log[0].called_at
    assert called.utcoffset() is not None
    assert called.utcoffset().total_seconds() == 8 * 3600
    assert called.date() == date(2026, 9, 22)


def test_phone_method_without_call_log_is_warned(generator: Generator) -> None:
    data = example()
    data["method"] = "电话"
    del data["phone_log"]
    document = generator.generate("collection", data)
    assert document.warnings == ("collection by phone without a call log (电话催收未附通话记录)",)
