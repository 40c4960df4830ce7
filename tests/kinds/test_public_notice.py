"""催收公告: the debtor table with per-row and grand totals, the limitation statement, and the rules."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import docx
import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import SHIPPED_TEMPLATES, Generator, required_fields
from dossier.kinds.public_notice import KIND, PublicNoticeInput, derive
from dossier.kinds.registry import get_kind
from dossier.render.engine import TemplateEngine
from dossier.render.filters import template_filters
from dossier.render.lint import lint_template, schema_fields

GRAND_CAPITAL = "人民币壹佰叁拾壹万肆仟叁佰叁拾贰元伍角柒分"
HEADER = [
    "序号",
    "借款人",
    "身份证号/统一社会信用代码",
    "借款合同编号",
    "借据编号",
    "本金余额（元）",
    "欠息（元）",
    "本息合计（元）",
    "保证人",
]


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def example() -> dict[str, Any]:
    return KIND.example()


def debtor_table(content: bytes) -> list[list[str]]:
    doc = docx.Document(io.BytesIO(content))
    for table in doc.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows and rows[0] == HEADER:
            return rows
    raise AssertionError("no debtor table")


def problem_of(generator: Generator, data: dict[str, Any]) -> tuple[str, str, str]:
    with pytest.raises(InputError) as caught:
        generator.generate("public-notice", data)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    return problems[0].path, problems[0].label, problems[0].reason


def derived(data: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    return dict(derive(PublicNoticeInput.model_validate(data, context={"config": config}), config))


def test_kind_is_registered() -> None:
    kind = get_kind("public-notice")
    assert kind is KIND
    assert (kind.category, kind.doc_type, kind.title) == ("collection", "public-notice", "催收公告")


def test_totals_are_hand_checked() -> None:
    values = derived(example())
    assert values["row_totals"] == [
        Decimal("89212.35"),  # 85,000.00 + 4,212.35
        Decimal("156035.50"),
        Decimal("338466.72"),
        Decimal("521870.00"),
        Decimal("208748.00"),
    ]
    # 85,000 + 150,000 + 320,000 + 500,000 + 200,000
    assert values["principal_total"] == Decimal("1255000.00")
    # 4,212.35 + 6,035.50 + 18,466.72 + 21,870.00 + 8,748.00
    assert values["interest_total"] == Decimal("59332.57")
    assert values["grand_total"] == Decimal("1314332.57")
    # The enterprise has two loans: four debtors on five rows.
    assert (values["debtor_count"], values["loan_count"]) == (4, 5)
    assert values["warnings"] == []


def test_debtor_table_rows_and_grand_total(generator: Generator) -> None:
    document = generator.generate("public-notice", example())
    rows = debtor_table(document.content)
    assert len(rows) == 1 + 5 + 1
    assert rows[1] == [
        "1",
        "王丽娟",
        "350206198509231529",
        "JK2023-000456",
        "JJ2023-000456-01",
        "85,000.00",
        "4,212.35",
        "89,212.35",
        "陈秀英",
    ]
    assert rows[2][1:3] == ["郑文斌", "35021119901104203X"]
    assert rows[2][-1] == "林国栋、林美玲"
    assert rows[5] == [
        "5",
        "厦门恒顺达建材有限公司",
        "91350206MA31QD8NXB",
        "JK2024-000530",
        "JJ2024-000530-02",
        "200,000.00",
        "8,748.00",
        "208,748.00",
        "刘志刚、王秀兰",
    ]
    assert rows[6] == ["合计", "4户", "", "", "5笔", "1,255,000.00", "59,332.57", "1,314,332.57", ""]


def test_notice_text(generator: Generator) -> None:
    document = generator.generate("public-notice", example())
    assert document.filename == "催收公告-福建日报-2026-11-28"
    assert document.warnings == ()
    text = all_text(document.content)
    assert text.startswith("催收公告")
    for expected in (
        "厦示支公告〔2026〕第003号",
        "借款人下落不明",
        "债务人及欠款明细（截至2026年11月20日）",
        "上述4户借款人共5笔贷款",
        f"本息合计人民币1,314,332.57元（{GRAND_CAPITAL}）",
        "请上述借款人自本公告刊登之日起立即到我行归还全部欠款本息",
        "《最高人民法院关于审理民事案件适用诉讼时效制度若干问题的规定》第八条",
        "诉讼时效自刊登之日起中断",
        "福建日报",
        "住所地省级媒体",
        "2026年11月28日",
        "第7版（公告专版）",
        "（公告人公章）",
        "日期：2026年11月25日",
    ):
        assert expected in text, expected


def test_guarantors_may_be_absent(generator: Generator) -> None:
    data = example()
    data["debtors"] = data["debtors"][:1]
    del data["debtors"][0]["guarantors"]
    rows = debtor_table(generator.generate("public-notice", data).content)
    assert rows[1][-1] == "—"
    assert rows[2] == ["合计", "1户", "", "", "1笔", "85,000.00", "4,212.35", "89,212.35", ""]


def test_other_medium_is_warned(generator: Generator) -> None:
    data = example()
    data["media_level"] = "other"
    document = generator.generate("public-notice", data)
    assert any("可能不产生诉讼时效中断效力" in w for w in document.warnings)


def test_template_shows_every_required_field_and_knows_every_path() -> None:
    known = schema_fields(PublicNoticeInput)
    for key in derived(example()):
        known |= {key, f"{key}.*", f"{key}[].*"}
    problems = lint_template(
        SHIPPED_TEMPLATES / KIND.template,
        known_fields=known,
        required_fields=required_fields(PublicNoticeInput),
        engine=TemplateEngine(filters=template_filters()),
    )
    assert problems == []


# -- validation ------------------------------------------------------------------------------------------
def test_at_least_one_debtor(generator: Generator) -> None:
    data = example()
    data["debtors"] = []
    path, label, _ = problem_of(generator, data)
    assert (path, label) == ("debtors", "债务人清单")


def test_same_receipt_twice_is_rejected(generator: Generator) -> None:
    data = example()
    data["debtors"][4]["receipt_number"] = "JJ2024-000530-01"
    path, _, reason = problem_of(generator, data)
    assert path == "debtors"
    assert "借据编号 JJ2024-000530-01 重复列示" in reason


def test_one_identifier_two_names_is_rejected(generator: Generator) -> None:
    data = example()
    data["debtors"][4]["name"] = "厦门恒顺达建材贸易有限公司"
    path, _, reason = problem_of(generator, data)
    assert path == "debtors"
    assert "同一证件号码对应不同名称" in reason


def test_row_owing_nothing_is_rejected(generator: Generator) -> None:
    data = example()
    data["debtors"][2].update(principal=0, interest=0)
    path, _, reason = problem_of(generator, data)
    assert path == "debtors[2]"
    assert "不应列入催收公告" in reason


def test_person_row_needs_an_id_number(generator: Generator) -> None:
    data = example()
    del data["debtors"][0]["id_number"]
    path, _, reason = problem_of(generator, data)
    assert path == "debtors[0]"
    assert "自然人须填写身份证号" in reason


def test_publication_before_the_notice_date_is_rejected(generator: Generator) -> None:
    data = example()
    data["publish_date"] = "2026-11-24"
    path, label, reason = problem_of(generator, data)
    assert (path, label) == ("publish_date", "刊登日期")
    assert "刊登日期早于公告落款日期" in reason


def test_cut_off_after_the_notice_date_is_rejected(generator: Generator) -> None:
    data = example()
    data["as_of"] = "2026-11-26"
    path, label, _ = problem_of(generator, data)
    assert (path, label) == ("as_of", "欠款截至日")


def test_missing_page_is_rejected(generator: Generator) -> None:
    data = example()
    del data["page"]
    path, label, _ = problem_of(generator, data)
    assert (path, label) == ("page", "版面")
