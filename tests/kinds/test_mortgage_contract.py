"""抵押合同 and its 最高额 variant: collateral table, totals, 抵押率, registration and insurance clauses."""

from __future__ import annotations

import copy
import io
from decimal import Decimal
from typing import Any

import docx
import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import Document, Generator
from dossier.kinds.mortgage_contract import KIND

Data = dict[str, Any]


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def example() -> Data:
    return copy.deepcopy(KIND.example())


def max_amount_example() -> Data:
    data = example()
    data.update(
        max_amount=True,
        max_claim_amount="2000000",
        determination_start="2026-03-18",
        determination_end="2029-03-17",
    )
    return data


def render(generator: Generator, data: Data) -> tuple[Document, docx.document.Document]:
    document = generator.generate(KIND, data)
    return document, docx.Document(io.BytesIO(document.content))


def collateral_table(doc: docx.document.Document) -> list[list[str]]:
    for table in doc.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows[0][:2] == ["序号", "名称"]:
            return rows
    raise AssertionError("no collateral table in the document")


def test_example_prints_claim_collateral_and_clauses(generator: Generator) -> None:
    document, doc = render(generator, example())
    text = all_text(doc)
    assert document.filename == "抵押合同-DY2026-000318"
    assert document.warnings == ()
    assert doc.paragraphs[0].text == "抵押合同"
    for expected in (
        "DY2026-000318",
        "编号为JK2026-000318的《借款合同》",
        "陈志远",
        "350203198503120036",
        "厦门海沧示例贸易有限公司",
        "主债权种类为小微企业流动资金贷款，本金数额为人民币壹佰贰拾伍万元整（¥1,250,000.00）",
        "自2026年3月20日起至2028年3月20日止，共24个月",
        "抵押人系为债务人的债务提供担保的第三人",
        "评估价值合计人民币肆佰叁拾伍万元整（¥4,350,000.00）",
        "抵押率为28.74%",
        "本金、利息、罚息、复利、违约金、损害赔偿金",
        "实现债权和担保权利而发生的费用",
        "15日内",
        "第四百零二条",
        "抵押权自登记时设立",
        "抵押权人为第一受益人",
        "抵押人（签字并按指印）",
    ):
        assert expected in text, expected
    assert "最高债权额为" not in text
    assert "{{" not in text and "{%" not in text


def test_collateral_table_rows_and_totals(generator: Generator) -> None:
    _, doc = render(generator, example())
    rows = collateral_table(doc)
    assert rows[0] == [
        "序号",
        "名称",
        "权证号",
        "不动产单元号",
        "坐落",
        "面积（㎡）",
        "数量",
        "评估价值（元）",
    ]
    assert rows[1] == [
        "1",
        "住宅",
        "闽（2021）厦门市不动产权第0045123号",
        "350203003012GB00045F00121203",
        "福建省厦门市思明区示例路66号1203室",
        "128.56",
        "1套",
        "3,200,000.00",
    ]
    assert rows[2][0] == "2" and rows[2][7] == "1,150,000.00"
    assert rows[3][0] == "合计" and rows[3][5] == "214.76" and rows[3][7] == "4,350,000.00"


def test_derived_values() -> None:
    config = load_config()
    model = KIND.schema.model_validate(example(), context={"config": config})
    derived = KIND.derive(model, config)
    assert derived["total_appraised"] == Decimal("4350000.00")
    assert derived["mortgage_rate"] == Decimal("28.74")  # 1,250,000 / 4,350,000
    assert derived["total_area"] == Decimal("214.76")
    assert derived["insured_amount"] == Decimal("4350000.00")
    assert derived["third_party_mortgagor"] is True


def test_maximum_amount_variant_switches_the_clauses(generator: Generator) -> None:
    document, doc = render(generator, max_amount_example())
    text = all_text(doc)
    assert document.filename == "最高额抵押合同-DY2026-000318"
    assert doc.paragraphs[0].text == "最高额抵押合同"
    assert "自2026年3月18日起至2029年3月17日止（债权确定期间，共36个月）" in text
    assert "最高债权额为人民币贰佰万元整（¥2,000,000.00）" in text
    assert "以最高债权额计，抵押率为45.98%" in text  # 2,000,000 / 4,350,000
    assert "最高额抵押登记" in text
    assert "以最高债权额为限" in text
    assert "主债权种类为小微企业流动资金贷款，本金数额为" not in text


