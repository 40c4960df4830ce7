"""保证合同: 连带责任保证 in so many words, the art. 692 guarantee period, the corporate resolution."""

from __future__ import annotations

import copy
import io
from datetime import date
from typing import Any

import docx
import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import Document, Generator
from dossier.kinds.guarantee_contract import KIND, guarantee_period

Data = dict[str, Any]

PERSON_GUARANTOR = {
    "kind": "person",
    "name": "陈志远",
    "id_number": "350203198503120036",
    "address": "福建省厦门市思明区示例路66号1203室",
    "mobile": "13906001234",
}


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def example() -> Data:
    return copy.deepcopy(KIND.example())


def render(generator: Generator, data: Data) -> tuple[Document, docx.document.Document]:
    document = generator.generate(KIND, data)
    return document, docx.Document(io.BytesIO(document.content))


def test_example_prints_claim_term_and_joint_liability(generator: Generator) -> None:
    document, doc = render(generator, example())
    text = all_text(doc)
    assert document.filename == "保证合同-BZ2026-000318"
    assert document.warnings == ()
    for expected in (
        "BZ2026-000318",
        "编号为JK2026-000318的《借款合同》",
        "厦门示例投资集团有限公司",
        "91350206MA31LP8N5A",
        "陈国华",
        "主债权种类为小微企业流动资金贷款，本金数额为人民币壹佰贰拾伍万元整（¥1,250,000.00）",
        "自2026年3月20日起至2028年3月20日止，共24个月",
        "本合同的保证方式为连带责任保证",
        "保证人不享有先诉抗辩权",
        "本金、利息、罚息、复利、违约金、损害赔偿金",
        "保证期间为主债务履行期限届满之日起36个月，即至2031年3月20日止",
        "已经其股东会决议同意（决议日期：2026年3月10日）",
        "legal@example.com",
        "保证人（盖章）：厦门示例投资集团有限公司",
    ):
        assert expected in text, expected
    assert "一般保证" not in text
    assert "{{" not in text and "{%" not in text
    # The method is in the grid too, not only in prose.
    grid = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert any(row[:2] == ["保证方式", "连带责任保证"] for row in grid)


# -- the guarantee period (art. 692) ---------------------------------------------------------------------
def test_period_missing_is_six_months_after_the_due_date() -> None:
    period = guarantee_period(date(2028, 3, 20))
    assert (period.end, period.statutory, period.agreed_end) == (date(2028, 9, 20), True, None)


def test_period_ending_on_or_before_the_due_date_counts_as_none() -> None:
    assert guarantee_period(date(2028, 3, 20), date(2028, 3, 20)).end == date(2028, 9, 20)
    early = guarantee_period(date(2028, 3, 20), date(2027, 12, 31))
    assert (early.end, early.statutory, early.agreed_end) == (date(2028, 9, 20), True, date(2027, 12, 31))


def test_period_after_the_due_date_is_kept() -> None:
    next_day = guarantee_period(date(2028, 3, 20), date(2028, 3, 21))
    assert (next_day.end, next_day.statutory) == (date(2028, 3, 21), False)
    kept = guarantee_period(date(2028, 3, 20), date(2031, 3, 20))
    assert (kept.end, kept.statutory) == (date(2031, 3, 20), False)
    months = guarantee_period(date(2028, 3, 20), agreed_months=36)
    assert (months.end, months.statutory) == (date(2031, 3, 20), False)


def test_period_clamps_to_the_month_end() -> None:
    assert guarantee_period(date(2027, 8, 31)).end == date(2028, 2, 29)


def test_statutory_period_printed_when_none_agreed(generator: Generator) -> None:
    data = example()
    del data["guarantee_period_months"]
    document, doc = render(generator, data)
    assert document.context["period_end"] == date(2028, 9, 20)
    assert "保证期间为主债务履行期限届满之日起六个月，即至2028年9月20日止" in all_text(doc)
    assert document.warnings == ()


def test_agreed_period_too_early_is_replaced_and_warned(generator: Generator) -> None:
    data = example()
    del data["guarantee_period_months"]
    data["guarantee_period_end"] = "2028-03-20"
    document, doc = render(generator, data)
    text = all_text(doc)
    assert "即至2028年9月20日止" in text
    assert "2028年3月20日止（" not in text
    assert any("视为没有约定" in w and "2028-09-20" in w for w in document.warnings)


def test_agreed_end_date_is_printed(generator: Generator) -> None:
    data = example()
    del data["guarantee_period_months"]
    data["guarantee_period_end"] = "2030-03-20"
    _, doc = render(generator, data)
    assert "保证期间为主债务履行期限届满之日起至2030年3月20日止" in all_text(doc)


# -- the guarantor ---------------------------------------------------------------------------------------
def test_corporate_guarantor_without_resolution_warns(generator: Generator) -> None:
    data = example()
    data["board_resolution"] = False
    del data["resolution_date"]
    document, doc = render(generator, data)
    assert any("厦门示例投资集团有限公司" in w and "决议" in w for w in document.warnings)
    assert "承诺于本合同签订前按照公司章程" in all_text(doc)


def test_person_guarantor(generator: Generator) -> None:
    data = example()
    data["guarantor"] = PERSON_GUARANTOR
    data["board_resolution"] = False
    del data["resolution_date"]
    document, doc = render(generator, data)
    text = all_text(doc)
    assert document.warnings == ()
    assert "保证人系具有完全民事行为能力的自然人" in text
    assert "保证人（签字并按指印）" in text
    assert "保证人公章" not in text
    assert "连带责任保证" in text


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"debt_end": "2026-03-01"}, "debt_end"),
        ({"guarantee_period_end": "2031-03-20"}, "guarantee_period_months"),
        ({"resolution_date": "2026-03-19"}, "resolution_date"),
        ({"board_resolution": False}, "resolution_date"),
        ({"guarantor": PERSON_GUARANTOR, "resolution_date": None}, "board_resolution"),
        ({"guarantee_period_months": 0}, "guarantee_period_months"),
    ],
)
def test_cross_field_rules_name_the_field(generator: Generator, changes: Data, path: str) -> None:
    data = example()
    data.update(changes)
    with pytest.raises(InputError) as caught:
        generator.generate(KIND, data)
    assert [p.path for p in caught.value.problems] == [path]
    assert caught.value.problems[0].label


def test_debtor_cannot_guarantee_itself(generator: Generator) -> None:
    data = example()
    data["guarantor"] = {**data["debtor"], "mobile": "13906001234"}
    with pytest.raises(InputError) as caught:
        generator.generate(KIND, data)
    assert [p.path for p in caught.value.problems] == ["guarantor"]
    assert "债务人不能为自己的债务提供保证" in caught.value.problems[0].reason