def test_area_total_is_blank_when_an_item_has_no_area(generator: Generator) -> None:
    data = example()
    del data["collateral"][1]["area"]
    _, doc = render(generator, data)
    rows = collateral_table(doc)
    assert rows[2][5] == "—"
    assert rows[3][5] == "—"


def test_enterprise_mortgagor_seals_and_insurance_can_be_left_out(generator: Generator) -> None:
    data = example()
    data["mortgagor"] = copy.deepcopy(data["debtor"])
    data["insurance_required"] = False
    document, doc = render(generator, data)
    text = all_text(doc)
    assert document.context["third_party_mortgagor"] is False
    assert "抵押人（盖章）：厦门海沧示例贸易有限公司" in text
    assert "第三人" not in text
    assert "第一受益人" not in text
    # The debtor block has no phone: the service table warns.
    assert any("抵押人" in w for w in document.warnings)


def test_warnings(generator: Generator) -> None:
    data = max_amount_example()
    data["max_claim_amount"] = "5000000"
    data["claim_amount"] = "1250000"
    data["determination_start"] = "2026-04-01"
    data["collateral"][0]["owner_name"] = "林晓雯"
    data["collateral"][1]["appraisal_date"] = "2024-12-31"
    document, _ = render(generator, data)
    warnings = "\n".join(document.warnings)
    assert "抵押物不足值" in warnings  # 5,000,000 / 4,350,000 = 114.94 %
    assert "114.94" in warnings
    assert "林晓雯" in warnings
    assert "评估日期超过一年" in warnings
    assert "不在债权确定期间内" in warnings


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"debt_end": "2026-03-20"}, "debt_end"),
        (
            {"max_amount": True, "determination_start": "2026-03-18", "determination_end": "2029-03-17"},
            "max_claim_amount",
        ),
        (
            {"max_amount": True, "max_claim_amount": "2000000", "determination_start": "2026-03-18"},
            "determination_end",
        ),
        (
            {"max_amount": True, "max_claim_amount": "2000000", "determination_end": "2029-03-17"},
            "determination_start",
        ),
        (
            {
                "max_amount": True,
                "max_claim_amount": "2000000",
                "determination_start": "2029-03-18",
                "determination_end": "2029-03-17",
            },
            "determination_end",
        ),
        (
            {
                "max_amount": True,
                "max_claim_amount": "1000000",
                "determination_start": "2026-03-18",
                "determination_end": "2029-03-17",
            },
            "claim_amount",
        ),
        ({"max_claim_amount": "2000000"}, "max_claim_amount"),
        ({"determination_end": "2029-03-17"}, "determination_end"),
        ({"insurance_required": False, "insurance_amount": "1000000"}, "insurance_amount"),
        ({"collateral": []}, "collateral"),
    ],
)
def test_cross_field_rules_name_the_field(generator: Generator, changes: Data, path: str) -> None:
    data = example()
    data.update(changes)
    with pytest.raises(InputError) as caught:
        generator.generate(KIND, data)
    assert [p.path for p in caught.value.problems] == [path]
    assert caught.value.problems[0].label


def test_duplicate_collateral_is_rejected_at_the_item(generator: Generator) -> None:
    data = example()
    data["collateral"][1]["unit_no"] = data["collateral"][0]["unit_no"]
    with pytest.raises(InputError) as caught:
        generator.generate(KIND, data)
    assert [p.path for p in caught.value.problems] == ["collateral[1].unit_no"]


def test_mortgagor_needs_an_address(generator: Generator) -> None:
    data = example()
    del data["mortgagor"]["address"]
    with pytest.raises(InputError) as caught:
        generator.generate(KIND, data)
    assert [p.path for p in caught.value.problems] == ["mortgagor.address"]
